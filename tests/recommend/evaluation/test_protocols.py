"""Each protocol's split on a tiny data set."""

import numpy as np
import pytest

from recommend.evaluation.protocols import leave_last_split, make_split, temporal_split
from recommend.ml.data import InteractionData

DAY = 86400.0


def tiny() -> InteractionData:
    # (user, item, day)
    rows = [
        ("ann", "a", 1),
        ("ann", "b", 1),
        ("ann", "c", 5),
        ("ann", "a", 9),
        ("ann", "d", 9),
        ("bob", "b", 2),
        ("bob", "c", 3),
        ("bob", "e", 4),
        ("bob", "f", 4),
        ("cid", "a", 8),
        ("cid", "b", 9),  # only after day 7
        ("dee", "c", 1),
        ("dee", "e", 2),  # only before day 7
        ("eve", "a", 2),
        ("eve", "f", 8),
        ("eve", "b", 8),
        ("eve", "f", 10),
    ]
    users, items, days = zip(*rows)
    return InteractionData.from_arrays(
        users, items, [d * DAY for d in days], item_ids=["a", "b", "c", "d", "e", "f", "g"], seed=3
    )


def ids(data, idx):
    return sorted(data.item_ids[i] for i in idx)


def test_temporal_no_leakage_and_truth_sets():
    data = tiny()
    s = temporal_split(data, cutoff=7 * DAY)
    assert s.train.time.max() < 7 * DAY
    assert s.train.n_interactions == int((data.time < 7 * DAY).sum())
    users = [data.user_ids[u] for u in s.cases.users]
    assert users == ["ann", "eve"]  # cid has nothing before, dee nothing after, bob nothing after
    by_user = dict(zip(users, s.cases.truth))
    assert ids(data, by_user["ann"]) == ["a", "d"]  # re-purchase of a counts
    assert ids(data, by_user["eve"]) == ["b", "f"]  # distinct items
    for h in s.cases.histories:
        assert (h.times < 7 * DAY).all()
    assert s.cases.exclude is None
    assert (s.cases.now == 7 * DAY).all()


def test_temporal_explore_keeps_new_items_and_filters_bought():
    data = tiny()
    s = temporal_split(data, cutoff=7 * DAY)
    users = [data.user_ids[u] for u in s.explore.users]
    by_user = dict(zip(users, zip(s.explore.truth, s.explore.exclude)))
    truth, excl = by_user["ann"]
    assert ids(data, truth) == ["d"]
    assert ids(data, excl) == ["a", "b", "c"]


def test_temporal_default_cutoff_is_last_tenth_of_span():
    data = tiny()
    s = temporal_split(data)
    expected = 10 * DAY - 0.1 * 9 * DAY
    assert s.info["cutoff"] == s.info["test_cutoff"]
    assert s.train.time.max() < expected <= data.time[data.time >= expected].min()


def test_validation_is_carved_from_training_period_only():
    data = tiny()
    s = temporal_split(data, cutoff=7 * DAY, split="validation")
    # the validation cutoff lies before the test cutoff, and nothing at/after 7 days is anywhere
    assert s.train.time.max() < 7 * DAY
    for h in s.cases.histories:
        assert (h.times < 7 * DAY).all()
    all_truth_days = []
    for u, t in zip(s.cases.users, s.cases.truth):
        mask = (data.user == u) & np.isin(data.item, t)
        all_truth_days.extend(data.time[mask & (data.time < 7 * DAY)])
    assert all(d < 7 * DAY for d in all_truth_days)
    assert s.info["validation_cutoff"] < s.info["test_cutoff"]
    # a test-period-only purchase (ann's d on day 9) is never a validation target
    d_idx = list(data.item_ids).index("d")
    assert all(d_idx not in t for t in s.cases.truth)


def test_leave_last_holds_out_whole_last_basket():
    data = tiny()
    s = leave_last_split(data)
    users = [data.user_ids[u] for u in s.cases.users]
    # ann 3 baskets (d1, d5, d9), bob 3 (d2, d3, d4), eve 3 (d2, d8, d10); cid, dee only train
    assert users == ["ann", "bob"]  # eve's last basket (f) was bought before: no new item, dropped
    by_user = dict(zip(users, range(len(users))))
    ann = by_user["ann"]
    assert ids(data, s.cases.truth[ann]) == ["d"]  # a re-bought, filtered
    assert ids(data, s.cases.exclude[ann]) == ["a", "b", "c"]
    bob = by_user["bob"]
    assert ids(data, s.cases.truth[bob]) == ["e", "f"]  # the whole basket, both items
    assert (s.cases.histories[bob].times < 4 * DAY).all()
    # training holds none of the held-out baskets, and keeps users with fewer baskets whole
    train_pairs = set(zip(s.train.user_ids[s.train.user], s.train.time / DAY))
    assert ("bob", 4.0) not in train_pairs and ("ann", 9.0) not in train_pairs and ("eve", 10.0) not in train_pairs
    assert ("cid", 9.0) in train_pairs and ("dee", 2.0) in train_pairs
    assert s.info["cases_dropped_repeat_only"] == 1


def test_leave_last_validation_never_reads_test_basket():
    data = tiny()
    s = leave_last_split(data, split="validation")
    users = [data.user_ids[u] for u in s.cases.users]
    assert "bob" in users
    bob = users.index("bob")
    assert ids(data, s.cases.truth[bob]) == ["c"]
    train_pairs = set(zip(s.train.user_ids[s.train.user], s.train.time / DAY))
    for held in [("bob", 3.0), ("bob", 4.0), ("ann", 5.0), ("ann", 9.0)]:
        assert held not in train_pairs


def test_leave_last_on_tie_free_data_is_the_last_item_split():
    data = InteractionData.from_arrays(["u"] * 4, ["a", "b", "c", "d"], [1, 2, 3, 4])
    s = leave_last_split(data)
    assert ids(data, s.cases.truth[0]) == ["d"]
    assert list(s.cases.histories[0].items) == [1, 2, 3]
    v = leave_last_split(data, split="validation")
    assert ids(data, v.cases.truth[0]) == ["c"]
    assert v.train.n_interactions == 2


def test_sampled_negatives_fixed_by_seed_and_disjoint():
    data = tiny()
    a = make_split(data, protocol="temporal", cutoff=7 * DAY, sampled=True, n_negatives=3, seed=5)
    b = make_split(data, protocol="temporal", cutoff=7 * DAY, sampled=True, n_negatives=3, seed=5)
    for ca, cb, h, t in zip(a.cases.candidates, b.cases.candidates, a.cases.histories, a.cases.truth):
        assert np.array_equal(ca, cb)
        neg = ca[len(t) :]
        assert np.array_equal(ca[: len(t)], t)
        assert not np.isin(neg, h.items).any() and not np.isin(neg, t).any()
        assert (neg > 0).all() and len(set(neg)) == len(neg)


def test_bad_protocol_arguments():
    data = tiny()
    with pytest.raises(ValueError, match="unknown protocol"):
        make_split(data, protocol="random")
    with pytest.raises(ValueError, match="temporal"):
        make_split(data, protocol="leave-last", cutoff=5 * DAY)
    with pytest.raises(ValueError, match="no interactions"):
        temporal_split(data, cutoff=100 * DAY)

"""Smoke and behaviour tests of the baseline models on tiny data."""

import numpy as np
import pytest

from recommend.ml.data import History, InteractionData
from recommend.ml.ease import EASE
from recommend.ml.implicit_adapter import ALS, BPR
from recommend.ml.knn import BasketCooccurrence, ItemKNN
from recommend.ml.popularity import Popularity, RecentPopularity
from recommend.ml.registry import BASELINES, MODELS, get_model_class
from recommend.ml.repeat import RepeatPurchase

DAY = 86400.0


def clustered(seed=0) -> InteractionData:
    """Two groups of shoppers: group A buys items 1-10, group B items 11-20 (ids "i1".."i20";
    "i21", "i22" are never bought). Item i1 and i11 are each group's best seller."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for u in range(80):
        base = 0 if u < 40 else 10
        for _ in range(4):
            t = float(rng.integers(0, 50)) * DAY + u
            basket = {base + 1} | set(rng.choice(np.arange(base + 2, base + 11), size=3, replace=False).tolist())
            for it in basket:
                users.append(u)
                items.append(f"i{it}")
                times.append(t)
    return InteractionData.from_arrays(users, items, times, item_ids=[f"i{i}" for i in range(1, 23)])


FACTORIES = {
    "pop": Popularity,
    "pop_recent": RecentPopularity,
    "repeat": RepeatPurchase,
    "itemknn": ItemKNN,
    "basket": BasketCooccurrence,
    "ease": lambda: EASE(l2=10.0),
    "als": lambda: ALS(factors=4, iterations=10),
    "bpr": lambda: BPR(factors=8, iterations=50),
}


def test_registry_lists_every_baseline():
    assert set(BASELINES) <= set(MODELS)
    for name, cls in MODELS.items():
        assert cls.name == name
    with pytest.raises(KeyError, match="unknown model"):
        get_model_class("nope")


@pytest.mark.parametrize("name", list(FACTORIES))
def test_fit_score_recommend_save_load(name, tmp_path):
    data = clustered()
    model = FACTORIES[name]().fit(data)
    hists = [History.from_lists([1, 2], [0.0, 0.0]), History.empty(), History.from_lists([15], [5 * DAY])]
    s = model.score(hists)
    assert s.shape == (3, data.n_items + 1) and s.dtype == np.float32
    assert np.isneginf(s[:, 0]).all() and np.isfinite(s[:, 1:]).all()
    items, _ = model.recommend(hists[0], k=5, exclude=np.array([1, 2]))
    assert len(items) == 5 and not set(items) & {0, 1, 2}
    loaded = type(model).load(model.save(tmp_path / name))
    assert np.allclose(loaded.score(hists), s, equal_nan=True)


@pytest.mark.parametrize("name", ["itemknn", "basket", "ease", "als", "bpr"])
def test_collaborative_models_follow_co_purchase(name):
    data = clustered()
    model = FACTORIES[name]().fit(data)
    # a new shopper (never in training) who bought two group-A items
    s = model.score([History.from_lists([2, 3])])[0]
    group_a = s[4:11].mean()
    group_b = s[12:21].mean()
    assert group_a > group_b
    similar, _ = model.similar_items(5, k=3)
    assert set(similar) <= set(range(1, 11))


def test_basket_counts_orders_holding_both_items():
    # shopper 1: order {1, 2, 3} at t=0 and order {1, 2} at t=1; shopper 2: {1, 3} at t=0
    # (same time as shopper 1's first order, but another shopper: another basket)
    data = InteractionData.from_arrays(
        [1, 1, 1, 1, 1, 2, 2], [1, 2, 3, 1, 2, 1, 3], [0, 0, 0, 1, 1, 0, 0], item_ids=[1, 2, 3, 4]
    )
    model = BasketCooccurrence().fit(data)
    items, counts = model.similar_items(1, k=5)  # item index 1 = id 1
    assert items.tolist() == [2, 3] and counts.tolist() == [2.0, 2.0]
    items, counts = model.similar_items(2, k=5)
    assert items.tolist() == [1, 3] and counts.tolist() == [2.0, 1.0]
    assert model.similar_items(4, k=5)[0].tolist() == []  # never bought: no companions
    top2 = BasketCooccurrence(neighbors=1).fit(data).similar_items(2, k=5)
    assert top2[0].tolist() == [1]


def test_popularity_counts_buyers_and_recent_favours_recent():
    data = InteractionData.from_arrays(
        ["u1", "u1", "u1", "u2", "u3", "u4"],
        ["old", "old", "old", "old", "new", "new"],
        [0, 1 * DAY, 2 * DAY, 3 * DAY, 99 * DAY, 100 * DAY],
        item_ids=["old", "new", "never"],
    )
    pop = Popularity().fit(data).score([History.empty()])[0]
    assert pop[1] > pop[2] > pop[3]  # old: 2 buyers, new: 2 buyers but fewer lines; never bought: last
    recent = RecentPopularity(half_life_days=7).fit(data).score([History.empty()])[0]
    assert recent[2] > recent[1]


def test_repeat_ranks_own_items_by_decayed_frequency_then_pads():
    data = clustered()
    model = RepeatPurchase(half_life_days=10).fit(data)
    h = History.from_lists([15, 15, 20], [0.0, 1 * DAY, 30 * DAY])
    items, _ = model.recommend(h, k=6)
    assert len(items) == 6
    assert list(items[:2]) == [20, 15]  # bought once recently beats twice a month ago
    assert items[2] in (1, 11)  # then the best sellers
    h2 = History.from_lists([15, 15, 20], [29 * DAY, 29 * DAY, 0.0])
    items2, _ = model.recommend(h2, k=2, now=30 * DAY)
    assert list(items2) == [15, 20]


def test_ease_tunes_l2_on_training_data_only():
    data = clustered()
    model = EASE(l2_grid=(1.0, 10.0, 100.0)).fit(data)
    assert model.config["l2"] in (1.0, 10.0, 100.0)
    assert set(model.config["l2_scores"]) == {"1.0", "10.0", "100.0"}


def test_bpr_fold_in_is_seeded_and_independent_of_the_batch():
    data = clustered()
    model = BPR(factors=8, iterations=30).fit(data)
    h = History.from_lists([2, 3])
    alone = model.score([h])
    assert np.array_equal(alone, model.score([h]))
    in_batch = model.score([History.from_lists([15, 16, 17]), h, History.empty()])
    assert np.allclose(in_batch[1], alone[0])

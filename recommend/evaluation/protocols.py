"""Train/test splits. Every split hands the model only `train`; the cases hold
the input history (what the shopper did before), the target set (`truth`), the
items to filter from the ranking, and the reference time `now`.

- temporal: one global cutoff; train = every interaction strictly before it;
  test users = users with interactions before and at/after it; truth = distinct
  items they bought at/after it; nothing filtered (re-purchases count). The
  `explore` view of the same split keeps only items new to the user and filters
  the items already bought.
- leave-last: per user, the last basket (every interaction at the user's last
  timestamp) is the test target and the basket before it the validation
  target; users with fewer than 3 baskets only train; the user's earlier items
  are filtered from the ranking (and so dropped from the target set). On data
  without shared timestamps this is the usual last-item split.
- validation: the same protocol applied to the training period only (a second
  cutoff before the test cutoff, or the second-to-last basket); the data at or
  after the test cutoff / in the test baskets is removed before anything else.
- sampled: 100 negatives per case (items the user never interacted with, not
  in the target set), drawn once with a seed and stored in the split, so every
  model ranks the same candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from recommend.ml.data import History, InteractionData


@dataclass
class Cases:
    """Test cases of one view of a split (arrays aligned by case)."""

    users: np.ndarray  # int64 (C,) user indices
    histories: list[History]  # input history per case
    truth: list[np.ndarray]  # int64 target item indices per case (non-empty, distinct)
    now: np.ndarray  # float64 (C,) reference time per case
    exclude: list[np.ndarray] | None = None  # items filtered from the ranking per case
    candidates: list[np.ndarray] | None = None  # sampled protocol: the only items ranked

    def __len__(self) -> int:
        return len(self.users)


@dataclass
class Split:
    name: str
    train: InteractionData
    cases: Cases
    explore: Cases | None = None
    info: dict = field(default_factory=dict)


def iso(t: float) -> str:
    return datetime.fromtimestamp(float(t), tz=UTC).isoformat()


def default_cutoff(times: np.ndarray, fraction: float = 0.1) -> float:
    """The time that leaves the last `fraction` of the time span after it."""
    if len(times) == 0:
        raise ValueError("no interactions")
    t0, t1 = float(times.min()), float(times.max())
    return t1 - fraction * (t1 - t0)


def temporal_split(
    data: InteractionData, *, cutoff: float | None = None, split: str = "test", fraction: float = 0.1
) -> Split:
    """Global-cutoff split. split="validation" first drops everything at or after the
    test cutoff, then applies a second cutoff (the last `fraction` of what is left)."""
    if split not in ("test", "validation"):
        raise ValueError("split must be 'test' or 'validation'")
    test_cutoff = default_cutoff(data.time, fraction) if cutoff is None else float(cutoff)
    info: dict = {"test_cutoff": iso(test_cutoff)}
    if split == "validation":
        data = data.subset(data.time < test_cutoff)  # the test period is never read again
        cut = default_cutoff(data.time, fraction)
        info["validation_cutoff"] = iso(cut)
    else:
        cut = test_cutoff
    before = data.time < cut
    train = data.subset(before)
    after = data.subset(~before)
    if train.n_interactions == 0 or after.n_interactions == 0:
        raise ValueError(f"cutoff {iso(cut)} leaves no interactions on one side")
    train_hist = train.histories()
    has_before = np.bincount(train.user, minlength=data.n_users) > 0
    users, hists, truth, now = [], [], [], []
    e_users, e_hists, e_truth, e_now, e_excl = [], [], [], [], []
    bounds = np.searchsorted(after.user, np.arange(data.n_users + 1))
    for u in np.flatnonzero(np.diff(bounds) > 0):
        if not has_before[u]:
            continue
        target = np.unique(after.item[bounds[u] : bounds[u + 1]])
        h = train_hist[u]
        users.append(u)
        hists.append(h)
        truth.append(target)
        now.append(cut)
        seen = np.unique(h.items)
        new = np.setdiff1d(target, seen, assume_unique=True)
        if len(new):
            e_users.append(u)
            e_hists.append(h)
            e_truth.append(new)
            e_now.append(cut)
            e_excl.append(seen)
    if not users:
        raise ValueError(f"no user has interactions both before and after {iso(cut)}")
    cases = Cases(np.array(users, dtype=np.int64), hists, truth, np.array(now, dtype=np.float64))
    explore = Cases(
        np.array(e_users, dtype=np.int64), e_hists, e_truth, np.array(e_now, dtype=np.float64), exclude=e_excl
    )
    n_target = sum(len(t) for t in truth)
    n_new = sum(len(t) for t in e_truth)
    info.update(
        {
            "cutoff": iso(cut),
            "train_interactions": int(train.n_interactions),
            "test_users": len(cases),
            "explore_users": len(explore),
            "target_items": int(n_target),
            "repeat_share_of_targets": float(1 - n_new / n_target) if n_target else 0.0,
        }
    )
    return Split("temporal", train, cases, explore, info)


def _basket_starts(h: History) -> np.ndarray:
    """Start offsets of each basket (run of equal times) in a history."""
    if len(h) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([[0], np.flatnonzero(np.diff(h.times) != 0) + 1]).astype(np.int64)


def leave_last_split(data: InteractionData, *, split: str = "test", min_baskets: int = 3) -> Split:
    """Per-user split holding out whole baskets. split="test": target = last basket,
    input = everything before it; split="validation": the last basket is removed
    first (never read), target = the basket before it."""
    if split not in ("test", "validation"):
        raise ValueError("split must be 'test' or 'validation'")
    hists = data.histories()
    offsets = np.searchsorted(data.user, np.arange(data.n_users + 1))
    keep = np.ones(data.n_interactions, dtype=bool)
    users, inputs, truth, now, excl = [], [], [], [], []
    dropped_repeat_only = 0
    for u, h in enumerate(hists):
        starts = _basket_starts(h)
        if len(starts) < min_baskets:
            continue
        last = starts[-1]
        if split == "validation":
            keep[offsets[u] + last : offsets[u + 1]] = False  # the test basket is never read
            target_start, target_end = starts[-2], last
        else:
            target_start, target_end = last, len(h)
        keep[offsets[u] + target_start : offsets[u] + target_end] = False
        before = History(
            h.items[:target_start],
            h.times[:target_start],
            None if h.quantities is None else h.quantities[:target_start],
        )
        seen = np.unique(before.items)
        target = np.setdiff1d(np.unique(h.items[target_start:target_end]), seen, assume_unique=True)
        if len(target) == 0:
            dropped_repeat_only += 1
            continue
        users.append(u)
        inputs.append(before)
        truth.append(target)
        now.append(float(h.times[target_start]))
        excl.append(seen)
    if not users:
        raise ValueError(f"no user has at least {min_baskets} baskets with a new item in the target basket")
    train = data.subset(keep)
    cases = Cases(np.array(users, dtype=np.int64), inputs, truth, np.array(now, dtype=np.float64), exclude=excl)
    info = {
        "min_baskets": min_baskets,
        "train_interactions": int(train.n_interactions),
        "test_users": len(cases),
        "cases_dropped_repeat_only": dropped_repeat_only,
    }
    return Split("leave-last", train, cases, None, info)


def draw_negatives(cases: Cases, n_items: int, *, n_negatives: int = 100, seed: int = 0) -> list[np.ndarray]:
    """Candidate lists for the sampled protocol: each case's truth plus `n_negatives`
    items it never interacted with (uniform, without replacement, seeded)."""
    rng = np.random.default_rng(seed)
    out = []
    for h, t in zip(cases.histories, cases.truth):
        forbidden = np.zeros(n_items + 1, dtype=bool)
        forbidden[0] = True
        forbidden[h.items] = True
        forbidden[t] = True
        pool = np.flatnonzero(~forbidden)
        neg = rng.choice(pool, size=min(n_negatives, len(pool)), replace=False)
        out.append(np.concatenate([t, np.sort(neg)]).astype(np.int64))
    return out


def make_split(
    data: InteractionData,
    *,
    protocol: str = "temporal",
    cutoff: float | None = None,
    split: str = "test",
    sampled: bool = False,
    n_negatives: int = 100,
    seed: int = 0,
) -> Split:
    if protocol == "temporal":
        s = temporal_split(data, cutoff=cutoff, split=split)
    elif protocol == "leave-last":
        if cutoff is not None:
            raise ValueError("--cutoff applies to the temporal protocol only")
        s = leave_last_split(data, split=split)
    else:
        raise ValueError(f"unknown protocol {protocol!r} (temporal or leave-last)")
    if sampled:
        s.cases.candidates = draw_negatives(s.cases, data.n_items, n_negatives=n_negatives, seed=seed)
        if s.explore is not None and len(s.explore):
            s.explore.candidates = draw_negatives(s.explore, data.n_items, n_negatives=n_negatives, seed=seed + 1)
    s.info.update(
        {
            "name": protocol,
            "split": split,
            "sampled": sampled,
            "negatives": n_negatives if sampled else None,
            "seed": seed,
        }
    )
    return s

"""Fit every model on the same split, score the same cases, report the same metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from recommend.ml.base import Recommender
from recommend.ml.data import InteractionData

from . import metrics as M
from .protocols import Cases, Split, iso, make_split

CI_METRICS = ("ndcg", "hr")
CI_K = 10


def dataset_stats(data: InteractionData) -> dict:
    """Counts and shape of an interaction data set (for the report)."""
    n = data.n_interactions
    pairs = np.unique(data.user.astype(np.int64) * (data.n_items + 1) + data.item)
    baskets = len(np.unique(np.stack([data.user, data.time.view(np.int64)]), axis=1).T) if n else 0
    active_items = int((data.item_popularity()[1:] > 0).sum())
    return {
        "users": int(data.n_users),
        "items": int(data.n_items),
        "items_with_interactions": active_items,
        "interactions": int(n),
        "distinct_user_item_pairs": int(len(pairs)),
        "baskets": int(baskets),
        "density": float(len(pairs) / max(1, data.n_users * data.n_items)),
        "repeat_interaction_share": float(1 - len(pairs) / n) if n else 0.0,
        "start": iso(data.time.min()) if n else None,
        "end": iso(data.time.max()) if n else None,
        "has_categories": data.item_features is not None and data.item_features.categories is not None,
    }


class _Accumulator:
    """Collects per-case accuracy values and the top-K lists of one model on one view."""

    def __init__(self, n_cases: int, ks: Sequence[int]):
        self.ks = tuple(ks)
        self.kmax = max(ks)
        self.values = {(m, k): np.zeros(n_cases) for m in M.ACCURACY_METRICS for k in self.ks}
        self.lists = np.full((n_cases, self.kmax), -1, dtype=np.int64)

    def add(self, rows: np.ndarray, top: np.ndarray, truth: list[np.ndarray]) -> None:
        hits = np.zeros(top.shape, dtype=bool)
        for r, t in enumerate(truth):
            hits[r] = np.isin(top[r], t) & (top[r] > 0)
        n_truth = np.array([len(t) for t in truth])
        for k in self.ks:
            for name, v in M.accuracy_from_hits(hits, n_truth, k).items():
                self.values[(name, k)][rows] = v
        self.lists[rows] = top


def _top_k_batch(scores: np.ndarray, k: int) -> np.ndarray:
    """int64 (B, k) item indices by descending score, ties by ascending index (a stable
    sort, so a tie at the K-th place is decided the same way for every model and
    every batch size); -1 where a row has fewer than k finite scores."""
    s = scores.astype(np.float64, copy=True)
    s[:, 0] = -np.inf
    want, k = k, min(k, s.shape[1] - 1)
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]
    top[~np.isfinite(np.take_along_axis(s, top, axis=1))] = -1
    if k < want:  # a catalog smaller than K: the rest of the list is empty
        top = np.pad(top, ((0, 0), (0, want - k)), constant_values=-1)
    return top


def _restrict(scores: np.ndarray, cases: Cases, idx: np.ndarray) -> np.ndarray:
    """Apply each case's exclusions and candidate list (in place on a copy)."""
    out = scores.copy()
    for r, c in enumerate(idx):
        if cases.candidates is not None:
            keep = np.full(out.shape[1], -np.inf, dtype=out.dtype)
            keep[cases.candidates[c]] = out[r, cases.candidates[c]]
            out[r] = keep
        if cases.exclude is not None and len(cases.exclude[c]):
            out[r, cases.exclude[c]] = -np.inf
    return out


def _summarise(acc: _Accumulator, split: Split, *, seed: int, n_boot: int, extra: dict) -> dict:
    train = split.train
    res: dict = {}
    for (name, k), v in sorted(acc.values.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        res[f"{name}@{k}"] = float(v.mean()) if len(v) else 0.0
    item_users = np.bincount(
        np.unique(train.user.astype(np.int64) * (train.n_items + 1) + train.item) % (train.n_items + 1),
        minlength=train.n_items + 1,
    )
    feats = train.item_features
    for k in acc.ks:
        lists = acc.lists[:, :k]
        res[f"coverage@{k}"] = M.coverage(lists, train.n_items)
        res[f"gini@{k}"] = M.exposure_gini(lists, train.n_items)
        res[f"novelty@{k}"] = M.novelty(lists, item_users, train.n_users)
        if feats is not None and feats.categories is not None:
            res[f"diversity@{k}"] = M.intra_list_diversity_categories(lists, feats.categories)
        elif extra.get("_title_vectors") is not None:
            res[f"diversity@{k}"] = M.intra_list_diversity_vectors(lists, extra["_title_vectors"])
    for name in CI_METRICS:
        if CI_K in acc.ks:
            lo, hi = M.bootstrap_ci(acc.values[(name, CI_K)], n_boot=n_boot, seed=seed)
            res[f"{name}@{CI_K}_ci"] = [lo, hi]
    res["cases"] = int(len(acc.lists))
    res.update({k: v for k, v in extra.items() if not k.startswith("_")})
    return res


def _title_vectors(data: InteractionData):
    """L2-normalised TF-IDF vectors of item titles, for diversity when there are no categories."""
    feats = data.item_features
    if feats is None or feats.titles is None or not any(str(t or "") for t in feats.titles[1:]):
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(min_df=1).fit_transform([str(t or "") for t in feats.titles]).tocsr()


def run_evaluation(
    data: InteractionData,
    models: Mapping[str, Callable[[], Recommender]],
    *,
    protocol: str = "temporal",
    cutoff: float | None = None,
    ks: Sequence[int] = (5, 10, 20),
    sampled: bool = False,
    seed: int = 0,
    split: str = "test",
    progress: bool = True,
    n_negatives: int = 100,
    batch_size: int = 512,
    n_bootstrap: int = 1000,
) -> dict:
    """Evaluate each model (a factory returning an unfitted Recommender) on one split.

    Each model is built, fitted on the split's training data only, and scores the
    test cases once (in batches of `batch_size` histories). Returns the
    metrics.json structure: {"dataset", "protocol", "models", and for temporal
    "explore"}; each model's entry holds its metrics and, under "config", the
    config it was fitted with (what it tuned itself included). `cutoff` is Unix
    seconds (temporal only); split="validation" evaluates on a split carved from
    the training period (the test period is never read)."""
    ks = tuple(sorted({int(k) for k in ks}))
    if not ks or ks[0] <= 0:
        raise ValueError("ks must be positive integers")
    if not models:
        raise ValueError("no models to evaluate")
    sp = make_split(
        data, protocol=protocol, cutoff=cutoff, split=split, sampled=sampled, n_negatives=n_negatives, seed=seed
    )
    views = _Views.of(sp)
    extra = {"_title_vectors": _title_vectors(data)}
    result: dict = {
        "dataset": dataset_stats(data),
        "protocol": {**sp.info, "ks": list(ks), "batch_size": batch_size, "bootstrap": n_bootstrap},
        "models": {},
    }
    if sp.explore is not None:
        result["explore"] = {}
    per_case: dict[str, dict[str, np.ndarray]] = {"models": {}, "explore": {}}  # NDCG@10 per case, for pairs
    bar = tqdm(total=len(models), desc="models", unit="model", disable=not progress)
    for name, factory in models.items():
        model = factory()
        fit_seconds = _fit(model, name, sp.train, progress=progress)
        acc, acc_explore, score_seconds = _score(
            model, name, sp, views, ks, protocol=protocol, batch_size=batch_size, progress=progress
        )
        result["models"][name] = _summarise(
            acc, sp, seed=seed, n_boot=n_bootstrap, extra={**extra, "fit_seconds": round(fit_seconds, 3)}
        )
        if acc_explore is not None:
            result["explore"][name] = _summarise(acc_explore, sp, seed=seed, n_boot=n_bootstrap, extra=extra)
        if CI_K in acc.ks:
            per_case["models"][name] = acc.values[("ndcg", CI_K)]
            if acc_explore is not None:
                per_case["explore"][name] = acc_explore.values[("ndcg", CI_K)]
        result["models"][name]["score_seconds"] = round(score_seconds, 3)
        result["models"][name]["config"] = _plain(model.config)
        bar.update(1)
    bar.close()
    result["paired"] = {
        view: paired_differences(values, seed=seed, n_boot=n_bootstrap)
        for view, values in per_case.items()
        if len(values) > 1
    }
    return result


class _Views:
    """The cases a split is scored on: the main view, and the explore view (temporal) of a
    subset of the same users with the same histories and `now`, whose cases reuse the main
    view's scores (each history is scored once per model): explore_main[j] is the main case
    of explore case j."""

    def __init__(self, cases: Cases, explore: Cases | None, explore_main: np.ndarray) -> None:
        self.cases, self.explore, self.explore_main = cases, explore, explore_main

    @classmethod
    def of(cls, sp: Split) -> "_Views":
        cases = sp.cases
        explore = sp.explore if sp.explore is not None and len(sp.explore) else None
        main_of_user = {int(u): i for i, u in enumerate(cases.users)}
        explore_main = (
            np.array([main_of_user[int(u)] for u in explore.users], dtype=np.int64)
            if explore is not None
            else np.zeros(0, dtype=np.int64)
        )
        return cls(cases, explore, explore_main)


def _fit(model: Recommender, name: str, train: InteractionData, *, progress: bool) -> float:
    """Fit on the split's training data, with a progress bar of the model's stages; returns seconds."""
    fit_bar = tqdm(desc=f"fit {name}", disable=not progress, leave=False)

    def report(stage: str, done: int, total: int) -> None:
        fit_bar.set_description(f"fit {name}: {stage}")
        fit_bar.total = total
        fit_bar.n = done
        fit_bar.refresh()

    t0 = time.perf_counter()
    model.fit(train, progress=report)
    seconds = time.perf_counter() - t0
    fit_bar.close()
    return seconds


def _score(
    model: Recommender,
    name: str,
    sp: Split,
    views: _Views,
    ks: Sequence[int],
    *,
    protocol: str,
    batch_size: int,
    progress: bool,
) -> tuple[_Accumulator, _Accumulator | None, float]:
    """Score every case in batches and collect the metrics of both views; returns the two
    accumulators (explore: None without that view) and the seconds spent scoring."""
    cases, explore, explore_main = views.cases, views.explore, views.explore_main
    kmax = max(ks)
    acc = _Accumulator(len(cases), ks)
    acc_explore = _Accumulator(len(explore), ks) if explore is not None else None
    seconds = 0.0
    for a in tqdm(range(0, len(cases), batch_size), desc=f"score {name}", disable=not progress, leave=False):
        idx = np.arange(a, min(a + batch_size, len(cases)))
        t1 = time.perf_counter()
        # temporal: every case shares now = cutoff; leave-last: now=None, i.e. each
        # history's own last time (the interface default), so batches stay batches
        now = float(cases.now[idx[0]]) if protocol == "temporal" else None
        scores = model.score([cases.histories[i] for i in idx], now=now)
        seconds += time.perf_counter() - t1
        if scores.shape != (len(idx), sp.train.n_items + 1):
            raise ValueError(
                f"model {name!r} returned scores of shape {scores.shape}, expected {(len(idx), sp.train.n_items + 1)}"
            )
        acc.add(idx, _top_k_batch(_restrict(scores, cases, idx), kmax), [cases.truth[i] for i in idx])
        if acc_explore is not None:
            e_idx = np.flatnonzero((explore_main >= idx[0]) & (explore_main <= idx[-1]))
            if len(e_idx):
                sub = scores[explore_main[e_idx] - idx[0]]
                acc_explore.add(
                    e_idx, _top_k_batch(_restrict(sub, explore, e_idx), kmax), [explore.truth[j] for j in e_idx]
                )
    return acc, acc_explore, seconds


def _plain(value):
    """A config as plain JSON values (numpy scalars and arrays become numbers and lists)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def paired_differences(per_case: Mapping[str, np.ndarray], *, seed: int = 0, n_boot: int = 1000) -> dict:
    """The model with the best mean NDCG@10 against every other model on the same cases:
    {"reference": name, "metric": "ndcg@10", "vs": {other: {"diff", "ci", "beyond_noise"}}}.
    `beyond_noise` is True when the paired 95% CI of (reference - other) lies above 0."""
    ref = max(per_case, key=lambda n: (float(np.mean(per_case[n])) if len(per_case[n]) else 0.0, n))
    vs = {}
    for other, values in per_case.items():
        if other == ref:
            continue
        diff, lo, hi = M.paired_bootstrap_diff(per_case[ref], values, n_boot=n_boot, seed=seed)
        vs[other] = {"diff": diff, "ci": [lo, hi], "beyond_noise": bool(lo > 0)}
    return {"reference": ref, "metric": f"ndcg@{CI_K}", "vs": vs}

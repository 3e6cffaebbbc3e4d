"""Ranking and beyond-accuracy metrics as pure functions (no Django, no state).

Accuracy metrics take one ranked list of item indices and the set of relevant
items ("truth"); the runner uses the vectorised `accuracy_from_hits`, which the
tests check against the scalar functions. Conventions:

- HR@K: 1 if any relevant item is in the top K.
- Recall@K: relevant items in the top K / number of relevant items.
- Precision@K: relevant items in the top K / K.
- NDCG@K: binary gains, DCG = sum rel_i / log2(i + 1) for ranks i = 1..K, divided
  by the DCG of the ideal list (min(|truth|, K) hits at the top).
- MRR@K: 1 / rank of the first relevant item in the top K, else 0.
- MAP@K: sum over relevant ranks i <= K of Precision@i, divided by min(|truth|, K).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

ACCURACY_METRICS = ("hr", "recall", "precision", "ndcg", "mrr", "map")


def _hits(ranked: Sequence[int], truth: Iterable[int], k: int) -> tuple[np.ndarray, int]:
    if k <= 0:
        raise ValueError("k must be positive")
    truth_set = set(int(t) for t in truth)
    top = [int(i) for i in list(ranked)[:k]]
    return np.array([i in truth_set for i in top], dtype=bool), len(truth_set)


def hit_rate(ranked: Sequence[int], truth: Iterable[int], k: int) -> float:
    hits, n = _hits(ranked, truth, k)
    return float(hits.any()) if n else 0.0


def recall(ranked: Sequence[int], truth: Iterable[int], k: int) -> float:
    hits, n = _hits(ranked, truth, k)
    return float(hits.sum() / n) if n else 0.0


def precision(ranked: Sequence[int], truth: Iterable[int], k: int) -> float:
    hits, _ = _hits(ranked, truth, k)
    return float(hits.sum() / k)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def ndcg(ranked: Sequence[int], truth: Iterable[int], k: int) -> float:
    hits, n = _hits(ranked, truth, k)
    if not n:
        return 0.0
    disc = _discounts(k)
    dcg = float((hits * disc[: len(hits)]).sum())
    idcg = float(disc[: min(n, k)].sum())
    return dcg / idcg


def mrr(ranked: Sequence[int], truth: Iterable[int], k: int) -> float:
    hits, _ = _hits(ranked, truth, k)
    pos = np.flatnonzero(hits)
    return float(1.0 / (pos[0] + 1)) if len(pos) else 0.0


def average_precision(ranked: Sequence[int], truth: Iterable[int], k: int) -> float:
    hits, n = _hits(ranked, truth, k)
    if not n:
        return 0.0
    ranks = np.arange(1, len(hits) + 1)
    prec_at = np.cumsum(hits) / ranks
    return float((prec_at * hits).sum() / min(n, k))


def accuracy_from_hits(hits: np.ndarray, n_truth: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Per-case accuracy metrics for a batch.

    hits: bool (B, >=K), hits[b, i] = the item at rank i + 1 is relevant for case b
        (a list shorter than K is padded with False);
    n_truth: int (B,), number of relevant items per case (> 0).
    Returns {"hr", "recall", "precision", "ndcg", "mrr", "map"} -> float64 (B,).
    """
    h = np.asarray(hits, dtype=bool)[:, :k].astype(np.float64)
    if h.shape[1] < k:
        h = np.pad(h, ((0, 0), (0, k - h.shape[1])))
    n = np.asarray(n_truth, dtype=np.float64)
    if (n <= 0).any():
        raise ValueError("every case needs at least one relevant item")
    n_hits = h.sum(axis=1)
    disc = _discounts(k)
    ideal = np.cumsum(disc)[np.minimum(n, k).astype(np.int64) - 1]
    ranks = np.arange(1, k + 1)
    first = np.where(h.any(axis=1), h.argmax(axis=1) + 1, np.inf)
    prec_at = np.cumsum(h, axis=1) / ranks
    return {
        "hr": (n_hits > 0).astype(np.float64),
        "recall": n_hits / n,
        "precision": n_hits / k,
        "ndcg": (h * disc).sum(axis=1) / ideal,
        "mrr": 1.0 / first,
        "map": (prec_at * h).sum(axis=1) / np.minimum(n, k),
    }


# -- beyond accuracy (over all recommendation lists) ----------------------------


def exposure_counts(lists: np.ndarray, n_items: int) -> np.ndarray:
    """int64 (n_items + 1,): how often each item index appears in the lists
    (an int array (U, K); negative entries mean "no item" and are ignored)."""
    flat = np.asarray(lists).ravel()
    flat = flat[flat > 0]
    return np.bincount(flat, minlength=n_items + 1).astype(np.int64)


def coverage(lists: np.ndarray, n_items: int) -> float:
    """Share of the catalog (items 1..n_items) that appears in at least one list."""
    if n_items <= 0:
        raise ValueError("n_items must be positive")
    counts = exposure_counts(lists, n_items)[1:]
    return float((counts > 0).sum() / n_items)


def gini(values: np.ndarray) -> float:
    """Gini index of non-negative values: 0 = perfectly even, -> 1 = all on one.

    Uses G = sum_i (2i - n - 1) x_(i) / (n sum x), x sorted ascending, i = 1..n."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    if (x < 0).any():
        raise ValueError("gini needs non-negative values")
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * x.sum()))


def exposure_gini(lists: np.ndarray, n_items: int) -> float:
    """Gini index of how often each catalog item is recommended (items never shown count as 0)."""
    return gini(exposure_counts(lists, n_items)[1:])


def novelty(lists: np.ndarray, item_users: np.ndarray, n_users: int) -> float:
    """Mean self-information -log2(p(i)) of recommended items, p(i) = share of training
    users who interacted with i (at least 1 user, so unseen items are finite)."""
    flat = np.asarray(lists).ravel()
    flat = flat[flat > 0]
    if len(flat) == 0 or n_users <= 0:
        return 0.0
    p = np.maximum(np.asarray(item_users, dtype=np.float64)[flat], 1.0) / n_users
    return float(np.mean(-np.log2(np.minimum(p, 1.0))))


def intra_list_diversity_categories(lists: np.ndarray, categories: np.ndarray) -> float:
    """Mean over lists of the share of item pairs in different categories.

    categories: (n_items + 1,) label per item index (any hashable; None/"" = unknown,
    counted as its own label)."""
    codes = np.unique(np.asarray(categories, dtype=object).astype(str), return_inverse=True)[1]
    vals = []
    for row in np.asarray(lists):
        row = row[row > 0]
        m = len(row)
        if m < 2:
            continue
        c = codes[row]
        same = (c[:, None] == c[None, :]).sum() - m
        vals.append(1.0 - same / (m * (m - 1)))
    return float(np.mean(vals)) if vals else 0.0


def intra_list_diversity_vectors(lists: np.ndarray, vectors) -> float:
    """Mean over lists of the mean pairwise cosine distance between item vectors.

    vectors: (n_items + 1, d) dense array or scipy sparse matrix with L2-normalised rows."""
    vals = []
    for row in np.asarray(lists):
        row = row[row > 0]
        m = len(row)
        if m < 2:
            continue
        v = vectors[row]
        sim = v @ v.T
        sim = sim.toarray() if hasattr(sim, "toarray") else np.asarray(sim)
        mean_sim = (sim.sum() - np.trace(sim)) / (m * (m - 1))
        vals.append(1.0 - mean_sim)
    return float(np.mean(vals)) if vals else 0.0


def bootstrap_ci(values: np.ndarray, *, n_boot: int = 1000, alpha: float = 0.05, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of per-case values
    (resampling cases with replacement; seeded, so reruns give the same interval)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    for b in range(n_boot):
        means[b] = v[rng.integers(0, len(v), len(v))].mean()
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def paired_bootstrap_diff(
    a: np.ndarray, b: np.ndarray, *, n_boot: int = 1000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of a - b and its percentile bootstrap confidence interval, where a[i] and b[i]
    are two models' values on the same case i (cases resampled together, so the
    interval reflects only how the two differ, not how hard the cases are).
    Returns (mean difference, low, high); an interval above 0 is a win beyond the noise."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if len(d) == 0:
        return (0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    for i in range(n_boot):
        means[i] = d[rng.integers(0, len(d), len(d))].mean()
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(d.mean()), float(lo), float(hi)

"""Helpers that turn a batch of histories into arrays (shared by the baselines)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .data import History

DAY = 86400.0


def histories_csr(
    histories: Sequence[History],
    n_items: int,
    *,
    weighting: str = "binary",
    now: float | None = None,
    half_life_days: float | None = None,
) -> sp.csr_matrix:
    """float32 (B, n_items + 1) matrix of a batch of histories.

    weighting: "binary" (1 if the item occurs), "count" (occurrences), "quantity"
    (units), "decay" (sum of 0.5 ** (age / half_life) per occurrence; age from `now`,
    default each history's last time). Items outside 1..n_items (unknown to the
    model) are dropped."""
    rows, cols, vals = [], [], []
    for r, h in enumerate(histories):
        items = np.asarray(h.items, dtype=np.int64)
        ok = (items > 0) & (items <= n_items)
        items = items[ok]
        if weighting == "quantity":
            v = h.qty[ok].astype(np.float64)
        elif weighting == "decay":
            t = np.asarray(h.times, dtype=np.float64)[ok]
            ref = (float(h.times[-1]) if len(h.times) else 0.0) if now is None else float(now)
            age = np.maximum(ref - t, 0.0) / DAY
            v = 0.5 ** (age / float(half_life_days or 30.0))
        else:
            v = np.ones(len(items))
        rows.append(np.full(len(items), r))
        cols.append(items)
        vals.append(v)
    shape = (len(histories), n_items + 1)
    if not rows:
        return sp.csr_matrix(shape, dtype=np.float32)
    m = sp.csr_matrix(
        (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    m.sum_duplicates()
    if weighting == "binary":
        m.data[:] = 1.0
    return m


def broadcast(vector: np.ndarray, batch: int) -> np.ndarray:
    """float32 (batch, n) copies of one score vector, column 0 = -inf."""
    out = np.repeat(np.asarray(vector, dtype=np.float32)[None, :], batch, axis=0)
    out[:, 0] = -np.inf
    return out

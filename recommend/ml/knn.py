"""Item-based k-nearest neighbours on co-purchase (cosine), stored sparse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .base import Progress, Recommender, top_k
from .batch import histories_csr
from .data import History, InteractionData


class ItemKNN(Recommender):
    """sim(i, j) = |U_i ∩ U_j| / (sqrt|U_i| sqrt|U_j| + shrink) over buyers U (binary);
    each item keeps its `neighbors` most similar items. score = history · S, with the
    history weighted by time decay (`half_life_days`, None = binary). Histories with
    no known item get popularity, so every shopper gets a full list."""

    name = "itemknn"

    defaults: ClassVar[dict[str, Any]] = {"neighbors": 100, "shrink": 10.0, "half_life_days": None, "chunk": 2048}

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "ItemKNN":
        self.n_items = n = data.n_items
        x = data.csr("binary").tocsc()  # users × items
        xt = x.T.tocsr()  # items × users
        norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
        k = int(self.config["neighbors"])
        shrink = float(self.config["shrink"])
        chunk = int(self.config["chunk"])
        rows, cols, vals = [], [], []
        total = n + 1
        for a in range(0, total, chunk):
            b = min(a + chunk, total)
            co = (xt[a:b] @ x).toarray()  # (chunk, n + 1) co-occurrence counts
            sim = co / (norms[a:b, None] * norms[None, :] + shrink + 1e-12)
            sim[np.arange(b - a), np.arange(a, b)] = 0.0
            sim[:, 0] = 0.0
            kk = min(k, n)
            idx = np.argpartition(-sim, kk - 1, axis=1)[:, :kk] if kk > 0 else np.zeros((b - a, 0), int)
            v = np.take_along_axis(sim, idx, axis=1)
            keep = v > 0
            rows.append(np.repeat(np.arange(a, b), keep.sum(axis=1)))
            cols.append(idx[keep])
            vals.append(v[keep])
            if progress:
                progress("similarities", b, total)
        self.sim_ = sp.csr_matrix(
            (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n + 1, n + 1),
        )
        pop = data.item_popularity()
        self.pop_ = (pop / max(pop.max(), 1.0)).astype(np.float32)
        return self

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        hl = self.config.get("half_life_days")
        h = histories_csr(histories, self.n_items, weighting="decay" if hl else "binary", now=now, half_life_days=hl)
        out = np.asarray((h @ self.sim_).todense(), dtype=np.float32)
        # tiny popularity prior breaks ties and fills lists of cold histories
        out += 1e-6 * self.pop_[None, :]
        out[:, 0] = -np.inf
        return out

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        row = self.sim_.getrow(int(item)).toarray().ravel().astype(np.float64)
        row[row == 0] = -np.inf
        return top_k(row, k, exclude=np.array([item]))

    def _state(self) -> dict[str, np.ndarray]:
        s = self.sim_
        return {"data": s.data, "indices": s.indices, "indptr": s.indptr, "pop": self.pop_}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        n = self.n_items + 1
        self.sim_ = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n))
        self.pop_ = arrays["pop"]


class BasketCooccurrence(Recommender):
    """co(i, j) = the number of baskets (one shopper's purchases at one time: an
    order) holding both i and j; each item keeps its `neighbors` most frequent
    companions, stored sparse. "Complete the set" serves it: the counts are the
    reason shown ("In the same order as … 99 times") and answer in a sparse row
    lookup, where the same count in SQL is a self-join over every order line.
    score = (binary history) · co, with a popularity prior for cold histories."""

    name = "basket"

    defaults: ClassVar[dict[str, Any]] = {"neighbors": 100}

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "BasketCooccurrence":
        self.n_items = n = data.n_items
        # one row per (shopper, time): data is sorted by user then time
        new_basket = np.ones(data.n_interactions, dtype=bool)
        if data.n_interactions:
            new_basket[1:] = (np.diff(data.user) != 0) | (np.diff(data.time) != 0)
        basket = np.cumsum(new_basket) - 1
        b = sp.csr_matrix(
            (np.ones(data.n_interactions, dtype=np.float32), (basket, data.item)),
            shape=(int(basket[-1]) + 1 if data.n_interactions else 0, n + 1),
        )
        b.sum_duplicates()
        b.data[:] = 1.0
        co = (b.T @ b).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        self.co_ = _keep_top(co, int(self.config["neighbors"]))
        if progress:
            progress("baskets", 1, 1)
        pop = data.item_popularity()
        self.pop_ = (pop / max(pop.max(), 1.0)).astype(np.float32)
        return self

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        h = histories_csr(histories, self.n_items, weighting="binary", now=now)
        out = np.asarray((h @ self.co_).todense(), dtype=np.float32)
        out += 1e-6 * self.pop_[None, :]
        out[:, 0] = -np.inf
        return out

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The items most often in the same basket as `item`, with their basket counts."""
        start, end = self.co_.indptr[int(item)], self.co_.indptr[int(item) + 1]
        cols, counts = self.co_.indices[start:end], self.co_.data[start:end].astype(np.float64)
        order = np.lexsort((cols, -counts))[:k]  # most baskets first, ties by index
        return cols[order].astype(np.int64), counts[order]

    def _state(self) -> dict[str, np.ndarray]:
        s = self.co_
        return {"data": s.data, "indices": s.indices, "indptr": s.indptr, "pop": self.pop_}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        n = self.n_items + 1
        self.co_ = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n))
        self.pop_ = arrays["pop"]


def _keep_top(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row's k largest entries (ties broken by column), the rest dropped."""
    rows, cols, vals = [], [], []
    for r in range(m.shape[0]):
        start, end = m.indptr[r], m.indptr[r + 1]
        c, v = m.indices[start:end], m.data[start:end]
        if len(v) > k:
            keep = np.lexsort((c, -v))[:k]
            c, v = c[keep], v[keep]
        rows.append(np.full(len(c), r))
        cols.append(c)
        vals.append(v)
    if not rows:
        return sp.csr_matrix(m.shape, dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))), shape=m.shape
    )

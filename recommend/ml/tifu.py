"""TIFU-KNN: repeat-aware, time-decayed basket vectors plus nearest customers.

Hu et al., "Modeling Personalized Item Frequency Information for Next-basket
Recommendation", SIGIR 2020. A customer's baskets (interactions sharing a
timestamp) are split into groups of `group_size` consecutive baskets, the last
group holding the most recent ones. Inside a group, basket i of n counts
r_b ** (n - i); across G groups, group j counts r_g ** (G - j). The customer
vector is the weighted mean of their multi-hot basket vectors, and

    score = alpha * own vector + (1 - alpha) * mean vector of the k most similar customers

(cosine similarity between customer vectors). Scores of items the customer
bought before are high because of the first term, so it re-recommends; the
second term brings new items that similar customers buy.

An optional re-purchase cycle term (`cycle_weight` > 0) multiplies the own
score of an item by how "due" it is: the time since it was last bought
divided by the customer's mean gap between purchases of it (ReCANet-style),
squashed to (0, 2). Both terms use only the history given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .base import Progress, Recommender, mask_padding
from .data import History, InteractionData

DAY = 86400.0


class TIFUKNN(Recommender):
    name: ClassVar[str] = "tifuknn"
    defaults: ClassVar[dict[str, Any]] = {
        "k": 100,
        "group_size": 7,
        "r_b": 1.0,
        "r_g": 0.6,
        "alpha": 0.7,
        "cycle_weight": 0.0,
    }

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self._user_vectors: sp.csr_matrix | None = None
        self._user_norms: np.ndarray | None = None

    # -- the customer vector -------------------------------------------------
    def _vector(self, history: History) -> np.ndarray:
        """float32 (n_items + 1,) time-decayed mean of the history's basket vectors."""
        vec = np.zeros(self.n_items + 1, dtype=np.float32)
        baskets = history.baskets()
        if not baskets:
            return vec
        r_b, r_g, m = float(self.config["r_b"]), float(self.config["r_g"]), int(self.config["group_size"])
        n = len(baskets)
        n_groups = -(-n // m)
        # groups are counted from the most recent basket backwards; the oldest group may be short
        for pos, basket in enumerate(baskets):
            back = n - 1 - pos  # 0 = most recent basket
            group_from_end, within_from_end = divmod(back, m)
            group_len = m if group_from_end < n_groups - 1 else n - m * (n_groups - 1)
            w = (r_b**within_from_end) / group_len * (r_g**group_from_end) / n_groups
            vec[np.unique(basket)] += w
        return vec

    def _vectors(self, histories: Sequence[History]) -> np.ndarray:
        return np.stack([self._vector(h) for h in histories]) if histories else np.zeros((0, self.n_items + 1))

    # -- Recommender ------------------------------------------------------------
    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "TIFUKNN":
        self.n_items = data.n_items
        hists = data.histories()
        rows = []
        for i, h in enumerate(hists):
            v = self._vector(h)
            rows.append(sp.csr_matrix(v))
            if progress and (i % 500 == 0 or i == len(hists) - 1):
                progress("tifuknn vectors", i + 1, len(hists))
        self._user_vectors = (
            sp.vstack(rows).tocsr().astype(np.float32)
            if rows
            else sp.csr_matrix((0, self.n_items + 1), dtype=np.float32)
        )
        self._user_norms = np.sqrt(np.asarray(self._user_vectors.multiply(self._user_vectors).sum(axis=1))).ravel()
        return self

    def _neighbour_mean(self, own: np.ndarray) -> np.ndarray:
        """float32 (B, n_items + 1): mean vector of each row's k nearest customers."""
        uv = self._user_vectors
        if uv is None or uv.shape[0] == 0:
            return np.zeros_like(own)
        sims = np.asarray(uv @ own.T).T  # (B, n_users)
        norms = np.linalg.norm(own, axis=1, keepdims=True)
        sims = sims / np.maximum(norms * self._user_norms[None, :], 1e-12)
        sims[sims > 1 - 1e-6] = -np.inf  # the customer's own (identical) vector is not a neighbour
        k = int(min(self.config["k"], uv.shape[0]))
        out = np.zeros_like(own)
        if k <= 0:
            return out
        nn = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for b in range(own.shape[0]):
            idx = nn[b][np.isfinite(sims[b, nn[b]]) & (sims[b, nn[b]] > 0)]
            if len(idx):
                out[b] = np.asarray(uv[idx].mean(axis=0)).ravel()
        return out

    def _cycle_factor(self, history: History, now: float) -> np.ndarray:
        """float32 (n_items + 1,) in (0, 2): 1 + tanh(log(elapsed / mean gap)) per re-bought item, else 1."""
        f = np.ones(self.n_items + 1, dtype=np.float32)
        if len(history) == 0:
            return f
        order = np.lexsort((history.times, history.items))
        items, times = history.items[order], history.times[order]
        starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
        ends = np.r_[starts[1:], len(items)]
        for a, b in zip(starts, ends):
            t = np.unique(times[a:b])
            if len(t) < 2:
                continue
            mean_gap = (t[-1] - t[0]) / (len(t) - 1)
            ratio = max(now - t[-1], DAY) / max(mean_gap, DAY)
            f[items[a]] = 1.0 + np.tanh(np.log(ratio))
        return f

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        own = self._vectors(histories).astype(np.float32)
        alpha = float(self.config["alpha"])
        cw = float(self.config["cycle_weight"])
        if cw > 0:
            for b, h in enumerate(histories):
                ref = now if now is not None else (float(h.times[-1]) if len(h) else 0.0)
                own[b] *= (1 - cw) + cw * self._cycle_factor(h, ref)
        scores = alpha * own + (1 - alpha) * self._neighbour_mean(own)
        return mask_padding(scores.astype(np.float32))

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items bought by the customers who bought this item, weighted by their vectors."""
        from .base import top_k

        uv = self._user_vectors
        col = uv[:, item].toarray().ravel()
        scores = np.asarray(uv.T @ col).ravel().astype(np.float64)
        return top_k(scores, k, exclude=np.array([item]))

    # -- persistence ------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        uv = self._user_vectors
        return {
            "data": uv.data,
            "indices": uv.indices,
            "indptr": uv.indptr,
            "shape": np.array(uv.shape, dtype=np.int64),
        }

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self._user_vectors = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"])
        )
        self._user_norms = np.sqrt(np.asarray(self._user_vectors.multiply(self._user_vectors).sum(axis=1))).ravel()

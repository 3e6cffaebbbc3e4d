"""EASE (Steck, WWW 2019): a closed-form item-item model with L2 regularisation.

B = I - P · diag(1 / diag(P)), P = (XᵀX + λI)⁻¹, so diag(B) = 0; score = x · B.
Dense (n_items + 1)² float32 weights: fine for catalogs up to ~20k items.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .base import Progress, Recommender
from .batch import histories_csr
from .data import History, InteractionData


def ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    """float64 (n, n) EASE weights from a Gram matrix XᵀX (float64 (n, n))."""
    g = gram.copy()
    g[np.diag_indices_from(g)] += l2
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    b[np.diag_indices_from(b)] = 0.0
    return b


class EASE(Recommender):
    """EASE on binary user × item data.

    l2: the regulariser λ; None (default) tunes it over `l2_grid` on a holdout made
    from the training data given to fit (each user's last basket held out, users
    with at least two baskets), by Recall@20 with full ranking. The chosen λ is
    kept in config["l2"] and the grid's scores in config["l2_scores"]."""

    name = "ease"
    defaults: ClassVar[dict[str, Any]] = {"l2": None, "l2_grid": [50, 200, 500, 1000, 3000]}

    @staticmethod
    def _gram(x) -> np.ndarray:
        return np.asarray((x.T @ x).todense(), dtype=np.float64)

    def _tune(self, data: InteractionData, progress: Progress | None) -> float:
        hists = data.histories()
        offsets = np.searchsorted(data.user, np.arange(data.n_users + 1))
        keep = np.ones(data.n_interactions, dtype=bool)
        inputs, targets = [], []
        for u, h in enumerate(hists):
            cuts = np.flatnonzero(np.diff(h.times) != 0) + 1
            if len(cuts) == 0:
                continue
            last = cuts[-1]
            keep[offsets[u] + last : offsets[u + 1]] = False
            inputs.append(History(h.items[:last], h.times[:last]))
            targets.append(np.unique(h.items[last:]))
        grid = [float(v) for v in self.config["l2_grid"]]
        if not inputs:
            return grid[len(grid) // 2]
        gram = self._gram(data.subset(keep).csr("binary"))
        x_in = histories_csr(inputs, data.n_items)
        scores_by_l2 = {}
        for i, l2 in enumerate(grid):
            b = ease_weights(gram, l2).astype(np.float32)
            s = np.asarray(x_in @ b)
            s[:, 0] = -np.inf
            top = np.argpartition(-s, 19, axis=1)[:, :20]
            rec = [np.isin(t, top[r]).sum() / len(t) for r, t in enumerate(targets)]
            scores_by_l2[l2] = float(np.mean(rec))
            if progress:
                progress("tune l2", i + 1, len(grid))
        self.config["l2_scores"] = {str(k): round(v, 5) for k, v in scores_by_l2.items()}
        return max(scores_by_l2, key=scores_by_l2.get)

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "EASE":
        self.n_items = data.n_items
        if self.config.get("l2") is None:
            self.config["l2"] = self._tune(data, progress)
        gram = self._gram(data.csr("binary"))
        self.weights_ = ease_weights(gram, float(self.config["l2"])).astype(np.float32)
        self.weights_[:, 0] = 0.0
        pop = data.item_popularity()
        self.pop_ = (pop / max(pop.max(), 1.0)).astype(np.float32)
        if progress:
            progress("fit", 1, 1)
        return self

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        x = histories_csr(histories, self.n_items)
        out = np.asarray(x @ self.weights_, dtype=np.float32)
        out += 1e-6 * self.pop_[None, :]  # fills the lists of empty histories with popular items
        out[:, 0] = -np.inf
        return out

    def _state(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights_, "pop": self.pop_}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.weights_ = arrays["weights"]
        self.pop_ = arrays["pop"]

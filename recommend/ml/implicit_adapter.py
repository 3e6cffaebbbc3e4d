"""Thin adapters over the `implicit` library (CPU): ALS and BPR as references.

Both fold a history in instead of looking a user up, so any history (a new
customer, an anonymous session, a customer's history cut at a cutoff) is
scored: ALS with the library's own exact least-squares solve
(`recalculate_user`), BPR (which the library cannot recalculate) with a few
seeded steps of BPR gradient ascent on the user vector, the item factors fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from .base import Progress, Recommender
from .batch import histories_csr
from .data import History, InteractionData


def _confidence(m: sp.csr_matrix) -> sp.csr_matrix:
    """count -> 1 + log(count): dampens wholesalers' hundreds of re-orders."""
    m = m.astype(np.float32, copy=True)
    m.data = 1.0 + np.log(m.data)
    return m


class _ImplicitModel(Recommender):
    def _callback(self, progress: Progress | None, total: int):
        if progress is None:
            return None

        def cb(iteration, *_):  # ALS passes (i, elapsed, loss), BPR (i, elapsed, correct, skipped)
            progress("iterations", iteration + 1, total)

        return cb

    def _factors_for(self, histories: Sequence[History]) -> np.ndarray:
        raise NotImplementedError

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        u = self._factors_for(histories)
        out = (u @ self.item_factors_.T).astype(np.float32)
        out += 1e-6 * self.pop_[None, :]
        out[:, 0] = -np.inf
        return out

    def similar_items(self, item: int, k: int = 10):
        from .base import top_k

        v = self.item_factors_
        norms = np.linalg.norm(v, axis=1) + 1e-12
        sim = (v @ v[item]) / (norms * norms[item])
        return top_k(sim.astype(np.float64), k, exclude=np.array([item]))

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors_, "pop": self.pop_}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_factors_ = arrays["item_factors"]
        self.pop_ = arrays["pop"]
        self._after_state()

    def _after_state(self) -> None:  # noqa: B027 - optional hook
        pass

    def _set_pop(self, data: InteractionData) -> None:
        pop = data.item_popularity()
        self.pop_ = (pop / max(pop.max(), 1.0)).astype(np.float32)


class ALS(_ImplicitModel):
    """implicit.cpu.als.AlternatingLeastSquares on 1 + log(count) confidences."""

    name = "als"

    # chosen on the temporal validation split of the store (docs/evaluation.md)
    defaults: ClassVar[dict[str, Any]] = {
        "factors": 128,
        "regularization": 1.0,
        "alpha": 1.0,
        "iterations": 15,
        "seed": 0,
    }

    def _model(self):
        from implicit.cpu.als import AlternatingLeastSquares

        c = self.config
        with threadpool_limits(1, "blas"):  # implicit checks (and warns about) BLAS threads here
            return AlternatingLeastSquares(
                factors=int(c["factors"]),
                regularization=float(c["regularization"]),
                alpha=float(c["alpha"]),
                iterations=int(c["iterations"]),
                random_state=int(c["seed"]),
                calculate_training_loss=False,
            )

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "ALS":
        self.n_items = data.n_items
        self._set_pop(data)
        # implicit runs its own threads and wants BLAS single-threaded while it fits
        with threadpool_limits(1, "blas"):
            model = self._model()
            model.fit(
                _confidence(data.csr("count")),
                show_progress=False,
                callback=self._callback(progress, int(self.config["iterations"])),
            )
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        model._YtY = None  # the Gram matrix of the final item factors, computed once at the first fold-in
        self._model_ = model
        return self

    def _after_state(self) -> None:
        model = self._model()
        model.item_factors = self.item_factors_
        model.user_factors = np.zeros((1, self.item_factors_.shape[1]), dtype=np.float32)
        model._YtY = None
        self._model_ = model

    def _factors_for(self, histories: Sequence[History]) -> np.ndarray:
        x = _confidence(histories_csr(histories, self.n_items, weighting="count"))
        model = self._model_
        return np.asarray(model.recalculate_user(np.arange(len(histories)), x), dtype=np.float32)


class BPR(_ImplicitModel):
    """implicit.cpu.bpr.BayesianPersonalizedRanking on binary data. Item factors carry
    the item bias in their last column (the user's last column is fixed at 1)."""

    name = "bpr"

    defaults: ClassVar[dict[str, Any]] = {
        "factors": 64,
        "learning_rate": 0.05,
        "regularization": 0.01,
        "iterations": 100,
        "fold_in_steps": 50,
        "fold_in_rate": 0.5,
        "seed": 0,
    }

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "BPR":
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        c = self.config
        self.n_items = data.n_items
        self._set_pop(data)
        model = BayesianPersonalizedRanking(
            factors=int(c["factors"]),
            learning_rate=float(c["learning_rate"]),
            regularization=float(c["regularization"]),
            iterations=int(c["iterations"]),
            random_state=int(c["seed"]),
        )
        model.fit(data.csr("binary"), show_progress=False, callback=self._callback(progress, int(c["iterations"])))
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def _factors_for(self, histories: Sequence[History]) -> np.ndarray:
        """Batched BPR fold-in: maximise mean log σ(u·(v_pos - v_neg)) - reg |u|² over
        the user's items and uniformly drawn negatives, by gradient ascent (seeded)."""
        c = self.config
        v = self.item_factors_.astype(np.float64)
        x = histories_csr(histories, self.n_items, weighting="binary").tocoo()
        rows, pos = x.row, x.col
        b, d = len(histories), v.shape[1]
        u = np.zeros((b, d))
        u[:, -1] = 1.0  # the bias slot
        if len(rows) == 0:
            return u.astype(np.float32)
        counts = np.bincount(rows, minlength=b).astype(np.float64)
        reg, lr = float(c["regularization"]), float(c["fold_in_rate"])
        steps = int(c["fold_in_steps"])
        # negatives from one seeded table, indexed by the item's position inside its own
        # history: a history gets the same factors whatever batch it is scored in
        table = np.random.default_rng(int(c["seed"])).integers(1, self.n_items + 1, size=(steps, 1024))
        local = (np.arange(len(rows)) - np.searchsorted(rows, rows)) % table.shape[1]
        for step in range(steps):
            neg = table[step, local]
            diff = v[pos] - v[neg]
            xuij = np.einsum("ij,ij->i", u[rows], diff)
            g = 1.0 / (1.0 + np.exp(xuij))
            grad = np.zeros_like(u)
            np.add.at(grad, rows, g[:, None] * diff)
            grad /= np.maximum(counts, 1.0)[:, None]
            grad -= reg * u
            grad[:, -1] = 0.0
            u += lr * grad
        return u.astype(np.float32)

"""Popularity baselines: the same list for everyone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .base import Progress, Recommender
from .batch import DAY, broadcast
from .data import History, InteractionData


class Popularity(Recommender):
    """All-time popularity: number of distinct users who interacted with each item
    (so one wholesaler's hundred re-orders count once)."""

    name = "pop"

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "Popularity":
        self.n_items = data.n_items
        pairs = np.unique(data.user.astype(np.int64) * (data.n_items + 1) + data.item)
        counts = np.bincount(pairs % (data.n_items + 1), minlength=data.n_items + 1).astype(np.float64)
        # tiny tie-break by interaction count, so equally popular items keep a stable order
        counts += data.item_popularity() / (data.item_popularity().max() + 1.0) * 1e-3
        self.scores_ = counts.astype(np.float32)
        if progress:
            progress("count", 1, 1)
        return self

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        return broadcast(self.scores_, len(histories))

    def _state(self) -> dict[str, np.ndarray]:
        return {"scores": self.scores_}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.scores_ = arrays["scores"]


class RecentPopularity(Popularity):
    """Trending: each interaction weighs 0.5 ** (age / half_life) with age measured
    from the last time in the training data (config `half_life_days`, default 14)."""

    name = "pop_recent"

    defaults: ClassVar[dict[str, Any]] = {"half_life_days": 14.0}

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "RecentPopularity":
        self.n_items = data.n_items
        if data.n_interactions == 0:
            self.scores_ = np.zeros(data.n_items + 1, dtype=np.float32)
            return self
        age = (data.time.max() - data.time) / DAY
        w = 0.5 ** (age / float(self.config["half_life_days"]))
        scores = np.bincount(data.item, weights=w, minlength=data.n_items + 1)
        # scale so the values stay readable in float32 (the ranking is unchanged)
        self.scores_ = (scores / max(scores.max(), 1e-12)).astype(np.float32)
        if progress:
            progress("count", 1, 1)
        return self

"""Repeat purchase: recommend what the shopper already bought (personal top
frequency, time-decayed), padded with popular items so it always fills k slots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .base import Progress, Recommender
from .batch import histories_csr
from .data import History, InteractionData
from .popularity import Popularity


class RepeatPurchase(Recommender):
    """score(i) = 1 + sum over the shopper's purchases of i of 0.5 ** (age / half_life)
    for items bought before, and popularity in [0, 1) for the rest: bought items
    always rank first, by decayed frequency; then the all-time popular items."""

    name = "repeat"

    defaults: ClassVar[dict[str, Any]] = {"half_life_days": 90.0}

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "RepeatPurchase":
        self.n_items = data.n_items
        pop = Popularity().fit(data).scores_.astype(np.float64)
        self.pad_ = (0.99 * pop / max(pop.max(), 1e-12)).astype(np.float32)
        if progress:
            progress("popularity", 1, 1)
        return self

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        own = histories_csr(
            histories, self.n_items, weighting="decay", now=now, half_life_days=self.config["half_life_days"]
        )
        out = np.repeat(self.pad_[None, :], len(histories), axis=0)
        rows = np.repeat(np.arange(own.shape[0]), np.diff(own.indptr))
        out[rows, own.indices] = 1.0 + own.data
        out[:, 0] = -np.inf
        return out

    def _state(self) -> dict[str, np.ndarray]:
        return {"pad": self.pad_}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.pad_ = arrays["pad"]

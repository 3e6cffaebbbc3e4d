"""Semantic search over the catalogue: product texts ("NAME. Category") as unit
vectors from the English model (all-MiniLM-L6-v2) and the multilingual one
(multilingual-e5-small, for Chinese), kept in memory and refreshed when the
catalogue changes. Vectors come from `core.text_encoder`'s cache under
ARTIFACTS_DIR/embeddings, so a product is encoded once for all processes
(`manage.py assistant_index` fills it ahead of time, with a progress bar)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from catalog import selectors as catalog_selectors
from core.text_encoder import E5_SMALL, MINILM, TextEncoder

from .models import PolicyPage

MODEL_FOR = {"en": MINILM, "zh": E5_SMALL}
RECHECK_SECONDS = 60.0


def encoder(model: str) -> TextEncoder:
    return TextEncoder(model=model, cache_dir=Path(str(settings.ARTIFACTS_DIR)) / "embeddings")


@dataclass
class Index:
    ids: np.ndarray  # (N,) product ids
    texts: list[str]
    names: list[str]  # lower-case names and categories, for word matches
    position: dict[int, int]
    vectors: dict[str, np.ndarray]  # model -> (N, 384)
    fingerprint: tuple
    checked_at: float


_index: Index | None = None
_policies: tuple | None = None
_lock = threading.Lock()


def _catalogue() -> tuple[list[int], list[str]]:
    rows = catalog_selectors.products_for_recommender()
    ids_by_code = catalog_selectors.product_ids_by_stock_code()
    ids, texts = [], []
    for code, name, category, _price, _active in rows:
        ids.append(ids_by_code[code])
        texts.append(f"{name}. {category}")
    return ids, texts


def product_index(*, progress: bool = False, models: tuple[str, ...] = (MINILM, E5_SMALL)) -> Index:
    """The in-memory index (built or refreshed when the product texts changed)."""
    global _index
    with _lock:
        now = time.monotonic()
        if _index is not None and now - _index.checked_at < RECHECK_SECONDS:
            return _index
        ids, texts = _catalogue()
        fingerprint = (len(ids), hash(tuple(ids)), hash(tuple(texts)))  # ids too: a rebuilt catalogue
        if _index is not None and _index.fingerprint == fingerprint:
            _index.checked_at = now
            return _index
        vectors = {m: encoder(m).encode(texts, progress=progress) for m in models}
        _index = Index(
            ids=np.asarray(ids, dtype=np.int64),
            texts=texts,
            names=[t.lower() for t in texts],
            position={pid: i for i, pid in enumerate(ids)},
            vectors=vectors,
            fingerprint=fingerprint,
            checked_at=now,
        )
        return _index


def index_clear() -> None:
    global _index, _policies
    with _lock:
        _index = None
        _policies = None


def query_vector(text: str, *, lang: str) -> np.ndarray:
    return encoder(MODEL_FOR.get(lang, MINILM)).encode([text], query=True)[0]


def similarities(*, text: str, lang: str, product_ids: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(product ids, cosine similarity to the text) for the given products (all when None)."""
    index = product_index()
    q = query_vector(text, lang=lang)
    matrix = index.vectors[MODEL_FOR.get(lang, MINILM)]
    if product_ids is None:
        rows = np.arange(len(index.ids))
    else:
        rows = np.asarray([index.position[p] for p in product_ids if p in index.position], dtype=np.int64)
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return index.ids[rows], matrix[rows] @ q


def neighbours(*, product_id: int, product_ids: list[int], lang: str) -> tuple[np.ndarray, np.ndarray]:
    """Similarity of the given products to one product (for "more like the second one")."""
    index = product_index()
    matrix = index.vectors[MODEL_FOR.get(lang, MINILM)]
    if product_id not in index.position:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    q = matrix[index.position[product_id]]
    rows = np.asarray([index.position[p] for p in product_ids if p in index.position], dtype=np.int64)
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return index.ids[rows], matrix[rows] @ q


def policy_search(*, text: str) -> list[tuple[PolicyPage, float]]:
    """Published policy pages by similarity to the question (multilingual model, so
    a Chinese question finds the English page), best first."""
    global _policies
    pages = list(PolicyPage.objects.filter(is_published=True).order_by("pk"))
    if not pages:
        return []
    key = tuple((p.pk, p.updated_at) for p in pages)
    enc = encoder(E5_SMALL)
    with _lock:
        if _policies is None or _policies[0] != key:
            _policies = (key, enc.encode([f"{p.title}. {p.body}" for p in pages]))
        matrix = _policies[1]
    q = enc.encode([text], query=True)[0]
    scores = matrix @ q
    order = np.argsort(-scores)
    return [(pages[i], float(scores[i])) for i in order]

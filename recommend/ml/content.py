"""Content-based recommenders over product text (names and categories).

Both models turn each item into a unit vector from its text, build a shopper's
profile as the time-decayed sum of the vectors of the items in the history
(half-life `half_life_days`, reference time `now` or the last event), and score
every item by cosine similarity with that profile. They need no purchases of
an item, so they give never-bought (new) items a place: cold start, and
"similar items" for any product.

- `TfidfContent` ("tfidf"): scikit-learn TF-IDF over word unigrams and
  bigrams plus character n-grams within words (so "T-LIGHT" and "TLIGHT"
  still meet).
- `EmbeddingContent` ("minilm"): all-MiniLM-L6-v2 sentence embeddings from the
  installed weights, through `core.text_encoder` (cached on disk by text in the
  `cache_dir` the caller lends it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .base import Progress, Recommender, mask_padding, top_k
from .data import History, InteractionData

DAY = 86400.0


def item_texts(data: InteractionData) -> list[str]:
    """Text per item index (index 0 = ""): title, category and description."""
    feats = data.item_features
    if feats is None:
        raise ValueError("content models need item_features (product names) on the InteractionData")
    return [""] + [feats.text(i) for i in range(1, data.n_items + 1)]


class _ContentBase(Recommender):
    defaults: ClassVar[dict[str, Any]] = {"half_life_days": 60.0}

    def _profile_weights(self, history: History, now: float | None) -> tuple[np.ndarray, np.ndarray]:
        """Unique items of the history and their time-decayed weights."""
        ref = now if now is not None else float(history.times[-1])
        age_days = np.maximum(ref - history.times, 0.0) / DAY
        w = np.power(0.5, age_days / float(self.config["half_life_days"]))
        items, inv = np.unique(history.items, return_inverse=True)
        return items, np.bincount(inv, weights=w).astype(np.float32)

    def _item_scores(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        out = np.zeros((len(histories), self.n_items + 1), dtype=np.float32)
        for b, h in enumerate(histories):
            if len(h):
                items, w = self._profile_weights(h, now)
                out[b] = self._item_scores(items, w)
        return mask_padding(out)

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        scores = self._item_scores(np.array([item]), np.ones(1, dtype=np.float32)).astype(np.float64)
        return top_k(scores, k, exclude=np.array([item]))


class TfidfContent(_ContentBase):
    name: ClassVar[str] = "tfidf"
    defaults: ClassVar[dict[str, Any]] = {"half_life_days": 60.0, "char_weight": 0.5}

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self._x: sp.csr_matrix | None = None  # (n_items + 1, vocab), rows unit-norm

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "TfidfContent":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        self.n_items = data.n_items
        texts = item_texts(data)
        words = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit_transform(texts)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), min_df=2, sublinear_tf=True).fit_transform(
            texts
        )
        x = sp.hstack([words, chars * float(self.config["char_weight"])]).tocsr()
        self._x = normalize(x).astype(np.float32).tocsr()
        if progress:
            progress("tfidf", 1, 1)
        return self

    def _item_scores(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        profile = self._x[items].T @ weights  # dense (vocab,): sparse-dense products only, fast per request
        return np.asarray(self._x @ profile, dtype=np.float32).ravel()

    def _state(self) -> dict[str, np.ndarray]:
        x = self._x
        return {"data": x.data, "indices": x.indices, "indptr": x.indptr, "shape": np.array(x.shape)}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self._x = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"]))


class EmbeddingContent(_ContentBase):
    name: ClassVar[str] = "minilm"
    defaults: ClassVar[dict[str, Any]] = {"half_life_days": 60.0}
    runtime: ClassVar[tuple[str, ...]] = ("cache_dir",)

    def __init__(self, *, cache_dir: str | Path | None = None, **config: Any) -> None:
        super().__init__(**config)
        self.cache_dir = cache_dir  # where the sentence encoder keeps its vectors (None: nowhere)
        self._emb: np.ndarray | None = None  # float32 (n_items + 1, 384), row 0 zeros

    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "EmbeddingContent":
        from core.text_encoder import TextEncoder

        self.n_items = data.n_items
        self._emb = TextEncoder(cache_dir=self.cache_dir).encode(item_texts(data))
        if progress:
            progress("minilm", 1, 1)
        return self

    def item_embeddings(self) -> np.ndarray:
        """float32 (n_items + 1, 384) unit vectors (row 0 padding = zeros)."""
        return self._emb

    def _item_scores(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        profile = weights @ self._emb[items]
        norm = float(np.linalg.norm(profile))
        return (self._emb @ (profile / norm)).astype(np.float32) if norm > 0 else np.zeros(self.n_items + 1, np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {"emb": self._emb}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self._emb = arrays["emb"].astype(np.float32)

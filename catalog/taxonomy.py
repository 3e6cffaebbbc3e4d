"""Derive a shopper-readable category taxonomy from product names.

The data set has no categories. This module assigns every product name to one
of the ordered categories of ``catalog/data/taxonomy.toml`` (one table per
category: name, description, keywords):

1. keyword rules: the first category (in file order) whose keywords appear as
   whole words in the name wins (a trailing plural "S" also matches), so
   "CHRISTMAS CANDLE HOLDER" goes to Christmas, "CAKE TIN" to Kitchen & Baking;
2. fallback: a name that no rule matches goes to the category whose TF-IDF
   centroid (scikit-learn, word unigrams + bigrams over the rule-assigned names)
   is nearest by cosine similarity, when that similarity is at least
   ``FALLBACK_MIN_SIMILARITY``; otherwise to "Other".

Pure and deterministic: no Django, no randomness, the same names always give
the same categories. About 4,000 names take well under a second.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "taxonomy.toml"


@dataclass(frozen=True)
class CategoryRule:
    name: str
    description: str
    keywords: tuple[str, ...]

    @property
    def pattern(self) -> re.Pattern[str]:
        words = sorted({re.escape(k.upper()) for k in self.keywords}, key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(words) + r")S?\b")


def _load(path: Path) -> dict:
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    names = [c["name"] for c in table["category"]]
    if len(set(names)) != len(names) or table["other"] in names:
        raise ValueError(f"{path}: category names must be unique and differ from {table['other']!r}")
    empty = [c["name"] for c in table["category"] if not c["keywords"]]
    if empty:
        raise ValueError(f"{path}: categories without keywords: {', '.join(empty)}")
    return table


_TABLE = _load(TABLE)
OTHER: str = _TABLE["other"]
FALLBACK_MIN_SIMILARITY: float = float(_TABLE["fallback_min_similarity"])
# ordered: earlier (more specific) categories win
RULES: tuple[CategoryRule, ...] = tuple(
    CategoryRule(c["name"], c["description"], tuple(c["keywords"])) for c in _TABLE["category"]
)
# words that say nothing about what a thing is, left out of the TF-IDF fallback so "RED" does
# not pull a name towards whichever category has the most red things
STOP_WORDS: list[str] = sorted(_TABLE["stop_words"])

CATEGORY_NAMES: tuple[str, ...] = tuple(r.name for r in RULES) + (OTHER,)
_PATTERNS = [(rule.name, rule.pattern) for rule in RULES]
_NON_WORD = re.compile(r"[^A-Z0-9]+")


def normalise(name: str) -> str:
    """Upper case, every run of non-alphanumerics a single space."""
    return " " + _NON_WORD.sub(" ", (name or "").upper()).strip() + " "


def match_rule(name: str) -> str | None:
    """The first rule category whose keywords occur in the name, or None."""
    text = normalise(name)
    for category, pattern in _PATTERNS:
        if pattern.search(text):
            return category
    return None


def assign_categories(names: Sequence[str]) -> list[str]:
    """One category name (from CATEGORY_NAMES) per product name, in order."""
    assigned: list[str | None] = [match_rule(n) for n in names]
    missing = [i for i, c in enumerate(assigned) if c is None]
    matched = [i for i, c in enumerate(assigned) if c is not None]
    if missing and matched:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        texts = [normalise(n).lower() for n in names]
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, stop_words=STOP_WORDS)
        vectorizer.fit([texts[i] for i in matched])
        labels = sorted({assigned[i] for i in matched})
        label_index = {label: j for j, label in enumerate(labels)}
        x_matched = vectorizer.transform([texts[i] for i in matched])
        rows = np.array([label_index[assigned[i]] for i in matched])
        centroids = np.vstack([np.asarray(x_matched[rows == j].mean(axis=0)) for j in range(len(labels))])
        centroids = normalize(centroids)
        x_missing = vectorizer.transform([texts[i] for i in missing])
        sims = np.asarray(x_missing @ centroids.T)
        best = sims.argmax(axis=1)
        for pos, i in enumerate(missing):
            j = int(best[pos])
            assigned[i] = labels[j] if sims[pos, j] >= FALLBACK_MIN_SIMILARITY else OTHER
    return [c or OTHER for c in assigned]

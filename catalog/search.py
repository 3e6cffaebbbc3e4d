"""Search that understands: query understanding, lexical and semantic
retrieval, reciprocal-rank fusion, facets and autocomplete (catalog-private;
other apps use catalog.selectors.product_search_hybrid and friends).

- Understanding: the query's words, lower-cased; a British or American
  spelling also matches the other ("colour"/"color"); a word the catalog never
  uses is corrected to the nearest word of the catalog's own vocabulary (the
  words of product and category names) by edit distance (rapidfuzz), the most
  frequent word winning ties ("chrismas" -> "christmas", "lanturn" -> "lantern").
  Plurals are the stemmers' business (PostgreSQL 'english', FTS5 porter).
- Lexical: PostgreSQL full text (the trigger-kept `search_vector`, GIN index,
  ts_rank_cd) or SQLite FTS5 (bm25): every word must match the name or the
  category, ranked by relevance then popularity.
- Semantic: cosine of the query's sentence embedding (core.text_encoder)
  against the cached embeddings of "name. category" of every active product;
  the top SEARCH_SEMANTIC_K above the model's floor. English queries use
  SEARCH_SEMANTIC_MODEL (MiniLM); a query with CJK characters (Chinese, also
  Japanese and Korean script) uses SEARCH_SEMANTIC_MODEL_CJK (multilingual E5),
  the English catalog's passages in the same space, so "圣诞灯" finds
  Christmas lights. CJK words are never spelling-corrected and take no part
  in the lexical half (the catalog has none), so a Chinese query is answered
  by its semantic half alone and fusion leaves that order as it is.
- Hybrid: reciprocal-rank fusion of both lists, 1/(k + rank), k = 60.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy, pgettext_lazy

from .category_names import category_name
from .models import Category, Product

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8
RRF_K = 60

# British <-> American spellings the catalog (British) and shoppers (either) use.
SPELLING_PAIRS = [
    ("colour", "color"),
    ("colours", "colors"),
    ("coloured", "colored"),
    ("grey", "gray"),
    ("jewellery", "jewelry"),
    ("favourite", "favorite"),
    ("centre", "center"),
    ("centrepiece", "centerpiece"),
    ("personalised", "personalized"),
    ("organiser", "organizer"),
    ("organisation", "organization"),
    ("aluminium", "aluminum"),
    ("metre", "meter"),
    ("theatre", "theater"),
    ("doughnut", "donut"),
    ("pyjama", "pajama"),
    ("moustache", "mustache"),
    ("mum", "mom"),
    ("tyre", "tire"),
    ("storey", "story"),
    ("cosy", "cozy"),
    ("flavour", "flavor"),
    ("ageing", "aging"),
    ("catalogue", "catalog"),
    ("licence", "license"),
    ("sceptre", "scepter"),
]
SPELLING: dict[str, str] = {}
for _a, _b in SPELLING_PAIRS:
    SPELLING[_a], SPELLING[_b] = _b, _a
# shoppers' words the catalog spells otherwise
SYNONYMS = {"xmas": "christmas", "tealight": "light", "teacup": "cup"}

COLOURS = [
    "red",
    "pink",
    "blue",
    "green",
    "white",
    "black",
    "ivory",
    "cream",
    "gold",
    "silver",
    "purple",
    "yellow",
    "orange",
    "brown",
    "grey",
    "turquoise",
]
# the colour words' names in the interface language (the facet's labels)
COLOUR_LABELS = {
    "red": pgettext_lazy("colour", "Red"),
    "pink": pgettext_lazy("colour", "Pink"),
    "blue": pgettext_lazy("colour", "Blue"),
    "green": pgettext_lazy("colour", "Green"),
    "white": pgettext_lazy("colour", "White"),
    "black": pgettext_lazy("colour", "Black"),
    "ivory": pgettext_lazy("colour", "Ivory"),
    "cream": pgettext_lazy("colour", "Cream"),
    "gold": pgettext_lazy("colour", "Gold"),
    "silver": pgettext_lazy("colour", "Silver"),
    "purple": pgettext_lazy("colour", "Purple"),
    "yellow": pgettext_lazy("colour", "Yellow"),
    "orange": pgettext_lazy("colour", "Orange"),
    "brown": pgettext_lazy("colour", "Brown"),
    "grey": pgettext_lazy("colour", "Grey"),
    "turquoise": pgettext_lazy("colour", "Turquoise"),
}
PRICE_BANDS = [  # (key, label, low inclusive, high exclusive)
    ("under-1", gettext_lazy("Under £1"), Decimal("0"), Decimal("1")),
    ("1-3", gettext_lazy("£1 to £3"), Decimal("1"), Decimal("3")),
    ("3-10", gettext_lazy("£3 to £10"), Decimal("3"), Decimal("10")),
    ("10-up", gettext_lazy("£10 and over"), Decimal("10"), None),
]
PRICE_BAND_KEYS = {key for key, *_ in PRICE_BANDS}


def setting(name: str, default):
    return getattr(settings, name, default)


# Han (with extension A and compatibility ideographs), CJK punctuation, kana, Hangul, full-width forms
_CJK = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """Whether the text has a Chinese, Japanese or Korean character."""
    return bool(_CJK.search(text or ""))


# ---------------------------------------------------------------------------
# understanding
# ---------------------------------------------------------------------------
def query_words(query: str) -> list[str]:
    """The words of a query, lower-cased and cut to a sane size (a 10,000-character
    query is searched by its first words, never an error)."""
    text = (query or "")[:MAX_QUERY_LENGTH].lower()
    return [w for w in re.findall(r"[^\W_]+", text, flags=re.UNICODE)][:MAX_QUERY_WORDS]


@dataclass
class Vocabulary:
    counts: Counter
    words: list[str]

    def knows(self, word: str) -> bool:
        if word in self.counts:
            return True
        forms = {word + "s", word + "es"}
        if word.endswith("ies"):
            forms.add(word[:-3] + "y")
        if word.endswith("es"):
            forms.add(word[:-2])
        if word.endswith("s"):
            forms.add(word[:-1])
        return any(f in self.counts for f in forms)


_vocab_lock = threading.Lock()
_vocab: tuple[tuple, Vocabulary] | None = None


def catalog_version() -> tuple:
    """Changes whenever a product is added, renamed, (de)activated or a category renamed."""
    agg = Product.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (agg["n"], agg["t"], Category.objects.count())


def vocabulary(version: tuple | None = None) -> Vocabulary:
    global _vocab
    version = version or catalog_version()
    with _vocab_lock:
        if _vocab is not None and _vocab[0] == version:
            return _vocab[1]
    counts: Counter = Counter()
    for name in Product.objects.filter(is_active=True).values_list("name", flat=True):
        counts.update(query_words(name))
    for name in Category.objects.values_list("name", flat=True):
        counts.update(query_words(name))
    vocab = Vocabulary(counts=counts, words=list(counts))
    with _vocab_lock:
        _vocab = (version, vocab)
    return vocab


def _max_edits(word: str) -> int:
    return 0 if len(word) <= 3 else 1 if len(word) <= 5 else 2


def correct_word(word: str, vocab: Vocabulary) -> str:
    """The word itself when the catalog uses it (or its plural/singular or other
    spelling), else the nearest catalog word within 1 (4-5 letters) or 2 (6+)
    edits, the most frequent on a tie; the word unchanged when none is near."""
    if word.isdigit() or has_cjk(word) or word in SYNONYMS:  # Chinese is never "corrected" to English
        return word
    if vocab.knows(word) or vocab.knows(SPELLING.get(word, word)):
        return word
    limit = _max_edits(word)
    if not limit:
        return word
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    found = process.extract(word, vocab.words, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=20)
    if not found:
        return word
    best = min(found, key=lambda m: (m[1], -vocab.counts[m[0]], m[0]))
    return best[0]


@dataclass
class Understood:
    words: list[str]  # as typed (lower-cased)
    corrected: list[str]  # after spelling correction
    terms: list[list[str]]  # per word, the alternatives any of which may match

    @property
    def was_corrected(self) -> bool:
        return self.words != self.corrected

    @property
    def text(self) -> str:
        return " ".join(self.corrected)

    @property
    def cjk(self) -> bool:
        """A query with CJK characters: its semantic half uses SEARCH_SEMANTIC_MODEL_CJK."""
        return any(has_cjk(w) for w in self.words)

    @property
    def lexical_terms(self) -> list[list[str]]:
        """The terms the full text can match: the catalog is English, so CJK words
        are left to the semantic half ("红色 mug" matches mugs lexically)."""
        return [alts for alts in self.terms if not has_cjk(alts[0])]


def understand(query: str, *, correct: bool = True, version: tuple | None = None) -> Understood:
    words = query_words(query)
    vocab = vocabulary(version) if (correct and words) else None
    corrected = [correct_word(w, vocab) for w in words] if vocab else list(words)
    terms = []
    for w in corrected:
        alts = [w]
        for other in (SPELLING.get(w), SYNONYMS.get(w)):
            if other and other not in alts:
                alts.append(other)
        terms.append(alts)
    return Understood(words=words, corrected=corrected, terms=terms)


# ---------------------------------------------------------------------------
# lexical
# ---------------------------------------------------------------------------
def lexical_ids(understood: Understood, *, limit: int = 1000) -> list[int]:
    """Active product ids matching every word (any of its alternatives) in
    name or category, best first (relevance, then units sold, then name)."""
    terms = understood.lexical_terms
    if not terms:
        return []
    if connection.vendor == "postgresql":
        tsquery = " & ".join("(" + " | ".join(f"'{a}'" for a in alts) + ")" for alts in terms)
        sql = (
            "SELECT p.id FROM catalog_product p, to_tsquery('english', %s) q "
            "WHERE p.is_active AND p.search_vector @@ q "
            "ORDER BY ts_rank_cd(p.search_vector, q) DESC, p.units_sold DESC, p.name, p.id LIMIT %s"
        )
        params = [tsquery, limit]
    elif connection.vendor == "sqlite":
        match = " AND ".join("(" + " OR ".join(f'"{a}"' for a in alts) + ")" for alts in terms)
        sql = (
            "SELECT p.id FROM catalog_product_fts f JOIN catalog_product p ON p.id = f.rowid "
            "WHERE catalog_product_fts MATCH %s AND p.is_active "
            "ORDER BY bm25(catalog_product_fts, 2.0, 1.0), p.units_sold DESC, p.name, p.id LIMIT %s"
        )
        params = [match, limit]
    else:  # pragma: no cover - the shop runs on PostgreSQL or SQLite
        raise NotImplementedError(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# ---------------------------------------------------------------------------
# semantic
# ---------------------------------------------------------------------------
def product_text(name: str, category: str) -> str:
    """The text embedded per product: the one profiles and recommend embed too
    (so the encoder's cache is shared)."""
    return f"{name}. {category}"


@dataclass
class SemanticIndex:
    version: tuple
    ids: np.ndarray
    vectors: np.ndarray  # (N, dim) unit rows


_index_lock = threading.Lock()
_index: dict[str, SemanticIndex] = {}  # model name -> its product matrix
_query_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_broken_until: dict[str, float] = {}  # model name -> when to try loading it again
MINILM_NAME = "all-MiniLM-L6-v2"
E5_NAME = "multilingual-e5-small-q4"  # core.text_encoder.E5_SMALL (imported lazily, as the encoder)


def semantic_model(*, cjk: bool) -> str:
    """The sentence model that answers a query: SEARCH_SEMANTIC_MODEL_CJK (multilingual
    E5) when it has CJK characters, else SEARCH_SEMANTIC_MODEL (MiniLM)."""
    if cjk:
        return setting("SEARCH_SEMANTIC_MODEL_CJK", E5_NAME)
    return setting("SEARCH_SEMANTIC_MODEL", MINILM_NAME)


def semantic_floor(model: str) -> float:
    """The least cosine for a semantic candidate. Each model has its own scale: E5's
    cosines crowd in 0.75-0.92 (unrelated Chinese such as "潜水艇" still scores 0.81
    against its best product), MiniLM's spread over 0-1."""
    if model.startswith("multilingual-e5"):
        return float(setting("SEARCH_SEMANTIC_MIN_SCORE_E5", 0.825))
    return float(setting("SEARCH_SEMANTIC_MIN_SCORE", 0.45))


def _encoder(model: str, cache: bool):
    from core.text_encoder import TextEncoder

    cache_dir = Path(settings.ARTIFACTS_DIR) / "embeddings" if cache else None
    return TextEncoder(model=model, cache_dir=cache_dir)


def semantic_index(version: tuple | None = None, *, model: str | None = None) -> SemanticIndex:
    """The product matrix of one model, built lazily (from the on-disk cache the
    assistant and recommenders fill for the same texts) and rebuilt when the catalog changes."""
    model = model or semantic_model(cjk=False)
    version = version or catalog_version()
    with _index_lock:
        index = _index.get(model)
        if index is not None and index.version == version:
            return index
        rows = list(Product.objects.filter(is_active=True).order_by("pk").values_list("pk", "name", "category__name"))
        texts = [product_text(name, cat) for _, name, cat in rows]
        vectors = _encoder(model, cache=True).encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        index = SemanticIndex(version=version, ids=np.asarray([r[0] for r in rows], dtype=np.int64), vectors=vectors)
        _index[model] = index
        return index


def query_vector(text: str, *, model: str | None = None) -> np.ndarray:
    model = model or semantic_model(cjk=has_cjk(text))
    key = (model, text)
    if key in _query_cache:
        _query_cache.move_to_end(key)
        return _query_cache[key]
    vec = _encoder(model, cache=False).encode([text], query=True)[0]  # E5 reads "query: " before a search
    _query_cache[key] = vec
    while len(_query_cache) > 2048:
        _query_cache.popitem(last=False)
    return vec


def semantic_scored(text: str, *, version: tuple | None = None) -> list[tuple[int, float]]:
    """(product id, cosine) best first: the top SEARCH_SEMANTIC_K at or above the
    model's floor; [] when semantic search is off or its model cannot load (logged
    once; lexical search goes on, and the model is tried again after 5 minutes)."""
    if not text or not setting("SEARCH_SEMANTIC_ENABLED", True):
        return []
    model = semantic_model(cjk=has_cjk(text))
    if time.monotonic() < _broken_until.get(model, 0.0):
        return []
    try:
        index = semantic_index(version, model=model)
        if not len(index.ids):
            return []
        scores = index.vectors @ query_vector(text, model=model)
    except Exception:  # noqa: BLE001 - a missing model never breaks search
        log.warning("search: semantic model %s unavailable, lexical only for 5 minutes", model, exc_info=True)
        _broken_until[model] = time.monotonic() + 300
        return []
    k = min(int(setting("SEARCH_SEMANTIC_K", 50)), len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    floor = semantic_floor(model)
    return [(int(index.ids[i]), float(scores[i])) for i in top if scores[i] >= floor]


def semantic_ids(understood: Understood, *, version: tuple | None = None) -> list[int]:
    return [pid for pid, _ in semantic_scored(understood.text, version=version)]


# ---------------------------------------------------------------------------
# fusion
# ---------------------------------------------------------------------------
def rrf(rankings: list[list[int]], *, k: int = RRF_K, weights: list[float] | None = None) -> list[int]:
    """Reciprocal-rank fusion: score(d) = sum_i w_i / (k + rank_i(d)), rank from 1;
    ties keep the order of first appearance (earlier lists first)."""
    weights = weights or [1.0] * len(rankings)
    score: dict[int, float] = {}
    first: dict[int, int] = {}
    for w, ranking in zip(weights, rankings):
        for rank, pid in enumerate(ranking, start=1):
            score[pid] = score.get(pid, 0.0) + w / (k + rank)
            first.setdefault(pid, len(first))
    return sorted(score, key=lambda pid: (-score[pid], first[pid]))


def hybrid_ids(understood: Understood, *, version: tuple | None = None) -> list[int]:
    return rrf([lexical_ids(understood), semantic_ids(understood, version=version)])


# ---------------------------------------------------------------------------
# facets
# ---------------------------------------------------------------------------
def price_band(price: Decimal) -> str:
    for key, _label, low, high in PRICE_BANDS:
        if price >= low and (high is None or price < high):
            return key
    return PRICE_BANDS[-1][0]


def colours_of(name: str) -> set[str]:
    words = set(query_words(name))
    found = {c for c in COLOURS if c in words}
    if "gray" in words:
        found.add("grey")
    return found


@dataclass
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facets:
    category: list[FacetValue] = field(default_factory=list)
    price: list[FacetValue] = field(default_factory=list)
    colour: list[FacetValue] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    understood: Understood
    mode: str
    ids: list[int]  # after facet filters, in display order
    total_unfiltered: int
    facets: Facets

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def suggestion(self) -> str:
        """'Did you mean' text: the corrected query, when a word was corrected."""
        return self.understood.text if self.understood.was_corrected else ""


MODES = ("lexical", "semantic", "hybrid")
SORT_KEYS = {
    "price_asc": lambda r: (r["price"], r["name"]),
    "price_desc": lambda r: (-r["price"], r["name"]),
    "name": lambda r: (r["name"], r["pk"]),
    "newest": lambda r: (-(r["first_sold_at"].timestamp() if r["first_sold_at"] else 0), r["name"]),
}


def search(
    *,
    query: str,
    mode: str = "hybrid",
    correct: bool = True,
    category_id: int | None = None,
    band: str | None = None,
    colour: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str | None = None,
) -> SearchResult:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    version = catalog_version() if query_words(query) else None  # one look per search, shared by both halves
    understood = understand(query, correct=correct and mode != "semantic", version=version)
    if mode == "lexical":
        ranked = lexical_ids(understood)
    elif mode == "semantic":
        ranked = semantic_ids(understood, version=version)
    else:
        ranked = hybrid_ids(understood, version=version)
    rows = {
        r["pk"]: r
        for r in Product.objects.filter(pk__in=ranked, is_active=True).values(
            "pk", "name", "price", "category_id", "category__name", "first_sold_at"
        )
    }
    ranked = [pid for pid in ranked if pid in rows]
    if min_price is not None or max_price is not None:
        ranked = [
            pid
            for pid in ranked
            if (min_price is None or rows[pid]["price"] >= min_price)
            and (max_price is None or rows[pid]["price"] <= max_price)
        ]
    for r in rows.values():
        r["band"] = price_band(r["price"])
        r["colours"] = colours_of(r["name"])

    def keep(r, skip: str) -> bool:
        return (
            (skip == "category" or category_id is None or r["category_id"] == category_id)
            and (skip == "price" or band is None or r["band"] == band)
            and (skip == "colour" or colour is None or colour in r["colours"])
        )

    facets = Facets()
    cats: Counter = Counter()
    names: dict[int, str] = {}
    bands: Counter = Counter()
    colours: Counter = Counter()
    for pid in ranked:
        r = rows[pid]
        if keep(r, "category"):
            cats[r["category_id"]] += 1
            names[r["category_id"]] = r["category__name"]
        if keep(r, "price"):
            bands[r["band"]] += 1
        if keep(r, "colour"):
            colours.update(r["colours"])
    facets.category = [
        FacetValue(str(cid), category_name(names[cid]), n, cid == category_id)
        for cid, n in sorted(cats.items(), key=lambda kv: (-kv[1], names[kv[0]]))
    ]
    facets.price = [
        FacetValue(key, str(label), bands[key], key == band) for key, label, *_ in PRICE_BANDS if bands[key]
    ]
    facets.colour = [
        FacetValue(c, str(COLOUR_LABELS.get(c, c.capitalize())), n, c == colour)
        for c, n in sorted(colours.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    total = len(ranked)
    ids = [pid for pid in ranked if keep(rows[pid], "")]
    if sort in SORT_KEYS:
        ids.sort(key=lambda pid: SORT_KEYS[sort](rows[pid]))
    return SearchResult(query=query, understood=understood, mode=mode, ids=ids, total_unfiltered=total, facets=facets)


# ---------------------------------------------------------------------------
# autocomplete
# ---------------------------------------------------------------------------
def suggest(prefix: str, *, limit: int = 8) -> list[dict]:
    """Product names and popular queries (with results) that start with, or
    have a word starting with, what the shopper typed."""
    from django.db.models import Q

    from .models import SearchQueryStat

    text = " ".join(query_words(prefix))
    if len(text) < 2:
        return []
    queries = list(
        SearchQueryStat.objects.filter(query__startswith=text, last_result_count__gt=0)
        .order_by("-count", "query")
        .values_list("query", flat=True)[: max(limit // 2, 1)]
    )
    search_url = reverse("catalog:search")  # in the active language (/zh-hans/search/)
    out = [{"kind": "query", "label": q, "url": f"{search_url}?{urlencode({'q': q})}"} for q in queries]
    words = text.split()
    cond = Q()
    for w in words:
        cond &= Q(name__istartswith=w) | Q(name__icontains=" " + w)
    for p in (
        Product.objects.filter(cond, is_active=True)
        .select_related("category")
        .order_by("-units_sold", "name")[: limit - len(out)]
    ):
        out.append({"kind": "product", "label": p.display_name, "url": p.get_absolute_url()})
    return out

"""Serving: which products each recommendation slot of a page shows, and why.

One entry point, `recommendations_for(slot=..., shopper=..., context=...)`
(re-exported by `recommend.selectors`), used by the template tags
(`recommend/templatetags/recommendations.py`) and the API.

For every slot:
1. the shopper's *live* history (their stored purchases, views, clicks and
   add-to-carts, or an anonymous session's, read through profiles.selectors)
   is mapped to the active model's item indices: a view changes the next
   page's recommendations without a retrain;
2. the slot's model (its active version, loaded once per process) proposes
   candidates, each with a reason built from real data; the candidate list is
   cached (Django's cache: Redis in production, local memory in dev) under a
   key holding the id of the shopper's latest event and the active versions,
   so a new event or a new model version is a new key;
3. the business rules (recommend/rules.py) pick what the page shows.

Anything missing or broken (no active model, a corrupt artifact, a model that
raises, the cache server down) falls back to popularity, and each cause is
logged once per process, not once per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from catalog import selectors as catalog_selectors
from core.cache import tolerant_cache
from core.countries import country_name
from profiles import selectors as profiles_selectors
from profiles.selectors import HistoryEvent, Shopper
from recommend.ml.base import top_k
from recommend.ml.data import History

from . import reasons
from .rules import Candidate, apply_rules, setting

logger = logging.getLogger(__name__)

# the models the pages serve (manage.py train_serving_models trains them)
SERVING_MODELS = ("pop", "pop_recent", "repeat", "itemknn", "basket", "tfidf", "minilm", "hybrid")
FALLBACK_MODEL = "popularity"
FALLBACK_VERSION = "catalog"  # units sold, from the catalog: needs no artifact
TRENDING_DAYS = 30
COUNTRY_DAYS = 90
COUNTRY_CACHE_SECONDS = 3600

# ---------------------------------------------------------------------------
# logging once per cause
# ---------------------------------------------------------------------------
_logged: set[str] = set()
_logged_lock = threading.Lock()


def log_once(cause: str, message: str, *args: Any, exc_info: bool = False) -> bool:
    """Log `message` the first time `cause` happens in this process; True if logged now."""
    with _logged_lock:
        if cause in _logged:
            return False
        _logged.add(cause)
    logger.warning(message, *args, exc_info=exc_info)
    return True


def log_once_reset() -> None:
    """Forget which causes were logged (tests)."""
    with _logged_lock:
        _logged.clear()


# ---------------------------------------------------------------------------
# the served result
# ---------------------------------------------------------------------------
@dataclass
class ServedItem:
    product: Any  # a catalog.selectors.ProductCard: pk, name, slug, price, stock, category_id, get_absolute_url()
    score: float
    reason: str
    position: int


@dataclass
class Served:
    """One slot's list: what it shows, the model and version that chose it."""

    slot: str
    title: str
    model: str
    model_version: str
    items: list[ServedItem] = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        return self.model == FALLBACK_MODEL


# ---------------------------------------------------------------------------
# slots and pages
# ---------------------------------------------------------------------------
# page -> its slots in display order (the API's `slot` names a page and
# answers with that page's first slot that has items)
PAGES: dict[str, tuple[str, ...]] = {
    "home": ("home_for_you", "home_because_viewed", "home_buy_again", "home_trending", "home_country"),
    "product": ("product_for_you", "product_also_bought", "product_complete_set", "product_similar"),
    "cart": ("cart_together",),
    "checkout": ("checkout_addon",),
    "search": ("search_for_you",),
    "confirmation": ("confirmation_more",),
}

# the slots' headings, in the interface language
TITLES = {
    "home_for_you": gettext_lazy("Recommended for you"),
    "home_because_viewed": gettext_lazy("Because you viewed %(anchor)s"),
    "home_buy_again": gettext_lazy("Buy it again"),
    "home_trending": gettext_lazy("Trending now"),
    "home_country": gettext_lazy("Popular in %(country)s"),
    "product_for_you": gettext_lazy("Picked for you"),
    "product_also_bought": gettext_lazy("Customers who bought this also bought"),
    "product_complete_set": gettext_lazy("Complete the set"),
    "product_similar": gettext_lazy("Similar items"),
    "cart_together": gettext_lazy("Frequently bought together"),
    "checkout_addon": gettext_lazy("A little something to add"),
    "search_for_you": gettext_lazy("Recommended for you"),
    "confirmation_more": gettext_lazy("You may also like"),
}


# ---------------------------------------------------------------------------
# per-request state: history, models, muted categories
# ---------------------------------------------------------------------------
@dataclass
class LiveModel:
    """An active model with the map between its item indices and product ids."""

    name: str
    version: str
    model: Any
    product_of: np.ndarray  # (n_items + 1,) product id per item index, 0 = unknown
    index_of: dict[int, int]  # product id -> item index


_maps: dict[str, tuple[np.ndarray, dict[int, int]]] = {}
_maps_lock = threading.Lock()


def _index_maps(loaded) -> tuple[np.ndarray, dict[int, int]]:
    key = f"{loaded.name}:{loaded.version}"
    cached = _maps.get(key)
    if cached is not None:
        return cached
    ids = catalog_selectors.product_ids_by_stock_code()
    product_of = np.zeros(len(loaded.item_ids), dtype=np.int64)
    for i, code in enumerate(loaded.item_ids.tolist()):
        if i > 0:
            product_of[i] = ids.get(str(code), 0)
    index_of = {int(p): i for i, p in enumerate(product_of.tolist()) if p}
    with _maps_lock:
        for old in [k for k in _maps if k.split(":", 1)[0] == loaded.name]:
            del _maps[old]
        _maps[key] = (product_of, index_of)
    return product_of, index_of


_versions_lock = threading.Lock()
_versions_rows: tuple[float, list[tuple[str, str, str]]] | None = None


def _active_version_rows() -> list[tuple[str, str, str]]:
    """(name, version, artifact path) of every active model, read at most once
    per RECOMMEND_VERSIONS_SECONDS (5) in a process: one query less on every
    page. A version activated in this process is seen at once (the cache is
    dropped on any ModelVersion write, `versions_cache_clear`); other processes
    see it within those seconds. 0 reads it on every page."""
    global _versions_rows
    ttl = float(setting("RECOMMEND_VERSIONS_SECONDS", 5))
    held = _versions_rows
    if ttl > 0 and held is not None and time.monotonic() - held[0] < ttl:
        return held[1]
    from .selectors import active_versions

    rows = list(active_versions().values_list("name", "version", "artifact_path"))
    with _versions_lock:
        _versions_rows = (time.monotonic(), rows)
    return rows


def versions_cache_clear(**kwargs) -> None:
    """Read the active versions again on the next page (tests)."""
    global _versions_rows
    with _versions_lock:
        _versions_rows = None


def versions_changed(**kwargs) -> None:
    """A ModelVersion was written (signal receiver): forget the versions now and
    again when its transaction commits, so no page in between keeps the old set."""
    from django.db import transaction

    versions_cache_clear()
    transaction.on_commit(versions_cache_clear)


class PageState:
    """What one page (or one API call) reads once and shares across its slots."""

    def __init__(self, *, shopper: Shopper, country: str = "", now: dt.datetime | None = None) -> None:
        self.shopper = shopper
        self.now = now or timezone.now()
        self.language = translation.get_language() or settings.LANGUAGE_CODE  # of the reasons and titles
        self.seen: set[int] = set()
        self._country = country
        self._history: list[HistoryEvent] | None = None
        self._latest: int | None = None
        self._latest_purchase: int | None = None
        self._versions: dict[str, str] | None = None
        self._paths: dict[str, str] = {}
        self._versions_key: str | None = None
        self._models: dict[str, LiveModel | None] = {}
        self._muted: set[int] | None = None
        self._portrait: Any = False
        self._products: dict[int, Any] = {}
        self._arrays: dict[str, tuple[np.ndarray, ...]] = {}  # model name -> its mapped history
        self.candidates: dict[str, Any] = {}  # cache key -> a slot's candidates, read or made on this page
        # a rendered page (the template tags) may serve a list one event old and
        # refresh it after the response; the API and direct calls never do
        self.defer = False
        self.after: list[Callable[[], None]] = []  # run after the response (recommend.middleware)
        self.elapsed_ms = 0.0  # time in the page's recommendation tags (its Server-Timing header)

    # -- the shopper --------------------------------------------------------
    @property
    def owner_key(self) -> str:
        if self.shopper.customer_id is not None:
            return f"c{self.shopper.customer_id}"
        return f"s{self.shopper.session_key}" if self.shopper.session_key else "nobody"

    def _activity(self) -> None:
        """History and the newest ids in one read (profiles.selectors.shopper_activity)."""
        activity = profiles_selectors.shopper_activity(
            customer_id=self.shopper.customer_id,
            session_key=self.shopper.session_key,
            limit=int(setting("RECOMMEND_HISTORY_LIMIT", 500)),
        )
        self._history = activity.history
        self._latest = activity.latest_event_id
        self._latest_purchase = activity.latest_purchase_id
        if self._muted is None:
            self._muted = set(activity.muted)

    @property
    def history(self) -> list[HistoryEvent]:
        if self._history is None:
            self._activity()
        return self._history

    @property
    def latest_event_id(self) -> int:
        """Id of the shopper's newest taste, search or cart-removal event (0 when
        none): the key of their personal lists."""
        if self._latest is None:
            self._activity()
        return self._latest

    @property
    def latest_purchase_id(self) -> int:
        """Id of the shopper's newest purchase event (0 when none): the key of
        what only purchases change."""
        if self._latest_purchase is None:
            self._activity()
        return self._latest_purchase

    @property
    def has_history(self) -> bool:
        return self.latest_event_id > 0 and bool(self.history)

    @property
    def muted(self) -> set[int]:
        if self._muted is None:  # read with the history (profiles.selectors.shopper_activity)
            self._activity()
        return self._muted

    @property
    def portrait(self):
        if self._portrait is False:
            c = self.shopper.customer
            self._portrait = profiles_selectors.portrait_get(customer=c) if c is not None else None
        return self._portrait

    @property
    def country(self) -> str:
        if self.shopper.customer is not None and self.shopper.customer.country:
            return self.shopper.customer.country
        return self._country or "United Kingdom"

    @property
    def wholesale(self) -> bool:
        return bool(self.portrait is not None and getattr(self.portrait, "is_bulk_buyer", False))

    # -- models -------------------------------------------------------------
    @property
    def versions(self) -> dict[str, str]:
        """name -> active version, one query for every model."""
        if self._versions is None:
            rows = _active_version_rows()
            self._versions = {name: version for name, version, _ in rows}
            self._paths = {name: path for name, _, path in rows}
        return self._versions

    @property
    def versions_key(self) -> str:
        """A short hash of every active version: part of every cache key, so a
        new model version is a new key."""
        if self._versions_key is None:
            versions = "-".join(f"{n}={v}" for n, v in sorted(self.versions.items()))
            self._versions_key = hashlib.md5(versions.encode()).hexdigest()[:12]
        return self._versions_key

    def model(self, name: str) -> LiveModel | None:
        if name in self._models:
            return self._models[name]
        version = self.versions.get(name)
        self._models[name] = live = _live_model(name, version, self._paths.get(name, ""))
        return live

    def first_model(self, *names: str) -> LiveModel | None:
        for name in names:
            live = self.model(name)
            if live is not None:
                return live
        return None

    # -- products -----------------------------------------------------------
    def products(self, ids) -> dict[int, Any]:
        missing = [int(i) for i in ids if int(i) not in self._products]
        if missing:
            self._products.update(catalog_selectors.product_cards(product_ids=missing))
        return {int(i): self._products[int(i)] for i in ids if int(i) in self._products}

    def history_for(self, live: LiveModel, *, kinds: tuple[str, ...] | None = None, extra: list[int] = ()) -> History:
        """The live history as the model's item indices (unknown products dropped);
        `extra` products (a cart, an order) are appended at the current time.
        The mapping is made once per page and model; `kinds` only filters it."""
        arrays = self._arrays.get(live.name)
        if arrays is None:
            rows = [(live.index_of.get(e.product_id), e) for e in self.history]
            rows = [(i, e) for i, e in rows if i]
            arrays = self._arrays[live.name] = (
                np.fromiter((i for i, _ in rows), dtype=np.int64, count=len(rows)),
                np.fromiter((e.created_at.timestamp() for _, e in rows), dtype=np.float64, count=len(rows)),
                np.fromiter(
                    (float(e.quantity or 1) if e.kind == "purchase" else 1.0 for _, e in rows),
                    dtype=np.float32,
                    count=len(rows),
                ),
                np.asarray([e.kind for _, e in rows], dtype=object),
            )
        items, times, qty, event_kinds = arrays
        if kinds is not None:
            keep = np.isin(event_kinds, list(kinds)) if kinds else np.zeros(len(items), dtype=bool)
            items, times, qty = items[keep], times[keep], qty[keep]
        extra_idx = [live.index_of[int(p)] for p in extra if live.index_of.get(int(p))]
        if extra_idx:
            items = np.concatenate([items, np.asarray(extra_idx, dtype=np.int64)])
            times = np.concatenate([times, np.full(len(extra_idx), self.now.timestamp())])
            qty = np.concatenate([qty, np.ones(len(extra_idx), dtype=np.float32)])
        order = np.argsort(times, kind="stable")
        return History(items[order], times[order], qty[order])


_broken: set[str] = set()


def _live_model(name: str, version: str | None, artifact_path: str = "") -> LiveModel | None:
    """The active version of `name` with its index maps, or None (logged once)."""
    from .selectors import model_version_loaded

    if version is None:
        log_once(f"no-active:{name}", "recommendations: no active %s model, falling back", name)
        return None
    key = f"{name}:{version}"
    if key in _broken:
        return None
    # loaded once per process; a newer active version is loaded here
    loaded = model_version_loaded(name=name, version=version, artifact_path=artifact_path)
    if loaded is None:
        _broken.add(key)
        log_once(f"load:{key}", "recommendations: %s version %s cannot be loaded, falling back", name, version)
        return None
    try:
        product_of, index_of = _index_maps(loaded)
    except Exception:  # noqa: BLE001 - a broken artifact must not break a page
        _broken.add(key)
        log_once(f"map:{key}", "recommendations: %s version %s has unusable id maps", name, version, exc_info=True)
        return None
    return LiveModel(name=name, version=loaded.version, model=loaded.model, product_of=product_of, index_of=index_of)


def broken_models_reset() -> None:
    """Forget artifacts found broken (tests; a fixed artifact is a new version anyway)."""
    cache_retry_now()
    versions_cache_clear()
    _broken.clear()
    _maps.clear()
    _between.clear()


def _call(live: LiveModel, what: str, fn: Callable[[], Any]) -> Any:
    """Run a model call; None (logged once per model version and error) when it raises."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a model that raises falls back, never fails the page
        log_once(
            f"raise:{live.name}:{live.version}:{type(exc).__name__}",
            "recommendations: %s version %s raised in %s, falling back",
            live.name,
            live.version,
            what,
            exc_info=True,
        )
        return None


# ---------------------------------------------------------------------------
# the cache
# ---------------------------------------------------------------------------
# The project's cache that answers as empty while its server is down (one
# warning per outage, the server retried every few seconds: core.cache).


def _cache_get(key: str):
    return tolerant_cache.get(key)


def _cache_get_many(keys: list[str]) -> dict[str, Any]:
    return tolerant_cache.get_many(keys) if keys else {}


def _cache_set(key: str, value, seconds: int | None = None) -> None:
    tolerant_cache.set(key, value, seconds or int(setting("RECOMMEND_CACHE_SECONDS", 600)))


def cache_retry_now() -> None:
    """Use the cache again at once (tests)."""
    tolerant_cache.reset()


# ---------------------------------------------------------------------------
# candidate generators: (state, ctx, k) -> (model, version, title, candidates) or None (slot not shown)
# ---------------------------------------------------------------------------
Generated = tuple[str, str, str, list[Candidate]] | None


def _indices_to_products(live: LiveModel, idx: np.ndarray, scores: np.ndarray) -> list[tuple[int, float]]:
    out = []
    for i, s in zip(np.asarray(idx).tolist(), np.asarray(scores).tolist(), strict=False):
        pid = int(live.product_of[i]) if 0 < i < len(live.product_of) else 0
        if pid and np.isfinite(s):
            out.append((pid, float(s)))
    return out


def _anchors(state: PageState, candidates: list[int], anchors: list[int]) -> dict[int, tuple[int, float]]:
    """For each candidate product, the anchor product (from the shopper's history,
    the cart, the order) it is most similar to by co-purchase (item-kNN, else
    content), with that similarity; candidates with no similar anchor are left out."""
    live = state.first_model("itemknn", "minilm", "tfidf")
    if live is None or not candidates or not anchors:
        return {}
    a_idx = [live.index_of[a] for a in anchors if a in live.index_of]
    c_idx = [live.index_of.get(c, 0) for c in candidates]
    if not a_idx:
        return {}
    scores = _call(live, "score", lambda: live.model.score([History.from_lists([a]) for a in a_idx]))
    if scores is None:
        return {}
    sub = np.asarray(scores)[:, c_idx]  # (anchors, candidates)
    best = np.argmax(sub, axis=0)
    out = {}
    a_products = [int(live.product_of[a]) for a in a_idx]
    for j, c in enumerate(candidates):
        value = float(sub[best[j], j])
        if c_idx[j] and np.isfinite(value) and value > 1e-3 and a_products[best[j]] != c:
            out[c] = (a_products[best[j]], value)
    return out


def _recent_distinct(history: list[HistoryEvent], limit: int = 15) -> list[HistoryEvent]:
    out, seen = [], set()
    for e in reversed(history):
        if e.product_id not in seen:
            seen.add(e.product_id)
            out.append(e)
        if len(out) == limit:
            break
    return out


def _personal_reasons(state: PageState, ranked: list[tuple[int, float]]) -> list[Candidate]:
    """Reasons for personal lists: the history item each candidate follows from."""
    recent = _recent_distinct(state.history)
    by_product = {e.product_id: e for e in recent}
    anchors = _anchors(state, [p for p, _ in ranked], list(by_product))
    anchor_products = state.products([a for a, _ in anchors.values()])
    country = _country_popular(state) if len(anchors) < len(ranked) else {}
    out = []
    for pid, score in ranked:
        reason = ""
        if pid in anchors and anchors[pid][0] in anchor_products:
            event = by_product[anchors[pid][0]]
            reason = reasons.because(event.kind, anchor_products[event.product_id], event.created_at)
        elif pid in country:
            reason = reasons.popular_in(state.country, wholesale=state.wholesale)
        else:
            reason = reasons.like_you()
        out.append(Candidate(pid, score, reason))
    return out


def _standardise(scores: np.ndarray) -> np.ndarray:
    """(x − mean) / std over the finite entries; -inf elsewhere."""
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(scores)
    out = np.full_like(scores, -np.inf)
    if finite.any():
        values = scores[finite]
        out[finite] = (values - values.mean()) / (values.std() + 1e-12)
    return out


def session_blend(full: np.ndarray, session: np.ndarray | None, weight: float) -> np.ndarray:
    """(1 − w)·z(full) + w·z(session): the whole history, with what the shopper
    did in this visit counting for `weight` on its own."""
    if session is None or weight <= 0:
        return np.asarray(full, dtype=np.float64)
    return (1 - weight) * _standardise(full) + weight * _standardise(session)


BASE_CANDIDATES = 400  # how many of the whole-history scores the base keeps
SESSION_ITEMS = 6  # the visit's newest distinct items that score it
SESSION_DECAY = 0.7  # each older item counts 0.7 times the next newer one


def _scores_in(state: PageState, live: LiveModel, session: History, names: tuple[str, ...]) -> np.ndarray | None:
    """The first active of `names`' scores of this visit's items, mapped into
    `live`'s item indices (models trained apart may index products apart)."""
    other = state.first_model(*names)
    if other is None:
        return None
    items: list[int] = []  # distinct, newest first (a view and its click are one item)
    for i in reversed(session.items.tolist()):
        j = other.index_of.get(int(live.product_of[i]), 0)
        if j and j not in items:
            items.append(j)
    items = items[:SESSION_ITEMS]
    if not items:
        return None
    rows = _call(other, "score", lambda: other.model.score([History.from_lists([i]) for i in items]))
    if rows is None:
        return None
    # each item's look-alikes, the newest counting most (what they look at now)
    weights = SESSION_DECAY ** np.arange(len(items))
    scores = weights @ np.where(np.isfinite(rows), rows, 0.0)
    src = _index_map_between(live, other)
    out = np.full(len(live.product_of), -np.inf)
    known = src > 0
    out[known] = np.asarray(scores, dtype=np.float64)[src[known]]
    out[0] = -np.inf
    return out


_between: dict[str, np.ndarray] = {}


def _index_map_between(live: LiveModel, other: LiveModel) -> np.ndarray:
    """other's item index of each of live's item indices (0 = unknown to other),
    built once per pair of versions."""
    key = f"{live.name}={live.version}>{other.name}={other.version}"
    src = _between.get(key)
    if src is None:
        src = np.asarray([other.index_of.get(int(p), 0) for p in live.product_of.tolist()], dtype=np.int64)
        if len(_between) > 64:
            _between.clear()
        _between[key] = src
    return src


def _session_scores(state: PageState, live: LiveModel, session: History) -> np.ndarray | None:
    """What this visit is about, standardised: the mean of co-purchase (what is
    bought with what they looked at) and content (look-alikes) scores of the
    visit's newest distinct items, each older one counting SESSION_DECAY times
    the next. Two sparse lookups, so every view moves the list at once."""
    parts = [_scores_in(state, live, session, names) for names in (("itemknn", "ease"), ("tfidf", "minilm"))]
    parts = [_standardise(p) for p in parts if p is not None]
    if not parts:
        return None
    return np.mean(parts, axis=0)


def _base_scores(state: PageState, live: LiveModel) -> np.ndarray | None:
    """The personal model's standardised scores of the shopper's whole history,
    (n_items + 1,), cached per shopper under their latest *purchase*: the
    costly part (the hybrid with its ALS fold-in, tens of ms) is paid once per
    purchase or RECOMMEND_CACHE_SECONDS, not once per page view; what they
    viewed since is the live session part. The cache holds the top
    BASE_CANDIDATES items; the rest score just below them."""
    key = f"rec:1:base:{state.owner_key}:{state.latest_purchase_id}:{live.name}={live.version}"
    cached = _cache_get(key)
    if cached is None:
        history = state.history_for(live)
        if len(history) == 0:
            return None
        now = state.now.timestamp()
        scores = _call(live, "score", lambda: live.model.score([history], now=now))
        if scores is None:
            return None
        z = _standardise(scores[0])
        k = min(BASE_CANDIDATES, int(np.isfinite(z).sum()))
        idx = np.argpartition(-z, k - 1)[:k] if k > 0 else np.zeros(0, dtype=np.int64)
        cached = (idx.astype(np.int32), z[idx].astype(np.float32))
        _cache_set(key, cached)
    idx, values = cached
    out = np.full(len(live.product_of), (float(values.min()) - 0.01) if len(values) else 0.0)
    out[np.asarray(idx, dtype=np.int64)] = values
    out[0] = -np.inf
    return out


def _gen_for_you(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    """The shopper's whole history scored by the best personal model (cached
    per purchase, `_base_scores`), blended with what they did in this visit
    (views, clicks, cart in the last RECOMMEND_SESSION_HOURS, scored live by
    `_session_scores`), so that what they do now moves the list at once even
    when years of purchases stand behind it."""
    if not state.has_history:
        return None
    variant_model = (ctx.get("variant") or {}).get("model")
    live = state.first_model(*([variant_model] if variant_model else []), "hybrid", "tifuknn", "als", "itemknn")
    if live is None:
        return _fallback_generated(state, k)
    base = _base_scores(state, live)
    if base is None:
        return _fallback_generated(state, k) if state.history_for(live).items.size else None
    session = state.history_for(live, kinds=("view", "rec_click", "add_to_cart"))
    since = (state.now - dt.timedelta(hours=float(setting("RECOMMEND_SESSION_HOURS", 2)))).timestamp()
    session = History(session.items[session.times >= since], session.times[session.times >= since])
    session_scores = _session_scores(state, live, session) if len(session) else None
    blended = session_blend(base, session_scores, float(setting("RECOMMEND_SESSION_WEIGHT", 0.5)))
    bought = np.unique(state.history_for(live, kinds=("purchase",)).items)
    idx, values = top_k(blended, k, exclude=bought)
    return live.name, live.version, "", _personal_reasons(state, _indices_to_products(live, idx, values))


def _product_page_has_history(state: PageState) -> bool:
    """ "Picked for you" on a product page: the page's own product is in the
    history already (its view was recorded first), so it needs one more item."""
    return len({e.product_id for e in state.history}) >= 2


def _gen_product_for_you(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    return _gen_for_you(state, ctx, k) if _product_page_has_history(state) else None


def _gen_because_viewed(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    viewed = [e for e in state.history if e.kind in ("view", "rec_click")]
    if not viewed:
        return None
    anchor_id = viewed[-1].product_id
    anchor = state.products([anchor_id]).get(anchor_id)
    if anchor is None:
        return None
    title = str(TITLES["home_because_viewed"]) % {"anchor": reasons.display_name(anchor)}
    for name in ("itemknn", "minilm", "tfidf"):
        live = state.model(name)
        if live is None or anchor_id not in live.index_of:
            continue
        result = _call(live, "similar_items", lambda live=live: live.model.similar_items(live.index_of[anchor_id], k))
        if result is None or not len(result[0]):
            continue
        why = reasons.same_customers(anchor) if name == "itemknn" else reasons.similar_to(anchor)
        return live.name, live.version, title, [Candidate(p, s, why) for p, s in _indices_to_products(live, *result)]
    return None


def _gen_buy_again(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    purchases = [e for e in state.history if e.kind == "purchase"]
    orders: dict[int, set[str]] = {}
    last: dict[int, dt.datetime] = {}
    for e in purchases:
        orders.setdefault(e.product_id, set()).add(e.order_number or str(e.event_id))
        last[e.product_id] = max(last.get(e.product_id, e.created_at), e.created_at)
    if not any(len(v) >= 2 for v in orders.values()):
        return None  # only for customers who do re-buy
    live = state.model("repeat")
    ranked: list[tuple[int, float]] = []
    if live is not None:
        history = state.history_for(live, kinds=("purchase",))
        own = np.unique(history.items)
        result = _call(
            live, "recommend", lambda: live.model.recommend(history, k, allow=own, now=state.now.timestamp())
        )
        if result is not None:
            ranked = _indices_to_products(live, *result)
    model, version = (live.name, live.version) if live is not None and ranked else ("own-history", "live")
    if not ranked:  # no repeat model: the shopper's own orders, most re-bought and most recent first
        ranked = sorted(((p, float(len(o))) for p, o in orders.items()), key=lambda x: (-x[1], -last[x[0]].timestamp()))
    cands = [Candidate(p, s, reasons.bought_again(len(orders.get(p, ())), last[p])) for p, s in ranked if p in last]
    return model, version, "", cands[:k]


def _gen_trending(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    live = state.model("pop_recent")
    ranked: list[tuple[int, float]] = []
    if live is not None:
        result = _call(live, "recommend", lambda: live.model.recommend(History.empty(), k))
        if result is not None:
            ranked = _indices_to_products(live, *result)
    if not ranked:
        return _fallback_generated(state, k)
    buyers = profiles_selectors.product_recent_buyers(
        product_ids=[p for p, _ in ranked], since=state.now - dt.timedelta(days=TRENDING_DAYS)
    )
    cands = [Candidate(p, s, reasons.trending(buyers.get(p, 0), TRENDING_DAYS)) for p, s in ranked]
    return live.name, live.version, "", cands


def _country_popular(state: PageState, k: int = 60) -> dict[int, int]:
    """product id -> buyers among customers from the shopper's country (cached an hour)."""
    key = f"rec:1:country:{hashlib.md5(state.country.encode()).hexdigest()[:12]}:{int(state.wholesale)}"
    value = _cache_get(key)
    if value is None:
        since = state.now - dt.timedelta(days=COUNTRY_DAYS)
        rows = profiles_selectors.products_popular_by_country(
            country=state.country, since=since, bulk_buyers=True if state.wholesale else None, limit=k
        )
        if len(rows) < 20:  # a small country: its whole history
            rows = profiles_selectors.products_popular_by_country(
                country=state.country, bulk_buyers=True if state.wholesale else None, limit=k
            )
        value = dict(rows)
        _cache_set(key, value, COUNTRY_CACHE_SECONDS)  # a count over the country's 90 days of orders
    return value


def _gen_country(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    if state.has_history:
        return None  # a new visitor's slot: personal ones replace it from the first click
    popular = _country_popular(state)
    if not popular:
        return None
    title = str(TITLES["home_country"]) % {"country": country_name(state.country)}
    cands = [
        Candidate(p, float(b), reasons.popular_in(state.country, wholesale=state.wholesale, buyers=b))
        for p, b in sorted(popular.items(), key=lambda x: -x[1])
    ]
    return "country-popularity", "live", title, cands[:k]


def _item_neighbours(state: PageState, product, models: tuple[str, ...], why: str, k: int) -> Generated:
    """The product's neighbours from the first of `models` that is active, knows
    the product and answers, each with the same reason."""
    for name in models:
        live = state.model(name)
        if live is None or product.pk not in live.index_of:
            continue
        result = _call(live, "similar_items", lambda live=live: live.model.similar_items(live.index_of[product.pk], k))
        if result is not None and len(result[0]):
            return live.name, live.version, "", [Candidate(p, s, why) for p, s in _indices_to_products(live, *result)]
    return None


def _gen_similar(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    product = ctx["product"]
    return _item_neighbours(state, product, ("minilm", "tfidf"), reasons.similar_to(product), k)


def _gen_also_bought(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    product = ctx["product"]
    return _item_neighbours(state, product, ("itemknn", "ease"), reasons.same_customers(product), k)


def _basket_neighbours(state: PageState, product_id: int, k: int) -> tuple[str, str, list[tuple[int, int]]]:
    """(model, version, [(product id, orders with both)]) of the products most
    often in the same order as `product_id`: the basket model's counts (a
    sparse row, up to its last training), else counted live in SQL."""
    live = state.model("basket")
    if live is not None and product_id in live.index_of:
        result = _call(live, "similar_items", lambda: live.model.similar_items(live.index_of[product_id], k))
        if result is not None:
            return live.name, live.version, [(p, round(n)) for p, n in _indices_to_products(live, *result)]
    return "same-basket", "live", profiles_selectors.product_basket_neighbours(product_id=product_id, limit=k)


def _gen_complete_set(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    product = ctx["product"]
    model, version, rows = _basket_neighbours(state, product.pk, k)
    if not rows:
        return None
    return model, version, "", [Candidate(p, float(n), reasons.same_basket(product, n)) for p, n in rows]


def _together(state: PageState, products: list, k: int, *, max_price: Decimal | None = None) -> Generated:
    if not products:
        return None
    ids = [p.pk for p in products]
    live = state.first_model("itemknn", "ease")
    ranked: list[tuple[int, float]] = []
    if live is not None:
        history = state.history_for(live, kinds=(), extra=ids)
        if len(history):
            result = _call(live, "recommend", lambda: live.model.recommend(history, k, exclude=history.items))
            if result is not None:
                ranked = _indices_to_products(live, *result)
    model, version = (live.name, live.version) if ranked else ("same-basket", "live")
    if not ranked:
        model, version, rows = _basket_neighbours(state, ids[0], k)
        ranked = [(p, float(n)) for p, n in rows if p not in ids]
    anchors = _anchors(state, [p for p, _ in ranked], ids)
    by_id = {p.pk: p for p in products}
    cands = [  # only what really was bought with a cart item (a reason that is true)
        Candidate(pid, score, reasons.often_bought_with(by_id[anchors[pid][0]]))
        for pid, score in ranked
        if pid in anchors and anchors[pid][0] in by_id
    ]
    if not cands:
        model, version, rows = _basket_neighbours(state, ids[0], k)
        for pid, n in rows:
            if pid not in ids:
                cands.append(Candidate(pid, float(n), reasons.often_bought_with(products[0])))
    if max_price is not None:
        prices = {p.pk: p.price for p in state.products([c.product_id for c in cands]).values()}
        cands = [c for c in cands if prices.get(c.product_id, max_price + 1) <= max_price]
    return model, version, "", cands


def _gen_cart(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    return _together(state, list(ctx.get("products") or []), k)


def _gen_checkout(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    limit = Decimal(str(setting("RECOMMEND_ADDON_MAX_PRICE", "5.00")))
    return _together(state, list(ctx.get("products") or []), max(k, 40), max_price=limit)


def _gen_confirmation(state: PageState, ctx: Mapping[str, Any], k: int) -> Generated:
    products = list(ctx.get("products") or [])
    live = state.first_model("hybrid", "itemknn")
    ids = [p.pk for p in products]
    if live is None:
        return _fallback_generated(state, k)
    history = state.history_for(live, extra=[i for i in ids if i not in {e.product_id for e in state.history}])
    if not len(history):
        return _fallback_generated(state, k)
    exclude = np.asarray([live.index_of[i] for i in ids if i in live.index_of], dtype=np.int64)
    result = _call(
        live, "recommend", lambda: live.model.recommend(history, k, exclude=exclude, now=state.now.timestamp())
    )
    if result is None:
        return _fallback_generated(state, k)
    ranked = _indices_to_products(live, *result)
    anchors = _anchors(state, [p for p, _ in ranked], ids)
    by_id = {p.pk: p for p in products}
    cands = []
    for pid, score in ranked:
        if pid in anchors and anchors[pid][0] in by_id:
            cands.append(Candidate(pid, score, reasons.from_your_order(by_id[anchors[pid][0]])))
        else:
            cands.append(Candidate(pid, score, reasons.like_you()))
    return live.name, live.version, "", cands


def _fallback_generated(state: PageState, k: int) -> Generated:
    products = catalog_selectors.products_popular(limit=k)
    return (
        FALLBACK_MODEL,
        FALLBACK_VERSION,
        "",
        [Candidate(p.pk, float(p.units_sold), reasons.popular()) for p in products],
    )


GENERATORS: dict[str, Callable[[PageState, Mapping[str, Any], int], Generated]] = {
    "home_for_you": _gen_for_you,
    "home_because_viewed": _gen_because_viewed,
    "home_buy_again": _gen_buy_again,
    "home_trending": _gen_trending,
    "home_country": _gen_country,
    "product_for_you": _gen_product_for_you,
    "product_also_bought": _gen_also_bought,
    "product_complete_set": _gen_complete_set,
    "product_similar": _gen_similar,
    "cart_together": _gen_cart,
    "checkout_addon": _gen_checkout,
    "search_for_you": _gen_for_you,
    "confirmation_more": _gen_confirmation,
}
# slots whose candidates depend on the shopper (their cache key holds the shopper and their latest event)
PERSONAL = {
    "home_for_you",
    "home_because_viewed",
    "home_buy_again",
    "product_for_you",
    "search_for_you",
    "confirmation_more",
    "home_country",
}
SLOT_SIZES = {"checkout_addon": 1}
# The experiment seam: a higher app (marketing) may set one function
# (slot=, shopper=) -> {"model": family or "popularity", "n": int} or None, through
# recommend.services.slot_variant_resolver_set; recommend never imports it. Asked
# with a page's name (PAGES) it may answer {"slots": k}: the page shows its first k slots.
SLOT_VARIANT: list[Callable[..., Mapping[str, Any] | None]] = []


def _context_key(slot: str, ctx: Mapping[str, Any]) -> str:
    parts = []
    if ctx.get("product") is not None:
        parts.append(f"p{ctx['product'].pk}")
    if ctx.get("products"):
        parts.append("c" + ",".join(str(p.pk) for p in ctx["products"]))
    return hashlib.md5("|".join(parts).encode()).hexdigest()[:12] if parts else "-"


def _candidate_key(state: PageState, slot: str, ctx: Mapping[str, Any], k: int) -> str:
    """The cache key of a slot's candidates: the slot (home and search share the
    "for you" list), the shopper and their latest event for personal slots, the
    page's product or cart, k, and the active model versions."""
    owner = "*"
    if slot == "home_buy_again":  # the shopper's purchases only: a view leaves it as it is
        owner = f"{state.owner_key}:p{state.latest_purchase_id}"
    elif slot == "home_because_viewed":  # the neighbours of one product, shared by all who viewed it last
        viewed = [e.product_id for e in state.history if e.kind in ("view", "rec_click")]
        owner = f"v{viewed[-1] if viewed else 0}"
    elif slot in PERSONAL:
        owner = f"{state.owner_key}:{state.latest_event_id}:{hashlib.md5(state.country.encode()).hexdigest()[:8]}"
    variant_model = (ctx.get("variant") or {}).get("model")
    slot_key = "for_you" if slot in ("home_for_you", "search_for_you") else slot
    if variant_model == FALLBACK_MODEL:  # an experiment's popularity arm
        slot_key = f"{slot}:{FALLBACK_MODEL}"
    elif variant_model:
        slot_key = f"{slot_key}:{variant_model}"
    # the language too: the reasons and titles are written in it
    return f"rec:1:{slot_key}:{owner}:{_context_key(slot, ctx)}:{k}:{state.versions_key}:{state.language}"


def _generator(state: PageState, slot: str, ctx: Mapping[str, Any]):
    """The slot's candidate generator, or an experiment's popularity arm."""
    if (ctx.get("variant") or {}).get("model") == FALLBACK_MODEL:
        if GENERATORS[slot] in (_gen_for_you, _gen_product_for_you) and not state.has_history:
            return lambda st, _ctx, kk: None  # where the slot applies only
        return lambda st, _ctx, kk: _fallback_generated(st, kk)
    return GENERATORS[slot]


def _candidates(state: PageState, slot: str, ctx: Mapping[str, Any], k: int):
    """The slot's (model, version, title, [(product id, score, reason)]), or a
    falsy value when the slot does not apply: from this page's reads, the
    cache, or made now (and cached)."""
    variant = ctx.get("variant") or {}
    if slot == "product_for_you" and state.defer and not variant.get("model"):
        return _latest_for_you(state, k)
    key = _candidate_key(state, slot, ctx, k)
    if key in state.candidates:
        return state.candidates[key]
    cached = _cache_get(key)
    if cached is not None:
        state.candidates[key] = cached
        return cached
    generated = _generator(state, slot, ctx)(state, ctx, k)
    if generated is not None:
        model, version, title, cands = generated
        generated = (model, version, title, [(c.product_id, c.score, c.reason) for c in cands])
    _cache_set(key, generated if generated is not None else ())
    if slot in ("home_for_you", "search_for_you") and not variant.get("model"):
        _cache_set(_latest_key(state, k), (state.latest_event_id, generated))
    state.candidates[key] = generated
    return generated


def _latest_key(state: PageState, k: int) -> str:
    return f"rec:1:latest-for-you:{state.owner_key}:{k}:{state.versions_key}:{state.language}"


def _latest_for_you(state: PageState, k: int):
    """ "Picked for you" on a rendered product page: the shopper's newest "for
    you" list, served at once even when it is one event old (the view of this
    very page, or the last click), and made fresh after the response for the
    next page (recommend.middleware). Every product page records a view, so a
    list keyed by the latest event would be made on every product page; this
    way the page pays a cache read. Made now when the shopper has none yet."""
    if not _product_page_has_history(state):
        return None
    stored = _cache_get(_latest_key(state, k))
    if stored is None:
        return _candidates(state, "home_for_you", {}, k)
    event_id, generated = stored
    if event_id != state.latest_event_id:
        state.after.append(lambda: _refresh_for_you(state, k))
    return generated


def _refresh_for_you(state: PageState, k: int) -> None:
    try:
        with translation.override(state.language):  # after the response: the page's language, as its key says
            _candidates(state, "home_for_you", {}, k)
    except Exception:  # noqa: BLE001 - after the response: nobody to fail, the next page makes it
        log_once("refresh", "recommendations: refreshing a 'for you' list after the response failed", exc_info=True)


def _slot_n_k(slot: str, ctx: Mapping[str, Any]) -> tuple[int, int]:
    """How many items the slot shows (an experiment's variant may say), and
    how many candidates it asks for."""
    variant = ctx.get("variant") or {}
    n = int(variant.get("n") or ctx.get("n") or SLOT_SIZES.get(slot) or setting("RECOMMEND_SLOT_SIZE", 6))
    return n, max(n * 4 + 12, 30)


def _slot_variant(*, slot: str, shopper: Shopper) -> dict[str, Any]:
    """What a running experiment sets for this shopper's slot (SLOT_VARIANT), or {}."""
    if not SLOT_VARIANT:
        return {}
    try:
        return dict(SLOT_VARIANT[0](slot=slot, shopper=shopper) or {})
    except Exception:  # noqa: BLE001 - an experiment never breaks a page: serve the default
        log_once("variant", "slot variant resolver failed; serving the default", exc_info=True)
        return {}


def _first_look(n: int) -> int:
    """How many of a slot's candidates are read first: most slots fill from
    these, and a slot that does not reads the rest (`_choose`)."""
    return 3 * n + 6


def _choose(state: PageState, cands: list[Candidate], *, n: int, exclude: list[int]) -> list[tuple[Any, Candidate]]:
    """apply_rules over the candidates, reading the products of a prefix first
    and of the rest only when the prefix does not fill the slot: the rules take
    candidates in order and stop at `n`, so a prefix that yields `n` gives what
    the whole list would, at a fraction of the reads."""
    prefix = min(len(cands), _first_look(n))
    while True:
        whole = prefix >= len(cands)
        products = state.products([c.product_id for c in cands[:prefix]])
        trial = set(state.seen)
        chosen = apply_rules(cands[:prefix], products, n=n, seen=trial, exclude=exclude, muted=state.muted, fill=whole)
        if len(chosen) >= n or whole:
            state.seen.update(trial)
            return chosen
        prefix = len(cands)


def recommendations_for(*, slot: str, shopper: Shopper, context: Mapping[str, Any] | None = None) -> Served | None:
    """The products one slot shows to this shopper now, with reasons, model and version.

    slot: a slot name (GENERATORS) or a page name (PAGES: its first slot with
    items). context: `product` (the product page's product), `products` (the
    cart's or the order's products), `n` (how many, default
    RECOMMEND_SLOT_SIZE), `state` (a PageState shared by the slots of a page:
    they never show a product twice), `country` (a new visitor's country, from
    the request's language). None when the slot does not apply (no history for
    a personal slot, a shopper who never re-buys for "Buy it again")."""
    ctx = dict(context or {})
    state: PageState = ctx.get("state") or PageState(shopper=shopper, country=ctx.get("country", ""))
    if slot in PAGES:
        for sub in PAGES[slot]:
            served = recommendations_for(slot=sub, shopper=shopper, context={**ctx, "state": state})
            if served is not None and served.items:
                return served
        return None
    if slot not in GENERATORS:
        raise ValueError(f"unknown slot {slot!r}")
    if "variant" not in ctx:
        ctx["variant"] = _slot_variant(slot=slot, shopper=shopper)
    n, k = _slot_n_k(slot, ctx)
    generated = _candidates(state, slot, ctx, k)
    if not generated:
        return None
    model, version, title, rows = generated
    cands = [Candidate(p, s, r) for p, s, r in rows]
    exclude = [ctx["product"].pk] if ctx.get("product") is not None else []
    exclude += [p.pk for p in ctx.get("products") or []]
    chosen = _choose(state, cands, n=n, exclude=exclude)
    if not chosen and model != FALLBACK_MODEL and slot in ("home_for_you", "home_trending", "confirmation_more"):
        model, version, title, cands = _fallback_generated(state, k)
        chosen = _choose(state, cands, n=n, exclude=exclude)
    items = [
        ServedItem(product=p, score=c.score, reason=c.reason, position=i) for i, (p, c) in enumerate(chosen, start=1)
    ]
    return Served(slot=slot, title=title or str(TITLES[slot]), model=model, model_version=version, items=items)


def page_recommendations(*, page: str, shopper: Shopper, context: Mapping[str, Any] | None = None) -> list[Served]:
    """Every slot of a page with items, in display order, sharing one PageState."""
    if page not in PAGES:
        raise ValueError(f"unknown page {page!r}")
    ctx = dict(context or {})
    state = ctx.get("state") or PageState(shopper=shopper, country=ctx.get("country", ""))
    contexts = {
        slot: {**ctx, "state": state, "variant": _slot_variant(slot=slot, shopper=shopper)} for slot in PAGES[page]
    }
    # one cache round trip for every slot's candidates, one query for their products
    keys = [_candidate_key(state, slot, c, _slot_n_k(slot, c)[1]) for slot, c in contexts.items()]
    state.candidates.update(_cache_get_many([key for key in keys if key not in state.candidates]))
    ids = []
    for slot, c in contexts.items():
        n, k = _slot_n_k(slot, c)
        generated = _candidates(state, slot, c, k)
        ids += [row[0] for row in generated[3][: _first_look(n)]] if generated else []
    state.products(ids)
    out = []
    for slot in PAGES[page]:
        served = recommendations_for(slot=slot, shopper=shopper, context=contexts[slot])
        if served is not None and served.items:
            out.append(served)
    # a page experiment (the same seam, asked with the page's name) may show fewer slots
    slots = _slot_variant(slot=page, shopper=shopper).get("slots")
    return out[: int(slots)] if slots is not None else out


# ---------------------------------------------------------------------------
# search: re-rank without hiding relevance
# ---------------------------------------------------------------------------
def search_rerank(*, products: list, shopper: Shopper, state: PageState | None = None) -> tuple[list, str, str]:
    """Products in relevance order, re-ranked by a blend of text relevance and
    the shopper's score: blend = w·(1 − text_rank/N) + (1 − w)·(1 − shopper_rank/N),
    w = RECOMMEND_SEARCH_TEXT_WEIGHT (0.7). A shopper with no history gets the
    trending model's score. Returns (products, model, version); on any failure
    the relevance order, unchanged."""
    state = state or PageState(shopper=shopper)
    n = len(products)
    if n < 2:
        return list(products), "", ""
    names = ("hybrid", "tifuknn", "itemknn") if state.has_history else ("pop_recent", "pop")
    live = state.first_model(*names)
    if live is None:
        return list(products), "", ""
    history = state.history_for(live) if state.has_history else History.empty()
    idx = np.asarray([live.index_of.get(p.pk, 0) for p in products], dtype=np.int64)
    scores = _call(
        live, "score_candidates", lambda: live.model.score_candidates(history, idx, now=state.now.timestamp())
    )
    if scores is None:
        return list(products), "", ""
    scores = np.where(idx > 0, np.asarray(scores, dtype=np.float64), -np.inf)
    scores = np.where(np.isfinite(scores), scores, -1e30)
    shopper_rank = np.empty(n)
    shopper_rank[np.argsort(-scores, kind="stable")] = np.arange(n)
    w = float(setting("RECOMMEND_SEARCH_TEXT_WEIGHT", 0.7))
    blend = w * (1 - np.arange(n) / n) + (1 - w) * (1 - shopper_rank / n)
    order = np.argsort(-blend, kind="stable")
    return [products[i] for i in order], live.name, live.version


# ---------------------------------------------------------------------------
# the new visitor's country, from the request's languages
# ---------------------------------------------------------------------------
REGION_COUNTRIES = {
    "GB": "United Kingdom",
    "UK": "United Kingdom",
    "IE": "EIRE",
    "FR": "France",
    "DE": "Germany",
    "ES": "Spain",
    "NL": "Netherlands",
    "BE": "Belgium",
    "CH": "Switzerland",
    "PT": "Portugal",
    "IT": "Italy",
    "AU": "Australia",
    "NO": "Norway",
    "FI": "Finland",
    "SE": "Sweden",
    "DK": "Denmark",
    "AT": "Austria",
    "PL": "Poland",
    "JP": "Japan",
    "US": "USA",
    "CY": "Cyprus",
    "GR": "Greece",
    "IL": "Israel",
    "CA": "Canada",
    "IS": "Iceland",
    "SG": "Singapore",
    "LT": "Lithuania",
    "MT": "Malta",
    "CZ": "Czech Republic",
    "BR": "Brazil",
}
LANGUAGE_COUNTRIES = {
    "fr": "France",
    "de": "Germany",
    "es": "Spain",
    "nl": "Netherlands",
    "pt": "Portugal",
    "it": "Italy",
    "nb": "Norway",
    "no": "Norway",
    "fi": "Finland",
    "sv": "Sweden",
    "da": "Denmark",
    "pl": "Poland",
    "ja": "Japan",
    "el": "Greece",
    "he": "Israel",
    "is": "Iceland",
    "lt": "Lithuania",
    "mt": "Malta",
    "cs": "Czech Republic",
    "en": "United Kingdom",
}


def country_from_languages(accept_language: str) -> str:
    """The store country a visitor's Accept-Language points to ('' when none):
    the region of the first language that has one we sell to, else the language."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    try:
        langs = [code for code, _ in parse_accept_lang_header(accept_language or "")]
    except ValueError:
        return ""
    for code in langs:
        parts = code.replace("_", "-").split("-")
        if len(parts) > 1 and parts[1].upper() in REGION_COUNTRIES:
            return REGION_COUNTRIES[parts[1].upper()]
        if parts[0].lower() in LANGUAGE_COUNTRIES:
            return LANGUAGE_COUNTRIES[parts[0].lower()]
    return ""

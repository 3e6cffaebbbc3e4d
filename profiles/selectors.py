"""Reads of the profiles app: customers, events, portraits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import pandas as pd
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models import Max as models_max
from django.utils import timezone

from core.cache import tolerant_cache

from .models import Customer, Event, MutedCategory, Portrait, PortraitBaseline, Segment
from .portrait import EVENT_COLUMNS, SEGMENT_LABELS, Baseline
from .segments import FIELDS as SEGMENT_FIELDS
from .segments import OPS as SEGMENT_OPS
from .segments import rule_describe, rule_parse, rule_q

# =============================================================================
# Imported customers: the "shop as a real customer" list
# =============================================================================


def customers_for_demo(*, query: str = "", limit: int = 60) -> QuerySet[Customer]:
    """Imported customers with their country and order count, most orders
    first; `query` matches the customer number or the country."""
    qs = Customer.objects.filter(is_imported=True).select_related("user").annotate(order_count=Count("orders"))
    query = (query or "").strip()[:64]
    if query:
        condition = Q(country__icontains=query)
        if query.isdigit():
            condition |= Q(external_id=int(query))
        qs = qs.filter(condition)
    return qs.order_by("-order_count", "external_id")[:limit]


def customer_get_imported(*, customer_id: int) -> Customer:
    return Customer.objects.select_related("user").get(pk=customer_id, is_imported=True)


# =============================================================================
# Customers, events, portraits
# =============================================================================


# rec_impression and exposure rows are many and say nothing about the shopper's taste
PORTRAIT_EVENT_KINDS = [k for k in Event.Kind.values if k not in (Event.Kind.REC_IMPRESSION, Event.Kind.EXPOSURE)]


def customer_for_user(user) -> Customer | None:
    """The shopper record behind a user; None for anonymous users and for staff
    who never shopped (reading never creates one)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.customer
    except Customer.DoesNotExist:
        return None


@dataclass(frozen=True)
class Shopper:
    """Who is acting on a request: a customer, or an anonymous browser session.

    The one answer to "who is the shopper" that pages, the API and serving
    share. `session_key` is the browser session's key ("" when there is none);
    a logged-in customer keeps theirs too, so the live session can be read."""

    customer: Customer | None
    session_key: str = ""

    @property
    def is_anonymous(self) -> bool:
        return self.customer is None

    @property
    def customer_id(self) -> int | None:
        return self.customer.pk if self.customer is not None else None

    def event_owner(self) -> dict[str, Any]:
        """Keyword arguments naming this shopper for `profiles.services.event_record`."""
        if self.customer is not None:
            return {"customer": self.customer}
        return {"session_key": self.session_key}


def shopper_from_request(request, *, ensure_session: bool = True) -> Shopper:
    """The shopper behind a request. With `ensure_session`, an anonymous visitor
    gets a session saved now so their events have a key to live under.
    A logged-in user without a Customer row (staff) is treated as anonymous
    here: reading a page never creates a customer."""
    customer = customer_for_user(getattr(request, "user", None))
    session = getattr(request, "session", None)
    session_key = ""
    if session is not None:
        if session.session_key is None and ensure_session and customer is None:
            session.save()
        session_key = session.session_key or ""
    return Shopper(customer=customer, session_key=session_key)


def customer_segment(*, customer_id: int | None) -> str:
    """The customer's RFM segment from their portrait (e.g. "champions"); "" for
    a guest or while no portrait exists."""
    if customer_id is None:
        return ""
    return Portrait.objects.filter(customer_id=customer_id).values_list("segment", flat=True).first() or ""


def customer_countries() -> set[str]:
    """The distinct non-empty countries customers live in."""
    return set(Customer.objects.exclude(country="").values_list("country", flat=True).distinct())


def portrait_get(*, customer: Customer) -> Portrait | None:
    return Portrait.objects.filter(customer=customer).first()


def muted_category_ids(*, customer: Customer | int) -> set[int]:
    """Categories this customer muted: recommenders leave them out."""
    cid = customer if isinstance(customer, int) else customer.pk
    return set(MutedCategory.objects.filter(customer_id=cid).values_list("category_id", flat=True))


def muted_categories_by_customer(customer_ids: list[int] | None = None) -> dict[int, set[int]]:
    qs = MutedCategory.objects.all()
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    out: dict[int, set[int]] = {}
    for cid, cat in qs.values_list("customer_id", "category_id"):
        out.setdefault(cid, set()).add(cat)
    return out


def portrait_baseline() -> Baseline | None:
    row = PortraitBaseline.objects.order_by("-built_at").first()
    return Baseline.from_dict(row.data) if row else None


def events_frame(
    *, customer_ids: list[int] | None = None, progress: bool = False, chunk_size: int = 50_000
) -> pd.DataFrame:
    """Customers' events joined with product name, category and list price, as
    the table `profiles.portrait.portraits_compute` reads (EVENT_COLUMNS)."""
    qs = Event.objects.filter(customer__isnull=False, kind__in=PORTRAIT_EVENT_KINDS)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    qs = qs.order_by().values_list(
        "customer_id",
        "kind",
        "product_id",
        "product__name",
        "product__category_id",
        "product__category__name",
        "product__price",
        "quantity",
        "price",
        "order_number",
        "created_at",
    )
    sql, params = qs.query.sql_with_params()
    rows: list[tuple] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=qs.count(), desc="reading events", unit="ev")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(chunk_size):
            rows.extend(chunk)
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    frame = pd.DataFrame.from_records(rows, columns=EVENT_COLUMNS)
    for col in ("list_price", "price"):
        frame[col] = pd.to_numeric(frame[col].map(lambda v: float(v) if v is not None else None), errors="coerce")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="mixed")
    return frame


def customers_frame(*, customer_ids: list[int] | None = None) -> pd.DataFrame:
    qs = Customer.objects.order_by("id")
    if customer_ids is not None:
        qs = qs.filter(id__in=customer_ids)
    return pd.DataFrame.from_records(list(qs.values_list("id", "country")), columns=["customer_id", "country"])


def product_texts(*, product_ids: list[int] | None = None) -> dict[int, str]:
    """'name. category' per product that appears in customers' purchases."""
    qs = Event.objects.filter(kind=Event.Kind.PURCHASE, product__isnull=False)
    if product_ids is not None:
        qs = qs.filter(product_id__in=product_ids)
    rows = qs.order_by().values_list("product_id", "product__name", "product__category__name").distinct()
    return {pid: f"{name}. {cat}" for pid, name, cat in rows}


def customer_data_export(*, customer: Customer) -> dict[str, Any]:
    """Everything profiles holds about one customer, for 'download my data'."""
    portrait = portrait_get(customer=customer)
    portrait_data = None
    if portrait is not None:
        portrait_data = {}
        for f in Portrait._meta.concrete_fields:
            if f.name in ("id", "customer"):
                continue
            value = getattr(portrait, f.attname)
            if f.name == "embedding":
                vec = portrait.embedding_vector
                value = None if vec is None else [round(float(x), 6) for x in vec]
            portrait_data[f.name] = _jsonable(value)
    events = [
        {k: _jsonable(v) for k, v in row.items()}
        for row in Event.objects.filter(customer=customer)
        .order_by("created_at")
        .values(
            "kind",
            "product_id",
            "product__name",
            "quantity",
            "price",
            "order_number",
            "query",
            "result_count",
            "slot",
            "model_version",
            "data",
            "created_at",
        )
    ]
    return {
        "customer": {
            "username": customer.user.get_username(),
            "email": customer.user.email,
            "external_id": customer.external_id,
            "country": customer.country,
            "created_at": _jsonable(customer.created_at),
        },
        "muted_categories": list(
            MutedCategory.objects.filter(customer=customer).values_list("category__name", flat=True)
        ),
        "portrait": portrait_data,
        "events": events,
        **_exported_by_other_apps(customer),
        "exported_at": timezone.now().isoformat(),
    }


def _exported_by_other_apps(customer: Customer) -> dict[str, Any]:
    """The sections apps above profiles add (profiles.signals.customer_data_exporting)."""
    from .signals import customer_data_exporting

    out: dict[str, Any] = {}
    for _receiver, result in customer_data_exporting.send(sender=None, customer=customer):
        if result:
            name, data = result
            out[name] = data
    return out


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def portrait_overview(*, members: int = 3) -> dict[str, list[dict]]:
    """Segment and cluster sizes, revenue, churn and typical members (the ones
    whose spend is nearest the group's median), for the admin overview."""
    total = Portrait.objects.count() or 1

    def groups(field: str, label) -> list[dict]:
        rows = (
            Portrait.objects.values(field)
            .annotate(n=Count("id"), revenue=Sum("monetary"), churn=Avg("churn_risk"), clv=Avg("clv_12m"))
            .order_by("-revenue")
        )
        out = []
        for row in rows:
            key = row[field]
            values = list(Portrait.objects.filter(**{field: key}).values_list("pk", "monetary"))
            values.sort(key=lambda v: v[1])
            median = values[len(values) // 2][1] if values else Decimal(0)
            nearest = [pk for pk, _ in sorted(values, key=lambda v: abs(v[1] - median))[:members]] if members else []
            typical = list(Portrait.objects.filter(pk__in=nearest).select_related("customer"))
            qs = Portrait.objects.filter(**{field: key})
            out.append(
                {
                    "key": key,
                    "label": label(key, qs),
                    "size": row["n"],
                    "share": round(100 * row["n"] / total, 1),
                    "revenue": row["revenue"] or Decimal(0),
                    "churn": row["churn"] or 0.0,
                    "clv": row["clv"] or 0.0,
                    "typical": typical,
                }
            )
        return out

    def cluster_label(key, qs):
        first = qs.exclude(cluster_name="").first()
        return first.cluster_name if first else "No purchases yet"

    return {
        "segments": groups("segment", lambda key, qs: str(SEGMENT_LABELS.get(key, key))),
        "clusters": groups("cluster", cluster_label),
    }


def muted_categories(*, customer: Customer) -> list[dict]:
    return [
        {"id": cid, "name": name}
        for cid, name in MutedCategory.objects.filter(customer=customer).values_list("category_id", "category__name")
    ]


def customers_without_portrait_exist() -> bool:
    """True when some customer has no portrait yet (or there are no customers)."""
    if not Customer.objects.exists():
        return True
    return Customer.objects.filter(portrait__isnull=True).exists()


def purchase_rows(*, until: dt.datetime | None = None) -> list[tuple[int, str, dt.datetime, int | None]]:
    """(customer id, product stock code, time, quantity) of every purchase event
    of a customer, strictly before `until` when given: the recommender's
    training data. Guests' purchases have no customer and are left out.

    Net of cancellations (docs/returns.md): the import writes each purchase
    line's units minus what a cancellation took back and no event for a line
    cancelled in full, and cancelling a live order deletes its purchase events,
    so every row read here is a purchase that stood."""
    events = Event.objects.filter(kind=Event.Kind.PURCHASE, customer__isnull=False, product__isnull=False)
    if until is not None:
        events = events.filter(created_at__lt=until)
    return list(events.order_by().values_list("customer_id", "product__stock_code", "created_at", "quantity"))


# =============================================================================
# Serving: the live history recommendations are scored from (read by recommend)
# =============================================================================

# what a shopper did that says something about their taste (impressions and
# searches are left out: they are not items the shopper chose)
TASTE_EVENT_KINDS = (Event.Kind.PURCHASE, Event.Kind.VIEW, Event.Kind.ADD_TO_CART, Event.Kind.REC_CLICK)


@dataclass(frozen=True)
class HistoryEvent:
    """One item a shopper bought, viewed, clicked or put in the cart."""

    event_id: int
    product_id: int
    kind: str
    quantity: int | None
    order_number: str
    created_at: dt.datetime

    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "product_id", "kind", "quantity", "order_number", "created_at")


def _owner_filter(*, customer_id: int | None, session_key: str) -> Q | None:
    if customer_id is not None:
        return Q(customer_id=customer_id)
    if session_key:
        return Q(session_key=session_key, customer__isnull=True)
    return None


HISTORY_CACHE_SECONDS = 600


def history_cache_key(*, customer_id: int | None, session_key: str = "") -> str:
    """Where a shopper's history is cached; profiles.services deletes it when
    events are rewritten (a cancellation, a login attaching a session, a
    deletion of the shopper's data)."""
    owner = f"c{customer_id}" if customer_id is not None else f"s{session_key}"
    return f"profiles:history:1:{owner}"


# the kinds whose newest event keys a shopper's cached recommendations
KEY_EVENT_KINDS = (*TASTE_EVENT_KINDS, Event.Kind.SEARCH, Event.Kind.REMOVE_FROM_CART)


@dataclass(frozen=True)
class Activity:
    """What serving reads of a shopper on every page: the taste history and the
    two ids its caches are keyed by."""

    history: list[HistoryEvent]  # newest `limit` taste events, oldest first
    latest_event_id: int  # newest KEY_EVENT_KINDS event (0 when none)
    latest_purchase_id: int  # newest purchase event (0 when none)
    muted: frozenset[int] = frozenset()  # categories the customer muted (their profile page)


def shopper_activity(*, customer_id: int | None, session_key: str = "", limit: int = 500) -> Activity:
    """The shopper's history (TASTE_EVENT_KINDS with a product, newest `limit`,
    oldest first) and the ids of their newest key event and newest purchase: a
    customer's own (their anonymous session's events were attached at login),
    or an anonymous session's. Empty for nobody.

    Read incrementally, in one query a page: the whole is cached (Django's
    cache) with the highest event id it has seen, and a later read fetches only
    the key events written since (one indexed query, usually no row), so a page
    view neither re-reads hundreds of purchases nor asks for the newest ids
    apart. The customer's muted categories ride along (the recommenders leave
    them out), so a page reads them without a query of its own. Events are only
    ever added, except by the services that rewrite them (and muting), which
    drop the cache. Without a cache server it is read whole."""
    owner = _owner_filter(customer_id=customer_id, session_key=session_key)
    if owner is None:
        return Activity([], 0, 0)
    key = history_cache_key(customer_id=customer_id, session_key=session_key)
    cached = tolerant_cache.get(key)  # None when the cache is down: read from the database
    if cached is not None and len(cached) == 6 and cached[0] == limit:
        _, last_id, rows, latest, latest_purchase, muted = cached
        new = list(
            Event.objects.filter(owner, kind__in=KEY_EVENT_KINDS, id__gt=last_id)
            .order_by()
            .values_list(*HistoryEvent.COLUMNS)
        )
        if not new:
            return Activity([HistoryEvent(*r) for r in rows], latest, latest_purchase, muted)
        last_id = latest = max(last_id, *(r[0] for r in new))
        purchases = [r[0] for r in new if r[2] == Event.Kind.PURCHASE]
        latest_purchase = max(latest_purchase, *purchases) if purchases else latest_purchase
        taste = [r for r in new if r[2] in TASTE_EVENT_KINDS and r[1] is not None]
        if taste:
            rows = sorted([*rows, *taste], key=lambda r: (r[5], r[0]))[-limit:]
    else:
        events = Event.objects.filter(owner, kind__in=TASTE_EVENT_KINDS, product__isnull=False)
        rows = list(events.order_by("-created_at", "-id").values_list(*HistoryEvent.COLUMNS)[:limit])[::-1]
        ids = Event.objects.filter(owner).aggregate(
            latest=models_max("id", filter=Q(kind__in=KEY_EVENT_KINDS)),
            purchase=models_max("id", filter=Q(kind=Event.Kind.PURCHASE)),
        )
        latest, latest_purchase = int(ids["latest"] or 0), int(ids["purchase"] or 0)
        last_id = latest
        muted = frozenset(muted_category_ids(customer=customer_id)) if customer_id is not None else frozenset()
    tolerant_cache.set(key, (limit, last_id, rows, latest, latest_purchase, muted), HISTORY_CACHE_SECONDS)
    return Activity([HistoryEvent(*r) for r in rows], latest, latest_purchase, muted)


def shopper_history(*, customer_id: int | None, session_key: str = "", limit: int = 500) -> list[HistoryEvent]:
    """The shopper's newest `limit` taste events, oldest first (shopper_activity)."""
    return shopper_activity(customer_id=customer_id, session_key=session_key, limit=limit).history


def shopper_latest_event_id(
    *, customer_id: int | None, session_key: str = "", kinds: tuple[str, ...] | None = None
) -> int:
    """Id of the shopper's newest taste or search event (0 when none): one
    cheap query that changes exactly when their history does, so a cache of
    their recommendations can be keyed by it. `kinds` narrows it (for example
    to purchases: a key that a page view leaves alone)."""
    owner = _owner_filter(customer_id=customer_id, session_key=session_key)
    if owner is None:
        return 0
    kinds = kinds or KEY_EVENT_KINDS
    row = Event.objects.filter(owner, kind__in=kinds).order_by("-id").values_list("id", flat=True).first()
    return int(row or 0)


def products_popular_by_country(
    *, country: str, since: dt.datetime | None = None, bulk_buyers: bool | None = None, limit: int = 60
) -> list[tuple[int, int]]:
    """(product id, distinct buyers) of the products most customers from
    `country` bought since `since` (all time when None), most buyers first;
    `bulk_buyers` keeps only customers whose portrait says they buy in bulk
    (True) or not (False)."""
    qs = Event.objects.filter(kind=Event.Kind.PURCHASE, customer__country=country, product__isnull=False)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if bulk_buyers is not None:
        qs = qs.filter(customer__portrait__is_bulk_buyer=bulk_buyers)
    rows = (
        qs.order_by()
        .values("product_id")
        .annotate(buyers=Count("customer_id", distinct=True))
        .order_by("-buyers", "product_id")
        .values_list("product_id", "buyers")[:limit]
    )
    return [(int(p), int(b)) for p, b in rows]


def product_basket_neighbours(*, product_id: int, limit: int = 30) -> list[tuple[int, int]]:
    """(product id, orders) of the products most often in the same order as
    `product_id` (purchase events sharing an order number), most orders first."""
    orders = (
        Event.objects.filter(kind=Event.Kind.PURCHASE, product_id=product_id)
        .exclude(order_number="")
        .values("order_number")
    )
    rows = (
        Event.objects.filter(kind=Event.Kind.PURCHASE, order_number__in=orders, product__isnull=False)
        .exclude(product_id=product_id)
        .order_by()
        .values("product_id")
        .annotate(orders=Count("order_number", distinct=True))
        .order_by("-orders", "product_id")
        .values_list("product_id", "orders")[:limit]
    )
    return [(int(p), int(n)) for p, n in rows]


def product_recent_buyers(*, product_ids: list[int], since: dt.datetime) -> dict[int, int]:
    """Distinct customers who bought each product since `since`."""
    if not product_ids:
        return {}
    rows = (
        Event.objects.filter(kind=Event.Kind.PURCHASE, product_id__in=product_ids, created_at__gte=since)
        .order_by()
        .values("product_id")
        .annotate(buyers=Count("customer_id", distinct=True))
        .values_list("product_id", "buyers")
    )
    return {int(p): int(b) for p, b in rows}


def recommendation_events(*, since: dt.datetime) -> list[dict[str, Any]]:
    """Impressions, clicks, add-to-carts and purchases since `since` with their
    owner, for the attribution report (oldest first)."""
    kinds = (Event.Kind.REC_IMPRESSION, Event.Kind.REC_CLICK, Event.Kind.ADD_TO_CART, Event.Kind.PURCHASE)
    qs = Event.objects.filter(created_at__gte=since, kind__in=kinds).filter(
        Q(customer__isnull=False) | ~Q(session_key="")
    )
    # imported history has purchases only: keep purchases of shoppers who clicked something
    clickers = Event.objects.filter(created_at__gte=since, kind=Event.Kind.REC_CLICK)
    clicking_customers = clickers.exclude(customer__isnull=True).values("customer_id")
    clicking_sessions = clickers.exclude(session_key="").values("session_key")
    qs = qs.filter(
        ~Q(kind=Event.Kind.PURCHASE) | Q(customer_id__in=clicking_customers) | Q(session_key__in=clicking_sessions)
    )
    return list(
        qs.order_by("created_at", "id").values(
            "id",
            "kind",
            "customer_id",
            "session_key",
            "product_id",
            "quantity",
            "price",
            "order_number",
            "slot",
            "model_version",
            "data",
            "created_at",
        )
    )


# --- segments: rules over portraits (profiles/segments.py) ----------------------


def segment_rule_parse(*, rule: Any) -> dict:
    """The normalised rule; raises profiles.errors.SegmentRuleInvalid with the reason."""
    return rule_parse(rule)


def segment_rule_fields() -> dict[str, dict[str, Any]]:
    """What a rule may name: field -> its type, operators and meaning (the admin's help)."""
    return {
        name: {"type": kind, "ops": sorted(SEGMENT_OPS[kind]), "help": help_text}
        for name, (kind, help_text) in SEGMENT_FIELDS.items()
    }


def segment_rule_describe(*, rule: dict) -> str:
    return rule_describe(rule)


def segment_get(*, segment_id: int) -> Segment | None:
    return Segment.objects.filter(pk=segment_id).first()


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.all()


def segment_members(*, segment: Segment | None = None, rule: dict | None = None) -> QuerySet[Customer]:
    """The customers whose portrait matches the segment's rule (or a rule being
    edited), as one ORM query. A customer without a portrait is in no segment."""
    parsed = rule_parse(segment.rule if segment is not None else rule)
    return Customer.objects.filter(portrait__isnull=False).filter(rule_q(parsed, prefix="portrait__"))


def segment_stats(*, segment: Segment | None = None, rule: dict | None = None) -> dict[str, Any]:
    """Live member count and their net revenue (sum of portrait monetary)."""
    parsed = rule_parse(segment.rule if segment is not None else rule)
    agg = Portrait.objects.filter(rule_q(parsed)).aggregate(n=Count("customer_id"), revenue=Sum("monetary"))
    return {"members": agg["n"] or 0, "revenue": agg["revenue"] or Decimal("0.00")}


def customer_in_segment(*, customer_id: int | None, segment_id: int) -> bool:
    """Whether this customer's portrait matches the segment now (False for a guest)."""
    if customer_id is None:
        return False
    segment = Segment.objects.filter(pk=segment_id).only("rule").first()
    if segment is None:
        return False
    return Portrait.objects.filter(customer_id=customer_id).filter(rule_q(rule_parse(segment.rule))).exists()


def segment_member_rows(*, segment: Segment):
    """One tuple per member for the CSV export: customer id, data-set id, username,
    e-mail, country, RFM segment, orders, net spend, churn risk."""
    return (
        segment_members(segment=segment)
        .order_by("id")
        .values_list(
            "id",
            "external_id",
            "user__username",
            "user__email",
            "portrait__country",
            "portrait__segment",
            "portrait__frequency",
            "portrait__monetary",
            "portrait__churn_risk",
        )
    )


# --- reads for experiments and campaigns (marketing) ------------------------------


def events_of_shoppers(
    *,
    customer_ids: list[int],
    session_keys: list[str],
    kinds: list[str],
    since: dt.datetime,
    until: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Events of these customers and of these anonymous sessions (not yet a
    customer's) between `since` and `until`: customer_id, session_key, kind,
    slot, quantity, price, order_number, data, created_at; oldest first."""
    owners = Q(customer_id__in=customer_ids) | Q(session_key__in=session_keys, customer__isnull=True)
    qs = Event.objects.filter(owners, kind__in=kinds, created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return list(
        qs.order_by("created_at", "id").values(
            "customer_id", "session_key", "kind", "slot", "quantity", "price", "order_number", "data", "created_at"
        )
    )


def spend_by_customer(*, customer_ids: list[int], since: dt.datetime, until: dt.datetime) -> dict[int, float]:
    """Each customer's purchase spend (price × quantity of purchase events) in
    [since, until): the pre-period covariate of an experiment (CUPED)."""
    out: dict[int, float] = {}
    rows = Event.objects.filter(
        customer_id__in=customer_ids, kind=Event.Kind.PURCHASE, created_at__gte=since, created_at__lt=until
    ).values_list("customer_id", "price", "quantity")
    for customer_id, price, quantity in rows:
        out[customer_id] = out.get(customer_id, 0.0) + float(price or 0) * float(quantity or 1)
    return out


@dataclass(frozen=True)
class FutureShopper:
    customer_id: int
    cutoff: dt.datetime
    taste: dict[int, int]  # product id -> units they bought after the cutoff


def customers_with_future(*, future_days: int) -> list[FutureShopper]:
    """Customers who bought both before and after (last purchase in the store −
    future_days): their later purchases are their taste for the simulator."""
    last = Event.objects.filter(kind=Event.Kind.PURCHASE).aggregate(m=models_max("created_at"))["m"]
    if last is None:
        return []
    cutoff = last - dt.timedelta(days=future_days)
    before = set(
        Event.objects.filter(kind=Event.Kind.PURCHASE, created_at__lt=cutoff, customer__isnull=False)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    taste: dict[int, dict[int, int]] = {}
    rows = Event.objects.filter(
        kind=Event.Kind.PURCHASE, created_at__gte=cutoff, customer_id__in=before, product__isnull=False
    ).values_list("customer_id", "product_id", "quantity")
    for customer_id, product_id, quantity in rows:
        mine = taste.setdefault(customer_id, {})
        mine[product_id] = mine.get(product_id, 0) + max(int(quantity or 1), 1)
    return [FutureShopper(cid, cutoff, t) for cid, t in sorted(taste.items())]


def customer_get(*, customer_id: int) -> Customer:
    return Customer.objects.select_related("user").get(pk=customer_id)


def customer_user(*, customer_id: int):
    return Customer.objects.select_related("user").get(pk=customer_id).user


FUNNEL_KINDS = [k for k in Event.Kind.values if k != Event.Kind.COUPON_USED]


def funnel_report(*, since: dt.datetime | None = None, until: dt.datetime | None = None, gap_minutes: float = 30):
    """The shopping funnel (profiles/funnel.py) of the events in [since, until):
    sessions → product views → add to cart → checkout started → order, with
    step conversion and drop-off, by day, segment, country and entry page, and
    the time to purchase (median, p95). Returns a profiles.funnel.FunnelResult.
    ValueError when since is not before until."""
    from .funnel import funnel_compute

    if since is not None and until is not None and since >= until:
        raise ValueError("the funnel's start must be before its end")
    qs = Event.objects.filter(kind__in=FUNNEL_KINDS).filter(Q(customer__isnull=False) | ~Q(session_key=""))
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    rows = list(qs.order_by().values_list("customer_id", "session_key", "created_at", "kind", "data__page"))
    customers = {r[0] for r in rows if r[0] is not None}
    segments = dict(Portrait.objects.filter(customer_id__in=customers).values_list("customer_id", "segment"))
    countries = dict(Customer.objects.filter(pk__in=customers).values_list("pk", "country"))
    frame = pd.DataFrame(
        {
            "owner": [f"c{c}" if c is not None else f"s{k}" for c, k, *_ in rows],
            "ts": pd.to_datetime([r[2] for r in rows], utc=True).tz_convert(None),
            "kind": [r[3] for r in rows],
            "page": [r[4] if isinstance(r[4], str) else "" for r in rows],
            "segment": [
                str(SEGMENT_LABELS.get(segments.get(c), segments.get(c) or "No portrait"))
                if c is not None
                else "Anonymous"
                for c, *_ in rows
            ],
            "country": [(countries.get(c) or "Unknown") if c is not None else "Unknown" for c, *_ in rows],
        }
    )
    return funnel_compute(frame, gap_minutes=gap_minutes)

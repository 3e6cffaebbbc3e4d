"""Reads of the profiles app: customers, events, portraits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from .models import Customer, Event, MutedCategory, Portrait, PortraitBaseline
from .portrait import EVENT_COLUMNS, SEGMENT_LABELS, Baseline

# =============================================================================
# Storefront foundation (owned by that work): the "shop as a real customer" list
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


# rec_impression rows are many and say nothing about the shopper's taste
PORTRAIT_EVENT_KINDS = [k for k in Event.Kind.values if k != Event.Kind.REC_IMPRESSION]


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


def events_frame(*, customer_ids: list[int] | None = None, progress: bool = False,
                 chunk_size: int = 50_000) -> pd.DataFrame:
    """Customers' events joined with product name, category and list price, as
    the table `profiles.portrait.portraits_compute` reads (EVENT_COLUMNS)."""
    qs = Event.objects.filter(customer__isnull=False, kind__in=PORTRAIT_EVENT_KINDS)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    qs = qs.order_by().values_list(
        "customer_id", "kind", "product_id", "product__name", "product__category_id", "product__category__name",
        "product__price", "quantity", "price", "order_number", "created_at",
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
        for row in Event.objects.filter(customer=customer).order_by("created_at").values(
            "kind", "product_id", "product__name", "quantity", "price", "order_number", "query", "result_count",
            "slot", "model_version", "data", "created_at",
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
        "exported_at": timezone.now().isoformat(),
    }


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
            out.append({
                "key": key,
                "label": label(key, qs),
                "size": row["n"],
                "share": round(100 * row["n"] / total, 1),
                "revenue": row["revenue"] or Decimal(0),
                "churn": row["churn"] or 0.0,
                "clv": row["clv"] or 0.0,
                "typical": typical,
            })
        return out

    def cluster_label(key, qs):
        first = qs.exclude(cluster_name="").first()
        return first.cluster_name if first else "No purchases yet"

    return {
        "segments": groups("segment", lambda key, qs: SEGMENT_LABELS.get(key, key)),
        "clusters": groups("cluster", cluster_label),
    }


def portrait_update_debounce_seconds() -> int:
    return int(getattr(settings, "PORTRAIT_UPDATE_DEBOUNCE_S", 5))


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

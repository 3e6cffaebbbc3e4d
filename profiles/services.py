"""Writes of the profiles app: customers, events, portraits."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import Customer, Event, MutedCategory, Portrait, PortraitBaseline

log = logging.getLogger(__name__)

# --- events and portraits (profiles) --------------------------------------------

MAX_QUANTITY = 100_000  # more units than any line in the history (80,995) is a typo or an attack
MAX_PRICE = Decimal("100000.00")
PRODUCT_KINDS = {
    Event.Kind.VIEW, Event.Kind.ADD_TO_CART, Event.Kind.REMOVE_FROM_CART, Event.Kind.PURCHASE, Event.Kind.REC_CLICK,
}
QUANTITY_KINDS = {Event.Kind.ADD_TO_CART, Event.Kind.REMOVE_FROM_CART, Event.Kind.PURCHASE}
REC_KINDS = {Event.Kind.REC_IMPRESSION, Event.Kind.REC_CLICK}
# events after which a customer's portrait is worth recomputing
PORTRAIT_KINDS = {
    Event.Kind.VIEW, Event.Kind.SEARCH, Event.Kind.ADD_TO_CART, Event.Kind.REMOVE_FROM_CART, Event.Kind.PURCHASE,
    Event.Kind.REC_CLICK, Event.Kind.COUPON_USED,
}


class InvalidEvent(ValueError):
    """An event that must not be stored; `field` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _product_model():
    return Event._meta.get_field("product").related_model

# =============================================================================
# Sign-up
# =============================================================================


def customer_sign_up(*, username: str, password: str, email: str = "", country: str = "") -> Customer:
    """Create a shop account: a user with this password and its Customer.
    Raises ValueError when the username is taken (the caller validates the
    password with Django's validators first)."""
    from django.db import transaction

    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValueError("a username is needed")
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValueError("that username is taken")
        user = User.objects.create_user(username=username, email=email.strip(), password=password)
        return Customer.objects.create(user=user, country=country.strip())


# =============================================================================
# Shopper events, customers, portraits
# =============================================================================


def event_record(
    *,
    kind: str,
    customer: Customer | None = None,
    session_key: str = "",
    product: Any = None,
    quantity: int | None = None,
    price: Decimal | None = None,
    order_number: str = "",
    query: str = "",
    result_count: int | None = None,
    slot: str = "",
    model_version: str = "",
    data: dict | None = None,
    created_at=None,
) -> Event:
    """Record one shopper action, for a customer or an anonymous session.

    Validates before writing (raises InvalidEvent, a ValueError, and stores
    nothing): known kind; a customer or a session; an existing product for
    product events (a Product or its id); a whole quantity from 1 to 100,000
    where one is needed; a non-negative price; a query for searches; slot and
    model version for recommendation events. A customer's portrait update is
    queued after commit (debounced)."""
    if kind not in Event.Kind.values:
        raise InvalidEvent("kind", f"unknown event kind {kind!r}")
    if customer is None and not session_key:
        raise InvalidEvent("session_key", "an event needs a customer or a session key")
    if len(session_key or "") > 64:
        raise InvalidEvent("session_key", "session key is longer than 64 characters")
    if product is not None and not isinstance(product, _product_model()):
        try:
            product_id = int(product)
        except (TypeError, ValueError):
            raise InvalidEvent("product", f"product must be a product or its id, not {product!r}") from None
        product = _product_model().objects.filter(pk=product_id).first()
        if product is None:
            raise InvalidEvent("product", f"unknown product {product_id}")
    elif product is not None and product.pk is None:
        raise InvalidEvent("product", "product is not saved")
    if kind in PRODUCT_KINDS and product is None:
        raise InvalidEvent("product", f"a {kind} event needs a product")
    if quantity is not None:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidEvent("quantity", f"quantity must be a whole number, not {quantity!r}")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidEvent("quantity", f"impossible quantity {quantity}: must be from 1 to {MAX_QUANTITY}")
    elif kind in QUANTITY_KINDS:
        raise InvalidEvent("quantity", f"a {kind} event needs a quantity")
    if price is not None:
        try:
            price = Decimal(str(price)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise InvalidEvent("price", f"price must be a number, not {price!r}") from None
        if not Decimal(0) <= price <= MAX_PRICE:
            raise InvalidEvent("price", f"impossible price {price}")
    elif kind == Event.Kind.PURCHASE:
        raise InvalidEvent("price", "a purchase event needs a price")
    if kind == Event.Kind.SEARCH and not (query or "").strip():
        raise InvalidEvent("query", "a search event needs a query")
    if result_count is not None and (not isinstance(result_count, int) or result_count < 0):
        raise InvalidEvent("result_count", "result count must be a whole number of at least 0")
    if kind in REC_KINDS and not (slot and model_version):
        raise InvalidEvent("slot", f"a {kind} event needs a slot and a model version")
    fields = dict(
        kind=kind,
        customer=customer,
        session_key=session_key or "",
        product=product,
        quantity=quantity,
        price=price,
        order_number=order_number[:32],
        query=(query or "")[:255],
        result_count=result_count,
        slot=slot[:40],
        model_version=model_version[:64],
        data=data or {},
        created_at=created_at or timezone.now(),
    )
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # A behaviour event may be lost in a database crash but must not make
        # the page wait for the WAL flush: this one commit skips the wait
        # (never inside a caller's transaction, such as an order's).
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            event = Event.objects.create(**fields)
    else:
        event = Event.objects.create(**fields)
    if customer is not None and kind in PORTRAIT_KINDS:
        customer_id = customer.pk
        transaction.on_commit(lambda: portrait_update_schedule(customer_id=customer_id))
    return event


def purchase_events_cancel(*, order_number: str) -> int:
    """A cancelled order was never a purchase: delete its purchase (and coupon)
    events so sold counts, portraits and training data stay net, and refresh the
    buyer's portrait. Returns how many events were deleted."""
    if not order_number:
        return 0
    with transaction.atomic():
        events = Event.objects.filter(
            order_number=order_number, kind__in=[Event.Kind.PURCHASE, Event.Kind.COUPON_USED]
        )
        customer_ids = set(events.exclude(customer__isnull=True).values_list("customer_id", flat=True))
        n, _ = events.delete()
        for customer_id in customer_ids:
            transaction.on_commit(lambda cid=customer_id: portrait_update_schedule(customer_id=cid))
    return n


def events_attach_session(*, session_key: str, customer: Customer) -> int:
    """Give an anonymous session's events to the customer who just logged in.
    Returns how many events were attached."""
    if not session_key:
        return 0
    with transaction.atomic():
        n = Event.objects.filter(session_key=session_key, customer__isnull=True).update(customer=customer)
        if n:
            customer_id = customer.pk
            transaction.on_commit(lambda: portrait_update_schedule(customer_id=customer_id))
    return n


def _debounce_key(customer_id: int) -> str:
    return f"profiles:portrait-update:{customer_id}"


def portrait_update_schedule(*, customer_id: int) -> bool:
    """Queue one portrait update a few seconds from now, unless one is already
    queued for this customer. The cache key lives for the debounce window and
    the task runs one second after it expires, so every event committed while
    the key blocked new tasks is read by the queued one. Returns True when a
    task was queued."""
    from . import tasks

    debounce = int(getattr(settings, "PORTRAIT_UPDATE_DEBOUNCE_S", 5))
    if not cache.add(_debounce_key(customer_id), 1, timeout=debounce):
        return False
    tasks.portrait_update.apply_async(args=[customer_id], countdown=debounce + 1)
    return True


def _embeddings_path() -> Path:
    return Path(getattr(settings, "PORTRAIT_EMBEDDINGS_PATH", Path(settings.ARTIFACTS_DIR) / "product_embeddings.npz"))


def _portrait_fields() -> list[str]:
    return [f.name for f in Portrait._meta.concrete_fields if f.name not in ("id", "customer")]


def _to_portrait(row: dict) -> Portrait:
    row = dict(row)
    customer_id = row.pop("customer_id")
    for money in ("monetary", "clv_12m", "avg_basket_value"):
        row[money] = Decimal(str(row[money])).quantize(Decimal("0.01"))
    return Portrait(customer_id=customer_id, computed_at=timezone.now(), **row)


def _portraits_save(rows: list[dict], *, progress: bool = False, batch_size: int = 500) -> int:
    objs = [_to_portrait(r) for r in rows]
    fields = _portrait_fields()
    chunks = range(0, len(objs), batch_size)
    if progress:
        from tqdm import tqdm

        chunks = tqdm(chunks, desc="saving portraits", unit="batch")
    for start in chunks:
        Portrait.objects.bulk_create(
            objs[start:start + batch_size], update_conflicts=True, unique_fields=["customer"], update_fields=fields
        )
    return len(objs)


def portraits_build_all(*, progress: bool = False, embeddings: bool = True, n_clusters: int | None = None) -> dict:
    """Rebuild every customer's portrait from the event log and learn a new
    baseline (RFM quintiles, category prices, clusters). Idempotent."""
    import time

    from . import embeddings as emb
    from .portrait import N_CLUSTERS, portraits_compute
    from .selectors import (
        customers_frame,
        events_frame,
        muted_categories_by_customer,
        product_texts,
    )

    timings: dict[str, float] = {}
    t = time.perf_counter()
    events = events_frame(progress=progress)
    customers = customers_frame()
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    vectors = None
    if embeddings:
        vectors = emb.embeddings_ensure(_embeddings_path(), product_texts(), progress=progress)
    timings["embeddings"] = time.perf_counter() - t
    t = time.perf_counter()
    rows, baseline = portraits_compute(
        events=events, customers=customers, now=timezone.now(), embeddings=vectors,
        muted=muted_categories_by_customer(), tz=settings.TIME_ZONE, n_clusters=n_clusters or N_CLUSTERS,
    )
    timings["compute"] = time.perf_counter() - t
    t = time.perf_counter()
    with transaction.atomic():
        PortraitBaseline.objects.all().delete()
        PortraitBaseline.objects.create(customers=len(rows), data=baseline.to_dict())
        _portraits_save(rows, progress=progress)
    timings["save"] = time.perf_counter() - t
    return {"portraits": len(rows), "events": len(events), "timings": timings}


def portrait_build(*, customer_id: int) -> Portrait:
    """Recompute one customer's portrait from their events, scored against the
    last batch baseline (built first when there is none). Safe to run twice at
    once: the customer row is locked for the duration."""
    from . import embeddings as emb
    from .portrait import portraits_compute
    from .selectors import (
        customers_frame,
        events_frame,
        muted_categories_by_customer,
        portrait_baseline,
    )

    baseline = portrait_baseline()
    if baseline is None:
        portraits_build_all(embeddings=False)
        return Portrait.objects.get(customer_id=customer_id)
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer_id)
        events = events_frame(customer_ids=[customer_id])
        bought = events[events["kind"] == "purchase"].dropna(subset=["product_id"]).drop_duplicates("product_id")
        texts = {int(p): f"{n}. {c}" for p, n, c in zip(bought["product_id"], bought["product_name"],
                                                        bought["category_name"])}
        vectors = emb.embeddings_load(_embeddings_path(), texts) if texts else {}
        rows, _ = portraits_compute(
            events=events, customers=customers_frame(customer_ids=[customer_id]), now=timezone.now(),
            baseline=baseline, embeddings=vectors, muted=muted_categories_by_customer([customer_id]),
            tz=settings.TIME_ZONE,
        )
        _portraits_save(rows)
    return Portrait.objects.get(customer_id=customer_id)


def interest_mute(*, customer: Customer, category_id: int) -> Portrait:
    """Stop using a category for this customer; the portrait is rebuilt at once."""
    category_model = MutedCategory._meta.get_field("category").related_model
    if not category_model.objects.filter(pk=category_id).exists():
        raise InvalidEvent("category", f"unknown category {category_id}")
    MutedCategory.objects.get_or_create(customer=customer, category_id=category_id)
    return portrait_build(customer_id=customer.pk)


def interest_unmute(*, customer: Customer, category_id: int) -> Portrait:
    MutedCategory.objects.filter(customer=customer, category_id=category_id).delete()
    return portrait_build(customer_id=customer.pk)


def behaviour_history_delete(*, customer: Customer) -> int:
    """Delete every event of this customer (orders stay, they are accounting
    records of the checkout) and rebuild the portrait without them."""
    with transaction.atomic():
        n, _ = Event.objects.filter(customer=customer).delete()
    portrait_build(customer_id=customer.pk)
    return n


def customer_ensure(*, user) -> Customer:
    """The shopper record of a logged-in user, created on first need (an account
    made through the site, or staff browsing the shop)."""
    customer, _ = Customer.objects.get_or_create(user=user)
    return customer


def portrait_ensure(*, customer: Customer) -> Portrait:
    """The customer's portrait, built now if it does not exist yet (a customer
    with no events gets a valid 'new customer' portrait)."""
    existing = Portrait.objects.filter(customer=customer).first()
    return existing or portrait_build(customer_id=customer.pk)

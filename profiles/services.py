"""Writes of the profiles app: customers, events, portraits."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as KombuOperationalError

from catalog import selectors as catalog_selectors
from core.cache import tolerant_cache
from core.jobs import run_later

from .models import Customer, Event, MutedCategory, Portrait, PortraitBaseline
from .usernames import username_key, username_normalize, username_problem

if TYPE_CHECKING:
    from catalog.models import Product

log = logging.getLogger(__name__)

# --- events and portraits (profiles) --------------------------------------------

MAX_QUANTITY = 100_000  # more units than any line in the history (80,995) is a typo or an attack
MAX_PRICE = Decimal("100000.00")
PRODUCT_KINDS = {
    Event.Kind.VIEW,
    Event.Kind.ADD_TO_CART,
    Event.Kind.REMOVE_FROM_CART,
    Event.Kind.PURCHASE,
    Event.Kind.REC_CLICK,
}
QUANTITY_KINDS = {Event.Kind.ADD_TO_CART, Event.Kind.REMOVE_FROM_CART, Event.Kind.PURCHASE}
REC_KINDS = {Event.Kind.REC_IMPRESSION, Event.Kind.REC_CLICK}
# events after which a customer's portrait is worth recomputing
PORTRAIT_KINDS = {
    Event.Kind.VIEW,
    Event.Kind.SEARCH,
    Event.Kind.ADD_TO_CART,
    Event.Kind.REMOVE_FROM_CART,
    Event.Kind.PURCHASE,
    Event.Kind.REC_CLICK,
    Event.Kind.COUPON_USED,
}


class InvalidEvent(ValueError):
    """An event that must not be stored; `field` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# =============================================================================
# Sign-up
# =============================================================================


def username_check(raw: str) -> str:
    """The username to store for `raw`, or ValueError with the reason shown
    to the person signing up (profiles/usernames.py: NFKC, only letters,
    digits and . _ - @ +, no control or invisible characters, and not taken by
    a name that differs only in case or invisible characters)."""
    name = username_normalize(raw)
    key = username_key(name)
    if key and _username_taken(name=name, key=key):
        raise ValueError(gettext("That username is taken."))
    problem = username_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def _username_taken(*, name: str, key: str) -> bool:
    User = get_user_model()
    return User.objects.filter(Q(username__iexact=name) | Q(username__iexact=key)).exists()


# a transaction-level PostgreSQL advisory lock per sign-up name: (base << 32) + 32 bits of its key's hash
_SIGN_UP_LOCK_BASE = 7_302


def customer_sign_up(*, username: str, password: str, email: str = "", country: str = "") -> Customer:
    """Create a shop account: a user with this password and its Customer.
    Raises ValueError (its message for the person signing up) when the
    username is refused or taken (`username_check`); the caller validates
    the password with Django's validators first. Two concurrent sign-ups of
    "Ada" and "ada" cannot both pass: the check and the insert run under one
    lock per compared name (PostgreSQL advisory lock)."""
    User = get_user_model()
    name = username_check(username)
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            digest = int.from_bytes(hashlib.sha256(username_key(name).encode()).digest()[:4], "big")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [(_SIGN_UP_LOCK_BASE << 32) + digest])
        name = username_check(name)  # again, under the lock
        user = User.objects.create_user(username=name, email=email.strip(), password=password)
        return Customer.objects.create(user=user, country=country.strip())


def customer_language_set(*, customer: Customer, language: str) -> None:
    """Keep the interface language the shopper chose (one of settings.LANGUAGES)."""
    from core.languages import language_of

    customer.language = language_of(language)
    customer.save(update_fields=["language"])


# =============================================================================
# Shopper events, customers, portraits
# =============================================================================


def event_record(
    *,
    kind: str,
    customer: Customer | None = None,
    session_key: str = "",
    product: Product | int | None = None,
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
    event = _event_build(
        kind=kind,
        customer=customer,
        session_key=session_key,
        product=product,
        quantity=quantity,
        price=price,
        order_number=order_number,
        query=query,
        result_count=result_count,
        slot=slot,
        model_version=model_version,
        data=data,
        created_at=created_at,
    )
    _events_save([event])
    _after_events([event])
    return event


def events_record_many(*, events: Sequence[Mapping[str, Any]]) -> list[Event]:
    """Record several actions at once (a page's recommendation impressions):
    each mapping takes event_record's arguments. All are validated first (one
    InvalidEvent stores none of them), then written in one statement."""
    built = [_event_build(**e) for e in events]
    if built:
        _events_save(built)
        _after_events(built)
    return built


def _event_build(
    *,
    kind: str,
    customer: Customer | None = None,
    session_key: str = "",
    product: Product | int | None = None,
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
    _event_owner_check(kind=kind, customer=customer, session_key=session_key)
    product = _event_product(kind=kind, product=product)
    _event_quantity_check(kind=kind, quantity=quantity)
    price = _event_price(kind=kind, price=price)
    _event_details_check(kind=kind, query=query, result_count=result_count, slot=slot, model_version=model_version)
    return Event(
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


def _after_events(events: list[Event]) -> None:
    """Queue the portrait update of each customer whose events change it."""
    for customer_id in {e.customer_id for e in events if e.customer_id is not None and e.kind in PORTRAIT_KINDS}:
        transaction.on_commit(lambda customer_id=customer_id: portrait_update_schedule(customer_id=customer_id))


def _event_owner_check(*, kind: str, customer: Customer | None, session_key: str) -> None:
    """A known kind, and someone to own the event: a customer or a session."""
    if kind not in Event.Kind.values:
        raise InvalidEvent("kind", f"unknown event kind {kind!r}")
    if customer is None and not session_key:
        raise InvalidEvent("session_key", "an event needs a customer or a session key")
    if len(session_key or "") > 64:
        raise InvalidEvent("session_key", "session key is longer than 64 characters")


def _event_product(*, kind: str, product: Product | int | None) -> Product | None:
    """The event's product (given as a Product or its id), which must exist;
    product events must have one."""
    if product is not None:
        given = product
        try:
            product = catalog_selectors.product_resolve(product=given)
        except TypeError:
            raise InvalidEvent("product", f"product must be a product or its id, not {given!r}") from None
        if product is None:
            raise InvalidEvent(
                "product", f"unknown product {given}" if isinstance(given, int) else "product is not saved"
            )
    if kind in PRODUCT_KINDS and product is None:
        raise InvalidEvent("product", f"a {kind} event needs a product")
    return product


def _event_quantity_check(*, kind: str, quantity: int | None) -> None:
    """A whole number of units from 1 to MAX_QUANTITY; cart and purchase events need one."""
    if quantity is not None:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidEvent("quantity", f"quantity must be a whole number, not {quantity!r}")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidEvent("quantity", f"impossible quantity {quantity}: must be from 1 to {MAX_QUANTITY}")
    elif kind in QUANTITY_KINDS:
        raise InvalidEvent("quantity", f"a {kind} event needs a quantity")


def _event_price(*, kind: str, price: Decimal | None) -> Decimal | None:
    """The price as money with two places, from 0 to MAX_PRICE; purchases need one."""
    if price is None:
        if kind == Event.Kind.PURCHASE:
            raise InvalidEvent("price", "a purchase event needs a price")
        return None
    try:
        price = Decimal(str(price)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidEvent("price", f"price must be a number, not {price!r}") from None
    if not Decimal(0) <= price <= MAX_PRICE:
        raise InvalidEvent("price", f"impossible price {price}")
    return price


def _event_details_check(*, kind: str, query: str, result_count: int | None, slot: str, model_version: str) -> None:
    """A query for searches, a sane result count, slot and model version for recommendation events."""
    if kind == Event.Kind.SEARCH and not (query or "").strip():
        raise InvalidEvent("query", "a search event needs a query")
    if result_count is not None and (not isinstance(result_count, int) or result_count < 0):
        raise InvalidEvent("result_count", "result count must be a whole number of at least 0")
    if kind in REC_KINDS and not (slot and model_version):
        raise InvalidEvent("slot", f"a {kind} event needs a slot and a model version")


def _events_save(events: list[Event]) -> None:
    """Store the events. A behaviour event may be lost in a database crash but
    must not make the page wait for the WAL flush: on PostgreSQL, outside a
    caller's transaction (such as an order's), this one commit skips the wait."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            _events_insert(events)
    else:
        _events_insert(events)


def _events_insert(events: list[Event]) -> None:
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        Event.objects.bulk_create(events)


def purchase_events_cancel(*, order_number: str) -> int:
    """A cancelled order was never a purchase: delete its purchase (and coupon)
    events so sold counts, portraits and training data stay net, and refresh the
    buyer's portrait. Returns how many events were deleted."""
    if not order_number:
        return 0
    with transaction.atomic():
        events = Event.objects.filter(order_number=order_number, kind__in=[Event.Kind.PURCHASE, Event.Kind.COUPON_USED])
        customer_ids = set(events.exclude(customer__isnull=True).values_list("customer_id", flat=True))
        sessions = set(events.filter(customer__isnull=True).values_list("session_key", flat=True))
        n, _ = events.delete()
        for customer_id in customer_ids:
            transaction.on_commit(lambda cid=customer_id: portrait_update_schedule(customer_id=cid))
        _histories_forget(customer_ids=customer_ids, session_keys=sessions)
    return n


def _histories_forget(*, customer_ids: set[int], session_keys: set[str]) -> None:
    """Events were rewritten, not added: drop the shoppers' cached histories
    (profiles.selectors.shopper_history) now and again after commit, so no
    reader keeps what the transaction removed."""
    from .selectors import history_cache_key

    keys = [history_cache_key(customer_id=c) for c in customer_ids]
    keys += [history_cache_key(customer_id=None, session_key=s) for s in session_keys if s]

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception:  # noqa: BLE001 - the cache down: what it holds expires in HISTORY_CACHE_SECONDS
            log.warning("profiles: could not drop %d cached histories", len(keys), exc_info=True)

    if keys:
        forget()
        transaction.on_commit(forget)


def activity_cache_forget(*, customer_id: int) -> None:
    """Drop a customer's cached activity (history, newest ids, muted categories)."""
    _histories_forget(customer_ids={customer_id}, session_keys=set())


def events_attach_session(*, session_key: str, customer: Customer) -> int:
    """Give an anonymous session's events to the customer who just logged in.
    Returns how many events were attached."""
    if not session_key:
        return 0
    with transaction.atomic():
        n = Event.objects.filter(session_key=session_key, customer__isnull=True).update(customer=customer)
        _histories_forget(customer_ids={customer.pk}, session_keys={session_key})
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
    added = tolerant_cache.add(_debounce_key(customer_id), 1, timeout=debounce)
    if not added:  # False: one is queued already; None: the cache (and so the broker) is down
        return False  # skipped: the nightly build_portraits catches up
    try:
        run_later(tasks.portrait_build, args=(customer_id,), countdown=debounce + 1)
    except KombuOperationalError:
        log.warning("portrait update for customer %s not queued: the broker is down", customer_id, exc_info=True)
        return False
    return True


def _embeddings_path() -> Path:
    return Path(settings.ARTIFACTS_DIR) / "embeddings"  # the sentence encoder's cache, shared with recommend


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
            objs[start : start + batch_size], update_conflicts=True, unique_fields=["customer"], update_fields=fields
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
        events=events,
        customers=customers,
        now=timezone.now(),
        embeddings=vectors,
        muted=muted_categories_by_customer(),
        tz=settings.TIME_ZONE,
        n_clusters=n_clusters or N_CLUSTERS,
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
    """Recompute one customer's portrait from their events, and nobody else's.

    Scored against the last batch baseline (the population's RFM quintiles,
    category prices and clusters). Before any batch build has run there is no
    baseline: the customer is then scored on neutral scales (every RFM score
    3, no cluster) and the baseline is left for the batch job
    (`portraits_build_all`: `manage.py build_portraits`, nightly in beat) to
    learn, so a shopper's click never rebuilds the whole population. Safe to
    run twice at once: the customer row is locked for the duration."""
    from . import embeddings as emb
    from .portrait import Baseline, portraits_compute
    from .selectors import (
        customers_frame,
        events_frame,
        muted_categories_by_customer,
        portrait_baseline,
    )

    baseline = portrait_baseline() or Baseline()
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer_id)
        events = events_frame(customer_ids=[customer_id])
        bought = events[events["kind"] == "purchase"].dropna(subset=["product_id"]).drop_duplicates("product_id")
        texts = {
            int(p): f"{n}. {c}"
            for p, n, c in zip(bought["product_id"], bought["product_name"], bought["category_name"])
        }
        vectors = emb.embeddings_load(_embeddings_path(), texts) if texts else {}
        rows, _ = portraits_compute(
            events=events,
            customers=customers_frame(customer_ids=[customer_id]),
            now=timezone.now(),
            baseline=baseline,
            embeddings=vectors,
            muted=muted_categories_by_customer([customer_id]),
            tz=settings.TIME_ZONE,
            fit_clusters=False,
        )
        _portraits_save(rows)
    return Portrait.objects.get(customer_id=customer_id)


def interest_mute(*, customer: Customer, category_id: int) -> Portrait:
    """Stop using a category for this customer; the portrait is rebuilt at once."""
    if not catalog_selectors.category_exists(category_id=category_id):
        raise InvalidEvent("category", f"unknown category {category_id}")
    MutedCategory.objects.get_or_create(customer=customer, category_id=category_id)
    return portrait_build(customer_id=customer.pk)


def interest_unmute(*, customer: Customer, category_id: int) -> Portrait:
    MutedCategory.objects.filter(customer=customer, category_id=category_id).delete()
    return portrait_build(customer_id=customer.pk)


def behaviour_history_delete(*, customer: Customer) -> int:
    """Delete every event of this customer (orders stay, they are accounting
    records of the checkout) and what apps above keep of their behaviour (the
    assistant's conversations, through profiles.signals.customer_data_deleting),
    then rebuild the portrait without them."""
    from .signals import customer_data_deleting

    with transaction.atomic():
        customer_data_deleting.send(sender=None, customer=customer)
        n, _ = Event.objects.filter(customer=customer).delete()
        _histories_forget(customer_ids={customer.pk}, session_keys=set())
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


def events_delete_since(*, customer_id: int, since) -> int:
    """Delete a customer's events from `since` on (the shopper simulator does it
    inside a transaction it rolls back, to hide their future). Returns how many."""
    n, _ = Event.objects.filter(customer_id=customer_id, created_at__gte=since).delete()
    return n

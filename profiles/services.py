"""Writes of the profiles app: customers, events, portraits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .models import Customer, Event

# =============================================================================
# Storefront foundation (owned by that work): the Online Retail import, called
# by shop/management/commands/import_online_retail.py, and sign-up
# =============================================================================

IMPORT_BATCH_SIZE = 2000


class CustomerRecord(Protocol):
    external_id: int
    country: str


class PurchaseEventRecord(NamedTuple):
    customer_id: int
    product_id: int
    quantity: int
    price: Decimal
    order_number: str
    created_at: datetime


def imported_username(external_id: int) -> str:
    return f"customer-{external_id}"


def customers_import_bulk(*, customers: Iterable[CustomerRecord]) -> dict[int, int]:
    """Create a Customer (and its user, with an unusable password: nobody logs in
    with a password, the demo switch logs in as them) for every data-set
    CustomerID not imported yet. Returns customer id by external id, for all."""
    User = get_user_model()
    existing = dict(Customer.objects.filter(external_id__isnull=False).values_list("external_id", "id"))
    todo = [c for c in customers if c.external_id not in existing]
    if todo:
        usernames = {imported_username(c.external_id): c for c in todo}
        have_user = set(User.objects.filter(username__in=list(usernames)).values_list("username", flat=True))
        unusable = make_password(None)  # "!" + random: never matches a password
        User.objects.bulk_create(
            [User(username=name, password=unusable, is_active=True) for name in usernames if name not in have_user],
            batch_size=IMPORT_BATCH_SIZE,
        )
        user_ids = dict(User.objects.filter(username__in=list(usernames)).values_list("username", "id"))
        Customer.objects.bulk_create(
            [
                Customer(user_id=user_ids[imported_username(c.external_id)], external_id=c.external_id,
                         country=c.country, is_imported=True)
                for c in todo
            ],
            batch_size=IMPORT_BATCH_SIZE,
        )
        existing = dict(Customer.objects.filter(external_id__isnull=False).values_list("external_id", "id"))
    return existing


def purchase_events_import_bulk(*, events: Iterable[PurchaseEventRecord], progress=None) -> int:
    """Record one purchase event per purchased line of the history. The caller
    passes only the lines of orders it has just created, so a second import
    adds nothing. Returns how many were written."""
    from catalog.services import rows_bulk_insert

    def rows():
        for n, e in enumerate(events, 1):
            yield (Event.Kind.PURCHASE.value, e.customer_id, e.product_id, e.quantity, e.price, e.order_number,
                   e.created_at)
            if progress and n % IMPORT_BATCH_SIZE == 0:
                progress(IMPORT_BATCH_SIZE)

    return rows_bulk_insert(
        model=Event,
        fields=["kind", "customer", "product", "quantity", "price", "order_number", "created_at"],
        rows=rows(),
    )


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
    """Record one shopper action, for a customer or an anonymous session."""
    if kind not in Event.Kind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    if customer is None and not session_key:
        raise ValueError("an event needs a customer or a session key")
    return Event.objects.create(
        kind=kind,
        customer=customer,
        session_key=session_key or "",
        product=product,
        quantity=quantity,
        price=price,
        order_number=order_number,
        query=query[:255],
        result_count=result_count,
        slot=slot,
        model_version=model_version,
        data=data or {},
        created_at=created_at or timezone.now(),
    )

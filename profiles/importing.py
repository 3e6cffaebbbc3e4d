"""The profiles part of the history import (called by
shop/management/commands/import_online_retail.py): customers and their
purchase events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from core.db import rows_bulk_insert

from .models import Customer, Event

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
                Customer(
                    user_id=user_ids[imported_username(c.external_id)],
                    external_id=c.external_id,
                    country=c.country,
                    is_imported=True,
                )
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

    def rows():
        for n, e in enumerate(events, 1):
            yield (
                Event.Kind.PURCHASE.value,
                e.customer_id,
                e.product_id,
                e.quantity,
                e.price,
                e.order_number,
                e.created_at,
            )
            if progress and n % IMPORT_BATCH_SIZE == 0:
                progress(IMPORT_BATCH_SIZE)

    return rows_bulk_insert(
        model=Event,
        fields=["kind", "customer", "product", "quantity", "price", "order_number", "created_at"],
        rows=rows(),
    )

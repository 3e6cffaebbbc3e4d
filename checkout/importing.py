"""The checkout part of the history import (called by
shop/management/commands/import_online_retail.py): historical orders, their
lines and the cancellations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from core.db import rows_bulk_insert

from .models import Order, OrderLine, Return

IMPORT_BATCH_SIZE = 2000


class HistoricalOrderRecord(Protocol):
    number: str
    customer_external_id: int | None
    country: str
    placed_at: datetime
    original_placed_at: datetime
    subtotal: Decimal
    shipping: Decimal
    total: Decimal


class HistoricalLineRecord(Protocol):
    order_number: str
    stock_code: str
    product_name: str
    quantity: int
    quantity_returned: int
    unit_price: Decimal
    line_total: Decimal


class HistoricalReturnRecord(Protocol):
    number: str
    customer_external_id: int | None
    stock_code: str
    quantity: int
    unit_price: Decimal
    created_at: datetime


def orders_import_historical(
    *,
    orders: Sequence[HistoricalOrderRecord],
    lines: Iterable[HistoricalLineRecord],
    customer_ids: dict[int, int],
    product_ids: dict[str, int],
    progress=None,
) -> dict[str, Order]:
    """Create the historical orders (completed, with their original timestamps)
    whose number is not in the shop yet, with their lines. Guest orders keep no
    customer. Returns the orders created, by number (empty on a second run)."""
    existing = set(Order.objects.filter(is_historical=True).values_list("number", flat=True))
    new = [
        Order(
            number=o.number,
            customer_id=customer_ids[o.customer_external_id] if o.customer_external_id is not None else None,
            status=Order.Status.COMPLETED,
            country=o.country,
            currency="GBP",
            subtotal=o.subtotal,
            shipping=o.shipping,
            total=o.total,
            is_historical=True,
            placed_at=o.placed_at,
            original_placed_at=o.original_placed_at,
        )
        for o in orders
        if o.number not in existing
    ]
    created: dict[str, Order] = {}
    for start in range(0, len(new), IMPORT_BATCH_SIZE):
        chunk = Order.objects.bulk_create(new[start : start + IMPORT_BATCH_SIZE])
        created.update((o.number, o) for o in chunk)
    if any(o.pk is None for o in created.values()):  # a backend that returns no ids
        ids = dict(Order.objects.filter(number__in=list(created)).values_list("number", "id"))
        for number, order in created.items():
            order.pk = ids[number]

    def rows():
        for n, line in enumerate(lines, 1):
            if progress and n % IMPORT_BATCH_SIZE == 0:
                progress(IMPORT_BATCH_SIZE)
            order = created.get(line.order_number)
            if order is not None:
                yield (
                    order.pk,
                    product_ids[line.stock_code],
                    line.product_name,
                    line.quantity,
                    line.quantity_returned,
                    line.unit_price,
                    line.line_total,
                )

    rows_bulk_insert(
        model=OrderLine,
        fields=["order", "product", "product_name", "quantity", "quantity_returned", "unit_price", "line_total"],
        rows=rows(),
    )
    return created


def returns_import_historical(
    *, returns: Iterable[HistoricalReturnRecord], customer_ids: dict[int, int], product_ids: dict[str, int]
) -> int:
    """Record the cancellation lines of the history as returns (never as
    purchases), skipping cancellation invoices already recorded."""
    existing = set(Return.objects.filter(is_historical=True).values_list("number", flat=True).distinct())
    new = [
        Return(
            number=r.number,
            customer_id=customer_ids[r.customer_external_id] if r.customer_external_id is not None else None,
            product_id=product_ids[r.stock_code],
            quantity=r.quantity,
            unit_price=r.unit_price,
            is_historical=True,
            created_at=r.created_at,
        )
        for r in returns
        if r.number not in existing
    ]
    Return.objects.bulk_create(new, batch_size=IMPORT_BATCH_SIZE)
    return len(new)


def historical_time_shift() -> timedelta | None:
    """How far an earlier import moved the history onto the shop's timeline
    (placed_at - original_placed_at of its orders), so a second import uses the
    same shift and changes nothing; None when no history has been imported."""
    order = Order.objects.filter(is_historical=True, original_placed_at__isnull=False).order_by("pk").first()
    if order is None:
        return None
    return order.placed_at - order.original_placed_at

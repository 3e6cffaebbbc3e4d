"""Writes of the profiles app: customers, events, portraits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from .models import Customer, Event


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

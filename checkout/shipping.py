"""Shipping methods: a short constant list with prices (GBP)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ShippingMethod:
    code: str
    name: str
    price: Decimal
    description: str


SHIPPING_METHODS: dict[str, ShippingMethod] = {
    m.code: m
    for m in [
        ShippingMethod("standard", "Standard delivery", Decimal("4.95"), "3–5 working days"),
        ShippingMethod("express", "Express delivery", Decimal("9.95"), "next working day"),
        ShippingMethod("collect", "Collect from the warehouse", Decimal("0.00"), "free, ready in 2 days"),
    ]
}
DEFAULT_SHIPPING_METHOD = "standard"

"""Prices and totals: one small strategy that needs no request, so the cart
page, the API, order placement and a Celery job all compute the same figures.
Prices come from the database (the product rows given); money is Decimal with
two places, rounded half up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .shipping import SHIPPING_METHODS

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class PricedLine:
    product: object
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    line_id: int | None = None


@dataclass
class Totals:
    lines: list[PricedLine] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount: Decimal = ZERO
    shipping: Decimal = ZERO
    total: Decimal = ZERO
    coupon: object | None = None

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def coupon_discount(*, coupon, subtotal: Decimal) -> Decimal:
    """The discount a (valid) coupon gives on a subtotal; never more than the subtotal."""
    if coupon is None:
        return ZERO
    if coupon.kind == "percentage":
        amount = money(subtotal * coupon.value / Decimal(100))
    else:
        amount = money(coupon.value)
    return min(amount, money(subtotal))


def price_lines(*, lines: Iterable[tuple], coupon=None, shipping_method: str | None = None) -> Totals:
    """lines: (product, quantity[, line_id]) tuples; the product's own price is used."""
    totals = Totals(coupon=coupon)
    for item in lines:
        product, quantity = item[0], int(item[1])
        line_id = item[2] if len(item) > 2 else None
        unit = money(product.price)
        totals.lines.append(PricedLine(product, quantity, unit, money(unit * quantity), line_id))
    totals.subtotal = money(sum((line.line_total for line in totals.lines), ZERO))
    totals.discount = coupon_discount(coupon=coupon, subtotal=totals.subtotal)
    if totals.lines and shipping_method in SHIPPING_METHODS:
        totals.shipping = SHIPPING_METHODS[shipping_method].price
    totals.total = money(totals.subtotal - totals.discount + totals.shipping)
    return totals

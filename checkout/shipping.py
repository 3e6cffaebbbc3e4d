"""Shipping methods: a short constant list with prices (GBP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ShippingMethod:
    code: str
    name: str  # lazy: read in the language of the page or e-mail
    price: Decimal
    description: str
    working_days: tuple[int, int] = (0, 0)  # fewest and most working days to the door (or to collection)


SHIPPING_METHODS: dict[str, ShippingMethod] = {
    m.code: m
    for m in [
        ShippingMethod("standard", _("Standard delivery"), Decimal("4.95"), _("3–5 working days"), (3, 5)),
        ShippingMethod("express", _("Express delivery"), Decimal("9.95"), _("next working day"), (1, 1)),
        ShippingMethod("collect", _("Collect from the warehouse"), Decimal("0.00"), _("free, ready in 2 days"), (2, 2)),
    ]
}
DEFAULT_SHIPPING_METHOD = "standard"


def working_days_after(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after `start`."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def delivery_window(code: str = DEFAULT_SHIPPING_METHOD, *, today: date) -> tuple[date, date]:
    """Earliest and latest arrival for an order placed `today` with this method."""
    method = SHIPPING_METHODS[code]
    low, high = method.working_days
    return working_days_after(today, low), working_days_after(today, high)

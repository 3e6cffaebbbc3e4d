"""Template tags checkout offers to pages of lower apps (as recommend does),
so a catalog page can promise a delivery date without catalog knowing about
shipping."""

from django import template
from django.utils import timezone

from checkout.shipping import SHIPPING_METHODS, delivery_window

register = template.Library()


@register.simple_tag
def delivery_estimate() -> dict:
    """Standard and express arrival dates for an order placed now."""
    today = timezone.localdate()
    first, last = delivery_window("standard", today=today)
    express, _ = delivery_window("express", today=today)
    return {
        "standard_from": first,
        "standard_to": last,
        "standard_price": SHIPPING_METHODS["standard"].price,
        "express": express,
        "express_price": SHIPPING_METHODS["express"].price,
    }

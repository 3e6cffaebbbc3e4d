"""Short reasons a shopper can read, built from real data (their own events,
the store's orders). Pure text helpers: the facts come from serving."""

from __future__ import annotations

import datetime as dt

from django.template.defaultfilters import title as title_filter
from django.utils import timezone


def display_name_of(name: str) -> str:
    """A product name as the catalog pages show it (`{{ product.name|title }}`)."""
    return title_filter(name)


def display_name(product) -> str:
    return display_name_of(product.name)


def when(moment: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """'in October', or 'in October 2011' when it is more than ten months ago."""
    now = now or timezone.now()
    local = timezone.localtime(moment)
    if (now - moment).days > 300:
        return f"in {local:%B %Y}"
    return f"in {local:%B}"


def because(kind: str, product, moment: dt.datetime | None = None) -> str:
    """Why an item follows from one thing the shopper did."""
    name = display_name(product)
    if kind == "purchase":
        return f"Because you bought {name} {when(moment)}" if moment else f"Because you bought {name}"
    if kind == "add_to_cart":
        return f"Because you put {name} in your cart"
    return f"Because you viewed {name}"


def bought_again(times: int, last: dt.datetime) -> str:
    if times <= 1:
        return f"You bought it {when(last)}"
    return f"You bought it {times} times, last {when(last)}"


def often_bought_with(product) -> str:
    return f"Often bought with {display_name(product)}"


def same_customers(product) -> str:
    return f"Customers who bought {display_name(product)} bought this too"


def similar_to(product) -> str:
    return f"Similar to {display_name(product)}"


def same_basket(product, orders: int) -> str:
    return f"In the same order as {display_name(product)} {orders} time{'s' if orders != 1 else ''}"


def from_your_order(product) -> str:
    return f"Goes with {display_name(product)} from your order"


def popular_in(country: str, *, wholesale: bool = False, buyers: int | None = None) -> str:
    who = "wholesale buyers" if wholesale else "customers"
    text = f"Popular with {who} in {country}"
    return f"{text} ({buyers} bought it)" if buyers else text


def trending(buyers: int, days: int) -> str:
    if buyers <= 0:
        return "Trending in the shop"
    return f"Trending: {buyers} customer{'s' if buyers != 1 else ''} bought it in the last {days} days"


def popular() -> str:
    return "Popular in the shop"


def like_you() -> str:
    return "Bought by customers with a history like yours"

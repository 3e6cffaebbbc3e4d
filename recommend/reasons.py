"""Short reasons a shopper can read, built from real data (their own events,
the store's orders). Pure text helpers: the facts come from serving.

Each reason is one translatable sentence with placeholders, written in the
active language ("Because you bought %(name)s in %(month)s" reads
"因为您在%(month)s购买了 %(name)s" on a Chinese page). Product names stay as
the retailer wrote them (English); months come from Django's localised date
formats. serving keys its caches by language, so a list made for one
language is never shown in the other."""

from __future__ import annotations

import datetime as dt

from django.template.defaultfilters import title as title_filter
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.countries import country_name


def display_name_of(name: str) -> str:
    """A product name as the catalog pages show it (`{{ product.name|title }}`)."""
    return title_filter(name)


def display_name(product) -> str:
    return display_name_of(product.name)


def month_of(moment: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """'October', or 'October 2011' when it is more than ten months ago (in
    the active language: '十月', '2011年10月')."""
    now = now or timezone.now()
    local = timezone.localtime(moment)
    if (now - moment).days > 300:
        return formats.date_format(local, "YEAR_MONTH_FORMAT")
    return formats.date_format(local, "F")


def when(moment: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """'in October', or 'in October 2011' when it is more than ten months ago."""
    return _("in %(month)s") % {"month": month_of(moment, now=now)}


def because(kind: str, product, moment: dt.datetime | None = None) -> str:
    """Why an item follows from one thing the shopper did."""
    name = display_name(product)
    if kind == "purchase":
        if moment:
            return _("Because you bought %(name)s in %(month)s") % {"name": name, "month": month_of(moment)}
        return _("Because you bought %(name)s") % {"name": name}
    if kind == "add_to_cart":
        return _("Because you put %(name)s in your cart") % {"name": name}
    return _("Because you viewed %(name)s") % {"name": name}


def bought_again(times: int, last: dt.datetime) -> str:
    if times <= 1:
        return _("You bought it in %(month)s") % {"month": month_of(last)}
    return _("You bought it %(times)s times, last in %(month)s") % {"times": times, "month": month_of(last)}


def often_bought_with(product) -> str:
    return _("Often bought with %(name)s") % {"name": display_name(product)}


def same_customers(product) -> str:
    return _("Customers who bought %(name)s bought this too") % {"name": display_name(product)}


def similar_to(product) -> str:
    return _("Similar to %(name)s") % {"name": display_name(product)}


def same_basket(product, orders: int) -> str:
    return ngettext(
        "In the same order as %(name)s %(count)s time",
        "In the same order as %(name)s %(count)s times",
        orders,
    ) % {"name": display_name(product), "count": orders}


def from_your_order(product) -> str:
    return _("Goes with %(name)s from your order") % {"name": display_name(product)}


def popular_in(country: str, *, wholesale: bool = False, buyers: int | None = None) -> str:
    country = country_name(country)
    if wholesale:
        text = _("Popular with wholesale buyers in %(country)s") % {"country": country}
    else:
        text = _("Popular with customers in %(country)s") % {"country": country}
    if buyers:
        return _("%(text)s (%(count)s bought it)") % {"text": text, "count": buyers}
    return text


def trending(buyers: int, days: int) -> str:
    if buyers <= 0:
        return _("Trending in the shop")
    return ngettext(
        "Trending: %(count)s customer bought it in the last %(days)s days",
        "Trending: %(count)s customers bought it in the last %(days)s days",
        buyers,
    ) % {"count": buyers, "days": days}


def popular() -> str:
    return _("Popular in the shop")


def like_you() -> str:
    return _("Bought by customers with a history like yours")

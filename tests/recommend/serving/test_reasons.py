"""Reasons come from real data: the counts and names in them are checked
against the events they claim."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from profiles.models import Event, Portrait
from profiles.selectors import Shopper
from recommend import reasons, serving


@pytest.mark.django_db
def test_trending_reasons_count_the_real_recent_buyers(shop):
    served = serving.recommendations_for(slot="home_trending", shopper=Shopper(customer=None, session_key="x" * 32))
    assert served.items
    since = timezone.now() - dt.timedelta(days=30)
    for item in served.items:
        buyers = (
            Event.objects.filter(kind="purchase", product_id=item.product.pk, created_at__gte=since)
            .values("customer_id")
            .distinct()
            .count()
        )
        assert item.reason == reasons.trending(buyers, 30)


@pytest.mark.django_db
def test_wholesale_buyers_in_their_country(shop):
    french = [c for c in shop["customers"] if c.country == "France"]
    bulk = french[:3]
    for c in french:
        Portrait.objects.create(customer=c, reference_time=timezone.now(), is_bulk_buyer=c in bulk)
    served = serving.recommendations_for(
        slot="home_country", shopper=Shopper(customer=None, session_key="y" * 32), context={"country": "France"}
    )
    assert served.title == "Popular in France"
    top = served.items[0]
    buyers = (
        Event.objects.filter(kind="purchase", product_id=top.product.pk, customer__country="France")
        .values("customer_id")
        .distinct()
        .count()
    )
    assert top.reason == f"Popular with customers in France ({buyers} bought it)"
    # a wholesale buyer from France is told what wholesale buyers there buy
    state = serving.PageState(shopper=Shopper(customer=bulk[0]))
    country = serving._country_popular(state)
    bulk_ids = [c.pk for c in bulk]
    for pid, n in country.items():
        assert n == (
            Event.objects.filter(kind="purchase", product_id=pid, customer_id__in=bulk_ids)
            .values("customer_id")
            .distinct()
            .count()
        )
    assert reasons.popular_in("France", wholesale=True) == "Popular with wholesale buyers in France"


def test_reason_texts():
    now = timezone.now()
    assert reasons.when(now - dt.timedelta(days=400), now=now).endswith(
        str(timezone.localtime(now - dt.timedelta(days=400)).year)
    )
    assert reasons.display_name_of("WHITE HANGING HEART T-LIGHT HOLDER") == "White Hanging Heart T-Light Holder"
    assert reasons.bought_again(1, now).startswith("You bought it in ")
    assert reasons.same_basket(type("P", (), {"name": "JUMBO BAG RED RETROSPOT"})(), 1) == (
        "In the same order as Jumbo Bag Red Retrospot 1 time"
    )


@pytest.mark.parametrize(
    "header, country",
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "France"),
        ("de-CH", "Switzerland"),
        ("en-GB", "United Kingdom"),
        ("nl", "Netherlands"),
        ("xx-YY", ""),
        ("", ""),
    ],
)
def test_country_from_the_request_language(header, country):
    assert serving.country_from_languages(header) == country

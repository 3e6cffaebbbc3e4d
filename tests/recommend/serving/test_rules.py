"""Every business rule, on the rendered pages, and each one's setting."""

from __future__ import annotations

import pytest

from catalog.models import Product
from profiles import services as profiles_services
from profiles.selectors import Shopper
from recommend import serving

from .conftest import OUT_OF_STOCK
from .test_slots import login, slots_of


def all_shown(slots) -> list[int]:
    return [pid for s in slots.values() for pid in s["products"]]


@pytest.mark.django_db
def test_out_of_stock_products_are_never_shown_unless_the_rule_is_off(client, shop, settings):
    lantern = shop["products"][OUT_OF_STOCK]
    holder = shop["products"]["WHITE HANGING HEART T-LIGHT HOLDER"]
    login(client, shop["customers"][4])  # a candle lover: the zinc holder is among their best matches
    shown = []
    for _ in range(2):
        shown += all_shown(slots_of(client.get("/")))
        shown += all_shown(slots_of(client.get(holder.get_absolute_url())))
    assert shown and lantern.pk not in shown

    settings.RECOMMEND_IN_STOCK_ONLY = False
    shown = all_shown(slots_of(client.get(holder.get_absolute_url())))
    assert lantern.pk in shown


@pytest.mark.django_db
def test_no_product_twice_on_one_page_across_slots(client, shop, settings):
    login(client, shop["customers"][8])
    holder = shop["products"]["WHITE HANGING HEART T-LIGHT HOLDER"]
    for url in ("/", holder.get_absolute_url()):
        slots = slots_of(client.get(url))
        assert len(slots) >= 3
        shown = all_shown(slots)
        assert len(shown) == len(set(shown)), slots

    settings.RECOMMEND_UNIQUE_PER_PAGE = False
    shown = all_shown(slots_of(client.get(holder.get_absolute_url())))
    assert len(shown) > len(set(shown))  # the same small catalog, slot after slot


@pytest.mark.django_db
def test_never_the_product_being_viewed(client, shop):
    login(client, shop["customers"][4])
    for name in ("WHITE HANGING HEART T-LIGHT HOLDER", "JUMBO BAG RED RETROSPOT", "REGENCY CAKESTAND 3 TIER"):
        product = shop["products"][name]
        assert product.pk not in all_shown(slots_of(client.get(product.get_absolute_url())))


@pytest.mark.django_db
def test_long_lists_are_capped_per_category(shop, settings):
    customer = shop["customers"][4]  # a candle lover: left alone, the list fills with candles
    settings.RECOMMEND_MAX_PER_CATEGORY = 2
    served = serving.recommendations_for(slot="home_for_you", shopper=Shopper(customer=customer), context={"n": 8})
    per_category = {}
    for item in served.items:
        per_category[item.product.category_id] = per_category.get(item.product.category_id, 0) + 1
    assert len(served.items) == 8 and max(per_category.values()) == 2

    settings.RECOMMEND_MAX_PER_CATEGORY = 0  # off
    served = serving.recommendations_for(slot="home_for_you", shopper=Shopper(customer=customer), context={"n": 8})
    counts = {}
    for item in served.items:
        counts[item.product.category_id] = counts.get(item.product.category_id, 0) + 1
    assert max(counts.values()) > 2

    # a short list (under RECOMMEND_DIVERSITY_MIN_LENGTH) keeps the model's order
    settings.RECOMMEND_MAX_PER_CATEGORY = 1
    short = serving.recommendations_for(slot="home_for_you", shopper=Shopper(customer=customer), context={"n": 3})
    assert len(short.items) == 3


@pytest.mark.django_db
def test_muted_categories_are_left_out(client, shop, settings):
    customer = shop["customers"][4]
    candles = shop["categories"]["Candles & Holders"]
    login(client, customer)
    assert any(Product.objects.get(pk=p).category_id == candles.pk for p in all_shown(slots_of(client.get("/"))))
    profiles_services.interest_mute(customer=customer, category_id=candles.pk)
    shown = all_shown(slots_of(client.get("/")))
    assert shown and all(Product.objects.get(pk=p).category_id != candles.pk for p in shown)

    settings.RECOMMEND_RESPECT_MUTED = False
    shown = all_shown(slots_of(client.get("/")))
    assert any(Product.objects.get(pk=p).category_id == candles.pk for p in shown)


@pytest.mark.django_db
def test_recommendations_switched_off(client, shop, settings):
    settings.RECOMMEND_ENABLED = False
    login(client, shop["customers"][4])
    response = client.get("/")
    assert slots_of(response) == {}
    assert "Server-Timing" not in response.headers

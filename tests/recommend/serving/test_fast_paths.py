"""What makes a page's slots cheap must not change what they show: products
read a prefix at a time, compact click tokens, a slot's HTML kept by what it
shows, and impressions written after the response."""

from __future__ import annotations

import random
import re

import pytest
from django.core import signing

from catalog.models import Product
from catalog.selectors import product_cards
from profiles.models import Event
from profiles.selectors import Shopper
from recommend import attribution, serving
from recommend.rules import Candidate, apply_rules

from .test_slots import login


@pytest.mark.parametrize("seed", range(40))
def test_reading_candidates_a_prefix_at_a_time_chooses_what_the_whole_list_would(seed, settings):
    """Random candidate lists, stock, categories, seen sets and caps: _choose
    (prefix first) and apply_rules over everything agree, seen set included."""
    rng = random.Random(seed)
    settings.RECOMMEND_MAX_PER_CATEGORY = rng.choice([0, 1, 2, 3])
    products = {
        pid: type(
            "P", (), {"pk": pid, "is_active": True, "stock": rng.choice([0, 5, 5, 5]), "category_id": rng.randint(1, 4)}
        )()
        for pid in range(1, 80)
    }
    cands = [Candidate(pid, 1.0 / i, "") for i, pid in enumerate(rng.sample(range(1, 80), rng.randint(0, 60)), start=1)]
    seen = set(rng.sample(range(1, 80), rng.randint(0, 30)))
    n = rng.choice([3, 6, 8])

    state = serving.PageState(shopper=Shopper(customer=None, session_key=""))
    state._products = products  # the products as read; _choose asks for prefixes of them
    state._muted = set()
    state.seen = set(seen)
    expected_seen = set(seen)
    expected = apply_rules(cands, products, n=n, seen=expected_seen, exclude=[1], muted=set())
    chosen = serving._choose(state, cands, n=n, exclude=[1])
    assert [c.product_id for _, c in chosen] == [c.product_id for _, c in expected]
    assert state.seen == expected_seen


@pytest.mark.django_db
def test_a_slot_reads_light_product_rows(shop):
    pids = [p.pk for p in list(shop["products"].values())[:3]]
    cards = product_cards(product_ids=[*pids, 999_999])
    assert sorted(cards) == sorted(pids)
    for pid in pids:
        product = Product.objects.get(pk=pid)
        card = cards[pid]
        assert (card.name, card.price, card.category_id, card.in_stock) == (
            product.name,
            product.price,
            product.category_id,
            product.in_stock,
        )
        assert card.get_absolute_url() == product.get_absolute_url()


def test_click_tokens_are_compact_and_signed_and_old_links_still_read():
    click = {"product_id": 42, "slot": "home_for_you", "position": 3, "model": "hybrid", "version": "20261203T1-ab.c"}
    token = attribution.click_token(**click)
    assert len(token) < 90 and attribution.click_read(token) == click
    assert attribution.click_url(**click) == f"/r/{token}/"
    product_part, signature = token.split(":")
    with pytest.raises(signing.BadSignature):
        attribution.click_read(product_part.replace("42", "43", 1) + ":" + signature)
    old = signing.dumps({"p": 42, "s": "home_for_you", "i": 3, "m": "hybrid", "v": "v1"}, salt=attribution.SALT)
    assert attribution.click_read(old)["product_id"] == 42  # a link in an e-mail sent before
    with pytest.raises(ValueError, match="no '.'"):
        attribution.click_token(**{**click, "model": "a.b"})


@pytest.mark.django_db
def test_a_renamed_product_shows_its_new_name_on_the_next_page(client, shop):
    customer = shop["customers"][3]
    login(client, customer)
    html = client.get("/").content.decode()
    pid = int(re.search(r'data-slot="home_for_you".*?data-product="(\d+)"', html, re.S).group(1))
    Product.objects.filter(pk=pid).update(name="FRESHLY RENAMED LANTERN", price="9.99")
    again = client.get("/").content.decode()
    card = re.search(rf'data-product="{pid}".*?</article>', again, re.S).group(0)
    assert "Freshly Renamed Lantern" in card and "£9.99" in card


@pytest.mark.django_db
def test_impressions_are_recorded_once_the_page_is_sent(client, shop):
    customer = shop["customers"][5]
    login(client, customer)
    response = client.get("/")  # the test client closes the response, as a server does after sending it
    shown = re.findall(r'data-slot="([^"]+)"', response.content.decode())
    impressions = Event.objects.filter(customer=customer, kind="rec_impression").order_by("id")
    assert shown and [e.slot for e in impressions] == shown


@pytest.mark.django_db
def test_active_versions_are_read_once_a_window_and_a_new_activation_at_once(client, shop, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recommend.models import ModelVersion

    from .test_slots import slots_of

    settings.RECOMMEND_VERSIONS_SECONDS = 60
    serving.versions_cache_clear()
    login(client, shop["customers"][9])
    assert slots_of(client.get("/"))["home_for_you"]["model"] == "itemknn"
    with CaptureQueriesContext(connection) as queries:
        assert slots_of(client.get("/"))["home_for_you"]["model"] == "itemknn"
    assert not [q for q in queries.captured_queries if "recommend_modelversion" in q["sql"]]

    knn = ModelVersion.objects.get(name="itemknn", status=ModelVersion.Status.ACTIVE)
    knn.status = ModelVersion.Status.RETIRED
    knn.save(update_fields=["status"])  # as the admin's retire does: seen on the next page, not in 60 s
    assert slots_of(client.get("/"))["home_for_you"]["model"] == "popularity"


@pytest.mark.django_db
def test_a_category_muted_outside_the_profile_page_is_respected_on_the_next_page(client, shop):
    from profiles.models import MutedCategory

    from .test_slots import slots_of

    customer = shop["customers"][4]  # a candle lover
    candles = shop["categories"]["Candles & Holders"]
    login(client, customer)

    def shown() -> list[int]:
        return [p for slot in slots_of(client.get("/")).values() for p in slot["products"]]

    assert any(Product.objects.get(pk=p).category_id == candles.pk for p in shown())  # the activity is cached now
    MutedCategory.objects.create(customer=customer, category=candles)  # as the admin or a script would
    after = shown()
    assert after and all(Product.objects.get(pk=p).category_id != candles.pk for p in after)

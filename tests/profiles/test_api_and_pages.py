import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from checkout.models import Order
from profiles import services
from profiles.models import Event, MutedCategory, Portrait

from .factories import CategoryFactory, CustomerFactory, ProductFactory, purchase

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # throttle counters and debounce keys live in the cache
    yield
    cache.clear()


@pytest.fixture
def shopper(client):
    customer = CustomerFactory(country="France")
    candles = CategoryFactory(name="Candles")
    bags = CategoryFactory(name="Bags")
    for i in range(3):
        purchase(customer, ProductFactory(category=candles, name=f"CANDLE {i}"), quantity=24, order=f"A{i}")
    purchase(customer, ProductFactory(category=bags, name="JUMBO BAG"), quantity=1, order="A0")
    services.portraits_build_all(embeddings=False)
    client.force_login(customer.user)
    return customer


# ---------------------------------------------------------------- POST /api/events/


def test_api_records_an_anonymous_view_for_the_session(client):
    product = ProductFactory()
    response = client.post("/api/events/", {"kind": "view", "product": product.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    event = Event.objects.get()
    assert event.product == product and event.customer is None
    assert event.session_key == client.session.session_key


def test_api_records_a_logged_in_customers_search(client, shopper):
    response = client.post(
        "/api/events/", {"kind": "search", "query": "lantern", "result_count": 4}, content_type="application/json"
    )
    assert response.status_code == 201
    assert Event.objects.filter(customer=shopper, kind="search", query="lantern", result_count=4).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "view", "product": 999999}, "product"),
        ({"kind": "add_to_cart", "quantity": 0}, "quantity"),
        ({"kind": "add_to_cart", "quantity": 5_000_000}, "quantity"),
        ({"kind": "purchase", "quantity": 1, "price": "1.00"}, "kind"),  # purchases come from the checkout
        ({"kind": "view"}, "product"),
        ({"kind": "rec_click"}, "product"),
        ({"product": 1}, "kind"),
    ],
)
def test_api_rejects_bad_events_with_a_clear_error(client, body, field):
    product = ProductFactory()
    if body.get("kind") == "add_to_cart":
        body = {**body, "product": product.pk}
    response = client.post("/api/events/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Event.objects.count() == 0


def test_a_flood_from_one_session_is_throttled(client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # "120/min"; per address too when anonymous
    limit = min(int(rates["events"].split("/")[0]), int(rates["anon"].split("/")[0]))
    product = ProductFactory()
    body = {"kind": "view", "product": product.pk}
    statuses = [
        client.post("/api/events/", body, content_type="application/json").status_code for _ in range(limit + 5)
    ]
    assert statuses[:limit] == [201] * limit
    assert statuses[-1] == 429
    assert Event.objects.count() == limit


# ---------------------------------------------------------------- GET /api/portrait/


def test_api_portrait_needs_login(client):
    assert client.get("/api/portrait/").status_code in (401, 403)


def test_api_portrait_returns_only_ones_own(client, shopper):
    other = CustomerFactory(country="Germany")
    purchase(other, ProductFactory(), quantity=1, order="B1")
    services.portrait_build(customer_id=other.pk)
    data = client.get("/api/portrait/", {"customer": other.pk, "customer_id": other.pk}).json()
    assert data["country"] == "France"
    assert data["frequency"] == 3
    assert data["top_interests"][0] == "Candles"
    assert "embedding" not in data


# ---------------------------------------------------------------- pages


def test_profile_needs_login(client):
    response = client.get("/profile/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_profile_shows_the_portrait_in_words(client, shopper):
    html = client.get("/profile/").content.decode()
    portrait = Portrait.objects.get(customer=shopper)
    assert portrait.summary in html
    assert "A wholesale buyer from France" in portrait.summary
    assert "Candles" in html and "<svg" in html


def test_a_new_user_gets_a_valid_new_customer_portrait(client, django_user_model):
    user = django_user_model.objects.create_user("newbie", password="x")
    client.force_login(user)
    response = client.get("/profile/")
    assert response.status_code == 200
    portrait = Portrait.objects.get(customer__user=user)
    assert portrait.segment == "new" and not portrait.has_purchases
    assert "A new customer" in response.content.decode()


def test_muting_an_interest_removes_it_from_the_portrait(client, shopper):
    candles = Portrait.objects.get(customer=shopper).category_affinities[0]["category_id"]
    response = client.post(reverse("profiles:interest_mute"), {"category": candles})
    assert response.status_code == 302
    assert MutedCategory.objects.filter(customer=shopper, category_id=candles).exists()
    portrait = Portrait.objects.get(customer=shopper)
    assert "Candles" not in portrait.top_interests
    assert candles not in [a["category_id"] for a in portrait.category_affinities]
    assert portrait.frequency == 3  # the money facts stay
    client.post(reverse("profiles:interest_unmute"), {"category": candles})
    assert Portrait.objects.get(customer=shopper).top_interests[0] == "Candles"


def test_muting_an_unknown_category_changes_nothing(client, shopper):
    client.post(reverse("profiles:interest_mute"), {"category": 987654})
    assert not MutedCategory.objects.exists()


def test_download_contains_my_data_and_nobody_elses(client, shopper):
    other = CustomerFactory()
    purchase(other, ProductFactory(name="SECRET THING"), order="Z9")
    response = client.get(reverse("profiles:data_export"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["customer"]["country"] == "France"
    assert len(data["events"]) == 4
    assert {e["order_number"] for e in data["events"]} == {"A0", "A1", "A2"}
    assert "SECRET THING" not in response.content.decode()
    assert data["portrait"]["segment"]


def test_deleting_history_removes_events_rebuilds_the_portrait_and_keeps_orders(client, shopper):
    other = CustomerFactory()
    purchase(other, ProductFactory(), order="Z1")
    Order.objects.create(number="A0", customer=shopper, placed_at="2011-06-01T12:00:00Z", total="10.00")
    refused = client.post(reverse("profiles:history_delete"), {})
    assert refused.status_code == 302 and Event.objects.filter(customer=shopper).count() == 4
    client.post(reverse("profiles:history_delete"), {"confirm": "on"})
    assert not Event.objects.filter(customer=shopper).exists()
    assert Event.objects.filter(customer=other).count() == 1
    assert Order.objects.filter(customer=shopper).count() == 1
    portrait = Portrait.objects.get(customer=shopper)
    assert portrait.has_purchases is False and portrait.segment == "new" and portrait.category_affinities == []


def test_login_attaches_the_anonymous_sessions_events(client):
    customer = CustomerFactory()
    product = ProductFactory()
    client.post("/api/events/", {"kind": "view", "product": product.pk}, content_type="application/json")
    anon_key = client.session.session_key
    response = client.post("/accounts/login/", {"username": customer.user.username, "password": "pw-123456"})
    assert response.status_code == 302
    assert client.session.session_key != anon_key  # Django cycled the key at login
    event = Event.objects.get()
    assert event.customer == customer and event.session_key == anon_key


def test_admin_pages_show_portrait_charts_and_overview(admin_client, shopper):
    portrait = Portrait.objects.get(customer=shopper)
    page = admin_client.get(reverse("admin:profiles_portrait_change", args=[portrait.pk])).content.decode()
    assert "Category affinities" in page and "<svg" in page
    overview = admin_client.get(reverse("admin:profiles_portrait_overview")).content.decode()
    assert "Segments" in overview and "Behaviour clusters" in overview and str(shopper) in overview
    changelist = admin_client.get(reverse("admin:profiles_portrait_changelist")).content.decode()
    assert reverse("admin:profiles_portrait_overview") in changelist
    customer_page = admin_client.get(reverse("admin:profiles_customer_change", args=[shopper.pk])).content.decode()
    assert portrait.summary in customer_page
    assert admin_client.get(reverse("admin:profiles_event_changelist"), {"kind__exact": "purchase"}).status_code == 200


def test_a_mute_click_before_any_batch_build_touches_only_that_shopper(client):
    """With no baseline yet, one shopper's request builds their own portrait
    (on neutral scales) and nobody else's; the population is the batch job's."""
    from profiles.models import PortraitBaseline

    me, stranger = CustomerFactory(country="France"), CustomerFactory(country="Spain")
    candles = CategoryFactory(name="Candles")
    purchase(me, ProductFactory(category=candles), quantity=24, order="M1")
    purchase(stranger, ProductFactory(category=candles), quantity=2, order="S1")
    client.force_login(me.user)
    response = client.post(reverse("profiles:interest_mute"), {"category": candles.pk}, follow=True)
    assert "Muted" in response.content.decode()
    assert list(Portrait.objects.values_list("customer_id", flat=True)) == [me.pk]
    assert not PortraitBaseline.objects.exists()
    mine = Portrait.objects.get(customer=me)
    assert mine.frequency == 1 and (mine.r_score, mine.f_score, mine.m_score) == (3, 3, 3)
    services.portraits_build_all(embeddings=False)  # the batch job scores everyone on the learnt scales
    assert Portrait.objects.count() == 2 and PortraitBaseline.objects.count() == 1

"""From impression to order, and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from checkout import selectors as checkout_selectors
from checkout import services as checkout_services
from checkout.parsing import address_parse
from checkout.payment import CARD_SUCCEEDS
from profiles import services as profiles_services
from profiles.models import Event
from recommend.attribution import attribution_report

from .test_slots import login

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Mill Lane",
    "line2": "",
    "city": "Leeds",
    "postcode": "LS1 4AB",
    "country": "United Kingdom",
    "email": "ada@example.com",
}


def first_click_link(html: str, slot: str) -> tuple[str, int]:
    section = re.search(rf'data-slot="{slot}".*?</section>', html, re.S).group(0)
    m = re.search(r'data-product="(\d+)"[^>]*>\s*<a href="(/r/[^"]+)"', section)
    return m.group(2), int(m.group(1))


@pytest.mark.django_db
def test_impression_click_add_to_cart_and_order_are_attributed(client, shop, django_capture_on_commit_callbacks):
    customer = shop["customers"][9]
    login(client, customer)
    html = client.get("/").content.decode()
    impressions = list(Event.objects.filter(customer=customer, kind="rec_impression").order_by("id"))
    assert [e.slot for e in impressions] == re.findall(r'data-slot="([^"]+)"', html)
    first = impressions[0]
    assert first.slot == "home_for_you" and first.model_version == shop["versions"]["itemknn"]
    assert first.data["model"] == "itemknn" and first.data["positions"] == list(range(1, 7))
    assert first.data["products"] == [
        int(x)
        for x in re.findall(
            r'data-product="(\d+)"', re.search(r'data-slot="home_for_you".*?</section>', html, re.S).group(0)
        )
    ]

    link, product_id = first_click_link(html, "home_for_you")
    response = client.get(link)
    product = shop["products"][next(n for n, p in shop["products"].items() if p.pk == product_id)]
    assert response.status_code == 302 and response["Location"] == product.get_absolute_url()
    click = Event.objects.get(customer=customer, kind="rec_click")
    assert (click.product_id, click.slot, click.model_version) == (
        product_id,
        "home_for_you",
        shop["versions"]["itemknn"],
    )
    assert click.data == {"model": "itemknn", "position": 1}

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/cart/add/", {"product": product_id, "quantity": 2})
    cart = checkout_selectors.cart_find(customer=customer, cart_id=None)
    with django_capture_on_commit_callbacks(execute=True):
        order = checkout_services.order_place(
            cart=cart,
            address=address_parse(data=ADDRESS),
            shipping_method="standard",
            payment_token=CARD_SUCCEEDS,
            coupon_code="",
            idempotency_key="attribution-1",
        )
    assert Event.objects.filter(kind="purchase", order_number=order.number).exists()

    # an order eight days after the click is not the click's
    later = click.created_at + dt.timedelta(days=8)
    profiles_services.event_record(
        kind="purchase",
        customer=customer,
        product=product_id,
        quantity=5,
        price=product.price,
        order_number="LATE-1",
        created_at=later,
    )
    rows = attribution_report(days=30, now=later + dt.timedelta(hours=1))
    row = next(r for r in rows if r.slot == "home_for_you")
    assert (row.model, row.version) == ("itemknn", shop["versions"]["itemknn"])
    assert row.impressions == 1 and row.items_shown == 6 and row.clicks == 1
    assert row.ctr == pytest.approx(1 / 6)
    assert row.add_to_carts == 1 and row.orders == 1
    assert row.revenue == product.price * 2
    assert sum(r.orders for r in rows) == 1


@pytest.mark.django_db
def test_an_anonymous_click_is_attributed_after_login(client, shop, django_capture_on_commit_callbacks):
    customer = shop["customers"][10]
    client.get(shop["products"]["JUMBO BAG RED RETROSPOT"].get_absolute_url())
    link, product_id = first_click_link(client.get("/").content.decode(), "home_for_you")
    client.get(link)
    assert Event.objects.filter(kind="rec_click", customer__isnull=True).count() == 1
    # a real login through the form: the session's events become the customer's
    response = client.post("/accounts/login/", {"username": customer.user.username, "password": "pw-serving-1"})
    assert response.status_code == 302
    assert Event.objects.filter(kind="rec_click", customer=customer).count() == 1
    cart = checkout_services.cart_get_or_create(customer=customer)
    checkout_services.cart_add(cart=cart, product_id=product_id, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        checkout_services.order_place(
            cart=cart,
            address=address_parse(data=ADDRESS),
            shipping_method="standard",
            payment_token=CARD_SUCCEEDS,
            coupon_code="",
            idempotency_key="attribution-2",
        )
    row = next(r for r in attribution_report(days=30) if r.slot == "home_for_you")
    assert row.clicks == 1 and row.orders == 1 and row.revenue > 0


@pytest.mark.django_db
def test_a_forged_or_altered_click_link_is_refused_and_records_nothing(client, shop):
    login(client, shop["customers"][9])
    link, _ = first_click_link(client.get("/").content.decode(), "home_for_you")
    token = link.split("/")[2]
    for bad in (token[:-3] + "abc", "eyJwIjoxfQ:1abc:forged", "nonsense"):
        assert client.get(f"/r/{bad}/").status_code == 400
    assert not Event.objects.filter(kind="rec_click").exists()


@pytest.mark.django_db
def test_admin_shows_impressions_to_orders_with_charts(client, admin_client, shop):
    login(client, shop["customers"][9])
    html = client.get("/").content.decode()
    client.get(first_click_link(html, "home_for_you")[0])
    response = admin_client.get("/admin/recommend/modelversion/performance/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="rec-chart"') == 8
    table = re.search(r'data-testid="rec-performance".*?</table>', page, re.S).group(0)
    assert "home_for_you" in table and shop["versions"]["itemknn"] in table
    assert "16.7%" in table  # one click on six products shown
    assert client.get("/admin/recommend/modelversion/performance/").status_code == 302  # shoppers: no


# --- the API -------------------------------------------------------------------


@pytest.mark.django_db
def test_api_for_an_anonymous_session_and_a_customer(client, shop):
    response = client.get("/api/recommendations/?slot=home&n=4", HTTP_ACCEPT_LANGUAGE="de-DE")
    assert response.status_code == 200
    body = response.json()
    assert body["slot"] == "home" and body["source_slot"] == "home_trending"
    assert body["model"] == "pop_recent" and body["model_version"] == shop["versions"]["pop_recent"]
    assert len(body["items"]) == 4
    item = body["items"][0]
    assert set(item) == {"product", "score", "reason", "click_url"}
    assert set(item["product"]) == {"id", "name", "price", "url"}
    assert item["reason"].startswith("Trending")

    login(client, shop["customers"][9])
    body = client.get("/api/recommendations/?slot=home&n=3").json()
    assert body["source_slot"] == "home_for_you" and body["model"] == "itemknn" and len(body["items"]) == 3

    holder = shop["products"]["WHITE HANGING HEART T-LIGHT HOLDER"]
    body = client.get(f"/api/recommendations/?slot=product&product={holder.pk}&n=5").json()
    assert body["items"] and all(i["product"]["id"] != holder.pk for i in body["items"])
    assert Event.objects.filter(kind="rec_impression", data__page="api:product").count() == 1

    # the cart's slot reads the shopper's own cart
    client.post("/cart/add/", {"product": holder.pk, "quantity": 1})
    response = client.get("/api/recommendations/?slot=cart&n=3")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["source_slot"] == "cart_together" and body["items"]
    assert all(i["product"]["id"] != holder.pk for i in body["items"])
    assert all(i["reason"].startswith("Often bought with White Hanging Heart") for i in body["items"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [
        ("slot=everywhere", "slot"),
        ("", "slot"),
        ("slot=home&n=0", "n"),
        ("slot=home&n=51", "n"),
        ("slot=home&n=ten", "n"),
        ("slot=product", "product"),
        ("slot=product&product=abc", "product"),
        ("slot=product&product=999999", "product"),
    ],
)
def test_api_bad_input_is_a_400_that_names_the_field(client, shop, query, field):
    response = client.get(f"/api/recommendations/?{query}")
    assert response.status_code == 400
    assert field in response.json()
    assert not Event.objects.filter(kind="rec_impression").exists()


@pytest.mark.django_db
def test_api_is_in_the_openapi_schema(client, db):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/recommendations/" in schema and "model_version" in schema and "click_url" in schema

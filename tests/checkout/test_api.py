"""The REST API: cart, checkout and orders, with machine-readable errors."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Product
from checkout import services
from checkout.models import Cart, Order
from checkout.payment import CARD_DECLINED, CARD_SUCCEEDS

from .conftest import ADDRESS
from .factories import CouponFactory, CustomerFactory, rfm_segment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def token_api(customer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer.user).key}")
    return client


def codes(response) -> dict[str, list[str]]:
    return {field: [e["code"] for e in errs] for field, errs in response.json().items()}


def test_anonymous_cart_round_trip(api, product):
    assert api.get("/api/cart/").json()["lines"] == []
    r = api.post("/api/cart/items/", {"product": product.pk, "quantity": 3, "unit_price": "0.01"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert body["item_count"] == 3 and body["subtotal"] == "7.65" and body["lines"][0]["unit_price"] == "2.55"
    line_id = body["lines"][0]["id"]
    r = api.patch(f"/api/cart/items/{line_id}/", {"quantity": 1}, format="json")
    assert r.status_code == 200 and r.json()["total"] == "2.55"
    r = api.delete(f"/api/cart/items/{line_id}/")
    assert r.status_code == 200 and r.json()["lines"] == []


@pytest.mark.parametrize(
    "payload, status, field, code",
    [
        ({"product": "P", "quantity": 1}, 400, "product", "unknown_product"),
        ({"product": 999999, "quantity": 1}, 400, "product", "unknown_product"),
        ({"quantity": 1}, 400, "product", "unknown_product"),
        ({"product": "__PK__", "quantity": -5}, 400, "quantity", "invalid_quantity"),
        ({"product": "__PK__", "quantity": 0}, 400, "quantity", "invalid_quantity"),
        ({"product": "__PK__", "quantity": "ten"}, 400, "quantity", "invalid_quantity"),
        ({"product": "__PK__", "quantity": 1.5}, 400, "quantity", "invalid_quantity"),
        ({"product": "__PK__", "quantity": 10**12}, 400, "quantity", "invalid_quantity"),
        ({"product": "__PK__", "quantity": 11}, 409, "quantity", "out_of_stock"),
    ],
)
def test_bad_cart_input_gets_a_coded_4xx_and_changes_nothing(api, product, payload, status, field, code):
    payload = {k: (product.pk if v == "__PK__" else v) for k, v in payload.items()}
    r = api.post("/api/cart/items/", payload, format="json")
    assert r.status_code == status
    assert codes(r) == {field: [code]} and r.json()[field][0]["message"]
    assert api.get("/api/cart/").json()["lines"] == []


def test_lines_of_other_carts_are_404(api, product):
    other = services.cart_get_or_create(customer=CustomerFactory())
    line = services.cart_add(cart=other, product_id=product.pk, quantity=1)
    api.post("/api/cart/items/", {"product": product.pk, "quantity": 1}, format="json")
    assert api.patch(f"/api/cart/items/{line.pk}/", {"quantity": 3}, format="json").status_code == 404
    assert api.delete(f"/api/cart/items/{line.pk}/").status_code == 404
    assert other.lines.get().quantity == 1


def _checkout(client, **overrides):
    payload = {
        **ADDRESS,
        "shipping_method": "standard",
        "payment_token": CARD_SUCCEEDS,
        "idempotency_key": "api-attempt-0001",
        **overrides,
    }
    return client.post("/api/checkout/", payload, format="json")


def test_checkout_with_a_token(token_api, customer, product):
    CouponFactory(code="TEN")
    token_api.post("/api/cart/items/", {"product": product.pk, "quantity": 4}, format="json")
    r = _checkout(token_api, coupon="ten", total="0.01", subtotal="0.01")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["subtotal"], body["discount"], body["shipping"], body["total"]) == ("10.20", "1.02", "4.95", "14.13")
    assert body["status"] == "paid" and body["lines"][0]["quantity"] == 4 and body["coupon_code"] == "TEN"
    again = _checkout(token_api, coupon="ten")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert Order.objects.count() == 1 and Product.objects.get(pk=product.pk).stock == 6


@pytest.mark.parametrize(
    "overrides, status, field, code",
    [
        ({"postcode": "!!"}, 400, "postcode", "invalid_address"),
        ({"country": "Narnia"}, 400, "country", "invalid_address"),
        ({"name": ""}, 400, "name", "invalid_address"),
        ({"shipping_method": "drone"}, 400, "shipping_method", "invalid_choice"),
        ({"idempotency_key": ""}, 400, "idempotency_key", "blank"),
        ({"idempotency_key": "bad key!"}, 400, "idempotency_key", "invalid_idempotency_key"),
        ({"payment_token": CARD_DECLINED}, 402, "payment_token", "payment_declined"),
        ({"coupon": "NOSUCH"}, 400, "coupon", "coupon_unknown"),
        ({"coupon": "OLD"}, 400, "coupon", "coupon_expired"),
        ({"coupon": "VIP"}, 400, "coupon", "coupon_wrong_segment"),
        ({"coupon": "GONE"}, 400, "coupon", "coupon_used_up"),
    ],
)
def test_bad_checkout_input_gets_a_field_error_and_changes_nothing(
    token_api, customer, product, overrides, status, field, code
):
    CouponFactory(code="OLD", valid_until=timezone.now() - timezone.timedelta(days=1))
    CouponFactory(code="VIP", segment=rfm_segment("champions"))
    CouponFactory(code="GONE", usage_limit=0)
    token_api.post("/api/cart/items/", {"product": product.pk, "quantity": 2}, format="json")
    r = _checkout(token_api, **overrides)
    assert r.status_code == status, r.json()
    assert codes(r) == {field: [code]}
    assert Order.objects.count() == 0 and Product.objects.get(pk=product.pk).stock == 10
    assert token_api.get("/api/cart/").json()["item_count"] == 2


def test_checkout_on_an_empty_cart(token_api):
    r = _checkout(token_api)
    assert r.status_code == 400 and codes(r) == {"non_field_errors": ["empty_cart"]}


def test_checkout_needs_authentication(api, product):
    api.post("/api/cart/items/", {"product": product.pk, "quantity": 1}, format="json")
    assert _checkout(api).status_code in (401, 403)
    assert Order.objects.count() == 0


def test_orders_are_the_customers_own(token_api, customer, product, place):
    services.cart_add(cart=services.cart_get_or_create(customer=customer), product_id=product.pk, quantity=1)
    mine = place()
    historical = Order.objects.create(
        number="536365", customer=customer, is_historical=True, placed_at=timezone.now(), total=Decimal("15.30")
    )
    theirs = Order.objects.create(number="536366", customer=CustomerFactory(), placed_at=timezone.now())
    listed = token_api.get("/api/orders/").json()
    assert {o["number"] for o in listed["results"]} == {mine.number, historical.number}
    assert token_api.get(f"/api/orders/{mine.pk}/").json()["number"] == mine.number
    assert token_api.get(f"/api/orders/{theirs.pk}/").status_code == 404
    assert APIClient().get("/api/orders/").status_code in (401, 403)


def test_schema_documents_the_checkout_api(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in [
        "/api/cart/",
        "/api/cart/items/",
        "/api/cart/items/{id}/",
        "/api/checkout/",
        "/api/orders/",
        "/api/orders/{id}/",
        "/api/auth/token/",
    ]:
        assert path in schema["paths"], path
    assert "idempotency_key" in schema["components"]["schemas"]["CheckoutIn"]["properties"]


@override_settings(
    REST_FRAMEWORK={
        **__import__("django.conf").conf.settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "4/min", "login": "2/min", "events": "9/min"},
    }
)
def test_throttling_on_anonymous_authenticated_and_login(api, token_api, customer):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # read once at import by DRF
    try:
        assert [api.get("/api/cart/").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert [token_api.get("/api/orders/").status_code for _ in range(5)] == [200] * 4 + [429]
        creds = {"username": customer.user.username, "password": "wrong"}
        got = [APIClient(REMOTE_ADDR="10.0.0.9").post("/api/auth/token/", creds).status_code for _ in range(3)]
        assert got == [400, 400, 429]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


def test_token_login(api, customer):
    r = api.post("/api/auth/token/", {"username": customer.user.username, "password": "pass-word-123"})
    assert r.status_code == 200 and Token.objects.get(user=customer.user).key == r.json()["token"]
    assert Cart.objects.count() == 0

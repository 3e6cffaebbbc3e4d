"""An idempotency key reused with a different cart (issue 13, defect 11): a
409 with a clear error in the API and on the checkout page, and nothing
charged, reserved or changed; the same key with the same cart is still the
same order."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Product
from checkout import services
from checkout.errors import IdempotencyConflict
from checkout.models import Order, PaymentStatus
from checkout.payment import CARD_SUCCEEDS

from .conftest import ADDRESS
from .factories import CouponFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_api(customer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer.user).key}")
    return client


def _checkout(client, **overrides):
    payload = {
        **ADDRESS,
        "shipping_method": "standard",
        "payment_token": CARD_SUCCEEDS,
        "idempotency_key": "reused-key-0001",
        **overrides,
    }
    return client.post("/api/checkout/", payload, format="json")


def _stock(*products):
    return [Product.objects.get(pk=p.pk).stock for p in products]


def test_api_the_same_key_with_another_cart_is_a_409_and_changes_nothing(token_api, product):
    other = ProductFactory(price="4.00", stock=10)
    token_api.post("/api/cart/items/", {"product": product.pk, "quantity": 2}, format="json")
    first = _checkout(token_api)
    assert first.status_code == 201, first.json()
    number = first.json()["number"]

    token_api.post("/api/cart/items/", {"product": other.pk, "quantity": 1}, format="json")
    before = _stock(product, other)
    again = _checkout(token_api)
    assert again.status_code == 409
    error = again.json()["idempotency_key"][0]
    assert error["code"] == "idempotency_conflict"
    assert number in error["message"] and "different cart" in error["message"]
    assert Order.objects.count() == 1 and _stock(product, other) == before
    assert token_api.get("/api/cart/").json()["item_count"] == 1  # the new cart is still there

    # a new key places the new cart
    third = _checkout(token_api, idempotency_key="fresh-key-0002")
    assert third.status_code == 201 and third.json()["number"] != number


def test_api_the_same_key_with_the_same_cart_is_the_same_order(token_api, product):
    token_api.post("/api/cart/items/", {"product": product.pk, "quantity": 2}, format="json")
    first = _checkout(token_api)
    again = _checkout(token_api)  # the resubmit after success: the order emptied the cart
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and Order.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    ["quantity", "shipping", "coupon"],
)
def test_a_waiting_order_retried_with_another_cart_is_refused(cart, product, place, monkeypatch, change):
    """An order reserved but not paid (the worker died at the gateway) and a
    retry of its key after the cart changed: a 409, not the old cart paid."""
    from checkout import services as checkout_services
    from checkout.payment import TestGateway

    class DyingGateway(TestGateway):
        def charge(self, **kwargs):
            raise RuntimeError("worker killed")

    CouponFactory(code="TEN")
    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    monkeypatch.setattr(checkout_services, "get_gateway", DyingGateway)
    with pytest.raises(RuntimeError):
        place(idempotency_key="waiting-key-1")
    monkeypatch.setattr(checkout_services, "get_gateway", TestGateway)
    overrides = {"idempotency_key": "waiting-key-1"}
    if change == "quantity":
        services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    elif change == "shipping":
        overrides["shipping_method"] = "express"
    else:
        overrides["coupon_code"] = "TEN"
    with pytest.raises(IdempotencyConflict) as err:
        place(**overrides)
    assert err.value.status == 409
    waiting = Order.objects.get(idempotency_key="waiting-key-1")
    assert waiting.payment_status == PaymentStatus.NONE and waiting.status == Order.Status.PLACED


def test_page_the_same_key_with_another_cart_says_so_and_offers_a_new_checkout(client, customer, product):
    client.force_login(customer.user)
    cart = services.cart_get_or_create(customer=customer)
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    form = {**ADDRESS, "shipping_method": "standard", "payment_token": CARD_SUCCEEDS}
    form["idempotency_key"] = "page-key-0001"
    placed = client.post("/checkout/", {**form, "step": "place"})
    assert placed.status_code == 302
    first = Order.objects.get()

    services.cart_add(cart=cart, product_id=product.pk, quantity=4)
    stale = client.post("/checkout/", {**form, "step": "place"})  # the old tab's form, a new cart
    html = stale.content.decode()
    assert stale.status_code == 409
    assert f"already used for order {first.number}, with a different cart" in html
    assert Order.objects.count() == 1 and cart.lines.get().quantity == 4
    # the page carries a fresh key: reviewing and placing it makes the new order
    fresh = stale.context["form"]["idempotency_key"].value()
    assert fresh and fresh != "page-key-0001"
    again = client.post("/checkout/", {**form, "idempotency_key": fresh, "step": "place"})
    assert again.status_code == 302 and Order.objects.count() == 2

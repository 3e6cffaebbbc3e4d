"""The cart, checkout and order pages, as a shopper uses them."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import Product
from checkout import services
from checkout.models import Cart, Order, OrderLine
from checkout.payment import CARD_DECLINED, CARD_ERRORS, CARD_SUCCEEDS

from .conftest import ADDRESS
from .factories import CouponFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def shopper(client, customer):
    client.force_login(customer.user)
    return client


def test_anonymous_add_to_cart_shows_in_cart_and_header(client, product):
    response = client.post("/cart/add/", {"product": product.pk, "quantity": "3", "next": "/cart/"}, follow=True)
    assert response.status_code == 200
    assert any("Added to your cart" in m for m in messages_of(response))
    html = response.content.decode()
    # one display name everywhere: the cart and its message read as the catalog does
    assert product.display_name.startswith("White Hanging Heart T-Light Holder ")
    assert product.display_name in html and product.name not in html and "£7.65" in html
    assert any(product.display_name in m for m in messages_of(response))
    assert '<span class="badge">3</span>' in html


def test_add_to_cart_ignores_a_price_sent_by_the_client(client, product):
    client.post("/cart/add/", {"product": product.pk, "quantity": "2", "price": "0.01"})
    html = client.get("/cart/").content.decode()
    assert "£5.10" in html and "£0.02" not in html


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("-2", "at least 1"),
        ("0", "at least 1"),
        ("abc", "whole number"),
        ("1000000", "at most 10,000"),
        ("2.5", "whole number"),
        ("20", "Only 10 left"),
    ],
)
def test_bad_quantities_get_a_message_and_change_nothing(client, product, quantity, message):
    response = client.post("/cart/add/", {"product": product.pk, "quantity": quantity, "next": "/cart/"}, follow=True)
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert "Your cart is empty" in response.content.decode()
    assert not Cart.objects.filter(lines__isnull=False).exists()


@pytest.mark.parametrize("product_id", ["999999", "abc", ""])
def test_unknown_product_gets_a_message(client, product_id):
    response = client.post("/cart/add/", {"product": product_id, "quantity": "1"}, follow=True)
    assert any("no such product" in m for m in messages_of(response))


def test_add_to_cart_is_post_only_and_next_cannot_leave_the_site(client, product):
    assert client.get("/cart/add/", {"product": product.pk}).status_code == 405
    response = client.post("/cart/add/", {"product": product.pk, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/cart/"


def test_update_remove_and_coupon_on_the_cart_page(client, product):
    client.post("/cart/add/", {"product": product.pk, "quantity": "2"})
    cart = Cart.objects.get()
    line = cart.lines.get()
    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": "4"}, follow=True)
    assert "£10.20" in response.content.decode()
    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": "-1"}, follow=True)
    assert any("at least 0" in m for m in messages_of(response)) and cart.lines.get().quantity == 4
    CouponFactory(code="TENOFF", kind="fixed", value="1.00", once_per_customer=False)
    response = client.post("/cart/coupon/", {"code": "tenoff"}, follow=True)
    html = response.content.decode()
    assert "Coupon TENOFF applied" in html and "−£1.00" in html and "£9.20" in html
    response = client.post("/cart/coupon/", {"code": "EXPIRED1"}, follow=True)
    assert any("no coupon EXPIRED1" in m for m in messages_of(response))
    client.post(f"/cart/lines/{line.pk}/remove/", follow=True)
    assert not cart.lines.exists()


def test_a_line_of_another_cart_is_not_found(client, product):
    other = services.cart_get_or_create(customer=CustomerFactory())
    line = services.cart_add(cart=other, product_id=product.pk, quantity=1)
    client.post("/cart/add/", {"product": product.pk, "quantity": "1"})
    response = client.post(f"/cart/lines/{line.pk}/remove/", follow=True)
    assert any("no such line" in m for m in messages_of(response))
    assert other.lines.count() == 1


def test_cart_is_merged_at_login(client, product, customer):
    mine = services.cart_get_or_create(customer=customer)
    services.cart_add(cart=mine, product_id=product.pk, quantity=1)
    other = ProductFactory()
    client.post("/cart/add/", {"product": product.pk, "quantity": "2"})
    client.post("/cart/add/", {"product": other.pk, "quantity": "1"})
    response = client.post("/accounts/login/", {"username": customer.user.username, "password": "pass-word-123"})
    assert response.status_code == 302
    assert dict(mine.lines.values_list("product_id", "quantity")) == {product.pk: 2, other.pk: 1}
    assert Cart.objects.count() == 1
    assert '<span class="badge">3</span>' in client.get("/cart/").content.decode()


def test_checkout_needs_login(client, product):
    client.post("/cart/add/", {"product": product.pk, "quantity": "1"})
    response = client.get("/checkout/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_checkout_on_an_empty_cart_is_refused(shopper):
    response = shopper.get("/checkout/", follow=True)
    assert any("cart is empty" in m for m in messages_of(response))
    response = shopper.post(
        "/checkout/",
        {
            **ADDRESS,
            "shipping_method": "standard",
            "payment_token": CARD_SUCCEEDS,
            "idempotency_key": "abcdefgh12",
            "step": "place",
        },
    )
    assert response.status_code == 400 and "Your cart is empty" in response.content.decode()
    assert Order.objects.count() == 0


def _form(**overrides):
    return {
        **ADDRESS,
        "shipping_method": "standard",
        "payment_token": CARD_SUCCEEDS,
        "idempotency_key": "checkout-attempt-1",
        **overrides,
    }


def test_checkout_review_place_confirm(shopper, product, customer, django_capture_on_commit_callbacks):
    services.cart_add(cart=services.cart_get_or_create(customer=customer), product_id=product.pk, quantity=2)
    page = shopper.get("/checkout/")
    html = page.content.decode()
    assert "4242 4242 4242 4242" in html and "4000 0000 0000 0002" in html and "4000 0000 0000 0119" in html
    assert '<option value="United Kingdom" selected>' in html
    review = shopper.post("/checkout/", _form(step="review", shipping_method="express"))
    html = review.content.decode()
    assert review.status_code == 200 and "Review your order" in html
    assert "£5.10" in html and "£9.95" in html and "£15.05" in html and "ending 4242" in html
    assert Order.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        placed = shopper.post("/checkout/", _form(step="place", shipping_method="express"))
    order = Order.objects.get()
    assert placed.status_code == 302 and placed["Location"] == f"/checkout/done/{order.number}/"
    assert order.total == Decimal("15.05") and order.customer == customer
    # a double click posts the same form again: the same order, no second charge
    again = shopper.post("/checkout/", _form(step="place", shipping_method="express"))
    assert again["Location"] == placed["Location"] and Order.objects.count() == 1
    done = shopper.get(placed["Location"]).content.decode()
    assert order.number in done and "Thank you" in done and "£15.05" in done
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [customer.user.email]
    assert '<span class="badge">0</span>' in done


@pytest.mark.parametrize("card, message", [(CARD_DECLINED, "declined"), (CARD_ERRORS, "not been charged")])
def test_failed_payment_shows_the_reason_and_keeps_the_cart(shopper, product, customer, card, message):
    cart = services.cart_get_or_create(customer=customer)
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    response = shopper.post("/checkout/", _form(step="place", payment_token=card))
    assert response.status_code == 402 and message in response.content.decode()
    assert cart.lines.get().quantity == 2 and Product.objects.get(pk=product.pk).stock == 10
    assert Order.objects.count() == 0
    assert 'value="checkout-attempt-1"' in response.content.decode()  # the retry keeps the key


def test_malformed_address_is_shown_next_to_the_fields(shopper, product, customer):
    services.cart_add(cart=services.cart_get_or_create(customer=customer), product_id=product.pk, quantity=1)
    response = shopper.post("/checkout/", _form(step="place", postcode="!!", country="Atlantis", name=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required" in html and "Select a valid choice" in html
    assert Order.objects.count() == 0
    response = shopper.post("/checkout/", _form(step="place", postcode="%%%"))
    assert response.status_code == 400 and "valid postcode" in response.content.decode()


def test_orders_pages_show_own_orders_only(shopper, customer, product, place):
    services.cart_add(cart=services.cart_get_or_create(customer=customer), product_id=product.pk, quantity=1)
    placed = place()
    historical = Order.objects.create(
        number="536365",
        customer=customer,
        is_historical=True,
        status="completed",
        placed_at=timezone.now(),
        total=Decimal("15.30"),
        subtotal=Decimal("15.30"),
    )
    OrderLine.objects.create(
        order=historical,
        product=product,
        product_name=product.name,
        quantity=6,
        unit_price=Decimal("2.55"),
        line_total=Decimal("15.30"),
    )
    theirs = Order.objects.create(number="536366", customer=CustomerFactory(), placed_at=timezone.now())
    html = shopper.get("/orders/").content.decode()
    assert placed.number in html and "536365" in html and "536366" not in html
    detail = shopper.get("/orders/536365/").content.decode()
    assert product.name in detail and "£15.30" in detail and "Cancel this order" not in detail
    assert shopper.get(f"/orders/{theirs.number}/").status_code == 404
    assert shopper.post(f"/orders/{theirs.number}/cancel/").status_code == 404
    assert shopper.get(f"/checkout/done/{theirs.number}/").status_code == 404


def test_cancel_button(shopper, customer, product, place):
    services.cart_add(cart=services.cart_get_or_create(customer=customer), product_id=product.pk, quantity=4)
    order = place()
    assert "Cancel this order" in shopper.get(f"/orders/{order.number}/").content.decode()
    response = shopper.post(f"/orders/{order.number}/cancel/", follow=True)
    assert "is cancelled" in response.content.decode()
    assert Product.objects.get(pk=product.pk).stock == 10
    response = shopper.post(f"/orders/{order.number}/cancel/", follow=True)
    assert any("can no longer be cancelled" in m for m in messages_of(response))


def test_staff_without_customer_profile_gets_a_clear_answer(client, django_user_model, product):
    staff = django_user_model.objects.create_user("ops", "ops@example.com", "x", is_staff=True)
    client.force_login(staff)
    client.post("/cart/add/", {"product": product.pk, "quantity": "1"})
    response = client.get("/checkout/", follow=True)
    assert any("no customer profile" in m for m in messages_of(response))
    assert client.get("/orders/").status_code == 200

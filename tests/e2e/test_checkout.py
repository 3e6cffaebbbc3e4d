"""A shopper buys in a real browser: product page → add to cart → cart →
coupon → checkout → review → confirmation, and the confirmation e-mail arrives."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import NoReverseMatch, reverse

from catalog.models import Product
from checkout.models import Order
from tests.checkout.factories import CouponFactory, CustomerFactory, ProductFactory


def add_from_product_page(page, product, quantity: int) -> None:
    """Use the catalog's product page when it exists; otherwise a minimal page
    with the same form (product + quantity posted to /cart/add/)."""
    try:
        url = reverse("catalog:product", args=[product.pk])
    except NoReverseMatch:
        url = None
    if url:
        page.goto(url)
        form = page.locator("form[action='/cart/add/']").first
        form.locator("[name=quantity]").fill(str(quantity))
        form.locator("[type=submit]").click()
        page.wait_for_load_state()
        return
    page.goto("/cart/")  # sets the CSRF cookie
    token = next(c["value"] for c in page.context.cookies() if c["name"] == settings.CSRF_COOKIE_NAME)
    page.set_content(f"""<h1>{product.name}</h1><form method="post" action="/cart/add/">
        <input type="hidden" name="csrfmiddlewaretoken" value="{token}">
        <input type="hidden" name="product" value="{product.pk}">
        <input name="quantity" value="{quantity}"><button type="submit">Add to cart</button></form>""")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_shopper_buys_with_a_coupon_and_gets_the_email(page, screenshot):
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    product = ProductFactory(name="WHITE HANGING HEART T-LIGHT HOLDER", price="2.55", stock=10)
    ProductFactory(name="REGENCY CAKESTAND 3 TIER", price="12.75", stock=3)
    CouponFactory(code="WELCOME10", kind="percentage", value="10")

    # anonymous: product page → cart → coupon
    add_from_product_page(page, product, 4)
    assert "Added to your cart" in page.content()
    assert page.get_by_test_id("mini-cart").inner_text().endswith("4")
    page.get_by_test_id("mini-cart").click()
    page.wait_for_url("**/cart/")
    page.get_by_label("Coupon code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/cart/")
    assert page.get_by_test_id("applied-coupon").inner_text() == "WELCOME10"
    assert page.get_by_test_id("subtotal").inner_text() == "£10.20"
    assert page.get_by_test_id("discount").inner_text() == "−£1.02"
    screenshot("checkout-1-cart")

    # checkout asks for a login; the cart (and its coupon) survives it
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url("**/accounts/login/**")
    page.locator("input[name=username]").fill(customer.user.username)
    page.locator("input[name=password]").fill("pass-word-123")
    page.locator("form[action='/accounts/login/'] [type=submit]").click()
    page.wait_for_url("**/checkout/")
    assert page.get_by_test_id("mini-cart").inner_text().endswith("4")
    assert "WELCOME10" in page.content()
    page.get_by_label("Address", exact=True).fill("12 Mill Lane")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Postcode").fill("LS1 4AB")
    page.get_by_label("Express delivery", exact=False).check()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    assert page.get_by_label("Full name").input_value() == "Ada Lovelace"
    screenshot("checkout-2-details")
    page.get_by_role("button", name="Review order").click()
    page.get_by_text("Review your order").first.wait_for()  # the form posts, then the review page loads
    assert "Review your order" in page.content()
    assert page.get_by_test_id("total").inner_text() == "£19.13"  # 10.20 − 1.02 + 9.95
    screenshot("checkout-3-review")

    page.get_by_test_id("place-order").click()
    page.wait_for_url("**/checkout/done/**")
    order = Order.objects.get()
    assert page.get_by_test_id("order-number").inner_text() == order.number
    assert page.get_by_test_id("order-total").inner_text() == "£19.13"
    assert page.get_by_test_id("mini-cart").inner_text().endswith("0")
    screenshot("checkout-4-confirmation")

    assert order.total == Decimal("19.13") and order.coupon_code == "WELCOME10"
    assert Product.objects.get(pk=product.pk).stock == 6
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.user.email] and order.number in email.subject and "£19.13" in email.body

    page.goto("/orders/")
    assert order.number in page.content()
    screenshot("checkout-5-orders")

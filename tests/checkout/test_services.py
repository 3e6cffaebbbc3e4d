"""Rules of the cart, coupons and order placement, through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import Product
from checkout import selectors, services
from checkout.errors import (
    CheckoutError,
    CouponInvalid,
    EmptyCart,
    InvalidAddress,
    InvalidQuantity,
    OrderStateError,
    OutOfStock,
    PaymentFailed,
    UnknownProduct,
)
from checkout.models import Cart, CartLine, CouponRedemption, Order, PaymentStatus
from checkout.parsing import product_id_parse, quantity_parse
from checkout.payment import CARD_DECLINED, CARD_ERRORS
from profiles.models import Event, Portrait

from .factories import CouponFactory, CustomerFactory, ProductFactory, rfm_segment

pytestmark = pytest.mark.django_db


def snapshot(cart, *products):
    return (
        [(line.product_id, line.quantity) for line in cart.lines.order_by("id")],
        Cart.objects.get(pk=cart.pk).coupon_id,
        [Product.objects.get(pk=p.pk).stock for p in products],
        Order.objects.count(),
        CouponRedemption.objects.count(),
    )


# --- cart -------------------------------------------------------------------------------


def test_cart_add_accumulates_and_prices_from_the_database(cart, product):
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    totals = selectors.cart_totals(cart=cart)
    assert [(pl.product.pk, pl.quantity) for pl in totals.lines] == [(product.pk, 5)]
    assert totals.subtotal == Decimal("12.75") and isinstance(totals.subtotal, Decimal)
    assert totals.subtotal.as_tuple().exponent == -2
    assert selectors.cart_item_count(cart=cart) == 5


@pytest.mark.parametrize("bad", [-1, 0, "0", "-3", "abc", "1.5", "", None, True, 10**9, "99999999999999", "1e3"])
def test_cart_add_rejects_bad_quantities_and_changes_nothing(cart, product, bad):
    """Shopper input is parsed first (checkout.parsing), then the service checks the range."""
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    before = snapshot(cart, product)
    with pytest.raises(InvalidQuantity) as err:
        services.cart_add(cart=cart, product_id=product.pk, quantity=quantity_parse(bad))
    assert err.value.field == "quantity" and err.value.message
    assert snapshot(cart, product) == before


@pytest.mark.parametrize("bad", [999_999, "abc", None, "", "1; DROP TABLE", True, "12.0"])
def test_cart_add_rejects_unknown_products(cart, bad):
    with pytest.raises(UnknownProduct, match="no such product"):
        services.cart_add(cart=cart, product_id=product_id_parse(bad), quantity=1)
    assert not cart.lines.exists()


@pytest.mark.parametrize("text, number", [("3", 3), (" 12 ", 12), ("-2", -2), (7, 7), ("+4", 4)])
def test_quantities_are_parsed_from_text_or_json(text, number):
    assert quantity_parse(text) == number


def test_product_ids_are_parsed_from_text_or_json():
    assert product_id_parse("42") == 42 and product_id_parse(42) == 42 and product_id_parse(" 7 ") == 7


def test_cart_add_rejects_inactive_products(cart):
    product = ProductFactory(is_active=False)
    with pytest.raises(UnknownProduct):
        services.cart_add(cart=cart, product_id=product.pk, quantity=1)


def test_cart_add_beyond_stock_says_how_many_are_left(cart, product):
    services.cart_add(cart=cart, product_id=product.pk, quantity=8)
    with pytest.raises(OutOfStock, match="Only 10 left"):
        services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    assert cart.lines.get().quantity == 8


def test_cart_update_and_remove_lines(cart, product):
    line = services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    services.cart_update_line(cart=cart, line_id=line.pk, quantity=4)
    assert cart.lines.get().quantity == 4
    with pytest.raises(InvalidQuantity):
        services.cart_update_line(cart=cart, line_id=line.pk, quantity=-2)
    with pytest.raises(OutOfStock):
        services.cart_update_line(cart=cart, line_id=line.pk, quantity=11)
    assert cart.lines.get().quantity == 4
    assert services.cart_update_line(cart=cart, line_id=line.pk, quantity=0) is None
    assert not cart.lines.exists()


def test_a_line_of_another_cart_cannot_be_touched(cart, product):
    other = services.cart_get_or_create(customer=CustomerFactory())
    line = services.cart_add(cart=other, product_id=product.pk, quantity=2)
    with pytest.raises(CheckoutError, match="no such line"):
        services.cart_update_line(cart=cart, line_id=line.pk, quantity=1)
    with pytest.raises(CheckoutError, match="no such line"):
        services.cart_remove_line(cart=cart, line_id=line.pk)
    assert CartLine.objects.get(pk=line.pk).quantity == 2


def test_cart_events_are_recorded_after_commit(cart, product, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        line = services.cart_add(cart=cart, product_id=product.pk, quantity=2)
        services.cart_remove_line(cart=cart, line_id=line.pk)
    kinds = sorted(Event.objects.filter(customer=cart.customer).values_list("kind", "quantity"))
    assert kinds == [("add_to_cart", 2), ("remove_from_cart", 2)]


def test_cart_merge_keeps_every_line_without_doubling(customer, product):
    other = ProductFactory(stock=10)
    only_session = ProductFactory(stock=10)
    mine = services.cart_get_or_create(customer=customer)
    services.cart_add(cart=mine, product_id=product.pk, quantity=3)
    services.cart_add(cart=mine, product_id=other.pk, quantity=1)
    session_cart = services.cart_get_or_create(customer=None, session_key="s1")
    services.cart_add(cart=session_cart, product_id=product.pk, quantity=2)
    services.cart_add(cart=session_cart, product_id=other.pk, quantity=4)
    services.cart_add(cart=session_cart, product_id=only_session.pk, quantity=1)

    merged = services.cart_merge(session_cart=session_cart, customer=customer)
    assert merged.pk == mine.pk
    got = dict(merged.lines.values_list("product_id", "quantity"))
    assert got == {product.pk: 3, other.pk: 4, only_session.pk: 1}
    assert not Cart.objects.filter(pk=session_cart.pk).exists()
    # logging in again with the same (now gone) session cart changes nothing
    services.cart_merge(session_cart=None, customer=customer)
    assert dict(merged.lines.values_list("product_id", "quantity")) == got


# --- coupons --------------------------------------------------------------------------------


def test_percentage_and_fixed_coupons(cart, product, customer):
    services.cart_add(cart=cart, product_id=product.pk, quantity=4)  # 10.20
    pct = CouponFactory(code="ten", kind="percentage", value="10")
    assert services.cart_apply_coupon(cart=cart, code=" Ten ") == pct
    totals = selectors.cart_totals(cart=cart, shipping_method="standard")
    assert (totals.subtotal, totals.discount, totals.shipping, totals.total) == (
        Decimal("10.20"),
        Decimal("1.02"),
        Decimal("4.95"),
        Decimal("14.13"),
    )
    big = CouponFactory(code="BIG", kind="fixed", value="50.00")
    services.cart_apply_coupon(cart=cart, code="big")
    totals = selectors.cart_totals(cart=cart)
    assert cart.coupon == big and totals.discount == Decimal("10.20") and totals.total == Decimal("0.00")


@pytest.mark.parametrize(
    "coupon_kwargs, code, message",
    [
        ({}, "NOPE", "There is no coupon NOPE"),
        ({"is_active": False}, "C", "There is no coupon C"),
        ({"valid_until": timezone.now() - timedelta(days=1)}, "C", "has expired"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "C", "not valid yet"),
        ({"min_spend": Decimal("100.00")}, "C", "minimum spend of £100.00"),
        ({"segment": "champions"}, "C", "not available for your account"),
    ],
)
def test_invalid_coupons_are_refused_with_a_reason(cart, product, coupon_kwargs, code, message):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    if "segment" in coupon_kwargs:
        coupon_kwargs = {**coupon_kwargs, "segment": rfm_segment(coupon_kwargs["segment"])}
    CouponFactory(code="C", **coupon_kwargs)
    with pytest.raises(CouponInvalid, match=message):
        services.cart_apply_coupon(cart=cart, code=code)
    assert Cart.objects.get(pk=cart.pk).coupon_id is None


def test_segment_coupon_for_the_right_segment(cart, product):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    CouponFactory(code="VIP", segment=rfm_segment("champions"))
    Portrait.objects.create(customer=cart.customer, reference_time=timezone.now(), segment="champions")
    assert services.cart_apply_coupon(cart=cart, code="vip").code == "VIP"


def test_used_up_and_once_per_customer(cart, product, place):
    coupon = CouponFactory(code="ONCE", usage_limit=2, once_per_customer=True)
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    order = place(coupon_code="once")
    assert order.discount == Decimal("0.26") and order.coupon_redemption.coupon == coupon
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    with pytest.raises(CouponInvalid, match="already used"):
        place(coupon_code="ONCE")
    other = services.cart_get_or_create(customer=CustomerFactory())
    services.cart_add(cart=other, product_id=product.pk, quantity=1)
    place(cart=other, coupon_code="ONCE")
    third = services.cart_get_or_create(customer=CustomerFactory())
    services.cart_add(cart=third, product_id=product.pk, quantity=1)
    with pytest.raises(CouponInvalid, match="used up"):
        place(cart=third, coupon_code="ONCE")
    assert coupon.redemptions.count() == 2


# --- placing orders ------------------------------------------------------------------------------


def test_order_place_does_everything_in_one_go(cart, product, place, django_capture_on_commit_callbacks):
    CouponFactory(code="TEN", value="10")
    services.cart_add(cart=cart, product_id=product.pk, quantity=4)
    services.cart_apply_coupon(cart=cart, code="TEN")
    product.price = Decimal("3.00")  # the price changes before checkout: today's price counts
    product.save()
    with django_capture_on_commit_callbacks(execute=True):
        order = place(shipping_method="express")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.payment_status == PaymentStatus.CAPTURED
    assert order.payment_reference.startswith("ch_test_")
    assert (order.subtotal, order.discount, order.shipping, order.total) == (
        Decimal("12.00"),
        Decimal("1.20"),
        Decimal("9.95"),
        Decimal("20.75"),
    )
    assert [(ln.product_id, ln.quantity, ln.unit_price, ln.line_total) for ln in order.lines.all()] == [
        (product.pk, 4, Decimal("3.00"), Decimal("12.00"))
    ]
    assert order.coupon_code == "TEN" and order.coupon_redemption.amount == Decimal("1.20")
    product.refresh_from_db()
    assert product.stock == 6
    assert not cart.lines.exists() and Cart.objects.get(pk=cart.pk).coupon_id is None
    assert order.ship_city == "Leeds" and order.country == "United Kingdom"
    # after commit: one e-mail and the events
    assert len(mail.outbox) == 1 and order.number in mail.outbox[0].subject
    assert mail.outbox[0].to == [cart.customer.user.email] and "£20.75" in mail.outbox[0].body
    events = Event.objects.filter(order_number=order.number)
    assert sorted(events.values_list("kind", flat=True)) == ["coupon_used", "purchase"]
    purchase = events.get(kind="purchase")
    assert (purchase.product_id, purchase.quantity, purchase.price) == (product.pk, 4, Decimal("3.00"))
    # the order line and the e-mail name the product as the catalog shows it
    assert order.lines.get().product_name == product.display_name != product.name
    assert f"4 x {product.display_name}" in mail.outbox[0].body and product.name not in mail.outbox[0].body


def test_nothing_is_announced_before_commit(cart, product, place, django_capture_on_commit_callbacks):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        place()
    assert mail.outbox == [] and not Event.objects.filter(kind="purchase").exists()
    assert len(callbacks) == 2


def test_tasks_are_idempotent(cart, product, place, django_capture_on_commit_callbacks):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        order = place()
    assert services.order_confirmation_send(order_id=order.pk) is False
    assert services.order_events_record(order_id=order.pk) is False
    assert len(mail.outbox) == 1 and Event.objects.filter(kind="purchase").count() == 1


def test_same_idempotency_key_gives_the_same_order(cart, product, place):
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    first = place(idempotency_key="double-click-1")
    second = place(idempotency_key="double-click-1")  # the cart is empty now: still the same order
    assert first.pk == second.pk and Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 8


def test_someone_elses_idempotency_key_is_refused(cart, product, place):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    place(idempotency_key="shared-key-1")
    other = services.cart_get_or_create(customer=CustomerFactory())
    services.cart_add(cart=other, product_id=product.pk, quantity=1)
    with pytest.raises(CheckoutError, match="another order") as err:
        place(cart=other, idempotency_key="shared-key-1")
    assert err.value.field == "idempotency_key"


@pytest.mark.parametrize(
    "card, code",
    [(CARD_DECLINED, "payment_declined"), (CARD_ERRORS, "payment_error"), ("1234 5678 9012 3456", "payment_declined")],
)
def test_failed_payment_leaves_stock_coupon_and_cart_as_they_were(cart, product, place, card, code):
    CouponFactory(code="TEN", usage_limit=1)
    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    services.cart_apply_coupon(cart=cart, code="TEN")
    before = snapshot(cart, product)
    with pytest.raises(PaymentFailed) as err:
        place(payment_token=card, idempotency_key="pay-attempt-1")
    assert err.value.code == code and err.value.field == "payment_token"
    assert snapshot(cart, product) == before
    # the shopper retries with a good card and the same key: it works now
    order = place(idempotency_key="pay-attempt-1")
    assert order.discount == Decimal("0.77") and Product.objects.get(pk=product.pk).stock == 7


def test_empty_cart_checkout_is_refused(cart, place):
    with pytest.raises(EmptyCart, match="empty"):
        place()
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"line1": " "}, "line1"),
        ({"city": ""}, "city"),
        ({"postcode": "!!"}, "postcode"),
        ({"postcode": ""}, "postcode"),
        ({"country": "Atlantis"}, "country"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_malformed_address_is_refused_field_by_field(cart, product, place, changes, field):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    before = snapshot(cart, product)
    from tests.checkout.conftest import ADDRESS

    with pytest.raises(InvalidAddress) as err:
        place(address={**ADDRESS, **changes})
    assert field in err.value.errors
    assert snapshot(cart, product) == before


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"shipping_method": "teleport"}, "shipping_method"),
        ({"payment_token": "abc"}, "payment_token"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"idempotency_key": "has spaces in it"}, "idempotency_key"),
    ],
)
def test_other_bad_checkout_input(cart, product, place, kwargs, field):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    with pytest.raises(CheckoutError) as err:
        place(**kwargs)
    assert err.value.field == field
    assert Order.objects.count() == 0 and cart.lines.count() == 1


def test_stock_sold_meanwhile_is_reported_at_checkout(cart, product, place):
    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    Product.objects.filter(pk=product.pk).update(stock=1)
    with pytest.raises(OutOfStock, match="Only 1 left"):
        place()
    assert Product.objects.get(pk=product.pk).stock == 1 and cart.lines.get().quantity == 3


def test_guest_cart_cannot_check_out(product, place):
    guest = services.cart_get_or_create(customer=None, session_key="abc")
    services.cart_add(cart=guest, product_id=product.pk, quantity=1)
    with pytest.raises(CheckoutError, match="Log in"):
        place(cart=guest)


# --- after the order ----------------------------------------------------------------------------


def test_cancel_returns_stock_refunds_and_frees_the_coupon(cart, product, place, customer):
    CouponFactory(code="TEN", usage_limit=1)
    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    order = place(coupon_code="TEN")
    assert Product.objects.get(pk=product.pk).stock == 7
    with pytest.raises(Order.DoesNotExist):
        services.order_cancel(order=order, customer=CustomerFactory())
    services.order_cancel(order=order, customer=customer)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.payment_status == PaymentStatus.REFUNDED
    assert Product.objects.get(pk=product.pk).stock == 10
    assert not CouponRedemption.objects.exists()
    with pytest.raises(OrderStateError):
        services.order_cancel(order=order, customer=customer)
    assert Product.objects.get(pk=product.pk).stock == 10


def test_shipped_orders_cannot_be_cancelled_but_can_be_refunded(cart, product, place, customer):
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    order = place()
    services.order_mark_shipped(order=order)
    with pytest.raises(OrderStateError, match="can no longer be cancelled"):
        services.order_cancel(order=order, customer=customer)
    assert Product.objects.get(pk=product.pk).stock == 8
    services.order_refund(order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_at is not None
    with pytest.raises(OrderStateError):
        services.order_refund(order=order)


def test_historical_orders_cannot_be_cancelled(customer):
    order = Order.objects.create(
        number="536365",
        customer=customer,
        is_historical=True,
        placed_at=timezone.now(),
        total=Decimal("15.30"),
        country="United Kingdom",
    )
    with pytest.raises(OrderStateError):
        services.order_cancel(order=order, customer=customer)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED


def test_country_list_comes_from_customers_and_orders(customer):
    CustomerFactory(country="EIRE")
    Order.objects.create(number="536370", is_historical=True, country="France", placed_at=timezone.now())
    assert selectors.country_choices() == ["EIRE", "France", "United Kingdom"]


def test_an_attempt_that_died_before_paying_is_finished_by_the_retry(cart, product, place, monkeypatch):
    """The stock is reserved and the order written, then the process dies at
    the gateway: the order waits unpaid with its stock held, and the retry with
    the same key pays and confirms it (no second reservation)."""
    from checkout import services as checkout_services
    from checkout.payment import TestGateway

    class DyingGateway(TestGateway):
        def charge(self, **kwargs):
            raise RuntimeError("worker killed")

    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    monkeypatch.setattr(checkout_services, "get_gateway", DyingGateway)
    with pytest.raises(RuntimeError):
        place(idempotency_key="dies-midway")
    waiting = Order.objects.get(idempotency_key="dies-midway")
    assert waiting.status == Order.Status.PLACED and waiting.payment_status == PaymentStatus.NONE
    assert Product.objects.get(pk=product.pk).stock == 7 and cart.lines.count() == 1
    monkeypatch.setattr(checkout_services, "get_gateway", TestGateway)
    order = place(idempotency_key="dies-midway")
    assert order.pk == waiting.pk and order.status == Order.Status.PAID
    assert order.payment_status == PaymentStatus.CAPTURED and order.payment_reference.startswith("ch_test_")
    assert Product.objects.get(pk=product.pk).stock == 7 and not cart.lines.exists()
    assert Order.objects.count() == 1


def test_a_failure_after_the_charge_refunds_it_and_releases_the_stock(cart, product, place, monkeypatch):
    from checkout import services as checkout_services
    from checkout.payment import TestGateway

    refunds = []

    class RecordingGateway(TestGateway):
        def refund(self, *, reference, amount):
            refunds.append((reference, amount))
            return super().refund(reference=reference, amount=amount)

    def broken_outbox(*args, **kwargs):
        raise OSError("outbox write failed while confirming")

    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    before = snapshot(cart, product)
    monkeypatch.setattr(checkout_services, "get_gateway", RecordingGateway)
    monkeypatch.setattr(checkout_services, "outbox_enqueue", broken_outbox)
    with pytest.raises(OSError):
        place(idempotency_key="fails-after-pay")
    # the whole charge (2 x 2.55 + 4.95 standard shipping) goes back
    assert len(refunds) == 1 and refunds[0][0].startswith("ch_test_") and refunds[0][1] == Decimal("10.05")
    assert snapshot(cart, product) == before


def test_a_cancelled_order_is_not_a_purchase(cart, product, place, customer, django_capture_on_commit_callbacks):
    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    sold = Product.objects.get(pk=product.pk).units_sold
    with django_capture_on_commit_callbacks(execute=True):
        order = place()
    assert Event.objects.filter(kind="purchase", order_number=order.number).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel(order=order, customer=customer)
    # sold counts, the event log (portraits, training data) are net again
    assert Product.objects.get(pk=product.pk).units_sold == sold
    assert not Event.objects.filter(kind="purchase", order_number=order.number).exists()
    assert services.order_events_record(order_id=order.pk) is False


def test_events_are_not_recorded_for_an_order_cancelled_before_the_job_ran(cart, product, place, customer):
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    order = place()  # the events job is queued on commit; here it has not run
    services.order_cancel(order=order, customer=customer)
    assert services.order_events_record(order_id=order.pk) is False
    assert not Event.objects.filter(order_number=order.number).exists()

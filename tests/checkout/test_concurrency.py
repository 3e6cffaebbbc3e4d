"""No overselling: many shoppers check out the last units at the same moment.

Runs on PostgreSQL only: the point is real row locks across real connections
(SQLite serialises whole-database writes, which proves nothing)."""

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection, connections

from catalog.models import Product
from checkout import services
from checkout.errors import CheckoutError
from checkout.models import Order
from checkout.parsing import address_parse
from checkout.payment import CARD_SUCCEEDS

from .conftest import ADDRESS
from .factories import CustomerFactory, ProductFactory

SHOPPERS = 24
STOCK = 5

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not settings.USING_POSTGRES, reason="needs PostgreSQL row locks (SQLite locks the whole file)"),
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_never_oversell():
    assert connection.vendor == "postgresql"
    product = ProductFactory(stock=STOCK, price="4.25")
    carts = []
    for _ in range(SHOPPERS):
        cart = services.cart_get_or_create(customer=CustomerFactory())
        services.cart_add(cart=cart, product_id=product.pk, quantity=1)
        carts.append(cart)

    barrier = threading.Barrier(SHOPPERS)
    results: list = [None] * SHOPPERS

    def shopper(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            order = services.order_place(
                cart=carts[i],
                address=address_parse(data=ADDRESS),
                shipping_method="standard",
                payment_token=CARD_SUCCEEDS,
                coupon_code="",
                idempotency_key=f"concurrent-{i:04d}",
            )
            results[i] = ("ok", order.number)
        except CheckoutError as exc:
            results[i] = ("refused", exc.message, exc.code)
        except Exception as exc:  # noqa: BLE001 - anything else is a failure the test reports
            results[i] = ("crash", repr(exc))
        finally:
            connections.close_all()  # each thread has its own connection; close it

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(SHOPPERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    outcomes = Counter(r[0] for r in results)
    assert outcomes == {"ok": STOCK, "refused": SHOPPERS - STOCK}, results
    refusals = [r for r in results if r[0] == "refused"]
    assert all(r[2] == "out_of_stock" and "Only 0 left" in r[1] for r in refusals), refusals
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Order.objects.filter(lines__product=product).count() == STOCK
    # the refused shoppers still have their cart
    assert sum(c.lines.count() for c in carts) == SHOPPERS - STOCK


@pytest.mark.django_db(transaction=True)
def test_double_submit_at_the_same_moment_makes_one_order():
    product = ProductFactory(stock=10)
    cart = services.cart_get_or_create(customer=CustomerFactory())
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    barrier = threading.Barrier(6)
    numbers: list = []

    def click() -> None:
        try:
            barrier.wait(timeout=30)
            order = services.order_place(
                cart=cart,
                address=address_parse(data=ADDRESS),
                shipping_method="standard",
                payment_token=CARD_SUCCEEDS,
                coupon_code="",
                idempotency_key="same-click",
            )
            numbers.append(order.number)
        except Exception as exc:  # noqa: BLE001
            numbers.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(set(numbers)) == 1 and numbers[0].startswith("W"), numbers
    assert Order.objects.count() == 1 and Product.objects.get(pk=product.pk).stock == 8


@pytest.mark.django_db(transaction=True)
def test_no_stock_row_is_locked_while_the_gateway_answers(monkeypatch):
    """Reserve, pay, confirm: while the card is being charged another shopper's
    transaction can lock the product row at once (NOWAIT), and stock is held."""
    from django.db import transaction
    from django.db.utils import OperationalError

    from checkout import services as checkout_services
    from checkout.payment import TestGateway

    product = ProductFactory(stock=3)
    cart = services.cart_get_or_create(customer=CustomerFactory())
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    seen: dict = {}

    def other_shopper() -> None:
        try:
            with transaction.atomic():
                row = Product.objects.select_for_update(nowait=True).get(pk=product.pk)
                seen["stock"] = row.stock
        except OperationalError as exc:
            seen["locked"] = repr(exc)
        finally:
            connections.close_all()

    class WatchingGateway(TestGateway):
        def charge(self, **kwargs):
            t = threading.Thread(target=other_shopper)
            t.start()
            t.join(timeout=30)
            return super().charge(**kwargs)

    monkeypatch.setattr(checkout_services, "get_gateway", WatchingGateway)
    order = services.order_place(
        cart=cart,
        address=address_parse(data=ADDRESS),
        shipping_method="standard",
        payment_token=CARD_SUCCEEDS,
        idempotency_key="watch-the-lock",
    )
    assert seen == {"stock": 1}, seen  # not locked, and the two units are already reserved
    assert order.status == Order.Status.PAID and Product.objects.get(pk=product.pk).stock == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_checking_out_one_cart_make_one_order(monkeypatch):
    """Submits of the same cart with different keys (browser tabs), through a
    gateway that takes its time: the others wait for the first checkout to
    finish (not just its reservation) and find the cart empty."""
    import time

    from checkout import services as checkout_services
    from checkout.payment import TestGateway

    class SlowGateway(TestGateway):
        def charge(self, **kwargs):
            time.sleep(0.3)
            return super().charge(**kwargs)

    monkeypatch.setattr(checkout_services, "get_gateway", SlowGateway)
    product = ProductFactory(stock=10)
    cart = services.cart_get_or_create(customer=CustomerFactory())
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    tabs = 4
    barrier = threading.Barrier(tabs)
    results: list = []

    def tab(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.order_place(
                cart=cart,
                address=address_parse(data=ADDRESS),
                shipping_method="standard",
                payment_token=CARD_SUCCEEDS,
                idempotency_key=f"tab-{i:04d}-key",
            )
            results.append("ok")
        except CheckoutError as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=(i,)) for i in range(tabs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["empty_cart"] * (tabs - 1) + ["ok"], results
    assert Order.objects.count() == 1 and Product.objects.get(pk=product.pk).stock == 8

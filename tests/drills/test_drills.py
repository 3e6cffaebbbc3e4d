"""Fault drills of issue 13, each ending in what a user or an operator would
check. Run them all with `scripts/drills.sh` (pytest -m drill); the ones that
need no worker are in the fast suite. They start their own Redis
(`redis_server`) and workers (`drill_worker`); they never touch the shared
Redis or PostgreSQL server, only the test database."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.test import Client
from django.utils import timezone

from catalog.models import Product
from checkout import services as checkout_services
from checkout.errors import CheckoutError
from checkout.models import Order, OrderLine, OutboxMessage
from checkout.outbox import outbox_sweep
from checkout.parsing import address_parse
from checkout.payment import CARD_SUCCEEDS, TestGateway
from core.cache import tolerant_cache
from profiles.models import Event, Portrait
from tests.checkout.conftest import ADDRESS
from tests.checkout.factories import CustomerFactory, ProductFactory
from tests.conftest import celery_broker, mails_to, wait_for

pytestmark = pytest.mark.drill
SUBJECT = "Your Gift Shop order"


def _place(customer, product, key, quantity=1):
    cart = checkout_services.cart_get_or_create(customer=customer)
    checkout_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)
    return checkout_services.order_place(
        cart=cart,
        address=address_parse(data=ADDRESS),
        shipping_method="standard",
        payment_token=CARD_SUCCEEDS,
        idempotency_key=key,
    )


def _sweep_until_done(timeout: float) -> None:
    """Sweep as beat would (here every second, not every minute) until every outbox message has run."""

    def done():
        outbox_sweep()
        return not OutboxMessage.objects.filter(done_at__isnull=True).exists()

    wait_for(done, timeout=timeout, interval=1.0)


def _stock_reconciles(products, start: dict[int, int]) -> None:
    """Every unit that left stock is on an order line, and the other way round."""
    for product in products:
        sold = sum(OrderLine.objects.filter(product=product).values_list("quantity", flat=True))
        assert start[product.pk] - Product.objects.get(pk=product.pk).stock == sold, product


@pytest.fixture
def own_redis_everywhere(redis_server, settings):
    """Cache and broker of this process on the drill's own Redis."""
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": redis_server.url(0)}}
    settings.OUTBOX_RETRY_SECONDS = 0
    tolerant_cache.reset()
    with celery_broker(redis_server.url(0)):
        yield redis_server
    tolerant_cache.reset()


# --- Redis killed and restarted mid-traffic --------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.slow
def test_redis_killed_mid_traffic(own_redis_everywhere, drill_worker, settings):
    """Browsing and checkouts before, during and after a Redis outage: every
    page renders, every checkout completes, and once Redis is back each
    order gets exactly one e-mail and one set of purchase events."""
    settings.OUTBOX_REDELIVER_SECONDS = 3
    redis = own_redis_everywhere
    products = [ProductFactory(stock=50) for _ in range(3)]
    start = {p.pk: p.stock for p in products}
    shoppers = [CustomerFactory() for _ in range(9)]
    drill_worker.start()
    statuses, orders = [], []
    for i, customer in enumerate(shoppers):
        if i == 3:
            redis.stop()  # an outage, mid-traffic
        if i == 6:
            redis.start()
            tolerant_cache.reset()
        browser = Client()
        browser.force_login(customer.user)
        product = products[i % 3]
        for url in ("/", f"/products/{product.pk}/", "/search/?q=mug", "/cart/"):
            statuses.append((url, i, browser.get(url).status_code))
        orders.append(_place(customer, product, f"mid-traffic-{i:04d}", quantity=2))
    assert [s for s in statuses if s[2] != 200] == []
    assert all(o.status == Order.Status.PAID for o in orders)

    # What the outage left pending, and what Redis lost when it was killed (accepted, never run: published
    # again OUTBOX_REDELIVER_SECONDS after, 3 s here, 10 minutes by default)
    _sweep_until_done(timeout=90)
    for order in orders:
        assert mails_to(drill_worker.mail_dir, f"{SUBJECT} {order.number}") == 1, order.number
        assert Event.objects.filter(kind="purchase", order_number=order.number).count() == 1
    _stock_reconciles(products, start)


# --- a worker killed mid-batch ---------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.slow
def test_worker_killed_during_an_email_batch(own_redis_everywhere, drill_worker, settings):
    """Twenty orders' e-mails and events in the queue, the worker SIGKILLed
    after a few: a new worker and a sweep finish the batch, nobody is
    e-mailed twice."""
    settings.OUTBOX_REDELIVER_SECONDS = 0
    redis = own_redis_everywhere
    product = ProductFactory(stock=100)
    redis.stop()  # queue the batch in the outbox only, then release it at once
    orders = [_place(CustomerFactory(), product, f"batch-mail-{i:04d}") for i in range(20)]
    redis.start()
    drill_worker.start()
    call_command("outbox_sweep")
    wait_for(lambda: len(list(drill_worker.mail_dir.glob("*"))) >= 3, timeout=60)
    drill_worker.kill()
    done_at_kill = OutboxMessage.objects.filter(done_at__isnull=False).count()
    assert done_at_kill < 40, "the batch finished before the kill: make it bigger"

    drill_worker.start()
    _sweep_until_done(timeout=120)  # everything not done, published again (the tasks are idempotent)
    for order in orders:
        assert mails_to(drill_worker.mail_dir, f"{SUBJECT} {order.number}") == 1, order.number
        assert Event.objects.filter(kind="purchase", order_number=order.number).count() == 1


@pytest.mark.worker
@pytest.mark.slow
def test_worker_killed_during_a_portrait_batch(own_redis_everywhere, drill_worker):
    """The nightly portrait rebuild SIGKILLed mid-run: a rerun (the next
    night's, or an operator's) builds every portrait; its lock did not
    outlive the killed worker."""
    from profiles import tasks

    customers = [CustomerFactory() for _ in range(40)]
    product = ProductFactory(stock=100)
    for c in customers:
        Event.objects.create(customer=c, kind="view", product=product, created_at=timezone.now())
    drill_worker.start()
    tasks.portraits_build_all.delay()
    wait_for(lambda: "portraits_build_all" in drill_worker.log() and "received" in drill_worker.log(), 30, 0.02)
    time.sleep(0.3)  # into the run (about a second for 40 customers here)
    drill_worker.kill()
    assert "portraits_build_all" not in drill_worker.log().split("received")[-1]  # killed before it finished

    drill_worker.start()
    result = tasks.portraits_build_all.delay()
    wait_for(lambda: f"{result.id}] succeeded" in drill_worker.log(), timeout=180)
    assert f"{result.id}] succeeded in" in drill_worker.log()
    assert Portrait.objects.filter(customer__in=customers).count() == len(customers)


# --- the database connection dropped mid-checkout -----------------------------------------------------------------


def _terminate(pid: int) -> None:
    """pg_terminate_backend(pid) from a connection of its own."""
    import psycopg2

    s = connection.settings_dict
    other = psycopg2.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_db_connection_dropped_inside_the_reservation(postgres_only):
    """The connection dies while the reservation waits on a product row lock
    (another checkout holds it): the checkout fails, and neither an order
    nor a stock change is left."""
    import psycopg2

    customer, product = CustomerFactory(), ProductFactory(stock=10)
    our_pid = connection.cursor().connection.info.backend_pid
    s = connection.settings_dict
    holder = psycopg2.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)
    with holder.cursor() as cursor:  # another transaction holds the product row
        cursor.execute("SELECT id FROM catalog_product WHERE id = %s FOR UPDATE", [product.pk])

    def drop_when_waiting():
        deadline = time.monotonic() + 20
        with holder.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [our_pid])
                row = cursor.fetchone()
                if row and row[0] == "Lock":
                    break
                time.sleep(0.05)
        _terminate(our_pid)

    killer = threading.Thread(target=drop_when_waiting)
    killer.start()
    with pytest.raises(OperationalError):
        _place(customer, product, "db-drop-reserve-1", quantity=3)
    killer.join()
    holder.rollback()
    holder.close()
    connections.close_all()  # the next query reconnects, as the next request would
    assert not Order.objects.filter(customer=customer).exists()
    assert Product.objects.get(pk=product.pk).stock == 10


@pytest.mark.django_db(transaction=True)
def test_db_connection_dropped_while_paying(postgres_only, monkeypatch):
    """The connection dies while the gateway charges (between the
    reservation and the confirmation): the charge is refunded, the checkout
    fails with the database's error, the reserved order keeps its stock
    change (an order never lacks its stock, nor stock its order), and the
    shopper's retry with the same key completes that same order once."""
    customer, product = CustomerFactory(), ProductFactory(stock=10)
    our_pid = connection.cursor().connection.info.backend_pid
    refunds = []

    class DroppingGateway(TestGateway):
        def charge(self, **kwargs):
            _terminate(our_pid)
            return super().charge(**kwargs)

        def refund(self, *, reference, amount):
            refunds.append(reference)
            return super().refund(reference=reference, amount=amount)

    monkeypatch.setattr(checkout_services, "get_gateway", DroppingGateway)  # the payment provider, not our DB
    with pytest.raises((OperationalError, CheckoutError)):
        _place(customer, product, "db-drop-pay-0001", quantity=3)
    assert len(refunds) == 1  # nobody pays for an order that did not confirm
    connections.close_all()
    _stock_reconciles([product], {product.pk: 10})

    monkeypatch.setattr(checkout_services, "get_gateway", TestGateway)
    cart = checkout_services.cart_get_or_create(customer=customer)
    order = checkout_services.order_place(
        cart=cart,
        address=address_parse(data=ADDRESS),
        shipping_method="standard",
        payment_token=CARD_SUCCEEDS,
        idempotency_key="db-drop-pay-0001",
    )
    assert order.status == Order.Status.PAID
    assert Order.objects.filter(customer=customer).count() == 1
    assert Product.objects.get(pk=product.pk).stock == 7
    _stock_reconciles([product], {product.pk: 10})

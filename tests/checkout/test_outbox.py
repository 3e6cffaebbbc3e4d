"""Defect 2 of issue 13: work queued while the broker was down was lost (an
order paid during a Redis outage never got its confirmation e-mail or
purchase events). Now the order's transaction writes an outbox row; the
sweeper publishes what the broker never took, and the idempotent tasks make
every delivery after the first a no-op."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from checkout.models import Order, OutboxMessage
from checkout.outbox import outbox_sweep
from checkout.payment import CARD_SUCCEEDS
from checkout.services import cart_add, cart_get_or_create
from profiles.models import Event
from tests.conftest import celery_broker, mails_to, wait_for

from .conftest import ADDRESS
from .factories import CustomerFactory, ProductFactory

SUBJECT = "Your Gift Shop order"

pytestmark = pytest.mark.drill


def _html_checkout(client, customer, product, key):
    client.force_login(customer.user)
    cart_add(cart=cart_get_or_create(customer=customer), product_id=product.pk, quantity=2)
    form = {**ADDRESS, "shipping_method": "standard", "payment_token": CARD_SUCCEEDS, "idempotency_key": key}
    response = client.post("/checkout/", {**form, "step": "place"})
    assert response.status_code == 302, response.content[:500]
    return Order.objects.get(idempotency_key=key)


def _api_checkout(customer, product, key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer.user).key}")
    assert api.post("/api/cart/items/", {"product": product.pk, "quantity": 1}, format="json").status_code == 201
    payload = {**ADDRESS, "shipping_method": "standard", "payment_token": CARD_SUCCEEDS, "idempotency_key": key}
    response = api.post("/api/checkout/", payload, format="json")
    assert response.status_code == 201, response.content[:500]
    return Order.objects.get(idempotency_key=key)


def _purchases(order) -> int:
    return Event.objects.filter(kind="purchase", order_number=order.number).count()


@pytest.mark.django_db
def test_eager_default_sends_at_commit_as_before(client, django_capture_on_commit_callbacks):
    """The embedded default (eager Celery): the e-mail and events happen at
    commit, in-process, and the outbox rows are done at once."""
    customer, product = CustomerFactory(), ProductFactory(stock=10)
    with django_capture_on_commit_callbacks(execute=True):
        order = _html_checkout(client, customer, product, "eager-outbox-1")
    assert len(mail.outbox) == 1 and order.number in mail.outbox[0].subject
    assert _purchases(order) == 1
    messages = OutboxMessage.objects.filter(dedupe_key__endswith=f":{order.pk}")
    assert sorted(m.state for m in messages) == ["done", "done"]
    assert outbox_sweep(due_only=False)["found"] == 0  # nothing left to send


@pytest.mark.django_db(transaction=True)
def test_an_order_paid_while_the_broker_is_down_stays_pending(client, redis_server, settings):
    """The fast path fails quietly: the checkout succeeds, the outbox keeps
    the work with the broker's error, and a sweep while still down changes
    nothing but the count of attempts."""
    settings.OUTBOX_RETRY_SECONDS = 0
    with celery_broker(redis_server.url(1)):
        redis_server.stop()
        order = _html_checkout(client, CustomerFactory(), ProductFactory(stock=10), "broker-down-0001")
        assert order.status == Order.Status.PAID and order.confirmation_sent_at is None
        pending = OutboxMessage.objects.filter(dedupe_key__endswith=f":{order.pk}")
        assert sorted(m.state for m in pending) == ["pending", "pending"]
        assert all(m.attempts == 1 and "Error" in m.last_error for m in pending)
        with pytest.raises(CommandError, match="not accepted by the broker"):
            call_command("outbox_sweep")
        assert sorted(m.attempts for m in pending.all()) == [2, 2]
    assert len(mail.outbox) == 0 and _purchases(order) == 0


@pytest.mark.worker
@pytest.mark.slow
def test_orders_paid_in_an_outage_get_one_mail_and_one_set_of_events(client, drill_worker, redis_server, settings):
    settings.OUTBOX_RETRY_SECONDS = 0
    settings.OUTBOX_REDELIVER_SECONDS = 0  # the second sweep publishes everything again: idempotency must hold
    product = ProductFactory(stock=20)
    with celery_broker(redis_server.url(0)):
        redis_server.stop()
        html_order = _html_checkout(client, CustomerFactory(), product, "outage-html-0001")
        api_order = _api_checkout(CustomerFactory(), product, "outage-api-00001")
        orders = [html_order, api_order]
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 4

        redis_server.start()
        drill_worker.start()
        call_command("outbox_sweep")
        wait_for(lambda: OutboxMessage.objects.filter(done_at__isnull=True).count() == 0, timeout=60)
        for order in orders:
            order.refresh_from_db()
            assert order.confirmation_sent_at and order.events_recorded_at
            assert mails_to(drill_worker.mail_dir, f"{SUBJECT} {order.number}") == 1
            assert _purchases(order) == 1

        assert outbox_sweep(due_only=False)["published"] == 0  # done messages are never sent again
        OutboxMessage.objects.update(done_at=None)  # as if the worker had died before recording them
        assert outbox_sweep()["published"] == 4
        wait_for(lambda: OutboxMessage.objects.filter(done_at__isnull=True).count() == 0, timeout=60)
        for order in orders:
            assert mails_to(drill_worker.mail_dir, f"{SUBJECT} {order.number}") == 1
            assert _purchases(order) == 1
    assert "order_confirmation_send" in drill_worker.log()


@pytest.mark.django_db(transaction=True)
def test_the_admin_lists_the_outbox_and_publishes_again(admin_client, redis_server, settings):
    """An operator sees what is pending and why, and publishes it again once the broker is back."""
    with celery_broker(redis_server.url(1)):
        redis_server.stop()
        order = _html_checkout(Client(), CustomerFactory(), ProductFactory(stock=10), "admin-outbox-01")
    page = admin_client.get("/admin/checkout/outboxmessage/")
    assert page.status_code == 200
    assert f"order-confirmation:{order.pk}".encode() in page.content and b"pending" in page.content
    pending = list(OutboxMessage.objects.filter(done_at__isnull=True).values_list("pk", flat=True))
    done = admin_client.post(  # the broker is "back": eager Celery runs the tasks here
        "/admin/checkout/outboxmessage/",
        {"action": "outbox_publish_again", "_selected_action": pending},
        follow=True,
    )
    assert b"2 message(s) published" in done.content
    assert not OutboxMessage.objects.filter(done_at__isnull=True).exists()
    assert len(mail.outbox) == 1

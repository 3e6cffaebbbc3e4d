"""A Redis that hangs (accepts connections, never answers) must not stall a
request: the cache has socket timeouts (core.cache.redis_backend) and the
broker connect/publish timeouts (CELERY_BROKER_TRANSPORT_OPTIONS), so the
cache answers as empty and the outbox keeps the order's work for later."""

import socket
import time

import pytest

from checkout.models import OutboxMessage
from checkout.outbox import outbox_enqueue, outbox_publish
from core.cache import redis_backend, tolerant_cache
from tests.conftest import celery_broker

pytestmark = pytest.mark.drill


@pytest.fixture
def black_hole():
    """A TCP port that accepts (the kernel's backlog) and never replies."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


@pytest.mark.django_db
def test_a_hung_cache_costs_one_timeout_not_a_stalled_page(black_hole, settings, client):
    settings.CACHES = redis_backend({"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": black_hole}})
    tolerant_cache.reset()
    try:
        started = time.monotonic()
        assert tolerant_cache.get("anything", "fallback") == "fallback"
        assert time.monotonic() - started < 3  # socket_timeout 1 s, not forever
        started = time.monotonic()
        assert client.get("/").status_code == 200
        assert time.monotonic() - started < 5  # the cache is skipped for 5 s after the failure
    finally:
        tolerant_cache.reset()


@pytest.mark.django_db(transaction=True)
def test_a_hung_broker_leaves_the_message_pending_within_seconds(black_hole):
    with celery_broker(black_hole):
        message = outbox_enqueue(task="checkout.tasks.order_events_record", args=[0], dedupe_key="hung-broker-1")
        started = time.monotonic()
        assert outbox_publish(message_id=message.pk) is False
        assert time.monotonic() - started < 15  # two tries of socket_timeout 3 s, not forever
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.state == "pending" and message.last_error

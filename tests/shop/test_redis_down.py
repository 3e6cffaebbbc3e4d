"""Defect 3 of issue 13: a Redis outage took the API, login and logged-in
product pages down, and /health/ still said "ok". The test starts a Redis of
its own, points the cache and broker at it, kills it, and shops."""

import logging

import pytest
from django.core.cache import cache

from checkout import services as checkout_services
from checkout.models import Order
from checkout.payment import CARD_SUCCEEDS
from core.cache import tolerant_cache
from profiles.models import Event
from tests.checkout.conftest import ADDRESS
from tests.checkout.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(redis_server, settings):
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": redis_server.url(0)}}
    settings.CELERY_BROKER_URL = redis_server.url(1)
    tolerant_cache.reset()
    yield redis_server
    tolerant_cache.reset()


def test_health_reports_each_dependency(client, own_redis):
    up = client.get("/health/")
    assert up.status_code == 200
    checks = up.json()["checks"]
    assert {k: v["status"] for k, v in checks.items() if k != "models"} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }
    own_redis.stop()
    down = client.get("/health/")
    assert down.status_code == 200 and down.json()["status"] == "degraded"  # pages still work: stay in the pool
    assert down.json()["checks"]["cache"]["status"] == "error"
    assert down.json()["checks"]["broker"]["status"] == "error"
    assert client.get("/health/?strict=1").status_code == 503
    own_redis.start()
    assert client.get("/health/").json()["checks"]["cache"]["status"] == "ok"


def test_shopping_works_with_redis_down(client, own_redis, caplog):
    customer = CustomerFactory()
    product = ProductFactory(price="2.50", stock=10)
    assert client.get("/api/products/").status_code == 200  # throttles count in the live Redis
    own_redis.stop()
    caplog.set_level(logging.WARNING, logger="core.cache")

    assert client.get("/").status_code == 200
    assert client.get("/api/products/").status_code == 200  # throttled views: no limit rather than no API
    token = client.post(
        "/api/auth/token/",
        {"username": customer.user.username, "password": "pass-word-123"},
        content_type="application/json",
    )
    assert token.status_code == 200 and token.json()["token"]
    login = client.post("/accounts/login/", {"username": customer.user.username, "password": "pass-word-123"})
    assert login.status_code == 302  # the login limiter skipped, the password checked
    page = client.get(f"/products/{product.pk}/")  # logged in: records a view, skips the portrait debounce
    assert page.status_code == 200
    assert Event.objects.filter(customer=customer, kind="view").count() == 1
    event = client.post("/api/events/", {"kind": "view", "product": product.pk}, content_type="application/json")
    assert event.status_code == 201

    checkout_services.cart_add(
        cart=checkout_services.cart_get_or_create(customer=customer), product_id=product.pk, quantity=2
    )
    form = {**ADDRESS, "shipping_method": "standard", "payment_token": CARD_SUCCEEDS, "idempotency_key": "redis-down-1"}
    placed = client.post("/checkout/", {**form, "step": "place"})
    assert placed.status_code == 302 and Order.objects.filter(customer=customer).count() == 1

    outages = [r for r in caplog.records if r.name == "core.cache" and "unavailable" in r.getMessage()]
    assert len(outages) == 1  # logged once for the whole outage, not once per call

    own_redis.start()
    tolerant_cache.reset()
    assert client.get("/api/products/").status_code == 200
    assert cache.get("anything") is None  # the cache is used again

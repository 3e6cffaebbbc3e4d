"""Defect 6 of issue 13: JSON nested 5,000 levels deep was a RecursionError
500 on every JSON endpoint, the unauthenticated ones included; now the parser
answers 400 to a body nested too deep or too large (core/parsers.py)."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.parsers import json_depth_exceeds
from profiles.models import Event
from tests.checkout.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000
DEEP_IN_FIELD = '{"kind": "view", "data": {"x": ' + "[" * 5000 + "]" * 5000 + "}}"

ANONYMOUS = ["/api/auth/token/", "/api/events/", "/api/assistant/chat/"]
LOGGED_IN = ["/api/cart/items/", "/api/checkout/", "/api/cart/"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("url", ANONYMOUS)
@pytest.mark.parametrize("body", [DEEP, DEEP_IN_FIELD])
def test_deep_json_is_a_400_on_anonymous_endpoints(client, url, body):
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["detail"]
    assert Event.objects.count() == 0


@pytest.mark.parametrize("url", LOGGED_IN)
def test_deep_json_is_a_400_on_logged_in_endpoints(client, url):
    client.force_login(CustomerFactory().user)
    method = client.patch if url == "/api/cart/" else client.post
    response = method(url, DEEP, content_type="application/json")
    assert response.status_code in (400, 405)
    if response.status_code == 400:
        assert "nested deeper" in response.json()["detail"]


def test_too_large_json_is_a_400(client, settings):
    settings.JSON_MAX_BYTES = 10_000
    body = json.dumps({"kind": "search", "query": "x", "data": {"pad": "y" * 20_000}})
    response = client.post("/api/events/", body, content_type="application/json")
    assert response.status_code == 400
    assert "larger than 10,000 bytes" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_nesting_inside_strings_does_not_count_and_normal_bodies_pass(client):
    product = ProductFactory()
    data = {"note": "[[[[" * 100 + '\\"{{{{' * 100, "a": {"b": {"c": [1, [2, [3]]]}}}
    body = json.dumps({"kind": "view", "product": product.pk, "data": data})
    assert client.post("/api/events/", body, content_type="application/json").status_code == 201
    assert not json_depth_exceeds(json.dumps(data), 6) and json_depth_exceeds(json.dumps(data), 5)  # strings skipped
    assert json_depth_exceeds("[" * 33 + "]" * 33, 32) and not json_depth_exceeds("[" * 32 + "]" * 32, 32)


def test_admin_segment_preview_refuses_deep_json(admin_client):
    url = reverse("admin:profiles_segment_preview")
    response = admin_client.post(url, '{"rule": ' + DEEP + "}", content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["error"]

"""Defect 5 of issue 13: a NUL byte (or any control character) at the edges
was a 500; now every page, form and API field answers a clear 400 and
nothing is stored (core/middleware.py, core/parsers.py)."""

import json

import pytest
from django.core.cache import cache

from checkout.models import Cart
from profiles.models import Event
from tests.checkout.factories import CouponFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("q", ["bag\x00", "bag\x1b[31m", "\x7fbag", "bag\x85"])
def test_search_with_a_control_character_is_a_400(client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 400
    assert "Control character" in response.content.decode()
    assert client.get("/search/", {"q": "bag\tred"}).status_code == 200  # tab is text


def test_raw_nul_in_the_query_string_and_the_path(client):
    assert client.get("/search/?q=bag%00").status_code == 400
    assert client.get("/search/?bad%00name=1").status_code == 400
    assert client.get("/products/%00/").status_code == 400
    client.force_login(CustomerFactory().user)
    assert client.get("/orders/A%00/").status_code == 400  # was a 500: PostgreSQL refuses NUL


def test_coupon_code_with_nul_is_refused_and_the_cart_unchanged(client):
    customer = CustomerFactory()
    client.force_login(customer.user)
    product = ProductFactory(stock=5)
    client.post("/cart/add/", {"product": product.pk, "quantity": 1})
    CouponFactory(code="AB")
    response = client.post("/cart/coupon/", {"code": "AB\x00"})
    assert response.status_code == 400
    assert "Control character U+0000 in the form (field 'code')" in response.content.decode()
    assert Cart.objects.filter(coupon__isnull=False).count() == 0


def post_event(client, body: str):
    return client.post("/api/events/", body, content_type="application/json")


@pytest.mark.parametrize(
    "data",
    ['{"note": "a\\u0000b"}', '{"a\\u0000": 1}', '{"note": ["x", {"y": "\\u001b"}]}', '{"note": "\\ud800"}'],
)
def test_event_data_with_a_control_character_or_lone_surrogate_is_a_400(client, data):
    product = ProductFactory()
    response = post_event(client, f'{{"kind": "view", "product": {product.pk}, "data": {data}}}')
    assert response.status_code == 400
    assert "control character" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_event_query_with_nul_is_a_400(client):
    response = post_event(client, json.dumps({"kind": "search", "query": "bag\x00", "result_count": 1}))
    assert response.status_code == 400
    assert Event.objects.count() == 0


def test_clean_event_with_newlines_and_escaped_backslash_is_stored(client):
    product = ProductFactory()
    body = json.dumps({"kind": "view", "product": product.pk, "data": {"note": "line\nnext \\u0000 as text"}})
    assert post_event(client, body).status_code == 201
    assert Event.objects.get().data["note"] == "line\nnext \\u0000 as text"


def test_api_query_string_with_nul_is_a_json_400(client):
    response = client.get("/api/products/?search=bag%00")
    assert response.status_code == 400
    assert "Control character U+0000" in response.json()["detail"]

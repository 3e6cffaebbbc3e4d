from decimal import Decimal

import pytest

from .factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    cat = CategoryFactory(name="Candles & Holders")
    bags = CategoryFactory(name="Bags & Purses")
    return {
        "holder": ProductFactory(name="WHITE HANGING HEART T-LIGHT HOLDER", category=cat, price=Decimal("2.95")),
        "candle": ProductFactory(name="RED HEART CANDLE", category=cat, price=Decimal("1.25")),
        "bag": ProductFactory(name="JUMBO BAG RED RETROSPOT", category=bags, price=Decimal("1.95")),
        "cat": cat,
    }


def test_product_detail_has_the_documented_fields(client, catalog):
    p = catalog["holder"]
    data = client.get(f"/api/products/{p.pk}/").json()
    assert data["id"] == p.pk
    assert data["name"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert data["price"] == "2.95"
    assert data["category"] == {"id": catalog["cat"].pk, "name": "Candles & Holders"}
    assert data["url"].endswith(p.get_absolute_url())
    assert data["stock"] == 20 and data["in_stock"] is True


def test_list_is_paginated(client, catalog):
    data = client.get("/api/products/").json()
    assert data["count"] == 3 and len(data["results"]) == 3 and "next" in data


def test_filters_search_category_and_price(client, catalog):
    def ids(**params):
        return {r["id"] for r in client.get("/api/products/", params).json()["results"]}

    assert ids(q="heart") == {catalog["holder"].pk, catalog["candle"].pk}
    assert ids(category=catalog["cat"].pk) == {catalog["holder"].pk, catalog["candle"].pk}
    assert ids(min_price="1.5", max_price="2") == {catalog["bag"].pk}
    assert ids(q="red", category=catalog["cat"].pk) == {catalog["candle"].pk}


def test_bad_filter_values_are_a_400_not_a_500(client, catalog):
    response = client.get("/api/products/", {"min_price": "cheap"})
    assert response.status_code == 400
    assert "min_price" in response.json()


def test_schema_documents_the_product_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    assert "/api/products/" in text and "/api/products/{id}/" in text
    assert "min_price" in text
    if schema:
        assert "Product" in schema["components"]["schemas"]

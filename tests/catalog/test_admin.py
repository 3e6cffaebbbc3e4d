import pytest

from .factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_operator_can_search_and_filter_products_and_categories(admin_client):
    cat = CategoryFactory(name="Candles & Holders")
    ProductFactory(name="RED HEART CANDLE", stock_code="22001", category=cat)
    ProductFactory(name="ZINC LANTERN", stock_code="22002", category=cat, stock=0)
    response = admin_client.get("/admin/catalog/product/", {"q": "heart"})
    assert response.status_code == 200
    assert "RED HEART CANDLE" in response.content.decode() and "ZINC LANTERN" not in response.content.decode()
    response = admin_client.get("/admin/catalog/product/", {"stock_state": "out"})
    assert "ZINC LANTERN" in response.content.decode() and "RED HEART CANDLE" not in response.content.decode()
    response = admin_client.get("/admin/catalog/category/", {"q": "candles"})
    assert response.status_code == 200 and "Candles &amp; Holders" in response.content.decode()
    assert admin_client.get(f"/admin/catalog/category/{cat.pk}/change/").status_code == 200

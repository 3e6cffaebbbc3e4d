"""Stock reservation, the catalog's service that checkout calls inside an order's transaction."""

import pytest

from catalog import services
from catalog.errors import InsufficientStock, ProductUnavailable
from catalog.models import Product

from .factories import ProductFactory

pytestmark = pytest.mark.django_db


def levels(*products):
    return [tuple(Product.objects.filter(pk=p.pk).values_list("stock", "units_sold").get()) for p in products]


def test_a_reservation_takes_stock_and_counts_the_units_as_sold():
    a, b = ProductFactory(stock=10, units_sold=100), ProductFactory(stock=3, units_sold=0)
    locked = services.stock_reserve(quantities={a.pk: 4, b.pk: 3})
    assert levels(a, b) == [(6, 104), (0, 3)]
    assert {pid: p.stock for pid, p in locked.items()} == {a.pk: 6, b.pk: 0}


def test_a_refused_reservation_changes_no_product():
    a, b = ProductFactory(stock=10, units_sold=5), ProductFactory(stock=2, name="JUMBO BAG RED", units_sold=5)
    with pytest.raises(InsufficientStock, match="Only 2 left of JUMBO BAG RED") as err:
        services.stock_reserve(quantities={a.pk: 1, b.pk: 3})
    assert err.value.available == 2 and err.value.product_id == b.pk
    assert levels(a, b) == [(10, 5), (2, 5)]


def test_inactive_or_unknown_products_cannot_be_reserved():
    gone = ProductFactory(stock=10, is_active=False, name="OLD MUG")
    with pytest.raises(ProductUnavailable, match="OLD MUG is no longer sold"):
        services.stock_reserve(quantities={gone.pk: 1})
    with pytest.raises(ProductUnavailable):
        services.stock_reserve(quantities={987654: 1})
    with pytest.raises(ValueError):
        services.stock_reserve(quantities={gone.pk: 0})
    assert levels(gone) == [(10, 0)]


def test_a_release_gives_the_units_back_and_never_counts_below_zero_sold():
    a = ProductFactory(stock=10, units_sold=2)
    services.stock_reserve(quantities={a.pk: 4})
    services.stock_release(quantities={a.pk: 4})
    assert levels(a) == [(10, 2)]
    services.stock_release(quantities={a.pk: 5})  # more than were ever sold here: stock up, sold floors at 0
    assert levels(a) == [(15, 0)]
    with pytest.raises(ValueError):
        services.stock_release(quantities={a.pk: -1})

"""Writes of the catalog app: categories, products, stock."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from .models import Product


def product_restock(*, product_id: int, quantity: int) -> Product:
    """Add `quantity` units to a product's stock (a delivery from the supplier)."""
    if quantity <= 0:
        raise ValueError("a restock adds at least one unit")
    with transaction.atomic():
        updated = Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
        if not updated:
            raise Product.DoesNotExist(f"no product with id {product_id}")
    return Product.objects.get(pk=product_id)

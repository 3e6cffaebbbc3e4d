"""Writes of the catalog app: categories, products, stock."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.db.models import F

from .errors import InsufficientStock, ProductUnavailable
from .models import Product, SearchQueryStat


def product_restock(*, product_id: int, quantity: int) -> Product:
    """Add `quantity` units to a product's stock (a delivery from the supplier)."""
    if quantity <= 0:
        raise ValueError("a restock adds at least one unit")
    with transaction.atomic():
        updated = Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
        if not updated:
            raise Product.DoesNotExist(f"no product with id {product_id}")
    return Product.objects.get(pk=product_id)


def _products_locked(product_ids) -> dict[int, Product]:
    """The products, row-locked until the transaction ends, locked in id order
    so two transactions locking overlapping sets never deadlock."""
    return {p.pk: p for p in Product.objects.select_for_update().filter(pk__in=list(product_ids)).order_by("pk")}


def stock_reserve(*, quantities: Mapping[int, int]) -> dict[int, Product]:
    """Take units out of stock for a sale: `quantities` maps product id to units.

    Runs in the caller's transaction (an order's): the product rows stay locked
    until it commits or rolls back. Every product is checked before any is
    changed, so a refusal changes nothing: ProductUnavailable (not sold, or no
    such product) or InsufficientStock (says how many are left). Reserved
    units count as sold (`units_sold`) until `stock_release` gives them back.
    Returns the locked products by id, at their new stock."""
    if any(q <= 0 for q in quantities.values()):
        raise ValueError("a reservation takes at least one unit of each product")
    with transaction.atomic():
        products = _products_locked(quantities)
        for product_id, quantity in sorted(quantities.items()):
            product = products.get(product_id)
            if product is None or not product.is_active:
                name = product.name if product is not None else f"Product {product_id}"
                raise ProductUnavailable(f"{name} is no longer sold.", product_id=product_id, product_name=name)
            if product.stock < quantity:
                raise InsufficientStock(
                    f"Only {product.stock} left of {product.name}.",
                    product_id=product_id,
                    product_name=product.name,
                    available=product.stock,
                )
        for product_id, quantity in quantities.items():
            product = products[product_id]
            product.stock -= quantity
            product.units_sold += quantity
            product.save(update_fields=["stock", "units_sold", "updated_at"])
    return products


def stock_release(*, quantities: Mapping[int, int]) -> None:
    """Put reserved units back (a failed payment, a cancelled order): stock
    goes up and `units_sold` down by the same amount (never below 0). Runs in
    the caller's transaction, rows locked in id order."""
    if any(q <= 0 for q in quantities.values()):
        raise ValueError("a release gives back at least one unit of each product")
    with transaction.atomic():
        products = _products_locked(quantities)
        for product_id, quantity in quantities.items():
            product = products.get(product_id)
            if product is None:
                raise Product.DoesNotExist(f"no product with id {product_id}")
            product.stock += quantity
            product.units_sold = max(0, product.units_sold - quantity)
            product.save(update_fields=["stock", "units_sold", "updated_at"])


def search_query_record(*, query: str, result_count: int) -> SearchQueryStat | None:
    """Count one search of this query (its words, lower-cased) and remember how
    many results it found; None for a query without words."""
    from django.utils import timezone

    from .search import query_words

    text = " ".join(query_words(query))[:200]
    if not text:
        return None
    if result_count < 0:
        raise ValueError("a result count is never negative")
    now = timezone.now()
    stat, created = SearchQueryStat.objects.get_or_create(
        query=text, defaults={"count": 1, "last_result_count": result_count, "last_searched_at": now}
    )
    if not created:
        SearchQueryStat.objects.filter(pk=stat.pk).update(
            count=F("count") + 1, last_result_count=result_count, last_searched_at=now
        )
        stat.refresh_from_db()
    return stat

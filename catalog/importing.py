"""The catalog's part of the history import (called by
shop/management/commands/import_online_retail.py): categories and products."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.utils.text import slugify

from .models import Category, Product
from .taxonomy import OTHER, RULES

BATCH_SIZE = 2000


class ProductRecord(Protocol):
    stock_code: str
    name: str
    price: Decimal
    category: str
    stock: int
    units_sold: int
    first_sold_at: datetime | None


def categories_ensure(*, names: Sequence[str]) -> dict[str, Category]:
    """The taxonomy categories with these names, created when missing (existing
    ones are left as an operator may have edited them). Position follows the
    taxonomy's order; "Other" goes last."""
    order = {rule.name: i for i, rule in enumerate(RULES)}
    rules = {rule.name: rule for rule in RULES}
    existing = {c.name: c for c in Category.objects.filter(name__in=names)}
    for name in names:
        if name in existing:
            continue
        rule = rules.get(name)
        existing[name] = Category.objects.create(
            name=name,
            slug=slugify(name.replace("&", "and"))[:90],
            description=rule.description if rule else "Everything else",
            keywords=", ".join(k.lower() for k in rule.keywords[:12])[:255] if rule else "",
            position=order.get(name, len(RULES)) if name != OTHER else 999,
        )
    return existing


def products_import_bulk(*, products: Iterable[ProductRecord], categories: dict[str, Category]) -> dict[str, int]:
    """Create the products whose stock code is not in the catalog yet (existing
    ones are left alone, so a second import changes nothing). Returns the id of
    every product by stock code, old and new."""
    ids = dict(Product.objects.values_list("stock_code", "id"))
    new = [
        Product(
            stock_code=p.stock_code,
            name=p.name,
            slug=slugify(p.name)[:255] or p.stock_code.lower(),
            category=categories[p.category],
            price=p.price,
            stock=p.stock,
            units_sold=p.units_sold,
            first_sold_at=p.first_sold_at,
        )
        for p in products
        if p.stock_code not in ids
    ]
    Product.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if new:
        ids = dict(Product.objects.values_list("stock_code", "id"))
    return ids

"""Reads of the catalog app: products, categories, search."""

from __future__ import annotations

from .models import Category, Product


def product_count() -> int:
    return Product.objects.count()


def category_count() -> int:
    return Category.objects.count()

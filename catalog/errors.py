"""Errors of the catalog services, for the apps that call them (checkout's
stock reservation). Each names the product, so the caller can say which."""

from __future__ import annotations


class StockError(Exception):
    def __init__(self, message: str, *, product_id: int, product_name: str):
        super().__init__(message)
        self.product_id = product_id
        self.product_name = product_name


class ProductUnavailable(StockError):
    """The product is no longer sold (inactive) or does not exist."""


class InsufficientStock(StockError):
    """Fewer units are in stock than asked for; `available` says how many are."""

    def __init__(self, message: str, *, product_id: int, product_name: str, available: int):
        super().__init__(message, product_id=product_id, product_name=product_name)
        self.available = available

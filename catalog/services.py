"""Writes of the catalog app: categories, products, stock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.db import connection, transaction
from django.db.models import DateTimeField, F, JSONField, Model
from django.utils import timezone
from django.utils.text import slugify

from .errors import InsufficientStock, ProductUnavailable
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
                raise InsufficientStock(f"Only {product.stock} left of {product.name}.", product_id=product_id,
                                        product_name=product.name, available=product.stock)
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


def rows_bulk_insert(
    *, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence], batch_size: int = 5000
) -> int:
    """Insert many rows of `model` fast: one parameterised INSERT run with
    executemany (SQLite) or psycopg2's execute_values (PostgreSQL), without
    building model instances. Used by the history import, where bulk_create
    spent most of its time compiling SQL for 900,000 rows (see docs/import.md).

    `fields` names the columns given in each row (in order); every other
    concrete field gets its default (auto_now/auto_now_add fields: now), so a
    field added later with a default keeps working. Values are adapted per
    field type (aware datetimes, decimals) as the ORM would. Returns the count.
    """
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    given_names = {f.name for f in given}
    rest = [f for f in meta.concrete_fields if f.name not in given_names and not f.primary_key]
    ops = connection.ops
    now = timezone.now()
    constants = []
    for f in rest:
        value = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        constants.append(f.get_db_prep_save(value, connection))
    adapters = []
    for f in given:
        if isinstance(f, DateTimeField):
            cache: dict = {}

            def adapt_dt(value, cache=cache):
                if value not in cache:
                    cache[value] = ops.adapt_datetimefield_value(value)
                return cache[value]

            adapters.append(adapt_dt)
        elif isinstance(f, JSONField):
            adapters.append(lambda value, f=f: f.get_db_prep_save(value, connection))
        else:
            adapters.append(None)
    columns = ", ".join(ops.quote_name(f.column) for f in given + rest)
    table = ops.quote_name(meta.db_table)
    constant_tail = tuple(constants)
    count = 0

    def prepared(chunk):
        out = []
        for row in chunk:
            values = tuple(a(v) if a else v for a, v in zip(adapters, row))
            out.append(values + constant_tail)
        return out

    chunk: list = []
    with connection.cursor() as cursor:

        def flush():
            if connection.vendor == "postgresql":
                from psycopg2.extras import execute_values

                execute_values(
                    cursor.cursor, f"INSERT INTO {table} ({columns}) VALUES %s", prepared(chunk), page_size=len(chunk)
                )
            else:
                marks = ", ".join(["%s"] * (len(given) + len(rest)))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared(chunk))

        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch_size:
                flush()
                count += len(chunk)
                chunk = []
        if chunk:
            flush()
            count += len(chunk)
    return count

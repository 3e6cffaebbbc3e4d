"""Reads of the catalog app: products, categories, search."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.db.models import Count, Q, QuerySet

from .models import Category, Product, product_url
from .naming import display_name
from .search import MAX_QUERY_LENGTH, MAX_QUERY_WORDS  # noqa: F401 (public)

SORTS = {
    "popular": ("-units_sold", "name"),
    "price_asc": ("price", "name"),
    "price_desc": ("-price", "name"),
    "name": ("name", "id"),
    "newest": ("-first_sold_at", "name"),
}
DEFAULT_SORT = "popular"


def product_count() -> int:
    return Product.objects.count()


def category_count() -> int:
    return Category.objects.count()


def category_list(*, with_counts: bool = False) -> QuerySet[Category]:
    """All categories in display order; with the number of active products when asked."""
    qs = Category.objects.all()
    if with_counts:
        qs = qs.annotate(product_count=Count("products", filter=Q(products__is_active=True))).order_by(
            "position", "name"
        )
    return qs


def category_get(*, category_id: int) -> Category:
    return Category.objects.get(pk=category_id)


def product_get(*, product_id: int) -> Product:
    """An active product with its category; Product.DoesNotExist otherwise."""
    return Product.objects.select_related("category").get(pk=product_id, is_active=True)


def product_find(*, product_id: int) -> Product | None:
    """An active product (one that is sold), or None."""
    return Product.objects.filter(pk=product_id, is_active=True).first()


def product_resolve(*, product: Product | int) -> Product | None:
    """The product itself when given a saved Product, or the product with this
    id (active or not); None when there is no such product. TypeError for
    anything that is neither a Product nor an int."""
    if isinstance(product, Product):
        return product if product.pk is not None else None
    if isinstance(product, int) and not isinstance(product, bool):
        return Product.objects.filter(pk=product).first()
    raise TypeError(f"a Product or its id, not {product!r}")


def categories_for_names(*, names: Sequence[str]) -> list[str]:
    """One taxonomy category name per product name, in order (the derived
    taxonomy of catalog/taxonomy.py; used by the history import)."""
    from .taxonomy import assign_categories

    return assign_categories(names)


def product_display_name(*, name: str) -> str:
    """The name as shoppers read it everywhere (pages, cart, orders, e-mails)
    for a name as the retailer wrote it (see catalog/naming.py)."""
    from .naming import display_name

    return display_name(name)


def category_exists(*, category_id: int) -> bool:
    return Category.objects.filter(pk=category_id).exists()


def product_list(
    *,
    category_id: int | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[Product]:
    """Active products, filtered and sorted (sort: one of SORTS)."""
    qs = Product.objects.filter(is_active=True).select_related("category")
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if min_price is not None:
        qs = qs.filter(price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(price__lte=max_price)
    return qs.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def products_popular(*, limit: int = 12, in_stock_only: bool = True) -> list[Product]:
    qs = Product.objects.filter(is_active=True).select_related("category")
    if in_stock_only:
        qs = qs.filter(stock__gt=0)
    return list(qs.order_by("-units_sold", "name")[:limit])


def search_words(query: str) -> list[str]:
    """The words of a shopper's query, lower-cased and cut to a sane size (a
    10,000-character query is searched by its first words, never an error)."""
    from .search import query_words

    return query_words(query)


def product_search(*, query: str, queryset: QuerySet[Product] | None = None) -> QuerySet[Product]:
    """Keyword search over product names and category names (the lexical half
    of product_search_hybrid): PostgreSQL full text or SQLite FTS5, every word
    matching (spelling corrected, British/American alike, plurals stemmed),
    ranked by relevance then popularity. An empty query finds nothing."""
    from django.db.models import Case, IntegerField, When

    from .search import lexical_ids, understand

    qs = queryset if queryset is not None else Product.objects.filter(is_active=True).select_related("category")
    ids = lexical_ids(understand(query))
    if not ids:
        return qs.none()
    order = Case(*[When(pk=pid, then=i) for i, pid in enumerate(ids)], output_field=IntegerField())
    return qs.filter(pk__in=ids).annotate(search_rank=order).order_by("search_rank")


def product_search_hybrid(
    *,
    query: str,
    mode: str = "hybrid",
    correct: bool = True,
    category_id: int | None = None,
    band: str | None = None,
    colour: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str | None = None,
):
    """Search that understands (catalog/search.py): mode "lexical", "semantic"
    or "hybrid" (reciprocal-rank fusion of both); facet filters (category id,
    price band key, colour); returns a catalog.search.SearchResult (ordered
    product ids, facets with counts, the corrected query). ValueError for an
    unknown mode."""
    from .search import search

    return search(
        query=query,
        mode=mode,
        correct=correct,
        category_id=category_id,
        band=band,
        colour=colour,
        min_price=min_price,
        max_price=max_price,
        sort=sort,
    )


def products_in_order(*, product_ids: Sequence[int]) -> list[Product]:
    """Active products with their category, in the order of the ids given."""
    found = Product.objects.filter(pk__in=list(product_ids), is_active=True).select_related("category").in_bulk()
    return [found[pid] for pid in product_ids if pid in found]


def search_suggestions(*, prefix: str, limit: int = 8) -> list[dict]:
    """Autocomplete: popular queries (that found something) and product names
    for what the shopper has typed so far; [] under two letters."""
    from .search import suggest

    return suggest(prefix, limit=limit)


def search_queries_popular(*, limit: int = 8) -> list[str]:
    """The most searched queries that found products."""
    from .models import SearchQueryStat

    return list(
        SearchQueryStat.objects.filter(last_result_count__gt=0)
        .order_by("-count", "query")
        .values_list("query", flat=True)[:limit]
    )


def products_for_recommender() -> list[tuple[str, str, str, Decimal, bool]]:
    """(stock_code, name, category name, price, is_active) of every product, by id:
    what the recommender's snapshot needs to index and describe items."""
    return list(
        Product.objects.order_by("pk").values_list("stock_code", "name", "category__name", "price", "is_active")
    )


def product_ids_by_stock_code() -> dict[str, int]:
    """Stock code → product id of every product (recommenders index items by stock code)."""
    return dict(Product.objects.values_list("stock_code", "id"))


def products_by_ids(*, product_ids: list[int]) -> dict[int, Product]:
    """Products by id (their category as `category_id` only); ids without a product are left out."""
    if not product_ids:
        return {}
    return {p.pk: p for p in Product.objects.filter(pk__in=product_ids)}


@dataclass(frozen=True, slots=True)
class ProductCard:
    """What a product card and the recommendation rules read of a product, from
    one light row (no model instance): the pages' recommendation slots show a
    few of the hundred candidates they look at, so they read these."""

    pk: int
    name: str
    slug: str
    price: Decimal
    stock: int
    is_active: bool
    category_id: int

    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "name", "slug", "price", "stock", "is_active", "category_id")

    @property
    def id(self) -> int:
        return self.pk

    @property
    def in_stock(self) -> bool:
        return self.is_active and self.stock > 0

    @property
    def display_name(self) -> str:
        return display_name(self.name)

    def get_absolute_url(self) -> str:
        return product_url(self.pk, self.slug)


def product_cards(*, product_ids: Sequence[int]) -> dict[int, ProductCard]:
    """Products by id as ProductCard rows; ids without a product are left out."""
    if not product_ids:
        return {}
    rows = Product.objects.filter(pk__in=product_ids).order_by().values_list(*ProductCard.COLUMNS)
    return {row[0]: ProductCard(*row) for row in rows}


def product_ids_matching(
    *,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    name_word: str = "",
    category_ids: Sequence[int] | None = None,
    min_stock: int | None = None,
) -> list[int]:
    """Ids of active products that meet every filter, applied in the database
    (the shopping assistant's constraints): a price range (each end inclusive or
    not), a whole word in the name ("red" finds "RED/WHITE HEART", not
    "REDWORK"), categories, and at least `min_stock` units in stock."""
    qs = Product.objects.filter(is_active=True)
    if min_price is not None:
        qs = qs.filter(price__gte=min_price) if min_inclusive else qs.filter(price__gt=min_price)
    if max_price is not None:
        qs = qs.filter(price__lte=max_price) if max_inclusive else qs.filter(price__lt=max_price)
    if name_word:
        qs = qs.filter(name__iregex=rf"(^|[^a-zA-Z]){re.escape(name_word)}([^a-zA-Z]|$)")
    if category_ids is not None:
        qs = qs.filter(category_id__in=list(category_ids))
    if min_stock is not None:
        qs = qs.filter(stock__gte=min_stock)
    return list(qs.order_by().values_list("pk", flat=True))


def search_query_cache_clear() -> None:
    """Forget the sentence vectors of past queries (an evaluation measures
    each search cold, as a first-time query is served)."""
    from .search import _query_cache

    _query_cache.clear()


def product_names_in(*, text: str, limit: int = 20) -> list[str]:
    """Names of products that appear in `text` (case-insensitive, whole name): a
    generated text's product references, e.g. marketing's check of rephrased copy."""
    from django.db.models import Value
    from django.db.models.functions import Upper

    if not text.strip():
        return []
    return list(
        Product.objects.annotate(haystack=Value(text.upper()))
        .filter(haystack__contains=Upper("name"))
        .exclude(name="")
        .values_list("name", flat=True)[:limit]
    )


def category_name(name: str) -> str:
    """A category's stored (English) name in the active language (catalog/category_names.py)."""
    from .category_names import category_name as translated

    return translated(name)

"""Catalog pages: category listing, product page, product picture, search."""

from __future__ import annotations

import hashlib

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import selectors
from .forms import ProductFilterForm
from .models import Category, Product
from .signals import product_viewed, search_made
from .visuals import product_svg

PAGE_SIZE = 24


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def category_detail(request, category_id: int):
    try:
        category = selectors.category_get(category_id=category_id)
    except Category.DoesNotExist:
        raise Http404("No such category") from None
    form = ProductFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {"sort": selectors.DEFAULT_SORT}
    products = selectors.product_list(category_id=category.pk, **filters)
    page = _page(request, products)
    return render(
        request,
        "catalog/category.html",
        {
            "category": category,
            "form": form,
            "page": page,
            "sort": filters["sort"],
            "query": _query_without_page(request),
        },
    )


@require_GET
def product_detail(request, product_id: int, slug: str | None = None):
    try:
        product = selectors.product_get(product_id=product_id)
    except Product.DoesNotExist:
        raise Http404("No such product") from None
    if slug is not None and slug != product.slug:
        return redirect(product.get_absolute_url(), permanent=True)
    product_viewed.send(sender=Product, request=request, product=product)
    return render(request, "catalog/product.html", {"product": product, "category": product.category})


@require_GET
def product_image(request, product_id: int):
    """The product's drawn picture (SVG), cacheable for a day, validated by ETag."""
    try:
        product = selectors.product_get(product_id=product_id)
    except Product.DoesNotExist:
        raise Http404("No such product") from None
    svg = product_svg(name=product.name, category=product.category.name)
    etag = '"' + hashlib.sha1(svg.encode()).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@require_GET
def search(request):
    query = request.GET.get("q", "")
    form = ProductFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {"sort": selectors.DEFAULT_SORT}
    sort = filters.pop("sort")
    results = selectors.product_search(query=query, queryset=selectors.product_list(**filters))
    if sort != selectors.DEFAULT_SORT:
        results = results.order_by(*selectors.SORTS[sort])
    page = _page(request, results)
    if selectors.search_words(query):
        search_made.send(sender=Product, request=request, query=query, result_count=page.paginator.count)
    return render(
        request,
        "catalog/search.html",
        {"q": query, "page": page, "form": form, "sort": sort, "query": _query_without_page(request)},
    )

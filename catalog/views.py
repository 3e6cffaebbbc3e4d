"""Catalog pages: category listing, product page, product picture, search."""

from __future__ import annotations

import hashlib

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors, services
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


def _facet_params(request) -> tuple[dict, list[str]]:
    """The facet filters of the query string, parsed; unknown values are
    dropped and said so (the search itself goes on)."""
    from .search import COLOURS, PRICE_BAND_KEYS

    out: dict = {"category_id": None, "band": None, "colour": None}
    errors = []
    raw = request.GET.get("category", "")
    if raw:
        if raw.isdigit() and selectors.category_exists(category_id=int(raw)):
            out["category_id"] = int(raw)
        else:
            errors.append(_("That category does not exist; showing every category."))
    raw = request.GET.get("band", "")
    if raw:
        if raw in PRICE_BAND_KEYS:
            out["band"] = raw
        else:
            errors.append(_("Unknown price band; showing every price."))
    raw = request.GET.get("colour", "")
    if raw:
        if raw in COLOURS:
            out["colour"] = raw
        else:
            errors.append(_("Unknown colour; showing every colour."))
    return out, errors


def _facet_links(request, facets) -> dict:
    """Per facet, its values with the link that toggles each."""
    groups = {}
    for name, values in (("category", facets.category), ("band", facets.price), ("colour", facets.colour)):
        links = []
        for v in values:
            params = request.GET.copy()
            params.pop("page", None)
            if v.selected:
                params.pop(name, None)
            else:
                params[name] = v.key
            links.append({"value": v, "url": "?" + params.urlencode()})
        groups[name] = links
    return groups


@require_GET
def search(request):
    query = request.GET.get("q", "")
    form = ProductFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {"sort": selectors.DEFAULT_SORT}
    sort = filters.pop("sort")
    facet_filters, facet_errors = _facet_params(request)
    correct = request.GET.get("spell") != "0"
    result = selectors.product_search_hybrid(
        query=query,
        correct=correct,
        sort=None if sort == selectors.DEFAULT_SORT else sort,
        min_price=filters.get("min_price"),
        max_price=filters.get("max_price"),
        **facet_filters,
    )
    page = _page(request, result.ids)
    page.object_list = selectors.products_in_order(product_ids=list(page.object_list))
    words = selectors.search_words(query)
    if words:
        search_made.send(sender=Product, request=request, query=query, result_count=result.count)
        # what was searched (the corrected words), so autocomplete never suggests a typo
        services.search_query_record(query=result.understood.text, result_count=result.count)
    context = {
        "q": query,
        "page": page,
        "form": form,
        "sort": sort,
        "query": _query_without_page(request),
        "result": result,
        "facets": _facet_links(request, result.facets),
        "facet_errors": facet_errors,
        "spell_off": not correct,
    }
    if words and not result.count:
        context["popular_queries"] = selectors.search_queries_popular(limit=6)
        context["popular_products"] = selectors.products_popular(limit=8)
        context["categories"] = selectors.category_list()
    return render(request, "catalog/search.html", context)


@require_GET
def search_suggest(request):
    """Autocomplete for the header's search box: {"suggestions": [{kind, label, url}]}."""
    return JsonResponse({"suggestions": selectors.search_suggestions(prefix=request.GET.get("q", ""), limit=8)})

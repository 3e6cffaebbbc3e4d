"""Template tags that put recommendations into any page, so catalog and
checkout templates show them without importing the recommender:

    {% load recommendations %}
    {% recommendations "home" %}
    {% recommendations "product" product=product %}
    {% recommendations "cart" products=totals.lines %}      (lines or products)
    {% recommendations "confirmation" products=order.lines.all %}
    {% personalized_search page.object_list as results %}

The slots of one page share a per-request state (one history read, one model
lookup, and the "seen" set: no product twice on one page). Each slot shown is
recorded as one rec_impression event; every link goes through the tracked
click URL. A failure here never breaks the page: it renders without the slot.
"""

from __future__ import annotations

import logging
import time

from django import template
from django.template.loader import render_to_string

from profiles.selectors import shopper_from_request

from .. import attribution, serving
from ..rules import setting

register = template.Library()
logger = logging.getLogger(__name__)

STATE_ATTR = "_recommend_page_state"


def page_state(request) -> serving.PageState:
    """The request's shared serving state (created on first use)."""
    state = getattr(request, STATE_ATTR, None)
    if state is None:
        shopper = shopper_from_request(request)
        country = serving.country_from_languages(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        state = serving.PageState(shopper=shopper, country=country)
        state.defer = True  # a rendered page may refresh a list after its response (recommend.middleware)
        setattr(request, STATE_ATTR, state)
    return state


def _products(value) -> list:
    out = []
    for item in value or []:
        product = getattr(item, "product", item)
        if getattr(product, "pk", None) is not None:
            out.append(product)
    return out


@register.simple_tag(takes_context=True)
def recommendations(context, page: str, product=None, products=None, n=None):
    request = context.get("request")
    if request is None or not setting("RECOMMEND_ENABLED", True):
        return ""
    start = time.perf_counter()
    state = None
    try:
        state = page_state(request)
        ctx = {"state": state, "product": product, "products": _products(products)}
        if n:
            ctx["n"] = int(n)
        served = serving.page_recommendations(page=page, shopper=state.shopper, context=ctx)
        if not served:
            return ""
        attribution.impressions_record(shopper=state.shopper, served=served, page=page)
        slots = []
        for s in served:
            items = [
                {
                    "product": i.product,
                    "reason": i.reason,
                    "position": i.position,
                    "url": attribution.click_url(
                        product_id=i.product.pk,
                        slot=s.slot,
                        position=i.position,
                        model=s.model,
                        version=s.model_version,
                    ),
                }
                for i in s.items
            ]
            slots.append({"served": s, "items": items})
        return render_to_string("recommend/_slots.html", {"slots": slots, "page": page}, request=request)
    except Exception:  # noqa: BLE001 - a page never fails because of a recommender
        serving.log_once(f"tag:{page}", "recommendations: the %s slots failed to render", page, exc_info=True)
        return ""
    finally:
        if state is not None:  # the page's Server-Timing header (recommend.middleware)
            state.elapsed_ms += (time.perf_counter() - start) * 1000


class SearchResults:
    def __init__(self, products, personal: bool, model: str = "", version: str = "") -> None:
        self.products = products
        self.personal = personal
        self.model = model
        self.version = version


@register.simple_tag(takes_context=True)
def personalized_search(context, products):
    """The search page's results re-ranked for the shopper (blend of text
    relevance and the shopper's score, serving.search_rerank), unless the
    shopper asked for relevance only (?personal=0), chose another sort, or
    recommendations are off."""
    products = list(products or [])
    request = context.get("request")
    if (
        request is None
        or not setting("RECOMMEND_ENABLED", True)
        or request.GET.get("personal") == "0"
        or request.GET.get("sort", "popular") not in ("", "popular")
    ):
        return SearchResults(products, personal=False)
    try:
        state = page_state(request)
        ranked, model, version = serving.search_rerank(products=products, shopper=state.shopper, state=state)
        return SearchResults(ranked, personal=bool(model), model=model, version=version)
    except Exception:  # noqa: BLE001
        serving.log_once("tag:search", "recommendations: search re-ranking failed", exc_info=True)
        return SearchResults(products, personal=False)

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
import threading
import time
from collections import OrderedDict

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

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


def _impressions_record(state: serving.PageState, served: list, page: str) -> None:
    try:
        attribution.impressions_record(shopper=state.shopper, served=served, page=page)
    except Exception:  # noqa: BLE001 - after the response: logged, the page was served
        serving.log_once(f"impressions:{page}", "recommendations: recording impressions failed", exc_info=True)


_image_path_template: str | None = None


def _image_path() -> str:
    """The product picture's path with "{}" for the product id (one reverse() a process)."""
    global _image_path_template
    if _image_path_template is None:
        head, tail = reverse("catalog:product_image", args=[987654321]).rsplit("987654321", 1)
        _image_path_template = (
            head.replace("{", "{{").replace("}", "}}") + "{}" + tail.replace("{", "{{").replace("}", "}}")
        )
    return _image_path_template


# pages whose slot HTML depends on the request itself (add-to-cart forms)
UNCACHED_PAGES = ("cart", "checkout")
_HTML_CACHE_SIZE = 4096
_html_cache: OrderedDict[tuple, str] = OrderedDict()
_html_lock = threading.Lock()


def slot_html_cache_clear() -> None:
    with _html_lock:
        _html_cache.clear()


def _slot_html(slot: dict, page: str, request) -> str:
    """One slot's HTML, kept in the process by everything it shows: the same
    slot with the same cards (the product page's item lists are the same for
    every shopper; a shopper's own lists until their next event) is rendered
    once, not on every page."""
    s = slot["served"]
    key = (
        page,
        translation.get_language(),
        s.slot,
        s.title,
        s.model,
        s.model_version,
        tuple(
            (i["product"].pk, i["product"].category_id, i["title"], str(i["product"].price), i["reason"], i["url"])
            for i in slot["items"]
        ),
    )
    with _html_lock:
        html = _html_cache.get(key)
        if html is not None:
            _html_cache.move_to_end(key)
            return html
    html = render_to_string("recommend/_slots.html", {"slots": [slot], "page": page}, request=request)
    with _html_lock:
        _html_cache[key] = html
        while len(_html_cache) > _HTML_CACHE_SIZE:
            _html_cache.popitem(last=False)
    return html


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
        if state.defer:  # a rendered page: written after its response (recommend.middleware)
            state.after.append(lambda: _impressions_record(state, served, page))
        else:
            attribution.impressions_record(shopper=state.shopper, served=served, page=page)
        image = _image_path()
        slots = []
        for s in served:
            items = [
                {
                    "product": i.product,
                    "title": i.product.name.title(),
                    "image": image.format(i.product.pk),
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
        if page in UNCACHED_PAGES:  # their cards carry the request's CSRF token
            return render_to_string("recommend/_slots.html", {"slots": slots, "page": page}, request=request)
        return mark_safe("".join(_slot_html(slot, page, request) for slot in slots))  # noqa: S308 - rendered templates
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

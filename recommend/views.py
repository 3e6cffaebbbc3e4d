"""recommend pages: the tracked recommendation link."""

from __future__ import annotations

from urllib.parse import urlparse

from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.http import require_GET

from catalog import selectors as catalog_selectors
from profiles.selectors import shopper_from_request

from . import attribution


@require_GET
def click(request, token: str):
    """/r/<token>/: record the rec_click (slot, position, model, version) and
    go on to the product. A link that was not signed by us changes nothing."""
    try:
        data = attribution.click_read(token)
    except (signing.BadSignature, ValueError, TypeError):
        return HttpResponseBadRequest("This recommendation link is not valid.")
    try:
        product = catalog_selectors.product_get(product_id=data["product_id"])
    except ObjectDoesNotExist:
        return redirect("home")
    attribution.click_record(shopper=shopper_from_request(request), click=data)
    # /r/ is one URL for both languages: go on in the language of the page the link was on
    referer_path = urlparse(request.META.get("HTTP_REFERER", "")).path
    with translation.override(translation.get_language_from_path(referer_path) or translation.get_language()):
        return redirect(product.get_absolute_url())

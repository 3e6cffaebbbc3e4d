"""Request middleware that guards the edges of every page and API call."""

from __future__ import annotations

import logging

from django.http import HttpResponseBadRequest, JsonResponse

from .text import forbidden_character

log = logging.getLogger(__name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _first_forbidden(request) -> tuple[str, str] | None:
    """(where, U+XXXX) of the first control character in the path, the query
    string or a submitted form field (names and values); None when clean."""
    found = forbidden_character(request.path_info)
    if found:
        return "the address", found
    sources = [("the query string", request.GET)]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        sources.append(("the form", request.POST))
    for where, data in sources:
        for name, values in data.lists():
            for text in (name, *values):
                found = forbidden_character(text)
                if found:
                    label = "a field name" if forbidden_character(name) else f"field {name!r}"
                    return f"{where} ({label})", found
    return None


class ControlCharactersMiddleware:
    """Answer 400 to a request whose path, query string or form fields hold a
    control character (NUL included) or a lone surrogate, before any view or
    database sees it. JSON bodies are checked by `core.parsers.SafeJSONParser`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = _first_forbidden(request)
        if bad is None:
            return self.get_response(request)
        where, char = bad
        message = f"Control character {char} in {where}: not accepted."
        log.info("refused %s %s: %s", request.method, request.path_info.encode("unicode_escape")[:200], message)
        if request.path_info.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

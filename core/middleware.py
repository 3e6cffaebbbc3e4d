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


# --- Content-Security-Policy (issue 13, defect 10) -------------------------------------------


# Django 5.2 has no CSP of its own (django.middleware.csp arrives in 6.0); this middleware reads the
# same setting name, SECURE_CSP, a dict of directive -> list of sources, so moving to Django 6's
# ContentSecurityPolicyMiddleware is a settings change.


def csp_header(policy: dict[str, list[str] | tuple[str, ...] | bool]) -> str:
    """`{"default-src": ["'self'"], "upgrade-insecure-requests": True}` as a header value."""
    parts = []
    for directive, sources in policy.items():
        if sources is True:
            parts.append(directive)
        elif sources:
            parts.append(f"{directive} {' '.join(sources)}")
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    """Sends `Content-Security-Policy: <settings.SECURE_CSP>` on every response
    that has none yet (HTML pages, the admin, the API's docs; harmless on
    JSON). With `SECURE_CSP_REPORT_ONLY` set, that policy goes out as
    `Content-Security-Policy-Report-Only` too (to try a stricter one)."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.policy = dict(getattr(settings, "SECURE_CSP", {}) or {})
        self.report_only = dict(getattr(settings, "SECURE_CSP_REPORT_ONLY", {}) or {})

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp_header(self.policy)
        if self.report_only and "Content-Security-Policy-Report-Only" not in response:
            response["Content-Security-Policy-Report-Only"] = csp_header(self.report_only)
        return response

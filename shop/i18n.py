"""The shop's two interface languages (docs/i18n.md).

English pages are unprefixed (`/cart/`), Simplified Chinese ones live under
`/zh-hans/` (`/zh-hans/cart/`), through `i18n_patterns(...,
prefix_default_language=False)` in shop/urls.py. Django's LocaleMiddleware
then serves every unprefixed URL in English, whatever the browser asks for;
two small additions make the rest work:

- `ShopLocaleMiddleware`: the API, admin and other unprefixed endpoints that
  are not pages answer in the language the client asks for (the language
  cookie, then `Accept-Language`), so an API error reads in Chinese for a
  Chinese client.
- `PreferredLanguageMiddleware`: a GET of an unprefixed page by a reader who
  prefers Chinese (the language cookie, else a logged-in customer's stored
  `Customer.language`, else the browser's `Accept-Language` on a first visit)
  is redirected to the same page under `/zh-hans/`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import is_valid_path
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.languages import is_default, language_of

# paths outside i18n_patterns (shop/urls.py): never prefixed, never redirected
UNPREFIXED = ("/api/", "/admin/", "/health/", "/static/", "/i18n/", "/r/", "/m/")


class ShopLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, except that unprefixed non-page endpoints
    (the API above all) follow the client's cookie or Accept-Language."""

    def process_request(self, request):
        if request.path_info.startswith(UNPREFIXED):
            translation.activate(translation.get_language_from_request(request, check_path=False))
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)

    def process_response(self, request, response):
        if request.path_info.startswith(UNPREFIXED):
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        return super().process_response(request, response)


def _preferred(request) -> str | None:
    """The language this reader chose or their browser asks for, or None when
    nothing says so."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie:
        return language_of(cookie)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        stored = getattr(getattr(user, "customer", None), "language", "")
        if stored:
            return language_of(stored)
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return language_of(translation.get_language_from_request(request, check_path=False))
    return None


class PreferredLanguageMiddleware:
    """Sends a reader who prefers Chinese from an unprefixed page to its
    /zh-hans/ twin (after AuthenticationMiddleware: it reads the customer's
    stored language). A reader who chose English (cookie "en") stays."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and not request.path_info.startswith(UNPREFIXED):
            if translation.get_language_from_path(request.path_info) is None:
                preferred = _preferred(request)
                if preferred and not is_default(preferred):
                    target = f"/{preferred}{request.path_info}"
                    urlconf = getattr(request, "urlconf", None)
                    with translation.override(preferred):  # i18n_patterns resolve in the active language
                        valid = is_valid_path(target, urlconf)
                    if valid:
                        query = request.META.get("QUERY_STRING", "")
                        response = HttpResponseRedirect(f"{target}?{query}" if query else target)
                        patch_vary_headers(response, ("Accept-Language", "Cookie"))
                        return response
        response = self.get_response(request)
        if not request.path_info.startswith(UNPREFIXED):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

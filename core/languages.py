"""The interface languages as one small helper, for code without a request
(services, Celery tasks): settings.LANGUAGES, English first (docs/i18n.md)."""

from __future__ import annotations

from django.utils import translation

DEFAULT_LANGUAGE = "en"
CHINESE = "zh-hans"


def language_of(code: str | None) -> str:
    """A stored or requested code as one of settings.LANGUAGES ("en" when unknown)."""
    if not code:
        return DEFAULT_LANGUAGE
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return DEFAULT_LANGUAGE


def is_default(code: str) -> bool:
    return language_of(code) == DEFAULT_LANGUAGE

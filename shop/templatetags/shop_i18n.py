"""The header's language switcher, the <head>'s hreflang links and prices in
pounds in the locale's number format (docs/i18n.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.urls import reverse, translate_url
from django.utils import formats, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

# hreflang values: Django's language codes as search engines read them (BCP 47)
HREFLANG = {"en": "en", "zh-hans": "zh-Hans"}


def _url_in(request, language: str) -> str:
    """This page's address in that language (Django's translate_url over i18n_patterns)."""
    return translate_url(request.get_full_path(), language)


@register.simple_tag(takes_context=True)
def hreflang_links(context) -> str:
    """<link rel="alternate" hreflang=...> for each language's twin of this
    page, plus x-default (English); nothing on pages that are not translated
    (the same address in both languages)."""
    request = context.get("request")
    if request is None:
        return ""
    urls = [
        (HREFLANG.get(code, code), request.build_absolute_uri(_url_in(request, code)))
        for code, _name in settings.LANGUAGES
    ]
    if len({url for _h, url in urls}) < 2:
        return ""
    urls.append(("x-default", urls[0][1]))
    return format_html_join("\n  ", '<link rel="alternate" hreflang="{}" href="{}">', urls)


@register.simple_tag(takes_context=True)
def language_switcher(context) -> str:
    """English | 中文: one small form posting to /i18n/setlang/ (the cookie, the
    customer's stored choice, and back to this page in that language)."""
    request = context.get("request")
    if request is None:
        return ""
    current = translation.get_language()
    buttons = []
    for code, name in settings.LANGUAGES:
        active = translation.get_supported_language_variant(current) == code
        buttons.append(
            format_html(
                '<button type="submit" name="language" value="{}" class="link lang{}" lang="{}"{}'
                ' data-testid="lang-{}">{}</button>',
                code,
                " active" if active else "",
                HREFLANG.get(code, code),
                ' aria-current="true"' if active else "",
                code,
                "中文" if code == "zh-hans" else name,
            )
        )
    return format_html(
        '<form action="{}" method="post" class="inline lang-switch" aria-label="{}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">{}</form>',
        reverse("set_language"),
        _("Language"),
        get_token(request),
        request.get_full_path(),
        mark_safe('<span class="sep" aria-hidden="true"> | </span>'.join(buttons)),  # noqa: S308 - format_html parts
    )


@register.filter
def pounds(value) -> str:
    """£1,234.50: a price in pounds with the active locale's separators
    (`{{ product.price|pounds }}`). An empty value is an empty string."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    number = formats.number_format(abs(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{sign}£{number}"


@register.filter
def category_label(name) -> str:
    """A stored (English) category name in the active language: `{{ a.name|category_label }}`."""
    from catalog.selectors import category_name

    return category_name(str(name or ""))


@register.filter
def country_label(country) -> str:
    """A stored country (the data set's English) in the active language: `{{ order.country|country_label }}`."""
    from core.countries import country_name

    return country_name(str(country or ""))

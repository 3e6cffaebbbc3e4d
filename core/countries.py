"""The data set's 38 country names in the interface language.

Customers, orders and addresses keep the country as the data set writes it
("United Kingdom", "EIRE", "RSA"); pages, e-mails, reasons and portrait
summaries show `country_name(...)`. A country not listed is shown as stored."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import pgettext_lazy

COUNTRIES = {
    "Australia": pgettext_lazy("country", "Australia"),
    "Austria": pgettext_lazy("country", "Austria"),
    "Bahrain": pgettext_lazy("country", "Bahrain"),
    "Belgium": pgettext_lazy("country", "Belgium"),
    "Brazil": pgettext_lazy("country", "Brazil"),
    "Canada": pgettext_lazy("country", "Canada"),
    "Channel Islands": pgettext_lazy("country", "Channel Islands"),
    "Cyprus": pgettext_lazy("country", "Cyprus"),
    "Czech Republic": pgettext_lazy("country", "Czech Republic"),
    "Denmark": pgettext_lazy("country", "Denmark"),
    "EIRE": pgettext_lazy("country", "Ireland"),
    "European Community": pgettext_lazy("country", "European Community"),
    "Finland": pgettext_lazy("country", "Finland"),
    "France": pgettext_lazy("country", "France"),
    "Germany": pgettext_lazy("country", "Germany"),
    "Greece": pgettext_lazy("country", "Greece"),
    "Hong Kong": pgettext_lazy("country", "Hong Kong"),
    "Iceland": pgettext_lazy("country", "Iceland"),
    "Israel": pgettext_lazy("country", "Israel"),
    "Italy": pgettext_lazy("country", "Italy"),
    "Japan": pgettext_lazy("country", "Japan"),
    "Lebanon": pgettext_lazy("country", "Lebanon"),
    "Lithuania": pgettext_lazy("country", "Lithuania"),
    "Malta": pgettext_lazy("country", "Malta"),
    "Netherlands": pgettext_lazy("country", "Netherlands"),
    "Norway": pgettext_lazy("country", "Norway"),
    "Poland": pgettext_lazy("country", "Poland"),
    "Portugal": pgettext_lazy("country", "Portugal"),
    "RSA": pgettext_lazy("country", "South Africa"),
    "Saudi Arabia": pgettext_lazy("country", "Saudi Arabia"),
    "Singapore": pgettext_lazy("country", "Singapore"),
    "Spain": pgettext_lazy("country", "Spain"),
    "Sweden": pgettext_lazy("country", "Sweden"),
    "Switzerland": pgettext_lazy("country", "Switzerland"),
    "USA": pgettext_lazy("country", "USA"),
    "United Arab Emirates": pgettext_lazy("country", "United Arab Emirates"),
    "United Kingdom": pgettext_lazy("country", "United Kingdom"),
    "Unspecified": pgettext_lazy("country", "Unspecified"),
}


def country_name(country: str) -> str:
    """A stored country in the active language; English stays as stored ("EIRE")."""
    translated = COUNTRIES.get(country or "")
    if translated is None or (translation.get_language() or "en").startswith("en"):
        return country or ""  # English keeps the data set's own spelling
    return str(translated)

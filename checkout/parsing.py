"""Shoppers' input turned into the typed values the checkout services take:
whole-number quantities, product ids, a shipping address. The pages (views,
forms) and the API (serializers) parse here, once; the services then check
the shop's rules (limits, stock, coupons) on typed values. Errors are the
checkout's coded errors, so a page and the API say the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from . import selectors
from .errors import InvalidAddress, InvalidQuantity, UnknownProduct

POSTCODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postcode", "country", "email")
ADDRESS_LIMITS = {"name": 120, "line1": 200, "line2": 200, "city": 100}


@dataclass(frozen=True)
class Address:
    """A checked shipping address (what `order_place` takes)."""

    name: str
    line1: str
    city: str
    postcode: str
    country: str
    line2: str = ""
    email: str = ""


def quantity_parse(value) -> int:
    """A whole number from a form field or a JSON value: an int (not a bool),
    or up to 12 digits with an optional sign. The range is the services' rule."""
    if isinstance(value, bool):
        raise InvalidQuantity(_("Quantity must be a whole number."))
    if isinstance(value, int):
        return value
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"[+-]?\d{1,12}", text):
        raise InvalidQuantity(_("Quantity must be a whole number."))
    return int(text)


def product_id_parse(value) -> int:
    """A product id from a form field or a JSON value; UnknownProduct for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"\d{1,18}", text):
        raise UnknownProduct(_("There is no such product."))
    return int(text)


def address_parse(*, data: dict) -> Address:
    """Clean and check a shipping address; InvalidAddress lists every bad field."""
    clean = {k: str(data.get(k) or "").strip() for k in ADDRESS_FIELDS}
    errors: dict[str, str] = {}
    for key, label in (("name", _("Name")), ("line1", _("Address")), ("city", _("Town or city"))):
        if len(clean[key]) < 2:
            errors[key] = _("%(label)s is required.") % {"label": label}
    for key, limit in ADDRESS_LIMITS.items():
        if len(clean[key]) > limit:
            errors[key] = _("At most %(limit)s characters.") % {"limit": limit}
    if not POSTCODE_RE.fullmatch(clean["postcode"]):
        errors["postcode"] = _("Enter a valid postcode (letters, digits, spaces, dashes).")
    if clean["country"] not in selectors.country_choices():
        errors["country"] = _("Choose a country from the list.")
    if clean["email"]:
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
    if errors:
        raise InvalidAddress(_("Please correct the address."), errors=errors)
    return Address(**clean)

"""Forms: parse and render only; the rules are in services."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from core.countries import country_name

from . import selectors
from .errors import CheckoutError
from .parsing import ADDRESS_FIELDS, Address, address_parse
from .payment import test_cards_help
from .shipping import DEFAULT_SHIPPING_METHOD, SHIPPING_METHODS


class CheckoutForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=120)
    line1 = forms.CharField(label=_("Address"), max_length=200)
    line2 = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    city = forms.CharField(label=_("Town or city"), max_length=100)
    postcode = forms.CharField(label=_("Postcode"), max_length=12)
    country = forms.ChoiceField(label=_("Country"))
    email = forms.EmailField(label=_("E-mail for the confirmation"), required=False)
    shipping_method = forms.ChoiceField(label=_("Shipping"), widget=forms.RadioSelect, initial=DEFAULT_SHIPPING_METHOD)
    payment_token = forms.CharField(
        label=_("Card number"),
        max_length=32,
        help_text=test_cards_help(),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Choose…"))] + [
            (c, country_name(c)) for c in selectors.country_choices()
        ]
        self.fields["shipping_method"].choices = [
            (m.code, f"{m.name} – £{m.price} ({m.description})") for m in SHIPPING_METHODS.values()
        ]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
            self.initial.setdefault("country", "United Kingdom")

    def clean(self):
        """The address, parsed once into `self.address` (an Address); its
        errors are shown next to their fields."""
        data = super().clean()
        self.address: Address | None = None
        try:
            self.address = address_parse(data={k: data.get(k, "") for k in ADDRESS_FIELDS})
        except CheckoutError as exc:
            for field, message in exc.errors.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, message)
                elif field not in self.fields:
                    self.add_error(None, message)
        return data

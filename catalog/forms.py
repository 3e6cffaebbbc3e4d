"""Forms that parse the catalog pages' query strings."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import DEFAULT_SORT

SORT_CHOICES = [
    ("popular", _("Most popular")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
    ("name", _("Name A–Z")),
]


class ProductFilterForm(forms.Form):
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    min_price = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        label=_("Min £"),
        widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": _("Min"), "inputmode": "decimal"}),
    )
    max_price = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        label=_("Max £"),
        widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": _("Max"), "inputmode": "decimal"}),
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(_("The minimum price is higher than the maximum price."))
        return data

    def filters(self) -> dict:
        """The valid filters; invalid input falls back to no filter (the form shows why)."""
        if not self.is_valid():
            sort = self.data.get("sort")
            return {"sort": sort if sort in dict(SORT_CHOICES) else DEFAULT_SORT}
        return {
            "sort": self.cleaned_data.get("sort") or DEFAULT_SORT,
            "min_price": self.cleaned_data.get("min_price"),
            "max_price": self.cleaned_data.get("max_price"),
        }

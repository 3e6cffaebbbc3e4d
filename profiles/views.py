"""The shopper's own profile pages: portrait, muted interests, data download,
history deletion. Login required; each view only ever reads the logged-in
user's own customer record, so another shopper's data is unreachable."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from . import charts, selectors, services
from .portrait import MONTHS, SEASON_LABELS, SEGMENT_LABELS, WEEKDAYS, portrait_summarize


class CategoryForm(forms.Form):
    category = forms.IntegerField(min_value=1)


class DeleteHistoryForm(forms.Form):
    confirm = forms.BooleanField(required=True, error_messages={"required": gettext_lazy("Tick the box to confirm.")})


@login_required
def profile(request):
    customer = services.customer_ensure(user=request.user)
    portrait = services.portrait_ensure(customer=customer)
    muted = selectors.muted_categories(customer=customer)
    return render(
        request,
        "profiles/profile.html",
        {
            "customer": customer,
            "portrait": portrait,
            "charts": charts.portrait_charts(portrait),
            # written again in the shopper's language (the stored summary is English)
            "summary": portrait_summarize(portrait),
            "segment_label": SEGMENT_LABELS.get(portrait.segment, portrait.segment),
            "season_label": SEASON_LABELS.get(portrait.seasonality, portrait.seasonality),
            "preferred_months": [MONTHS[m] for m in portrait.preferred_months],
            "preferred_weekdays": [WEEKDAYS[d] for d in portrait.preferred_weekdays],
            "preferred_hours": [f"{h:02d}:00" for h in portrait.preferred_hours],
            "affinities": portrait.category_affinities[:8],
            "muted": muted,
            "delete_form": DeleteHistoryForm(),
        },
    )


@login_required
@require_POST
def interest_mute(request):
    form = CategoryForm(request.POST)
    customer = services.customer_ensure(user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose an interest to mute."))
        return redirect("profiles:profile")
    try:
        services.interest_mute(customer=customer, category_id=form.cleaned_data["category"])
    except services.InvalidEvent as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Muted: we will leave it out of your profile and recommendations."))
    return redirect("profiles:profile")


@login_required
@require_POST
def interest_unmute(request):
    form = CategoryForm(request.POST)
    customer = services.customer_ensure(user=request.user)
    if form.is_valid():
        services.interest_unmute(customer=customer, category_id=form.cleaned_data["category"])
        messages.success(request, _("Unmuted."))
    return redirect("profiles:profile")


@login_required
def data_export(request):
    customer = services.customer_ensure(user=request.user)
    payload = selectors.customer_data_export(customer=customer)
    response = HttpResponse(json.dumps(payload, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-shop-data.json"'
    return response


@login_required
@require_POST
def history_delete(request):
    form = DeleteHistoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm that your behaviour history should be deleted."))
        return redirect("profiles:profile")
    customer = services.customer_ensure(user=request.user)
    n = services.behaviour_history_delete(customer=customer)
    messages.success(
        request,
        ngettext(
            "Deleted %(count)s event from your history. Your orders are kept for accounting.",
            "Deleted %(count)s events from your history. Your orders are kept for accounting.",
            n,
        )
        % {"count": n},
    )
    return redirect("profiles:profile")

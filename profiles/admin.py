"""Operators' view of customers, events and portraits, with a segment and
cluster overview page (linked from the portrait list)."""

import csv
import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.parsers import json_loads_limited

from . import charts, selectors
from .errors import SegmentRuleInvalid
from .models import Customer, Event, MutedCategory, Portrait, PortraitBaseline, Segment
from .portrait import MONTHS, WEEKDAYS

PORTRAIT_READONLY = [
    "summary",
    "segment",
    "cluster_name",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "clv_12m",
    "churn_risk",
    "top_interests",
    "price_band",
    "price_position",
    "price_sensitivity",
    "is_price_sensitive",
    "avg_basket_units",
    "avg_basket_lines",
    "avg_basket_value",
    "median_line_units",
    "is_bulk_buyer",
    "preferred_months_named",
    "preferred_weekdays_named",
    "preferred_hours",
    "seasonality",
    "autumn_share",
    "christmas_share",
    "country",
    "tenure_days",
    "first_activity",
    "last_activity",
    "last_purchase",
    "event_counts",
    "reference_time",
    "computed_at",
]


class _NamedHabits:
    @admin.display(description=_("Preferred months"))
    def preferred_months_named(self, obj):
        return ", ".join(str(MONTHS[m]) for m in obj.preferred_months or []) or "-"

    @admin.display(description=_("Preferred weekdays"))
    def preferred_weekdays_named(self, obj):
        return ", ".join(str(WEEKDAYS[d]) for d in obj.preferred_weekdays or []) or "-"


def _charts_html(obj) -> str:
    if obj is None or not obj.pk:
        return "-"
    c = charts.portrait_charts(obj)
    return format_html(
        '<div style="display:flex;gap:24px;flex-wrap:wrap"><div><h4>Category affinities</h4>{}</div>'
        "<div><h4>Spend over time</h4>{}</div><div><h4>Weekdays</h4>{}<h4>Hours</h4>{}</div></div>",
        c["affinities"],
        c["spend"],
        c["weekdays"],
        c["hours"],
    )


class PortraitInline(_NamedHabits, admin.StackedInline):
    model = Portrait
    can_delete = False
    fields = ["charts", *PORTRAIT_READONLY]
    readonly_fields = fields

    @admin.display(description=_("Charts"))
    def charts(self, obj):
        return _charts_html(obj)

    def has_add_permission(self, request, obj=None):
        return False


class MutedInline(admin.TabularInline):
    model = MutedCategory
    extra = 0
    raw_id_fields = ["category"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "external_id", "user", "country", "is_imported", "created_at"]
    list_filter = ["country", "is_imported"]
    search_fields = ["=external_id", "user__username", "user__email"]
    raw_id_fields = ["user"]
    inlines = [PortraitInline, MutedInline]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "customer",
        "session_key",
        "product",
        "quantity",
        "price",
        "order_number",
        "query",
        "slot",
        "model_version",
    ]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter), "slot"]
    date_hierarchy = "created_at"
    search_fields = ["=customer__external_id", "session_key", "order_number", "query"]
    raw_id_fields = ["customer", "product"]
    list_select_related = ["customer", "product"]
    show_full_result_count = False

    def get_urls(self):
        return [
            path("funnel/", self.admin_site.admin_view(self.funnel_view), name="profiles_event_funnel"),
            *super().get_urls(),
        ]

    def funnel_view(self, request):
        """The shopping funnel of the last ?days= days (30; 1 to 3660), with charts."""
        import base64
        import datetime as dt

        from django.utils import timezone

        from .funnel import funnel_chart_png

        raw = request.GET.get("days", "30")
        error = ""
        days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 3660 else None
        if days is None:
            error, days = "Days must be a whole number from 1 to 3660; showing 30.", 30
        until = timezone.now()
        result = selectors.funnel_report(since=until - dt.timedelta(days=days), until=until)
        chart = base64.b64encode(funnel_chart_png(result)).decode() if result.sessions else ""
        context = {
            **self.admin_site.each_context(request),
            "title": "Shopping funnel",
            "opts": self.model._meta,
            "days": days,
            "error": error,
            "result": result,
            "steps": result.steps.to_dict("records"),
            "tables": [
                (label, dim, result.by[dim].to_dict("records"))
                for label, dim in (
                    ("Segment", "segment"),
                    ("Country", "country"),
                    ("Entry page", "entry"),
                    ("Day", "day"),
                )
            ],
            "chart": chart,
            "ttp_median_min": None
            if result.time_to_purchase_median_s is None
            else result.time_to_purchase_median_s / 60,
            "ttp_p95_min": None if result.time_to_purchase_p95_s is None else result.time_to_purchase_p95_s / 60,
            "changelist_url": reverse("admin:profiles_event_changelist"),
        }
        return TemplateResponse(request, "admin/profiles/event/funnel.html", context)


@admin.register(Portrait)
class PortraitAdmin(_NamedHabits, admin.ModelAdmin):
    # fits a 1280 px screen beside the admin's navigation and the filters;
    # country and bulk buying are filters, the build time a detail field
    list_display = ["shopper", "segment", "cluster_name", "orders", "spent", "clv", "churn_percent"]
    list_filter = [
        "segment",
        "cluster_name",
        "is_bulk_buyer",
        "is_price_sensitive",
        "seasonality",
        "price_band",
        "country",
    ]
    search_fields = ["=customer__external_id", "customer__user__username", "summary"]
    list_select_related = ["customer", "customer__user"]
    fields = ["customer", "charts", *PORTRAIT_READONLY]
    readonly_fields = fields
    change_list_template = "admin/profiles/portrait/change_list.html"

    @admin.display(description=_("Customer"), ordering="customer__external_id")
    def shopper(self, obj):
        return obj.customer.external_id or obj.customer.user.get_username()

    @admin.display(description=_("Orders"), ordering="frequency")
    def orders(self, obj):
        return obj.frequency

    @admin.display(description=_("Spent £"), ordering="monetary")
    def spent(self, obj):
        return f"{obj.monetary:,.2f}"

    @admin.display(description=_("CLV 12m £"), ordering="clv_12m")
    def clv(self, obj):
        return f"{obj.clv_12m:,.2f}"

    @admin.display(description=_("Churn"), ordering="churn_risk")
    def churn_percent(self, obj):
        return f"{obj.churn_risk:.0%}"

    @admin.display(description=_("Charts"))
    def charts(self, obj):
        return _charts_html(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # derived data: rebuilt by build_portraits, never edited

    def get_urls(self):
        return [
            path("overview/", self.admin_site.admin_view(self.overview_view), name="profiles_portrait_overview"),
            *super().get_urls(),
        ]

    def overview_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": "Segments and clusters",
            "opts": self.model._meta,
            "overview": selectors.portrait_overview(),
            "baseline": PortraitBaseline.objects.order_by("-built_at").first(),
            "changelist_url": reverse("admin:profiles_portrait_changelist"),
        }
        return TemplateResponse(request, "admin/profiles/portrait/overview.html", context)


@admin.register(PortraitBaseline)
class PortraitBaselineAdmin(admin.ModelAdmin):
    list_display = ["built_at", "customers"]
    readonly_fields = ["built_at", "customers", "data"]


# --- segments ---------------------------------------------------------------------


class SegmentForm(forms.ModelForm):
    """The rule is JSON in a textarea; the "Preview" button shows the live member
    count and revenue without saving (works without JavaScript; the page's
    script shows the same figures while typing, from `preview/`)."""

    rule = forms.JSONField(widget=forms.Textarea(attrs={"rows": 8, "cols": 90, "class": "segment-rule"}))

    class Meta:
        model = Segment
        fields = ["name", "description", "rule"]

    def clean_rule(self):
        try:
            return selectors.segment_rule_parse(rule=self.cleaned_data["rule"])
        except SegmentRuleInvalid as exc:
            raise ValidationError(exc.message) from None

    def clean(self):
        cleaned = super().clean()
        if "_preview" in self.data and "rule" in cleaned:
            stats = selectors.segment_stats(rule=cleaned["rule"])
            raise ValidationError(
                _("Preview (not saved): %(members)s members, £%(revenue)s net revenue. Save to keep the rule.")
                % {"members": f"{stats['members']:,}", "revenue": f"{stats['revenue']:,.2f}"}
            )
        return cleaned


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentForm
    list_display = ["name", "rule_in_words", "members", "revenue", "updated_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["live_figures", "fields_help"]
    actions = ["export_members"]
    change_form_template = "admin/profiles/segment/change_form.html"

    def get_fields(self, request, obj=None):
        return ["name", "description", "rule", "live_figures", "fields_help"]

    @admin.display(description=_("rule"))
    def rule_in_words(self, obj):
        return selectors.segment_rule_describe(rule=obj.rule)

    @admin.display(description=_("members"))
    def members(self, obj):
        return f"{selectors.segment_stats(segment=obj)['members']:,}"

    @admin.display(description=_("net revenue"))
    def revenue(self, obj):
        return f"£{selectors.segment_stats(segment=obj)['revenue']:,.2f}"

    @admin.display(description=_("members now"))
    def live_figures(self, obj):
        if obj is None or obj.pk is None:
            text = "Type a rule: the count appears here (or press Preview)."
        else:
            stats = selectors.segment_stats(segment=obj)
            text = f"{stats['members']:,} members, £{stats['revenue']:,.2f} net revenue"
        return format_html('<span id="segment-live">{}</span>', text)

    @admin.display(description=_("fields a rule may use"))
    def fields_help(self, obj):
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((name, f["type"], " ".join(f["ops"]), f["help"]) for name, f in selectors.segment_rule_fields().items()),
        )
        return format_html(
            "<table><tr><th>field</th><th>type</th><th>operators</th><th>meaning</th></tr>{}</table>", rows
        )

    def get_urls(self):
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="profiles_segment_preview"),
            path("<int:pk>/members.csv", self.admin_site.admin_view(self.csv_view), name="profiles_segment_csv"),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """POST {"rule": ...} (JSON body) -> {"members", "revenue"} or {"error"} (400)."""
        if request.method != "POST":
            return JsonResponse({"error": "POST a rule"}, status=405)
        try:
            body = json_loads_limited(request.body or b"{}")
            rule = body.get("rule") if isinstance(body, dict) else None
            if isinstance(rule, str):
                rule = json_loads_limited(rule)
            stats = selectors.segment_stats(rule=rule)
        except (ValueError, json.JSONDecodeError) as exc:  # JSONTooLarge and UnicodeDecodeError are ValueErrors
            message = exc.message if isinstance(exc, SegmentRuleInvalid) else f"not valid JSON: {exc}"
            return JsonResponse({"error": message}, status=400)
        return JsonResponse({"members": stats["members"], "revenue": f"{stats['revenue']:.2f}"})

    def _csv(self, segments) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = segments[0].name if len(segments) == 1 else "segments"
        safe = "".join(ch if ch.isalnum() else "-" for ch in name).strip("-").lower() or "segment"
        response["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
        writer = csv.writer(response)
        header = ["segment", "customer_id", "external_id", "username", "email", "country", "rfm_segment"]
        writer.writerow([*header, "orders", "net_spend", "churn_risk"])
        for segment in segments:
            for row in selectors.segment_member_rows(segment=segment):
                writer.writerow([segment.name, *row])
        return response

    def csv_view(self, request, pk: int):
        segment = selectors.segment_get(segment_id=pk)
        if segment is None:
            return HttpResponse("no such segment", status=404)
        return self._csv([segment])

    @admin.action(description=_("Export members as CSV"))
    def export_members(self, request, queryset):
        return self._csv(list(queryset))

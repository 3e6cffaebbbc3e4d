"""Operators' pages: experiments with their variants (validated as a whole:
weights sum to one, one control, one running experiment per slot or page, a
page's number of slots in range), start/stop
actions, and each experiment's results dashboard."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import campaigns, charts, recovery_admin, selectors, services  # noqa: F401  (recovery_admin: abandoned carts)
from .errors import MarketingError
from .models import Assignment, Campaign, CampaignMember, Experiment, Unsubscribe, Variant


class VariantFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        specs = [
            services.VariantSpec(
                f.cleaned_data["key"],
                f.cleaned_data["weight"],
                f.cleaned_data.get("is_control", False),
                f.cleaned_data.get("model", ""),
                f.cleaned_data.get("n"),
                f.cleaned_data.get("slots"),
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            services.experiment_validate(experiment=self.instance, variants=specs)
        except MarketingError as exc:
            raise ValidationError(exc.message) from None


class VariantInline(admin.TabularInline):
    model = Variant
    formset = VariantFormSet
    extra = 2
    fields = ["key", "weight", "is_control", "model", "n", "slots"]


@admin.action(description=_("Start the selected experiments"))
def start(modeladmin, request, queryset):
    for experiment in queryset:
        try:
            services.experiment_start(experiment=experiment)
            modeladmin.message_user(request, _("%(key)s is running.") % {"key": experiment.key}, level=messages.SUCCESS)
        except MarketingError as exc:
            modeladmin.message_user(
                request,
                _("%(key)s: %(message)s") % {"key": experiment.key, "message": exc.message},
                level=messages.ERROR,
            )


@admin.action(description=_("Stop the selected experiments"))
def stop(modeladmin, request, queryset):
    for experiment in queryset:
        services.experiment_stop(experiment=experiment)
    modeladmin.message_user(
        request, _("%(count)s experiment(s) stopped.") % {"count": queryset.count()}, level=messages.SUCCESS
    )


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "slot", "page", "status", "traffic", "starts_at", "ends_at", "results_link"]
    list_filter = ["status", "slot", "page"]
    search_fields = ["key", "name"]
    inlines = [VariantInline]
    actions = [start, stop]

    @admin.display(description=_("results"))
    def results_link(self, obj):
        return format_html('<a href="{}">dashboard</a>', reverse("admin:marketing_experiment_results", args=[obj.pk]))

    def get_urls(self):
        return [
            path(
                "<int:pk>/results/",
                self.admin_site.admin_view(self.results_view),
                name="marketing_experiment_results",
            ),
            *super().get_urls(),
        ]

    def results_view(self, request, pk: int):
        experiment = get_object_or_404(Experiment, pk=pk)
        results = selectors.experiment_results(experiment=experiment)
        chart = charts.png_data_uri(charts.results_png(results)) if any(v.units for v in results.variants) else ""
        context = {
            **self.admin_site.each_context(request),
            "title": f"Results: {experiment.name}",
            "opts": self.model._meta,
            "experiment": experiment,
            "results": results,
            "chart": chart,
        }
        return TemplateResponse(request, "admin/marketing/experiment/results.html", context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.running_cache_clear()


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["experiment", "variant", "customer", "session_key", "first_exposed_at"]
    list_filter = ["experiment"]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- campaigns --------------------------------------------------------------------


@admin.action(description=_("Launch the selected campaigns"))
def launch(modeladmin, request, queryset):
    for campaign in queryset:
        try:
            services.campaign_launch(campaign=campaign)
            modeladmin.message_user(request, _("%(name)s launched.") % {"name": campaign.name}, level=messages.SUCCESS)
        except MarketingError as exc:
            modeladmin.message_user(
                request,
                _("%(name)s: %(message)s") % {"name": campaign.name, "message": exc.message},
                level=messages.ERROR,
            )


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "segment",
            "coupon",
            "banner_text",
            "email_subject",
            "email_message",
            "holdout_share",
            "coupon_split",
            "ends_at",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        probe = Campaign(**{k: v for k, v in cleaned.items() if k in self.Meta.fields})
        try:
            campaigns.campaign_check(campaign=probe)
        except MarketingError as exc:
            raise ValidationError(exc.message) from None
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ["name", "segment", "coupon", "coupon_split", "status", "launched_at", "links"]
    list_filter = ["status"]
    actions = [launch]
    readonly_fields = ["status", "launched_at"]

    @admin.display(description="")
    def links(self, obj):
        return format_html(
            '<a href="{}">report</a> · <a href="{}">e-mail preview</a>',
            reverse("admin:marketing_campaign_report", args=[obj.pk]),
            reverse("admin:marketing_campaign_preview", args=[obj.pk]),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Campaign.Status.DRAFT:  # a launched campaign is history
            return [*self.form.Meta.fields, "status", "launched_at"]
        return self.readonly_fields

    def get_urls(self):
        return [
            path("<int:pk>/report/", self.admin_site.admin_view(self.report_view), name="marketing_campaign_report"),
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="marketing_campaign_preview"),
            *super().get_urls(),
        ]

    def report_view(self, request, pk: int):
        campaign = get_object_or_404(Campaign, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Report: {campaign.name}",
            "opts": self.model._meta,
            "campaign": campaign,
            "report": selectors.campaign_report(campaign=campaign),
        }
        return TemplateResponse(request, "admin/marketing/campaign/report.html", context)

    def preview_view(self, request, pk: int):
        """The e-mail as one chosen member (?customer=<id>) would get it; nothing is sent or stored."""
        from django.template.loader import render_to_string

        campaign = get_object_or_404(Campaign, pk=pk)
        from profiles import selectors as profiles_selectors

        customer_id = request.GET.get("customer", "")
        members = profiles_selectors.segment_members(segment=campaign.segment).select_related("user")
        customer = members.filter(pk=int(customer_id)).first() if customer_id.isdigit() else members.first()
        from .rephrase import campaign_copy

        html = error = ""
        group = copy = None
        if customer is None:
            error = "No such member of the segment."
        else:
            # their group: the launched row, else what the hash will give them at launch
            row = CampaignMember.objects.filter(campaign=campaign, customer=customer).first()
            group = CampaignMember.Group(
                row.group if row else campaigns.member_group(campaign=campaign, customer_id=customer.pk)
            )
            shown = CampaignMember.Group.TREATMENT if group == CampaignMember.Group.HOLDOUT else group
            member = CampaignMember(pk=0, campaign=campaign, customer=customer, group=shown)
            html = render_to_string("emails/campaign.html", campaigns.email_context(member=member))
            copy = campaign_copy(campaign=campaign)
        context = {
            **self.admin_site.each_context(request),
            "title": f"E-mail preview: {campaign.name}",
            "opts": self.model._meta,
            "campaign": campaign,
            "customer": customer,
            "group": group,
            "copy": copy,
            "email_html": html,
            "error": error,
        }
        return TemplateResponse(request, "admin/marketing/campaign/preview.html", context)


@admin.register(CampaignMember)
class CampaignMemberAdmin(admin.ModelAdmin):
    list_display = ["campaign", "customer", "group", "status", "sent_at", "opened_at", "clicked_at"]
    list_filter = ["campaign", "group", "status"]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request):
        return False


@admin.register(Unsubscribe)
class UnsubscribeAdmin(admin.ModelAdmin):
    list_display = ["customer", "campaign", "created_at"]
    raw_id_fields = ["customer"]

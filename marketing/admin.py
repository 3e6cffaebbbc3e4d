"""Operators' pages: experiments with their variants (validated as a whole:
weights sum to one, one control, one running experiment per slot), start/stop
actions, and each experiment's results dashboard."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import charts, selectors, services
from .errors import MarketingError
from .models import Assignment, Experiment, Variant


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
    fields = ["key", "weight", "is_control", "model", "n"]


@admin.action(description="Start the selected experiments")
def start(modeladmin, request, queryset):
    for experiment in queryset:
        try:
            services.experiment_start(experiment=experiment)
            modeladmin.message_user(request, f"{experiment.key} is running.", level=messages.SUCCESS)
        except MarketingError as exc:
            modeladmin.message_user(request, f"{experiment.key}: {exc.message}", level=messages.ERROR)


@admin.action(description="Stop the selected experiments")
def stop(modeladmin, request, queryset):
    for experiment in queryset:
        services.experiment_stop(experiment=experiment)
    modeladmin.message_user(request, f"{queryset.count()} experiment(s) stopped.", level=messages.SUCCESS)


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "slot", "status", "traffic", "starts_at", "ends_at", "results_link"]
    list_filter = ["status", "slot"]
    search_fields = ["key", "name"]
    inlines = [VariantInline]
    actions = [start, stop]

    @admin.display(description="results")
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

"""Operators' pages of abandoned-cart recovery (registered from admin.py):
abandonments with their reminders, the reminders' send log, and the report
(treatment against hold-out, incremental recovery with 95% intervals, chart)."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from . import charts, recovery
from .models import CartAbandonment, CartReminder


class CartReminderInline(admin.TabularInline):
    model = CartReminder
    extra = 0
    can_delete = False
    fields = ["step", "due_at", "status", "claimed_at", "sent_at", "opened_at", "clicked_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CartAbandonment)
class CartAbandonmentAdmin(admin.ModelAdmin):
    list_display = ["customer", "group", "cart_changed_at", "found_at", "units", "value", "end_reason", "report"]
    list_filter = ["group", "end_reason", ("found_at", admin.DateFieldListFilter)]
    raw_id_fields = ["customer", "cart"]
    inlines = [CartReminderInline]
    date_hierarchy = "found_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def report(self, obj):
        return format_html('<a href="{}">recovery report</a>', reverse("admin:marketing_cartabandonment_report"))

    def get_urls(self):
        return [
            path("report/", self.admin_site.admin_view(self.report_view), name="marketing_cartabandonment_report"),
            *super().get_urls(),
        ]

    def report_view(self, request):
        """Carts found in the last ?period= days (30; 1 to 3660), recovered
        within ?days= days (CART_REMINDER_REPORT_DAYS; 1 to 365)."""
        config = recovery.reminder_config()
        errors = []
        raw_days, raw_period = request.GET.get("days", str(config.report_days)), request.GET.get("period", "30")
        days = int(raw_days) if raw_days.isdigit() and 1 <= int(raw_days) <= 365 else None
        if days is None:
            errors.append(f"Days must be a whole number from 1 to 365; showing {config.report_days}.")
            days = config.report_days
        period = int(raw_period) if raw_period.isdigit() and 1 <= int(raw_period) <= 3660 else None
        if period is None:
            errors.append("The period must be a whole number of days from 1 to 3660; showing 30.")
            period = 30
        until = timezone.now()
        report = recovery.recovery_report(since=until - dt.timedelta(days=period), until=until, days=days)
        chart = ""
        if report.treatment.carts or report.holdout.carts:
            chart = charts.png_data_uri(charts.recovery_png(report))
        context = {
            **self.admin_site.each_context(request),
            "title": "Abandoned carts: recovery report",
            "opts": self.model._meta,
            "report": report,
            "days": days,
            "period": period,
            "errors": errors,
            "chart": chart,
            "config": config,
            "schedule": ", ".join(str(v) for v in recovery._setting("CART_REMINDER_SCHEDULE")),
            "changelist_url": reverse("admin:marketing_cartabandonment_changelist"),
        }
        return TemplateResponse(request, "admin/marketing/cartabandonment/report.html", context)


@admin.register(CartReminder)
class CartReminderAdmin(admin.ModelAdmin):
    list_display = ["abandonment", "customer", "step", "due_at", "status", "sent_at", "opened_at", "clicked_at"]
    list_filter = ["status", "step"]
    raw_id_fields = ["customer", "abandonment"]

    def has_add_permission(self, request):
        return False

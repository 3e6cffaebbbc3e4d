"""Admin of model versions: the list, "Retrain now", metrics over time, rollback.

Versions are made by training runs only, so the admin shows them read-only
and offers actions that go through the services."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import attribution, selectors, services
from .models import ModelVersion


def metrics_chart_png(versions: list[ModelVersion]) -> str | None:
    """Validation NDCG@10 per model family over time (95% CI bars, active ringed),
    as a base64 PNG; None when no version has metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_name: dict[str, list[ModelVersion]] = {}
    for v in versions:
        if v.ndcg10 is not None:
            by_name.setdefault(v.name, []).append(v)
    if not by_name:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=100)
    for name, rows in sorted(by_name.items()):
        xs = [r.created_at for r in rows]
        ys = [r.ndcg10 for r in rows]
        err = [r.ndcg10_half_width for r in rows]
        line = ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=name)
        for r in rows:
            if r.status == ModelVersion.Status.ACTIVE:
                ax.plot([r.created_at], [r.ndcg10], "o", ms=13, mfc="none", mec=line[0].get_color(), mew=2)
    times = [v.created_at for rows in by_name.values() for v in rows]
    if max(times) - min(times) < timedelta(days=1):  # one run so far: a readable axis, not years
        ax.set_xlim(min(times) - timedelta(hours=12), max(times) + timedelta(hours=12))
    ax.set_ylabel("validation NDCG@10")
    ax.set_title("Model versions over time (ringed: active)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def bars_svg(title: str, labels: list[str], values: list[float], fmt: str) -> str:
    """A horizontal bar chart as inline SVG (no JavaScript, no image files)."""
    width, label_w, bar_h, gap = 640, 260, 18, 6
    top = 26
    height = top + max(len(labels), 1) * (bar_h + gap) + 8
    peak = max([v for v in values if v] or [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="rec-chart">',
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    if not labels:
        parts.append(f'<text x="0" y="{top + 12}" font-size="12" fill="#666">no data yet</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_h + gap)
        w = 0 if not value else max(2, int((width - label_w - 90) * value / peak))
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{escape(label[:38])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#417690"></rect>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 13}" font-size="12">{escape(fmt.format(value))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    change_list_template = "admin/recommend/modelversion/change_list.html"
    list_display = ("name", "version", "status", "ndcg_at_10", "device", "duration", "created_at", "short_notes")
    list_filter = ("status", "name", "device")
    search_fields = ("name", "version", "run_id")
    actions = ["activate_selected", "rollback_selected_families"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # rows change only through the services (actions and buttons below)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a row is the history of an artifact; pruning handles old folders

    def get_actions(self, request):
        # The actions change status through the services, so they need the
        # model's change permission, not the read-only view above.
        actions = super().get_actions(request)
        if not request.user.has_perm("recommend.change_modelversion"):
            return {}
        return actions

    @admin.display(description=_("NDCG@10"), ordering="metrics__ndcg@10")
    def ndcg_at_10(self, obj: ModelVersion) -> str:
        if obj.ndcg10 is None:
            return "—"
        return f"{obj.ndcg10:.4f} ± {obj.ndcg10_half_width:.4f}"

    @admin.display(description=_("seconds"))
    def duration(self, obj: ModelVersion) -> str:
        return "—" if obj.duration_seconds is None else f"{obj.duration_seconds:.1f}"

    @admin.display(description=_("notes"))
    def short_notes(self, obj: ModelVersion) -> str:
        text = obj.error.strip() if obj.status == ModelVersion.Status.FAILED else obj.notes
        lines = text.splitlines()
        return lines[-1][:120] if lines else ""

    # -- actions ---------------------------------------------------------------
    @admin.action(description=_("Make the selected versions active (forced, skips the no-regression rule)"))
    def activate_selected(self, request, queryset):
        for v in queryset:
            try:
                v = services.model_version_promote(version=v.version, force=True)
                self.message_user(
                    request, _("%(name)s: %(version)s is active") % {"name": v.name, "version": v.version}
                )
            except ValueError as exc:
                self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description=_("Roll back the selected versions' models to the version that served before"))
    def rollback_selected_families(self, request, queryset):
        for name in sorted(set(queryset.values_list("name", flat=True))):
            self._rollback(request, name)

    def _rollback(self, request, name: str) -> None:
        try:
            v = services.model_version_rollback(name=name)
            self.message_user(
                request, _("%(name)s: rolled back, %(version)s is active again") % {"name": name, "version": v.version}
            )
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    # -- extra pages -------------------------------------------------------------
    def get_urls(self):
        extra = [
            path(
                "retrain/",
                self.admin_site.admin_view(require_POST(self.retrain_view)),
                name="recommend_modelversion_retrain",
            ),
            path("history/", self.admin_site.admin_view(self.history_view), name="recommend_modelversion_history"),
            path(
                "performance/",
                self.admin_site.admin_view(self.performance_view),
                name="recommend_modelversion_performance",
            ),
            path(
                "rollback/<str:name>/",
                self.admin_site.admin_view(require_POST(self.rollback_view)),
                name="recommend_modelversion_rollback",
            ),
        ]
        return extra + super().get_urls()

    def _allowed(self, request) -> bool:
        if request.user.has_perm("recommend.change_modelversion"):
            return True
        self.message_user(request, _("You may not change model versions."), messages.ERROR)
        return False

    def retrain_view(self, request):
        if self._allowed(request):
            models = [m for m in request.POST.getlist("models") if m] or None
            try:
                run_id = services.model_version_train_request(
                    models=models,
                    device=request.POST.get("device", services.DEFAULT_DEVICE),
                    force=bool(request.POST.get("force")),
                )
                self.message_user(
                    request,
                    _("Training run %(run_id)s queued on the 'ml' queue (%(models)s).")
                    % {"run_id": run_id, "models": ", ".join(models) if models else _("all models")},
                )
            except ValueError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(request.POST.get("next") or reverse("admin:recommend_modelversion_changelist"))

    def rollback_view(self, request, name: str):
        if self._allowed(request):
            self._rollback(request, name)
        return HttpResponseRedirect(reverse("admin:recommend_modelversion_history"))

    def history_view(self, request):
        versions = list(selectors.model_version_history())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Model versions: metrics over time",
            "chart": metrics_chart_png(versions),
            "active": list(selectors.active_versions()),
            "versions": list(reversed(versions)),
            "can_change": request.user.has_perm("recommend.change_modelversion"),
        }
        return render(request, "admin/recommend/modelversion/history.html", context)

    def performance_view(self, request):
        """Impressions, click-through, add-to-cart and attributed revenue by slot and
        by model version (recommend/attribution.py), as tables and bar charts."""
        try:
            days = max(1, min(int(request.GET.get("days", 30)), 365))
        except ValueError:
            days = 30
        rows = attribution.attribution_report(days=days)
        by_slot = attribution.report_by(rows, "slot")
        by_version = attribution.report_by(rows, "version")
        charts = []
        for title, groups in (("by slot", by_slot), ("by model version", by_version)):
            labels = [g["label"] for g in groups]
            charts.append(bars_svg(f"Impressions {title}", labels, [g["row"].impressions for g in groups], "{:.0f}"))
            charts.append(
                bars_svg(
                    f"Click-through {title} (clicks per product shown)",
                    labels,
                    [100 * g["row"].ctr for g in groups],
                    "{:.1f}%",
                )
            )
            charts.append(
                bars_svg(f"Attributed add-to-carts {title}", labels, [g["row"].add_to_carts for g in groups], "{:.0f}")
            )
            charts.append(
                bars_svg(
                    f"Attributed revenue {title} (GBP)", labels, [float(g["row"].revenue) for g in groups], "£{:.2f}"
                )
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Recommendations: impressions to orders (last {days} days)",
            "days": days,
            "rows": rows,
            "by_slot": by_slot,
            "by_version": by_version,
            "charts": charts,
        }
        return render(request, "admin/recommend/performance.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "model_names": sorted(selectors.model_classes()),
            "devices": services.DEVICES,
            "can_change": request.user.has_perm("recommend.change_modelversion"),
        }
        return super().changelist_view(request, extra_context)

"""Inline SVG charts of a portrait, drawn on the server (no build step, no
JavaScript), shared by the shopper's profile page and the admin."""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

SPEND = "#b5453a"
VIEWS = "#6b8fb5"


def affinity_chart(affinities: list[dict], *, limit: int = 8, width: int = 520) -> SafeString:
    """Horizontal bars: share of spend and share of views per category."""
    rows = affinities[:limit]
    if not rows:
        return mark_safe('<p class="muted">No category interests yet.</p>')
    label_w, bar_w, row_h = 170, width - 170 - 50, 30
    height = row_h * len(rows) + 24
    # the longest bar fills the width; the labels give the shares
    top = max([float(a.get("spend_share", 0)) for a in rows] + [float(a.get("view_share", 0)) for a in rows]) or 1.0
    bar_w = bar_w / top
    parts = [
        f'<svg class="chart" role="img" aria-label="Category affinities" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, a in enumerate(rows):
        y = i * row_h
        spend, views = float(a.get("spend_share", 0)), float(a.get("view_share", 0))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(a["name"])[:28]}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(spend * bar_w, 1):.1f}" height="11" fill="{SPEND}">'
            f"<title>{escape(a['name'])}: {spend:.0%} of spend</title></rect>"
            f'<rect x="{label_w}" y="{y + 15}" width="{max(views * bar_w, 1):.1f}" height="8" fill="{VIEWS}">'
            f"<title>{escape(a['name'])}: {views:.0%} of views</title></rect>"
            f'<text x="{label_w + spend * bar_w + 4:.1f}" y="{y + 13}" font-size="11" fill="#444">{spend:.0%}</text>'
        )
    y = len(rows) * row_h + 14
    parts.append(
        f'<rect x="{label_w}" y="{y - 9}" width="10" height="10" fill="{SPEND}"/>'
        f'<text x="{label_w + 14}" y="{y}" font-size="11">share of spend</text>'
        f'<rect x="{label_w + 110}" y="{y - 9}" width="10" height="10" fill="{VIEWS}"/>'
        f'<text x="{label_w + 124}" y="{y}" font-size="11">share of views</text></svg>'
    )
    return mark_safe("".join(parts))


def spend_chart(spend_by_month: dict[str, float], *, width: int = 520, height: int = 180) -> SafeString:
    """Vertical bars: spend per calendar month, every month from the first to the last."""
    if not spend_by_month:
        return mark_safe('<p class="muted">No purchases yet.</p>')
    months = _month_range(min(spend_by_month), max(spend_by_month))
    values = [float(spend_by_month.get(m, 0)) for m in months]
    top = max(values) or 1.0
    left, bottom = 50, 30
    plot_w, plot_h = width - left - 10, height - bottom - 10
    step = plot_w / len(months)
    parts = [
        f'<svg class="chart" role="img" aria-label="Spend over time" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 10}" y2="{10 + plot_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="16" text-anchor="end" font-size="10">£{top:,.0f}</text>',
        f'<text x="{left - 6}" y="{10 + plot_h}" text-anchor="end" font-size="10">£0</text>',
    ]
    every = -(-len(months) // 7)  # at most 7 labels
    for i, (m, v) in enumerate(zip(months, values)):
        h = v / top * plot_h
        x = left + i * step
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{10 + plot_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{SPEND}"><title>{m}: £{v:,.2f}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 12}" text-anchor="middle" font-size="10">'
                f"{_month_label(m)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def histogram_chart(
    values: list[int], labels: list[str], *, title: str, width: int = 260, height: int = 90
) -> SafeString:
    """Small bars for the time habits (weekdays, hours)."""
    if not values or not any(values):
        return format_html('<p class="muted">{}: no data yet.</p>', title)
    top = max(values)
    step = width / len(values)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (v, lab) in enumerate(zip(values, labels)):
        h = v / top * (height - 20)
        parts.append(
            f'<rect x="{i * step + 1:.1f}" y="{height - 16 - h:.1f}" width="{step - 2:.1f}" '
            f'height="{h:.1f}" fill="{VIEWS}"><title>{escape(lab)}: {v}</title></rect>'
        )
        if len(values) <= 7 or i % 3 == 0:
            parts.append(
                f'<text x="{i * step + step / 2:.1f}" y="{height - 3}" text-anchor="middle" '
                f'font-size="9">{escape(lab)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _month_label(ym: str) -> str:
    y, m = ym.split("-")
    return f"{_MONTH_ABBR[int(m) - 1]} {y[2:]}"


_MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _month_range(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def portrait_charts(portrait) -> dict[str, SafeString]:
    return {
        "affinities": affinity_chart(portrait.category_affinities or []),
        "spend": spend_chart(portrait.spend_by_month or {}),
        "weekdays": histogram_chart(
            portrait.weekday_histogram or [], ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"], title="Orders by weekday"
        ),
        "hours": histogram_chart(portrait.hour_histogram or [], [str(h) for h in range(24)], title="Orders by hour"),
    }

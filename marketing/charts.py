"""Matplotlib charts of an experiment (PNG), for the admin dashboard and the
simulator's report."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def results_png(results) -> bytes:
    """Two panels: each rate per variant, and the treatment − control difference
    in revenue per visitor with its 95% interval (raw and CUPED)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    names = [v.key for v in results.variants]
    labels = ["click-through", "add-to-cart", "conversion"]
    width = 0.8 / max(len(names), 1)
    for i, v in enumerate(results.variants):
        values = [v.rate("clicked"), v.rate("added"), v.rate("converted")]
        left.bar([j + i * width for j in range(3)], values, width, label=f"{v.key} (n={v.units:,})")
    left.set_xticks([j + width * (len(names) - 1) / 2 for j in range(3)], labels)
    left.set_ylabel("share of shoppers")
    left.set_title("Rates per variant")
    left.legend(fontsize=8)
    rows = []
    for c in results.comparisons:
        if "revenue" in c:
            rows.append((f"{c['variant']} raw", c["revenue"].raw))
            rows.append((f"{c['variant']} CUPED", c["revenue"].adjusted))
    for y, (_label, comp) in enumerate(rows):
        right.errorbar(comp.diff, y, xerr=[[comp.diff - comp.low], [comp.high - comp.diff]], fmt="o", capsize=4)
    right.axvline(0, color="#888", lw=1)
    right.set_yticks(range(len(rows)), [label for label, _ in rows])
    right.set_xlabel("revenue per visitor, treatment − control (£, 95% interval)")
    right.set_title("Revenue per visitor")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def recovery_png(report) -> bytes:
    """Abandoned carts: the recovery rate per group, and treatment − hold-out
    for the rate and for revenue per cart with their 95% intervals."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    groups = report.groups
    left.bar(
        [f"{name}\n(n={g.carts:,})" for name, g in groups],
        [g.rate * 100 for _, g in groups],
        color=["#2f6fb0", "#999"],
    )
    left.set_ylabel(f"carts recovered within {report.days} days (%)")
    left.set_title("Recovery rate per group")
    rows = []
    if report.rate is not None:
        rows.append(("rate (points)", report.rate.diff * 100, report.rate.low * 100, report.rate.high * 100))
    if report.revenue is not None:
        rows.append(("revenue/cart (£)", report.revenue.diff, report.revenue.low, report.revenue.high))
    for y, (_label, diff, low, high) in enumerate(rows):
        right.errorbar(diff, y, xerr=[[diff - low], [high - diff]], fmt="o", capsize=4)
    right.axvline(0, color="#888", lw=1)
    right.set_yticks(range(len(rows)), [label for label, *_ in rows])
    right.set_xlabel("treatment − hold-out (95% interval)")
    right.set_title("Incremental effect of the reminders")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()

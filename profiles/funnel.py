"""The shopping funnel from events (pandas, no Django): sessions → product
views → add to cart → checkout started → order.

A *session* is one shopper's run of events (the customer, else the browser
session) with no gap longer than `gap_minutes` (30, as web analytics count
visits). A session reaches a step when it holds that step's event and has
reached every step before it (a strict funnel: an order with no product view
in its session, as the imported history's, is not counted as a funnel order).
Time to purchase: from the session's first event to its first order event.
A session is dated, segmented and placed by its first event: its day, the
shopper's segment and country (at computation time) and its entry page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STEPS = ("sessions", "product views", "add to cart", "checkout started", "order")
STEP_KINDS = {"view": 1, "add_to_cart": 2, "checkout_started": 3, "purchase": 4}
ENTRY_PAGES = {
    "view": "product page",
    "search": "search",
    "add_to_cart": "cart",
    "checkout_started": "checkout",
    "purchase": "checkout",
    "rec_click": "recommendation",
}
DIMENSIONS = ("day", "segment", "country", "entry")
# the entry page is the first event's: its kind's page above; a recommendation
# impression names its page ("home" -> "home page"); anything else is "other"


@dataclass
class FunnelResult:
    steps: pd.DataFrame  # one row per step: count, step conversion, drop-off, of sessions
    by: dict[str, pd.DataFrame]  # dimension -> rows: one per value, a column per step + conversion
    time_to_purchase_median_s: float | None
    time_to_purchase_p95_s: float | None
    sessions: int


def sessions_from_events(events: pd.DataFrame, *, gap_minutes: float = 30) -> pd.DataFrame:
    """One row per session: owner, start, day, segment, country, entry, the
    furthest step reached (0 = session only … 4 = order) and seconds to the
    first order (NaN without one).

    `events` columns: owner (str), ts (datetime64), kind (str), page (str,
    may be ""), segment (str), country (str)."""
    cols = ["owner", "start", "day", "segment", "country", "entry", "reached", "to_purchase_s"]
    if events.empty:
        return pd.DataFrame(columns=cols)
    owner_codes, _ = pd.factorize(events["owner"], sort=False)
    ts_all = events["ts"].to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((ts_all.view(np.int64), owner_codes))
    ev = events.take(order).reset_index(drop=True)
    ts = ts_all[order]
    owner = owner_codes[order]
    new = np.ones(len(ev), dtype=bool)
    new[1:] = (owner[1:] != owner[:-1]) | ((ts[1:] - ts[:-1]) > np.timedelta64(int(gap_minutes * 60), "s"))
    sid = np.cumsum(new) - 1
    step = ev["kind"].map(STEP_KINDS).fillna(0).astype(np.int8).to_numpy()
    n = int(sid[-1]) + 1
    has = np.zeros((n, 5), dtype=bool)
    has[:, 0] = True
    mask = step > 0
    has[sid[mask], step[mask]] = True
    reached = np.cumprod(has, axis=1).sum(axis=1) - 1  # furthest step with every earlier one
    first = ev[new]
    start = ts[new]
    to_purchase = np.full(n, np.inf)
    buy = step == 4
    np.minimum.at(to_purchase, sid[buy], (ts[buy] - start[sid[buy]]) / np.timedelta64(1, "s"))
    kinds = first["kind"]
    entry = kinds.map(ENTRY_PAGES).fillna("other")
    impressions = (kinds == "rec_impression").to_numpy()
    pages = first["page"].fillna("").astype(str)
    entry = entry.where(~impressions, np.where(pages != "", pages + " page", "other"))
    return pd.DataFrame(
        {
            "owner": first["owner"].to_numpy(),
            "start": start,
            "day": start.astype("datetime64[D]"),
            "segment": first["segment"].to_numpy(),
            "country": first["country"].to_numpy(),
            "entry": entry.to_numpy(),
            "reached": reached,
            "to_purchase_s": np.where((reached >= 4) & np.isfinite(to_purchase), to_purchase, np.nan),
        }
    )


def _step_table(reached: np.ndarray) -> pd.DataFrame:
    counts = np.array([(reached >= k).sum() for k in range(len(STEPS))])
    prev = np.concatenate([[counts[0]], counts[:-1]])
    conversion = np.divide(counts, prev, out=np.zeros(len(counts)), where=prev > 0)
    of_sessions = counts / counts[0] if counts[0] else np.zeros(len(counts))
    return pd.DataFrame(
        {
            "step": STEPS,
            "count": counts,
            "step_conversion": conversion,
            "drop_off": np.where(prev > 0, 1 - conversion, 0.0),
            "of_sessions": of_sessions,
        }
    )


def funnel_compute(events: pd.DataFrame, *, gap_minutes: float = 30) -> FunnelResult:
    s = sessions_from_events(events, gap_minutes=gap_minutes)
    reached = s["reached"].to_numpy(dtype=np.int64) if len(s) else np.zeros(0, dtype=np.int64)
    by = {}
    for dim in DIMENSIONS:
        if not len(s):
            by[dim] = pd.DataFrame(columns=[dim, *STEPS, "conversion"])
            continue
        codes, values = pd.factorize(s[dim], sort=True)
        table = pd.DataFrame({dim: values})
        if dim == "day":
            table[dim] = pd.to_datetime(table[dim]).dt.date
        for k, name in enumerate(STEPS):
            table[name] = np.bincount(codes, weights=reached >= k, minlength=len(values)).astype(np.int64)
        table["conversion"] = table["order"] / table["sessions"]
        if dim != "day":
            table = table.sort_values(["sessions", dim], ascending=[False, True]).reset_index(drop=True)
        by[dim] = table
    ttp = s["to_purchase_s"].dropna().to_numpy() if len(s) else np.zeros(0)
    return FunnelResult(
        steps=_step_table(reached),
        by=by,
        time_to_purchase_median_s=float(np.median(ttp)) if len(ttp) else None,
        time_to_purchase_p95_s=float(np.percentile(ttp, 95)) if len(ttp) else None,
        sessions=len(s),
    )


def funnel_chart_png(result: FunnelResult) -> bytes:
    """One PNG (matplotlib): the funnel's steps, order conversion by day, and
    conversion by segment, country and entry page (the 8 biggest of each)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    steps = result.steps
    ax = axes[0][0]
    ax.barh(list(steps["step"])[::-1], list(steps["count"])[::-1], color="#b5453a")
    for y, (count, conv) in enumerate(zip(list(steps["count"])[::-1], list(steps["step_conversion"])[::-1])):
        ax.text(count, y, f" {count:,} ({conv:.0%})", va="center", fontsize=8)
    ax.set_title("Funnel (step conversion)")
    ax = axes[0][1]
    day = result.by["day"]
    if len(day):
        ax.plot(pd.to_datetime(day["day"]), day["conversion"] * 100, marker=".", color="#6b8fb5")
        ax.tick_params(axis="x", rotation=30, labelsize=7)
    ax.set_title("Sessions to order by day (%)")
    ax = axes[0][2]
    ax.axis("off")
    med, p95 = result.time_to_purchase_median_s, result.time_to_purchase_p95_s
    ax.text(
        0.0,
        0.6,
        f"{result.sessions:,} sessions\n"
        + (f"time to purchase: median {med / 60:.1f} min, p95 {p95 / 60:.1f} min" if med is not None else "no orders"),
        fontsize=11,
    )
    for ax, dim, title in zip(axes[1], ("segment", "country", "entry"), ("segment", "country", "entry page")):
        table = result.by[dim].head(8)
        ax.barh(list(table[dim].astype(str))[::-1], list(table["conversion"] * 100)[::-1], color="#6b8fb5")
        ax.set_title(f"Sessions to order by {title} (%)")
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()

"""How well the portraits' 12-month CLV model predicts spend it has not seen.

Calibration before a cutoff, hold-out after it, on the store's own net
purchases (the shop's parser `shop.importing.history_parse`: cancellations
netted as the import writes them). For every customer who bought before the
cutoff, predict the spend in the hold-out weeks with

- BG/NBD + Gamma-Gamma (`profiles.clv`, what the portraits use),
- the formula it replaced (mean order value x orders per period from the mean
  gap x (1 - churn risk)),
- a naive run rate (calibration spend per week since the first order x weeks),

and print the mean absolute error per customer, the aggregate error (sum of
predictions against the sum of actual spend) and the median over repeated
fits of the fitting time.

    .venv/bin/python bench/bench_clv.py [--holdout-weeks 13 26]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from profiles.clv import clv_fit, clv_predict, rfm_summary  # noqa: E402
from profiles.portrait import DEFAULT_GAP_DAYS, churn_risk_for  # noqa: E402
from shop.importing import history_parse  # noqa: E402

STORE_CSV = ROOT / "data" / "online_retail.csv.gz"


def net_purchases(path: Path) -> pd.DataFrame:
    parsed = history_parse(path)
    orders = {o.number: o for o in parsed.orders if o.customer_external_id is not None}
    rows = [
        (
            orders[line.order_number].customer_external_id,
            line.order_number,
            orders[line.order_number].placed_at,
            float((line.quantity - line.quantity_returned) * line.unit_price),
        )
        for line in parsed.lines
        if line.order_number in orders and line.quantity > line.quantity_returned
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "order", "created_at", "value"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def old_formula(calib: pd.DataFrame, now: pd.Timestamp, weeks: float) -> pd.Series:
    orders = calib.groupby(["customer_id", "order"]).agg(placed=("created_at", "min"), value=("value", "sum"))
    orders = orders.reset_index().sort_values(["customer_id", "placed"])
    g = orders.groupby("customer_id")
    aov = g["value"].mean()
    gaps = g["placed"].diff().dt.total_seconds() / 86400.0
    mean_gap = gaps.groupby(orders["customer_id"]).mean()
    median_gap = float(mean_gap.dropna().median()) if mean_gap.notna().any() else DEFAULT_GAP_DAYS
    gap = mean_gap.fillna(median_gap)
    recency = (now - g["placed"].max()).dt.total_seconds() / 86400.0
    churn = pd.Series([churn_risk_for(r, gp) for r, gp in zip(recency, gap)], index=aov.index)
    return aov * (weeks * 7.0 / gap.clip(lower=1.0)) * (1.0 - churn)


def evaluate(purchases: pd.DataFrame, weeks: float, runs: int) -> dict:
    end = purchases["created_at"].max()
    cutoff = end - pd.Timedelta(weeks=weeks)
    calib = purchases[purchases["created_at"] <= cutoff]
    hold = purchases[purchases["created_at"] > cutoff]
    summary = rfm_summary(calib, now=cutoff)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        params = clv_fit(summary)
        times.append(time.perf_counter() - t)
    actual = hold.groupby("customer_id")["value"].sum().reindex(summary.index, fill_value=0.0)
    first = calib.groupby("customer_id")["created_at"].min().reindex(summary.index)
    tenure_weeks = ((cutoff - first).dt.total_seconds() / (7 * 86400.0)).clip(lower=1.0)
    spent = calib.groupby("customer_id")["value"].sum().reindex(summary.index)
    predictions = {
        "BG/NBD + Gamma-Gamma": clv_predict(params, summary, weeks=weeks),
        "old formula (AOV x frequency x (1 - churn))": old_formula(calib, cutoff, weeks).reindex(summary.index),
        "naive run rate": spent / tenure_weeks * weeks,
    }
    one_timers = summary["x"] == 0
    rows = []
    for name, pred in predictions.items():
        pred = pred.fillna(0.0)
        rows.append(
            {
                "model": name,
                "MAE": float((pred - actual).abs().mean()),
                "MAE one-time buyers": float((pred - actual)[one_timers].abs().mean()),
                "predicted total": float(pred.sum()),
                "aggregate error %": float(100 * (pred.sum() - actual.sum()) / actual.sum()),
                "one-timers over 3x spend": int(((pred > 3 * spent) & one_timers).sum()),
            }
        )
    return {
        "cutoff": cutoff,
        "end": end,
        "customers": len(summary),
        "one_timers": int(one_timers.sum()),
        "actual": float(actual.sum()),
        "params": params,
        "fit_s": float(np.median(times)),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout-weeks", type=float, nargs="+", default=[13.0, 26.0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--path", type=Path, default=STORE_CSV)
    args = parser.parse_args()
    purchases = net_purchases(args.path)
    for weeks in args.holdout_weeks:
        r = evaluate(purchases, weeks, args.runs)
        print(
            f"\nHold-out: the last {weeks:g} weeks; {r['customers']:,} customers bought before the cutoff "
            f"({r['one_timers']:,} once); actual hold-out spend £{r['actual']:,.0f}; "
            f"fit {r['fit_s']:.2f} s (median of {args.runs})"
        )
        p = r["params"]
        print(
            f"  BG/NBD r={p.r:.3f} alpha={p.alpha:.3f} a={p.a:.3f} b={p.b:.3f}; "
            f"Gamma-Gamma p={p.p:.3f} q={p.q:.3f} v={p.v:.3f}"
        )
        print(f"  {'model':<45} {'MAE £':>9} {'MAE once £':>11} {'predicted £':>12} {'aggregate':>10} {'once >3x':>9}")
        for row in r["rows"]:
            print(
                f"  {row['model']:<45} {row['MAE']:>9,.0f} {row['MAE one-time buyers']:>11,.0f} "
                f"{row['predicted total']:>12,.0f} {row['aggregate error %']:>+9.1f}% "
                f"{row['one-timers over 3x spend']:>9,}"
            )


if __name__ == "__main__":
    main()

"""Full retrain of every registered model on the store data (target: under 10
minutes on 2 CPU cores), as `manage.py retrain --sync` runs it: snapshot,
validation evaluation with the harness, fit on all data, save, promote.

    .venv/bin/python bench/bench_retrain.py [--models a,b] [--device cpu] [--repeat 1]

Needs the imported store (scripts/run.sh or `manage.py import_online_retail`).
Runs against the dev database inside a transaction that is rolled back and
writes artifacts to a temporary folder, so the shop's versions are untouched.
Prints seconds per model (median over repeats), the total, and the ratio
against the baseline measured in the same run (the popularity model, the
cheapest one), and draws a bar chart (--chart)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from recommend import selectors, services  # noqa: E402
from recommend.ml.device import DEVICES  # noqa: E402

BASELINE = "pop"


class _Rollback(Exception):
    pass


def one_run(models: list[str], device: str) -> tuple[float, dict[str, float], dict]:
    """Wall seconds of the whole run, seconds per model, and the snapshot summary."""
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings.ARTIFACTS_DIR = Path(tmp)
        try:
            with transaction.atomic():
                t0 = time.perf_counter()
                versions = services.model_version_train(models=models, device=device, force=True, progress=True)
                result["wall"] = time.perf_counter() - t0
                result["per_model"] = {v.name: v.duration_seconds or float("nan") for v in versions}
                result["failed"] = {v.name: v.error.strip().splitlines()[-1] for v in versions if v.status == "failed"}
                result["snapshot"] = versions[0].snapshot if versions else {}
                result["ndcg"] = {v.name: v.ndcg10 for v in versions}
                result["split"] = {
                    v.name: (
                        v.metrics.get("fit_seconds"),
                        v.metrics.get("score_seconds"),
                        v.metrics.get("serving_fit_seconds"),
                    )
                    for v in versions
                }
                raise _Rollback
        except _Rollback:
            pass
    return result["wall"], result["per_model"], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="", help="comma-separated (default: every registered model)")
    parser.add_argument("--device", default="cpu", choices=DEVICES)
    parser.add_argument("--repeat", type=int, default=1, help="full runs to take the median of")
    parser.add_argument("--chart", default=str(ROOT / "var" / "bench" / "retrain.png"))
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m] or sorted(selectors.model_classes())
    if BASELINE in selectors.model_classes() and BASELINE not in models:
        models = [BASELINE, *models]
    walls, per_model = [], {m: [] for m in models}
    last: dict = {}
    for i in range(args.repeat):
        print(f"run {i + 1}/{args.repeat}: {', '.join(models)} on {args.device}", flush=True)
        wall, secs, last = one_run(models, args.device)
        walls.append(wall)
        for m, s in secs.items():
            per_model[m].append(s)
    snap = last.get("snapshot", {})
    print(
        f"\ndata: {snap.get('users')} users, {snap.get('items')} items, {snap.get('interactions')} interactions "
        f"({snap.get('time_min', '')[:10]} .. {snap.get('time_max', '')[:10]}); cpu cores: {os.cpu_count()}"
    )
    base = statistics.median(per_model[BASELINE]) if per_model.get(BASELINE) else None
    print(f"{'model':<12} {'seconds':>9} {'x ' + BASELINE:>9} {'val ndcg@10':>12}   eval fit / score / serving fit (s)")
    medians = {}
    for m in models:
        med = statistics.median(per_model[m]) if per_model[m] else float("nan")
        medians[m] = med
        ratio = f"{med / base:.1f}" if base else "-"
        ndcg = last.get("ndcg", {}).get(m)
        status = f"FAILED: {last['failed'][m]}" if m in last.get("failed", {}) else ""
        parts = "/".join("-" if x is None else f"{x:.1f}" for x in last.get("split", {}).get(m, (None,) * 3))
        print(f"{m:<12} {med:>9.1f} {ratio:>9} {'' if ndcg is None else f'{ndcg:.4f}':>12}   {parts} {status}")
    total = statistics.median(walls)
    print(
        f"{'TOTAL':<12} {total:>9.1f} {f'{total / base:.1f}' if base else '-':>9}   "
        f"(median of {args.repeat} run(s); target < 600 s)"
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.8), dpi=100)
    names = sorted(medians, key=medians.get)
    ax.barh(names, [medians[n] for n in names], color="#4a7bb7")
    ax.set_xlabel("seconds (evaluate on validation + fit on all + save)")
    ax.set_title(f"Full retrain: {total:.0f} s in total on {os.cpu_count()} cores (target 600 s)")
    fig.tight_layout()
    Path(args.chart).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.chart)
    print(f"chart: {args.chart}")


if __name__ == "__main__":
    main()

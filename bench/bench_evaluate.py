"""Wall time of the full baseline evaluation on the whole store history.

    .venv/bin/python bench/bench_evaluate.py [--repeat 3] [--interactions CSV --items CSV]

Default data: data/online_retail.csv.gz converted to the generic CSV (the same
purchases the store imports). Prints, as medians over --repeat runs:
- the full run: all baselines, temporal protocol, fit + score + metrics (target < 300 s on 2 cores);
- the harness alone (popularity only) in the same run, and the ratio;
- batched scoring (512 histories per score() call) against one history per call, for EASE.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommend.evaluation import load_interactions_csv, online_retail_to_generic, run_evaluation  # noqa: E402
from recommend.ml.ease import EASE  # noqa: E402
from recommend.ml.registry import BASELINES, MODELS  # noqa: E402


def timed(fn) -> tuple[float, dict]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--interactions")
    ap.add_argument("--items")
    args = ap.parse_args()
    tmp = None
    if args.interactions:
        inter, items = args.interactions, args.items
    else:
        tmp = tempfile.TemporaryDirectory()
        inter, items = online_retail_to_generic(ROOT / "data" / "online_retail.csv.gz", tmp.name)
    load_s, data = timed(lambda: load_interactions_csv(inter, items))
    print(
        f"data: {data.n_users} users, {data.n_items} items, {data.n_interactions} interactions "
        f"(loaded in {load_s:.1f} s)"
    )
    full, harness, per_model = [], [], {}
    for r in range(args.repeat):
        s, res = timed(lambda: run_evaluation(data, {n: MODELS[n] for n in BASELINES}, progress=False))
        full.append(s)
        for n, m in res["models"].items():
            per_model.setdefault(n, []).append(m["fit_seconds"] + m["score_seconds"])
        s, _ = timed(lambda: run_evaluation(data, {"pop": MODELS["pop"]}, progress=False))
        harness.append(s)
        print(f"run {r + 1}/{args.repeat}: all baselines {full[-1]:.1f} s, popularity only {harness[-1]:.1f} s")
    # EASE with a fixed λ, so the comparison is about scoring only
    batched = run_evaluation(data, {"ease": lambda: EASE(l2=500.0)}, progress=False)
    single = run_evaluation(data, {"ease": lambda: EASE(l2=500.0)}, progress=False, batch_size=1)
    med_full, med_h = statistics.median(full), statistics.median(harness)
    print("\n| measure | median seconds |\n|---|---:|")
    print(f"| full baseline run ({len(BASELINES)} models, temporal) | {med_full:.1f} |")
    print(f"| harness alone (popularity only) | {med_h:.1f} |")
    for n, v in per_model.items():
        print(f"| {n}: fit + score | {statistics.median(v):.1f} |")
    print(
        f"\nfull run / harness alone: {med_full / med_h:.1f}x; target: full run < 300 s "
        f"({'met' if med_full < 300 else 'NOT met'})"
    )
    b, s1 = batched["models"]["ease"]["score_seconds"], single["models"]["ease"]["score_seconds"]
    print(
        f"EASE scoring of {batched['models']['ease']['cases']} histories: "
        f"batched {b:.2f} s, one history per call {s1:.2f} s ({s1 / max(b, 1e-9):.1f}x slower)"
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()

"""Latency of one recommendation: 10 items from one shopper's history, per model, on CPU.

    .venv/bin/python bench/bench_latency.py                       # every registered model
    .venv/bin/python bench/bench_latency.py --models tifuknn,hybrid --requests 300

Fits each model on the whole store (data/online_retail.csv.gz; SASRec for one
epoch: latency does not depend on how well it learned), then times
`model.recommend(history, k=10)` for the same random shoppers' histories, one
request at a time, in one thread. Prints the median and 90th percentile in ms
per request and the ratio of the median to the baseline (popularity) measured
in the same run. Target: under 10 ms per request for every model.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # a web worker serves one request per thread

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench._data import load_online_retail  # noqa: E402
from recommend.ml.base import build_model  # noqa: E402
from recommend.ml.registry import MODELS  # noqa: E402

FAST_CONFIG = {"sasrec": {"epochs": 1}}
EMBEDDING_CACHE = ROOT / "var" / "bench" / "embeddings"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    names = ["pop"] + [m for m in args.models.split(",") if m and m != "pop"]
    data = load_online_retail()
    rng = np.random.default_rng(args.seed)
    hists = data.histories()
    picks = rng.choice([u for u, h in enumerate(hists) if len(h)], args.requests, replace=False)
    requests = [hists[u] for u in picks]
    print(
        f"store: {data.n_users} users, {data.n_items} items; {args.requests} requests, "
        f"median history length {int(np.median([len(h) for h in requests]))}"
    )
    results = {}
    for name in names:
        t0 = time.perf_counter()
        model = build_model(MODELS[name], FAST_CONFIG.get(name), device="cpu", cache_dir=EMBEDDING_CACHE).fit(data)
        fit_s = time.perf_counter() - t0
        model.recommend(requests[0], k=10)  # warm-up (lazy imports, caches)
        ms = []
        for h in requests:
            t = time.perf_counter()
            model.recommend(h, k=10)
            ms.append((time.perf_counter() - t) * 1000)
        med, p90 = statistics.median(ms), float(np.percentile(ms, 90))
        results[name] = med
        ratio = med / results["pop"]
        flag = "ok" if med < 10 else "OVER 10 ms"
        print(
            f"{name:12s} median {med:7.2f} ms  p90 {p90:7.2f} ms  x{ratio:6.1f} vs pop  (fit {fit_s:6.1f} s)  {flag}",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Search latency on the store's data: lexical, semantic and hybrid, per query.

    .venv/bin/python bench/bench_search.py                 # 3 runs of the judged queries
    .venv/bin/python bench/bench_search.py --runs 5 --limit 200

Runs `catalog.selectors.product_search_hybrid` (facets and ordering
included, as the search page calls it) over the judged queries
(data/search/judged_queries.txt) on the dev database (the imported store,
SQLite FTS5 by default; DATABASE_URL for PostgreSQL), one request at a time in
one thread (OMP_NUM_THREADS=1, as a web worker). "cold": each query's
sentence vector is computed in the request (a query nobody typed before);
"warm": the second time the same query comes (its vector cached in the
process). Prints, per search, the median over runs of each run's median and
p95 in ms, and the ratio of the p95 to lexical measured in the same run.
Floor: hybrid p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # a web worker serves one request per thread
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from catalog.selectors import product_search_hybrid, search_query_cache_clear  # noqa: E402
from recommend.search_eval import judged_queries_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="the first N queries only")
    args = parser.parse_args()
    queries = [q.query for q in judged_queries_load()]
    if args.limit:
        queries = queries[: args.limit]
    for mode in ("lexical", "semantic", "hybrid"):
        product_search_hybrid(query="warm up", mode=mode)  # loads the model, vocabulary and product vectors
    results: dict[str, list[tuple[float, float]]] = {}
    for run in range(args.runs):
        for mode in ("lexical", "semantic", "hybrid"):
            for temp in ("cold", "warm"):
                if temp == "cold":
                    search_query_cache_clear()
                times = []
                for q in tqdm(queries, desc=f"run {run + 1} {mode} {temp}", leave=False):
                    start = time.perf_counter()
                    product_search_hybrid(query=q, mode=mode)
                    times.append((time.perf_counter() - start) * 1000)
                results.setdefault(f"{mode} {temp}", []).append(
                    (float(np.percentile(times, 50)), float(np.percentile(times, 95)))
                )
    print(f"{len(queries)} queries x {args.runs} runs, {django.db.connection.vendor}, one thread")
    print(f"{'search':16} {'median ms':>10} {'p95 ms':>8} {'p95 / lexical':>14}")
    for key, runs in results.items():
        temp = key.split()[1]
        base = [p95 for _, p95 in results[f"lexical {temp}"]]
        ratios = [p95 / b for (_, p95), b in zip(runs, base)]
        print(
            f"{key:16} {statistics.median(m for m, _ in runs):10.1f} {statistics.median(p for _, p in runs):8.1f}"
            f" {statistics.median(ratios):13.2f}x"
        )


if __name__ == "__main__":
    main()

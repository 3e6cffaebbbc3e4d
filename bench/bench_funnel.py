"""The funnel's computation on a million synthetic events.

    .venv/bin/python bench/bench_funnel.py                  # 1,000,000 events, 3 runs
    .venv/bin/python bench/bench_funnel.py --events 200000 --runs 5

Draws shoppers' visits (seeded): each visit starts with a view, a search or a
recommendation impression and goes on step by step with the shop's kind of
drop-off (a view in 80 %, a cart in 25 % of those, checkout 50 %, order 70 %),
events seconds to minutes apart, over 90 days, with segments, countries and
anonymous sessions. Times `profiles.funnel.funnel_compute` (pandas/numpy,
what `profiles.selectors.funnel_report` runs after loading the rows) against
a plain-Python baseline (one dict per session, the obvious loop) measured in
the same run on the same events, checks that both count the same, and prints
the median of the runs and the ratio. Loading the rows from the database is
not part of it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tqdm import tqdm  # noqa: E402

from profiles.funnel import STEP_KINDS, funnel_compute  # noqa: E402

SEGMENTS = ["Champions", "Loyal", "Potential", "New", "At risk", "Hibernating", "Lost", "Anonymous"]
COUNTRIES = ["United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Unknown"]


def synthetic_events(n_events: int, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    owners, kinds, times, pages = [], [], [], []
    n_shoppers = max(n_events // 12, 1)
    start = np.datetime64("2026-09-01T00:00:00")
    total = 0
    with tqdm(total=n_events, desc="drawing events") as bar:
        while total < n_events:
            shopper = int(rng.integers(n_shoppers))
            t = start + np.timedelta64(int(rng.integers(90 * 86400)), "s")
            first = rng.choice(["view", "search", "rec_impression"], p=[0.6, 0.25, 0.15])
            visit = [first]
            if first != "view" and rng.random() < 0.8:
                visit.append("view")
            visit += ["view"] * int(rng.poisson(2))
            if "view" in visit and rng.random() < 0.25:
                visit.append("add_to_cart")
                if rng.random() < 0.5:
                    visit.append("checkout_started")
                    if rng.random() < 0.7:
                        visit.append("purchase")
            for kind in visit:
                owners.append(shopper)
                kinds.append(kind)
                times.append(t)
                pages.append("home" if kind == "rec_impression" else "")
                t = t + np.timedelta64(int(rng.exponential(90)) + 1, "s")
            total += len(visit)
            bar.update(len(visit))
    owner = np.asarray(owners)
    return pd.DataFrame(
        {
            "owner": np.char.add("c", owner.astype(str)),
            "ts": np.asarray(times, dtype="datetime64[ns]"),
            "kind": kinds,
            "page": pages,
            "segment": np.asarray(SEGMENTS)[owner % len(SEGMENTS)],
            "country": np.asarray(COUNTRIES)[owner % len(COUNTRIES)],
        }
    )


def funnel_loop(events: pd.DataFrame, gap_minutes: float = 30) -> list[int]:
    """The baseline: sort, walk the events one by one, one set of steps per session."""
    rows = sorted(zip(events["owner"], events["ts"], events["kind"]), key=lambda r: (r[0], r[1]))
    gap = pd.Timedelta(minutes=gap_minutes)
    counts = [0] * 5
    last_owner, last_ts, steps = None, None, None

    def close(steps):
        reached = 0
        while reached < 4 and (reached + 1) in steps:
            reached += 1
        for k in range(reached + 1):
            counts[k] += 1

    for owner, ts, kind in rows:
        if owner != last_owner or ts - last_ts > gap:
            if steps is not None:
                close(steps)
            steps = set()
        if kind in STEP_KINDS:
            steps.add(STEP_KINDS[kind])
        last_owner, last_ts = owner, ts
    if steps is not None:
        close(steps)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    events = synthetic_events(args.events)
    fast, slow = [], []
    for _ in tqdm(range(args.runs), desc="runs"):
        t = time.perf_counter()
        result = funnel_compute(events)
        fast.append(time.perf_counter() - t)
        t = time.perf_counter()
        counts = funnel_loop(events)
        slow.append(time.perf_counter() - t)
    assert list(result.steps["count"]) == counts, (list(result.steps["count"]), counts)
    print(f"{len(events):,} events, {result.sessions:,} sessions, steps {counts}")
    print(f"funnel_compute (by day, segment, country, entry, time to purchase): median {statistics.median(fast):.2f} s")
    print(f"plain-Python loop (step counts only):                            median {statistics.median(slow):.2f} s")
    print(f"ratio: {statistics.median(slow) / statistics.median(fast):.1f}x faster than the baseline")


if __name__ == "__main__":
    main()

"""Benchmark: the full Online Retail import on SQLite (target: under 60 s).

Each run migrates a fresh SQLite file (not timed), then times
`manage.py import_online_retail` on the shipped data set in a subprocess.
Baseline, measured in the same run: reading the same file with pandas alone
(the floor any import must pay). Prints the median of the runs (wall clock and the import process's CPU time,
which a busy shared machine disturbs less) and the ratio.

    .venv/bin/python bench/bench_import.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def manage(db: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+system) of one manage.py command."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings.dev", "DATABASE_URL": f"sqlite:///{db}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def baseline(path: Path) -> float:
    import pandas as pd

    started = time.perf_counter()
    pd.read_csv(path, dtype=str, keep_default_na=False)
    return time.perf_counter() - started


def main() -> None:
    from tqdm import tqdm

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = ROOT / "data" / "online_retail.csv.gz"
    imports, cpus, reads = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in tqdm(range(args.runs), desc="import runs", unit="run"):
            db = Path(tmp) / f"bench-{i}.sqlite3"
            manage(db, "migrate", "--noinput", "-v0")
            wall, cpu = manage(db, "import_online_retail", str(data), "--no-progress")
            imports.append(wall)
            cpus.append(cpu)
            reads.append(baseline(data))
    imp, base = statistics.median(imports), statistics.median(reads)
    print(f"full import on SQLite: median {imp:.1f} s over {args.runs} runs ({', '.join(f'{t:.1f}' for t in imports)})")
    print(f"CPU time of the import process (less noisy on a shared machine): median {statistics.median(cpus):.1f} s")
    print(f"baseline (pandas read_csv of the same file): median {base:.2f} s")
    print(f"ratio import / baseline: {imp / base:.0f}x; target under 60 s: {'met' if imp < 60 else 'NOT met'}")
    print(f"cpus: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

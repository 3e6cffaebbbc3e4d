"""How long building every customer's portrait takes (target: under 30 s for
all 4,372 customers on 2 cores).

Times `profiles.services.portraits_build_all` (read events, interest
embeddings from the warm cache, vectorised features, KMeans, bulk upsert),
median of several runs with the split per stage, against a baseline measured
in the same run: the one-customer incremental path (`portrait_build`, what the
Celery task does) on a sample, extrapolated to all customers.

    .venv/bin/python bench/bench_portraits.py [--runs 3] [--sample 100] [--chart docs/portraits_overview.png]

Uses var/bench_portraits.sqlite3 (dev settings) unless DATABASE_URL is set;
an empty database is filled from data/online_retail.csv.gz first (with the
shop's importer when it exists, else the loader of the spot-check tests).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_portraits.sqlite3'}")
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command, get_commands  # noqa: E402
from django.db import connection  # noqa: E402

from profiles import services  # noqa: E402
from profiles.models import Customer, Event  # noqa: E402


def ensure_data() -> None:
    call_command("migrate", verbosity=0)
    if Event.objects.filter(kind="purchase").exists():
        return
    t = time.perf_counter()
    if "import_online_retail" in get_commands():
        call_command("import_online_retail")
    else:
        from tests.profiles import real_data

        print("loading the history with the test loader:", real_data.load())
    print(f"data loaded in {time.perf_counter() - t:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=100, help="customers for the incremental baseline")
    parser.add_argument(
        "--chart", type=Path, default=None, help="also draw segment and cluster sizes and revenue to this PNG"
    )
    args = parser.parse_args()
    ensure_data()
    n_customers = Customer.objects.count()
    n_events = Event.objects.count()

    t = time.perf_counter()
    first = services.portraits_build_all(progress=True, embeddings=True)  # fills the embedding cache if cold
    print(
        f"first build (embedding cache as found): {time.perf_counter() - t:.1f} s, "
        f"embeddings {first['timings']['embeddings']:.1f} s"
    )

    totals, stages = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        stats = services.portraits_build_all(progress=False, embeddings=True)
        totals.append(time.perf_counter() - t)
        stages.append(stats["timings"])

    ids = list(Customer.objects.values_list("id", flat=True))
    sample = random.Random(0).sample(ids, min(args.sample, len(ids)))
    t = time.perf_counter()
    for cid in sample:
        services.portrait_build(customer_id=cid)
    per_customer = (time.perf_counter() - t) / len(sample)
    incremental_all = per_customer * n_customers

    batch = statistics.median(totals)
    print(f"database: {connection.vendor}; {n_customers} customers, {n_events} events; {os.cpu_count()} CPUs")
    for stage in ("read", "embeddings", "compute", "save"):
        print(f"  {stage:<10} {statistics.median(s[stage] for s in stages):6.2f} s (median)")
    print(f"batch build_portraits      : {batch:.2f} s (median of {args.runs}; target < 30 s)")
    print(f"incremental, one customer  : {per_customer * 1000:.1f} ms (mean of {len(sample)})")
    print(f"incremental for everyone   : {incremental_all:.1f} s (extrapolated)")
    print(f"batch speed-up             : {incremental_all / batch:.1f}x")
    if args.chart:
        overview_chart(args.chart)
        print(f"chart: {args.chart}")


def overview_chart(path: Path) -> None:
    """Customers and revenue per segment and per behaviour cluster."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from profiles.selectors import portrait_overview

    overview = portrait_overview(members=0)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for ax, key, title in ((axes[0], "segments", "RFM segments"), (axes[1], "clusters", "Behaviour clusters")):
        groups = overview[key]
        labels = [g["label"] for g in groups]
        sizes = [g["size"] for g in groups]
        revenue = [float(g["revenue"]) / 1000 for g in groups]
        y = range(len(groups))
        ax.barh([i + 0.2 for i in y], sizes, height=0.4, color="#6b8fb5", label="customers")
        ax2 = ax.twiny()
        ax2.barh([i - 0.2 for i in y], revenue, height=0.4, color="#b5453a", label="revenue (£k)")
        ax.set_yticks(list(y), labels, fontsize=9)
        ax.invert_yaxis()
        ax.set_xlabel("customers", color="#6b8fb5")
        ax2.set_xlabel("revenue (£ thousands)", color="#b5453a")
        ax.set_title(title, pad=34)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()

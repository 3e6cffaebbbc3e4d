"""Server time of pages with their recommendation slots, against the same pages
with recommendations switched off, measured in the same run.

In-process (Django's test client: the whole view, templates, SQL, models and
cache, without the network or a WSGI server), on the database the settings
name (the dev SQLite after `scripts/run.sh`, or PostgreSQL with
`DATABASE_URL`), one client at a time. For each of `--customers` imported
customers (most orders first) it logs in and times:

- home and a product page with recommendations on, cold: the shopper's first
  request, their per-shopper cache empty;
- the same pages again, warm;
- the same pages with `RECOMMEND_ENABLED=False`.

It prints the median and p95 of each, and the ratio on/off. Needs active
serving models (`manage.py train_serving_models`). The 16-client gunicorn run
the issue asks for is not here yet.

    .venv/bin/python bench/bench_serving.py [--customers 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings

    from catalog import selectors as catalog_selectors
    from profiles import selectors as profiles_selectors
    from recommend.selectors import active_versions

    if not active_versions().exists():
        sys.exit("no active model: run `manage.py train_serving_models` first")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    customers = list(profiles_selectors.customers_for_demo(limit=args.customers))
    product = catalog_selectors.products_popular(limit=1)[0]
    pages = {"home": "/", "product": product.get_absolute_url()}
    times: dict[str, list[float]] = {}

    def timed(key: str, client: Client, url: str) -> None:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        times.setdefault(key, []).append(elapsed)

    warm_up = Client()
    for url in pages.values():  # load the models once, as a running process has
        warm_up.get(url)
    cache.clear()
    for n, customer in enumerate(customers, 1):
        client = Client()
        client.force_login(customer.user)
        for page, url in pages.items():
            timed(f"{page} on, cold", client, url)
            timed(f"{page} on, warm", client, url)
            with override_settings(RECOMMEND_ENABLED=False):
                timed(f"{page} off", client, url)
        print(f"\r{n}/{len(customers)} customers", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    print(f"{len(customers)} customers, one client, in-process, database {settings.DATABASES['default']['ENGINE']}")
    print(f"{'page':<22}{'median ms':>10}{'p95 ms':>10}{'median / off':>14}")
    for page in pages:
        off = statistics.median(times[f"{page} off"])
        for state in ("on, cold", "on, warm", "off"):
            values = times[f"{page} {state}"]
            median = statistics.median(values)
            print(f"{page + ' ' + state:<22}{median:>10.1f}{p95(values):>10.1f}{median / off:>14.2f}")


if __name__ == "__main__":
    main()

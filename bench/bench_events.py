"""How much recording a shopper event costs a product page.

Runs a product-page request (product lookup, template render with the site
layout, session middleware) through Django's test client, with and without
`profiles.services.event_record` for the `view` event, median of several
runs, and prints the overhead per event. Also times event_record alone.
Target: under 2 ms per event.

    .venv/bin/python bench/bench_events.py [--requests 300] [--runs 5]

Uses a throw-away SQLite database under var/ (dev settings) unless
DATABASE_URL is set. When the catalog's real product page exists
(`catalog:product`), it is measured too, for reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_events.sqlite3'}")
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import NoReverseMatch, include, path, reverse  # noqa: E402

from catalog.models import Category, Product  # noqa: E402
from profiles import services  # noqa: E402

PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}{{ product.name }}{% endblock %}{% block content %}'
    "<h1>{{ product.name }}</h1><p>£{{ product.price }} · {{ product.category.name }}</p>"
    "<p>{% if product.in_stock %}In stock{% else %}Sold out{% endif %}</p>{% endblock %}"
)
RECORD = {"on": True}


def product_page(request, pk):
    product = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    if RECORD["on"]:
        if not request.session.session_key:
            request.session.save()
        services.event_record(kind="view", session_key=request.session.session_key, product=product)
    return HttpResponse(PAGE.render({"product": product}, request))


urls = types.ModuleType("bench_events_urls")
urls.urlpatterns = [path("bench/p/<int:pk>/", product_page), path("", include("shop.urls"))]
sys.modules["bench_events_urls"] = urls


def timed(client: Client, url: str, n: int) -> float:
    """Median milliseconds of n requests."""
    client.get(url)  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000


def interleaved(client: Client, url: str, n: int) -> tuple[float, float]:
    """Median milliseconds without and with recording, requests alternating so
    that load from other processes hits both alike."""
    client.get(url)
    without, with_ = [], []
    for i in range(2 * n):
        RECORD["on"] = bool(i % 2)
        t = time.perf_counter()
        response = client.get(url)
        (with_ if RECORD["on"] else without).append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    RECORD["on"] = True
    return statistics.median(without) * 1000, statistics.median(with_) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--sqlite-wal",
        action="store_true",
        help="SQLite in WAL mode with synchronous=NORMAL (a settings change to propose)",
    )
    args = parser.parse_args()
    if django.db.connection.vendor == "sqlite":
        # journal_mode is stored in the file: set it either way
        with django.db.connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL" if args.sqlite_wal else "PRAGMA journal_mode=DELETE")
            cursor.execute("PRAGMA synchronous=NORMAL" if args.sqlite_wal else "PRAGMA synchronous=FULL")
    call_command("migrate", verbosity=0)
    category, _ = Category.objects.get_or_create(name="Bench")
    product, _ = Product.objects.get_or_create(
        stock_code="BENCH1",
        defaults={"name": "WHITE HANGING HEART T-LIGHT HOLDER", "category": category, "price": "2.55", "stock": 10},
    )
    client = Client()
    with_ms, without_ms = [], []
    from tqdm import tqdm

    with override_settings(ROOT_URLCONF="bench_events_urls"):
        for _ in tqdm(range(args.runs), desc="runs"):
            wo, w = interleaved(client, f"/bench/p/{product.pk}/", args.requests)
            without_ms.append(wo)
            with_ms.append(w)
    alone = []
    for _ in range(args.runs):
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            services.event_record(kind="view", session_key="bench", product=product)
            times.append(time.perf_counter() - t)
        alone.append(statistics.median(times) * 1000)
    w, wo = statistics.median(with_ms), statistics.median(without_ms)
    mode = " (WAL, synchronous=NORMAL)" if args.sqlite_wal else ""
    print(
        f"database: {django.db.connection.vendor}{mode}; {args.runs} runs x {args.requests} requests each way, "
        "alternating; figures are medians of the per-run medians"
    )
    print(f"product page without event recording: {wo:.3f} ms (median)")
    print(f"product page with a view event      : {w:.3f} ms (median)")
    print(f"overhead per event                  : {w - wo:.3f} ms  (ratio {w / wo:.2f}x; target < 2 ms)")
    print(f"event_record alone                  : {statistics.median(alone):.3f} ms (median)")
    try:
        real = reverse("catalog:product", args=[product.pk])
    except NoReverseMatch:
        print("catalog product page: not available on this branch")
    else:
        print(f"catalog product page {real}: {timed(client, real, args.requests):.3f} ms (median)")


if __name__ == "__main__":
    main()

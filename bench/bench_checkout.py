"""Checkout benchmark: how long order placement takes, alone and under contention.

Creates a throw-away test database (PostgreSQL when TEST_DATABASE_URL answers,
SQLite otherwise, as the test settings decide), then measures:

1. `order_place` for a cart of 1 and of 10 lines (median of several runs),
   against a baseline measured in the same run: one bare transaction that locks
   and updates one product row (the least any stock-safe checkout must do);
2. N shoppers racing for 5 units (threads, own connections): wall time, orders
   placed (must equal 5) and final stock (must be 0);
3. with --gateway-ms L (a payment gateway that takes L ms to answer): N
   shoppers buying the same plentiful product at once. A checkout that held
   the product's row lock while paying would take about N x L; one that pays
   outside the lock (reserve, pay, confirm) about L plus the database work.

Writes a bar chart to docs/img/bench_checkout.png.

    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_checkout \
      .venv/bin/python bench/bench_checkout.py --runs 15 --shoppers 24
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.test")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

import django  # noqa: E402

django.setup()
import logging  # noqa: E402

logging.getLogger("celery").setLevel(logging.WARNING)

from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from tqdm import tqdm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--shoppers", type=int, default=24)
    parser.add_argument(
        "--gateway-ms", type=float, default=0.0, help="payment gateway latency for the same-product run (0: skip it)"
    )
    parser.add_argument("--chart", default=str(ROOT / "docs" / "img" / "bench_checkout.png"))
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        results = run(args)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    chart(results, args.chart)


def run(args) -> dict:
    from catalog.models import Product
    from checkout import services
    from checkout.errors import CheckoutError
    from checkout.parsing import address_parse
    from checkout.payment import CARD_SUCCEEDS
    from tests.checkout.conftest import ADDRESS
    from tests.checkout.factories import CustomerFactory, ProductFactory

    print(
        f"database: {connection.vendor}; runs: {args.runs}; shoppers: {args.shoppers}; "
        "e-mail and event tasks run eagerly inside the timing (queued to a worker in production)"
    )
    products = [ProductFactory(stock=1_000_000) for _ in range(10)]
    counter = iter(range(10**9))

    def baseline() -> float:
        start = time.perf_counter()
        with transaction.atomic():
            product = Product.objects.select_for_update().get(pk=products[0].pk)
            product.stock -= 1
            product.save(update_fields=["stock"])
        return time.perf_counter() - start

    def place(n_lines: int) -> float:
        cart = services.cart_get_or_create(customer=CustomerFactory())
        for p in products[:n_lines]:
            services.cart_add(cart=cart, product_id=p.pk, quantity=2)
        start = time.perf_counter()
        services.order_place(
            cart=cart,
            address=address_parse(data=ADDRESS),
            shipping_method="standard",
            payment_token=CARD_SUCCEEDS,
            coupon_code="",
            idempotency_key=f"bench-{next(counter):08d}",
        )
        return time.perf_counter() - start

    timings: dict[str, list[float]] = {
        "baseline (lock + update 1 row)": [],
        "order_place, 1 line": [],
        "order_place, 10 lines": [],
    }
    for _ in tqdm(range(args.runs), desc="single checkouts"):
        timings["baseline (lock + update 1 row)"].append(baseline())
        timings["order_place, 1 line"].append(place(1))
        timings["order_place, 10 lines"].append(place(10))
    medians = {k: statistics.median(v) * 1000 for k, v in timings.items()}
    base = medians["baseline (lock + update 1 row)"]
    for name, ms in medians.items():
        print(f"{name:34s} median {ms:8.2f} ms   ×{ms / base:6.1f} baseline")

    # contention: N shoppers, 5 units
    scarce = ProductFactory(stock=5)
    carts = []
    for _ in tqdm(range(args.shoppers), desc="preparing shoppers"):
        cart = services.cart_get_or_create(customer=CustomerFactory())
        services.cart_add(cart=cart, product_id=scarce.pk, quantity=1)
        carts.append(cart)
    barrier = threading.Barrier(args.shoppers)
    outcome: list[str] = []

    def shopper(cart) -> None:
        try:
            barrier.wait()
            services.order_place(
                cart=cart,
                address=address_parse(data=ADDRESS),
                shipping_method="standard",
                payment_token=CARD_SUCCEEDS,
                coupon_code="",
                idempotency_key=f"race-{cart.pk:08d}",
            )
            outcome.append("ok")
        except CheckoutError as exc:
            outcome.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=shopper, args=(c,)) for c in carts]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    race_ms = (time.perf_counter() - start) * 1000
    scarce.refresh_from_db()
    placed = outcome.count("ok")
    print(
        f"race: {args.shoppers} shoppers for 5 units: {placed} orders, "
        f"{outcome.count('out_of_stock')} told 'only 0 left', final stock {scarce.stock}, {race_ms:.0f} ms wall"
    )
    if placed != 5 or scarce.stock != 0:
        raise SystemExit("OVERSOLD or undersold: see the figures above")
    if args.gateway_ms > 0:
        same_product_run(args, services, address_parse(data=ADDRESS), CARD_SUCCEEDS, CustomerFactory, ProductFactory)
    return {"medians": medians, "race_ms": race_ms, "shoppers": args.shoppers, "vendor": connection.vendor}


def same_product_run(args, services, address, card, CustomerFactory, ProductFactory) -> None:
    """N shoppers buy one unit each of the same product (stock for all) through a slow gateway."""
    from checkout.payment import TestGateway

    charge = TestGateway.charge

    def slow_charge(self, **kwargs):
        time.sleep(args.gateway_ms / 1000)
        return charge(self, **kwargs)

    TestGateway.charge = slow_charge
    try:
        product = ProductFactory(stock=args.shoppers * 2)
        carts = []
        for _ in range(args.shoppers):
            cart = services.cart_get_or_create(customer=CustomerFactory())
            services.cart_add(cart=cart, product_id=product.pk, quantity=1)
            carts.append(cart)
        barrier = threading.Barrier(args.shoppers)
        placed: list[str] = []

        def shopper(cart) -> None:
            try:
                barrier.wait()
                services.order_place(
                    cart=cart,
                    address=address,
                    shipping_method="standard",
                    payment_token=card,
                    coupon_code="",
                    idempotency_key=f"slow-{cart.pk:08d}",
                )
                placed.append("ok")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=shopper, args=(c,)) for c in carts]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = (time.perf_counter() - start) * 1000
    finally:
        TestGateway.charge = charge
    product.refresh_from_db()
    print(
        f"same product, gateway {args.gateway_ms:.0f} ms: {args.shoppers} shoppers, {placed.count('ok')} orders, "
        f"{wall:.0f} ms wall ({wall / args.gateway_ms:.1f} x the gateway's latency), stock left {product.stock}"
    )


def chart(results: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    names, values = zip(*results["medians"].items())
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.barh(names, values, color=["#999", "#b5453a", "#7a2c25"])
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.1f} ms", va="center")
    ax.set_xlabel("median time per call (ms)")
    ax.set_title(
        f"Checkout on {results['vendor']}; race of {results['shoppers']} shoppers: {results['race_ms']:.0f} ms",
        fontsize=10,
    )
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()

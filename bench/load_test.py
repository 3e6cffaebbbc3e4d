"""Load test: browsing, search, product pages, cart changes and checkouts
against gunicorn + PostgreSQL + Redis + a Celery worker, bounded in time.

A small asyncio driver (httpx): each client is one customer, logged in by a
real session for the pages and by an API token for the cart and checkout,
on a kept-alive connection, with no think time (a closed loop: the figures
are what the machine gives when every client asks again at once). A client
repeats: home, a category page, a search, two product pages, then adds a
product to its cart and, one time in two, checks out (API, test card).

For each number of clients (`--clients 1,4,8,16,32`) it runs `--duration`
seconds and prints requests/s and p50/p95/p99 per page type (time to the
last byte, milliseconds) and the errors (any status but the expected one,
or a transport error), then the knee: the first level where a page type's
p95 crosses 200 ms. Afterwards it reconciles the orders with the stock:
for every product, the units on the orders placed during the run equal the
stock that left, and the checkouts that answered 201 equal the orders.

Needs the store imported into PostgreSQL with the serving models trained:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_load ARTIFACTS_DIR=$PWD/var/load-artifacts
    export DJANGO_SETTINGS_MODULE=shop.settings.prod DJANGO_SECRET_KEY=load DJANGO_ALLOWED_HOSTS=127.0.0.1 \
        CACHE_URL=redis://127.0.0.1:6379/13 CELERY_BROKER_URL=redis://127.0.0.1:6379/13 SECURE_SSL_REDIRECT=0
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py import_online_retail --if-empty
    .venv/bin/python manage.py build_portraits --if-missing
    .venv/bin/python manage.py train_serving_models --if-missing
    .venv/bin/python bench/load_test.py --clients 1,4,8,16,32 --duration 20

`--json PATH` writes the figures; the exit status is 1 on any error or a
reconciliation that does not hold (tests/bench/test_load_smoke.py runs 10 s
of it on the test database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEARCHES = ["mug", "candle", "bag", "heart", "christmas", "lunch box", "vintage", "cake", "card", "garden"]
ADDRESS = {
    "name": "Load Tester",
    "line1": "1 Bench Street",
    "line2": "",
    "city": "Leeds",
    "postcode": "LS1 4AB",
    "country": "United Kingdom",
    "email": "load@example.com",
}
PAGE_TYPES = ["home", "category", "search", "product", "cart_add", "checkout"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Client:
    """One customer: its session cookie, its API token, one connection."""

    def __init__(self, base: str, cookie: str, token: str, products: list[str], product_ids: list[int], categories):
        import httpx

        self.http = httpx.AsyncClient(base_url=base, timeout=30, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        self.token = token
        self.products, self.product_ids, self.categories = products, product_ids, categories
        self.rng = random.Random(hash(cookie) & 0xFFFF)
        self.checkouts = 0

    async def _timed(self, kind: str, method: str, url: str, expect: int, stats, **kwargs) -> None:
        start = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kwargs)
            ok = response.status_code == expect
            detail = f"{response.status_code} {response.text[:120]!r}" if not ok else ""
        except Exception as exc:  # noqa: BLE001 - a transport error is an error of the run, counted
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - start) * 1000
        stats.record(kind, elapsed, ok, detail)
        return ok

    async def session(self, stats) -> None:
        rng = self.rng
        await self._timed("home", "GET", "/", 200, stats)
        await self._timed("category", "GET", rng.choice(self.categories), 200, stats)
        q = rng.choice(SEARCHES)
        await self._timed("search", "GET", "/search/", 200, stats, params={"q": q})
        for _ in range(2):
            await self._timed("product", "GET", rng.choice(self.products), 200, stats)
        api = {"Authorization": f"Token {self.token}", "Cookie": ""}
        body = {"product": rng.choice(self.product_ids), "quantity": rng.randint(1, 3)}
        added = await self._timed("cart_add", "POST", "/api/cart/items/", 201, stats, json=body, headers=api)
        if added and rng.random() < 0.5:
            self.checkouts += 1
            key = f"load-{os.getpid()}-{id(self) % 100000}-{self.checkouts}-{rng.randrange(10**9)}"
            payload = {
                **ADDRESS,
                "shipping_method": "standard",
                "payment_token": "4242424242424242",
                "idempotency_key": key,
            }
            if await self._timed("checkout", "POST", "/api/checkout/", 201, stats, json=payload, headers=api):
                stats.checkouts_ok += 1


class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {k: [] for k in PAGE_TYPES}
        self.errors: dict[str, int] = {k: 0 for k in PAGE_TYPES}
        self.samples: list[str] = []
        self.checkouts_ok = 0

    def record(self, kind: str, ms: float, ok: bool, detail: str) -> None:
        if ok:
            self.times[kind].append(ms)
        else:
            self.errors[kind] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{kind}: {detail}")


async def run_level(clients: list[Client], duration: float) -> tuple[Stats, float]:
    stats = Stats()
    stop = time.monotonic() + duration

    async def loop(client: Client) -> None:
        while time.monotonic() < stop:
            await client.session(stats)

    start = time.monotonic()
    await asyncio.gather(*(loop(c) for c in clients))
    return stats, time.monotonic() - start


def prepare(n_customers: int, n_products: int):
    """Customers with a session and a token, products with stock to sell, categories."""
    from _sessions import session_cookie
    from rest_framework.authtoken.models import Token

    from catalog.models import Category, Product
    from profiles.models import Customer

    customers = list(Customer.objects.filter(user__isnull=False).select_related("user").order_by("pk")[:n_customers])
    if len(customers) < n_customers:
        raise SystemExit(f"{n_customers} customers with a login needed, {len(customers)} found")
    products = list(Product.objects.filter(is_active=True).order_by("pk")[:n_products])
    if not products:
        raise SystemExit("no product to sell: import the store first")
    Product.objects.filter(pk__in=[p.pk for p in products]).update(stock=100_000)  # nobody runs out mid-run
    categories = [c.get_absolute_url() for c in Category.objects.order_by("pk")[:30]] or ["/"]
    logins = []
    for c in customers:  # a real logged-in session, as the login view makes one
        token, _ = Token.objects.get_or_create(user=c.user)
        logins.append((session_cookie(c.user), token.key))
    return logins, products, categories


def snapshot(products) -> tuple[dict[int, int], int]:
    from django.db.models import Max

    from catalog.models import Product
    from checkout.models import Order

    stock = dict(Product.objects.filter(pk__in=[p.pk for p in products]).values_list("pk", "stock"))
    return stock, Order.objects.aggregate(m=Max("pk"))["m"] or 0


def reconcile(products, stock_before: dict[int, int], last_order: int, checkouts_ok: int) -> list[str]:
    """What does not hold (empty when everything does)."""
    from django.db.models import Sum

    from catalog.models import Product
    from checkout.models import Order, OrderLine

    problems = []
    orders = Order.objects.filter(pk__gt=last_order, is_historical=False)
    if orders.count() != checkouts_ok:
        problems.append(f"{checkouts_ok} checkouts answered 201 but {orders.count()} orders were made")
    sold = dict(
        OrderLine.objects.filter(order__in=orders)
        .values("product_id")
        .annotate(n=Sum("quantity"))
        .values_list("product_id", "n")
    )
    stock_after = dict(Product.objects.filter(pk__in=stock_before).values_list("pk", "stock"))
    for pk, before in stock_before.items():
        if before - stock_after[pk] != sold.get(pk, 0):
            problems.append(f"product {pk}: stock fell by {before - stock_after[pk]}, orders hold {sold.get(pk, 0)}")
    unpaid = orders.exclude(status=Order.Status.PAID).count()
    if unpaid:
        problems.append(f"{unpaid} orders of the run are not paid")
    return problems


def start_servers(env: dict, port: int, workers: int, with_worker: bool) -> list[subprocess.Popen]:
    procs = [
        subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "shop.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(workers), "--worker-class", "gthread", "--threads", "4"]
            + ["--keep-alive", "30", "--log-level", "warning", "--timeout", "60"],
            cwd=ROOT,
            env=env,
        )
    ]
    if with_worker:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "shop", "worker", "-Q", "default", "--concurrency", "1"]
                + ["-l", "warning", "--without-gossip", "--without-mingle", "-n", f"load-{os.getpid()}@%h"],
                cwd=ROOT,
                env=env,
            )
        )
    return procs


def wait_up(port: int, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn on port {port} did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,8,16,32", help="comma-separated client counts, one level each")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (gthread, 4 threads each)")
    parser.add_argument("--port", type=int, default=8291)
    parser.add_argument("--products", type=int, default=200, help="products the clients buy (their stock is raised)")
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker (tasks stay queued)")
    parser.add_argument("--no-collectstatic", action="store_true")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.clients.split(",") if x.strip()]
    if not levels or min(levels) < 1:
        parser.error("--clients needs positive integers, e.g. 1,4,8")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to the PostgreSQL database the store is imported into")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "shop.settings.prod"),
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "load-test-secret-key-not-for-production"),
        "DJANGO_ALLOWED_HOSTS": os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost"),
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_USER": "100000/min",
    }
    os.environ.update(env)
    import django

    django.setup()
    logins, products, categories = prepare(max(levels), args.products)
    product_urls = [p.get_absolute_url() for p in products]
    product_ids = [p.pk for p in products]
    if not args.no_collectstatic:  # prod serves hashed static files from the manifest, as a deployment does
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
    stock_before, last_order = snapshot(products)
    procs = start_servers(env, args.port, args.workers, not args.no_worker)
    base = f"http://127.0.0.1:{args.port}"
    results: dict = {"levels": [], "duration_s": args.duration, "gunicorn_workers": args.workers}
    checkouts_ok = 0
    try:
        wait_up(args.port)

        async def warm() -> None:  # every worker loads its models, as a running server has them
            c = Client(base, logins[0][0], logins[0][1], product_urls, product_ids, categories)
            for _ in range(args.workers * 4):
                await asyncio.gather(*(c.http.get(u) for u in ("/", product_urls[0], "/search/?q=mug")))
            await c.http.aclose()

        asyncio.run(warm())
        print(f"{'clients':>7} {'page':<9} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6}")
        for n in levels:

            async def level(n=n):
                clients = [Client(base, ck, tk, product_urls, product_ids, categories) for ck, tk in logins[:n]]
                try:
                    return await run_level(clients, args.duration)
                finally:
                    await asyncio.gather(*(c.http.aclose() for c in clients))

            stats, elapsed = asyncio.run(level())
            checkouts_ok += stats.checkouts_ok
            row = {"clients": n, "elapsed_s": round(elapsed, 1), "pages": {}, "error_samples": stats.samples}
            total = sum(len(v) + stats.errors[k] for k, v in stats.times.items())
            row["requests_per_s"] = round(total / elapsed, 1)
            for kind in PAGE_TYPES:
                t = stats.times[kind]
                row["pages"][kind] = {
                    "n": len(t),
                    "rps": round(len(t) / elapsed, 1),
                    "p50": round(percentile(t, 0.50), 1),
                    "p95": round(percentile(t, 0.95), 1),
                    "p99": round(percentile(t, 0.99), 1),
                    "errors": stats.errors[kind],
                }
                p = row["pages"][kind]
                print(f"{n:>7} {kind:<9} {p['rps']:>7} {p['p50']:>7} {p['p95']:>7} {p['p99']:>7} {p['errors']:>6}")
            print(f"{n:>7} {'all':<9} {row['requests_per_s']:>7}")
            for sample in stats.samples:
                print(f"        error: {sample}")
            results["levels"].append(row)
            sys.stdout.flush()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    knee = {}
    for kind in PAGE_TYPES:
        over = [r["clients"] for r in results["levels"] if r["pages"][kind]["p95"] > 200]
        knee[kind] = over[0] if over else None
    results["knee_p95_over_200ms"] = knee
    print("knee (first client count with p95 > 200 ms): " + ", ".join(f"{k} {v or '-'}" for k, v in knee.items()))
    problems = reconcile(products, stock_before, last_order, checkouts_ok)
    errors = sum(p["errors"] for r in results["levels"] for p in r["pages"].values())
    results.update({"checkouts": checkouts_ok, "errors": errors, "reconciliation": problems or "ok"})
    print(f"checkouts {checkouts_ok}, errors {errors}, reconciliation: {'; '.join(problems) or 'ok'}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())

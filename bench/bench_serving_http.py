"""Home and product pages over HTTP, with and without recommendations, at 1 and
16 concurrent clients: gunicorn on PostgreSQL + Redis, over loopback.

Issue #10's speed floors, measured as a shopper's browser would see them
(minus the network): two gunicorn servers on this machine, the same code,
database and Redis, one with recommendations on and one with
`RECOMMEND_ENABLED=False`, measured in the same run, request by request
alternated between them. Each client is one imported customer, logged in by
a real session (made here with Django's session store, as the login view
would), on a kept-alive connection.

Phases, each on both servers:
- cold: the cache (Redis db `--cache-db`) flushed, then every customer's
  first home page and first product page, one client: every per-shopper
  list and every product's item lists computed on the request;
- 1 client, warm: `--rounds` rounds over the customers, each a home page and
  a product page from a rotating list of popular products (each product
  view records a `view` event, so the "for you" lists follow the shopper);
- 16 clients: the same, 16 threads at once, no think time (closed loop: the
  machine's throughput, every request queued behind the others);
- 16 clients with think time: each waits an exponential pause (mean
  `--think`, 1 s) before each page, as people browsing do.

Prints the median and p95 of each (milliseconds, time to the last byte of
the response) and the ratio on / off. Needs the store imported into
PostgreSQL with the serving models trained (as `scripts/run.sh` does on
SQLite), for example:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench ARTIFACTS_DIR=$PWD/var/bench-artifacts
    DJANGO_SETTINGS_MODULE=shop.settings.dev .venv/bin/python manage.py migrate
    DJANGO_SETTINGS_MODULE=shop.settings.dev .venv/bin/python manage.py import_online_retail --if-empty
    DJANGO_SETTINGS_MODULE=shop.settings.dev .venv/bin/python manage.py build_portraits --if-missing
    DJANGO_SETTINGS_MODULE=shop.settings.dev .venv/bin/python manage.py train_serving_models --if-missing
    .venv/bin/python bench/bench_serving_http.py [--customers 32] [--rounds 3] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Shopper:
    """One logged-in customer on one kept-alive connection per server."""

    def __init__(self, cookie: str, ports: dict[str, int]) -> None:
        self.cookie = cookie
        self.slots_ms: float | None = None  # the last page's Server-Timing "rec" (its slots' time)
        self.conns = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for name, port in ports.items()}

    def get(self, server: str, path: str) -> float:
        try:
            return self._get(server, path)
        except (http.client.RemoteDisconnected, ConnectionError):  # the server closed an idle keep-alive
            conn = self.conns[server]
            conn.close()
            self.conns[server] = http.client.HTTPConnection(conn.host, conn.port, timeout=30)
            return self._get(server, path)

    def _get(self, server: str, path: str) -> float:
        conn = self.conns[server]
        start = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": self.cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise SystemExit(f"{server} {path} answered {response.status}: {body[:200]!r}")
        timing = re.match(r"rec;dur=([\d.]+)", response.getheader("Server-Timing") or "")
        self.slots_ms = float(timing.group(1)) if timing else None
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per server")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a client's pages")
    parser.add_argument("--cache-db", type=int, default=3)
    parser.add_argument("--port", type=int, default=8191)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to the PostgreSQL database the store is imported into")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.prod",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_URL": f"rediscache://127.0.0.1:6379/{args.cache_db}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{args.cache_db + 1}",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")})
    os.environ.update({k: env[k] for k in ("CACHE_URL", "CELERY_BROKER_URL", "SECURE_SSL_REDIRECT")})
    import django

    django.setup()
    from _sessions import session_cookie
    from django.core.cache import cache

    from catalog import selectors as catalog_selectors
    from profiles import selectors as profiles_selectors
    from recommend.selectors import active_versions

    if not active_versions().exists():
        sys.exit("no active model: run `manage.py train_serving_models` first")
    customers = list(profiles_selectors.customers_for_demo(limit=args.customers))
    products = [p.get_absolute_url() for p in catalog_selectors.products_popular(limit=60)]
    cookies = []
    for c in customers:  # a real logged-in session, as the login view makes one
        cookies.append(session_cookie(c.user))

    # prod serves hashed static files from the manifest, as a deployment does
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    ports = {"on": args.port, "off": args.port + 1}
    servers = []
    for name, port in ports.items():
        server_env = {**env, "RECOMMEND_ENABLED": "true" if name == "on" else "false"}
        servers.append(
            subprocess.Popen(
                [str(ROOT / ".venv/bin/gunicorn"), "shop.wsgi:application", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", str(args.workers), "--worker-class", "gthread", "--threads", "4"]
                + ["--keep-alive", "30", "--log-level", "warning"],
                cwd=ROOT,
                env=server_env,
            )
        )
    try:
        _wait_up(ports)
        times: dict[str, list[float]] = {}
        shoppers = [Shopper(cookie, ports) for cookie in cookies]
        # load the models in every worker, as a running server has them
        for _ in range(args.workers * 4):
            for server in ports:
                shoppers[0].get(server, "/")
                shoppers[0].get(server, products[0])

        def visit(shopper: Shopper, n: int, phase: str, into: dict[str, list[float]], think: float = 0.0, rng=None):
            """Home then the n-th product page, on both servers, timed into `into`."""
            path = products[n % len(products)]
            for server in ("on", "off"):
                for page, url in (("home", "/"), ("product", path)):
                    if think:
                        time.sleep(rng.expovariate(1 / think))
                    into.setdefault(f"{phase} {page} {server}", []).append(shopper.get(server, url))
                    if server == "on" and shopper.slots_ms is not None:
                        into.setdefault(f"{phase} {page} slots", []).append(shopper.slots_ms)

        cache.clear()
        for i, shopper in enumerate(shoppers):
            visit(shopper, i + 1, "cold, 1 client", times)
        print("cold done", file=sys.stderr)
        for r in range(args.rounds):
            for i, shopper in enumerate(shoppers):
                visit(shopper, r * 7 + i + 2, "warm, 1 client", times)
        print("1 client done", file=sys.stderr)

        lock = threading.Lock()
        rates: dict[str, float] = {}

        def clients(phase: str, think: float) -> None:
            """args.clients threads at once over a shuffled queue of visits; each
            waits an exponential think time of mean `think` seconds between pages."""
            queue = [
                (Shopper(s.cookie, ports), r * 7 + i + 3) for r in range(args.rounds) for i, s in enumerate(shoppers)
            ]
            random.Random(0).shuffle(queue)
            pages = [0]

            def worker(seed: int) -> None:
                rng = random.Random(seed)
                local: dict[str, list[float]] = {}
                while True:
                    with lock:
                        if not queue:
                            break
                        shopper, n = queue.pop()
                    visit(shopper, n, phase, local, think, rng)
                with lock:
                    for k, v in local.items():
                        times.setdefault(k, []).extend(v)
                        pages[0] += len(v) if not k.endswith("slots") else 0

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rates[phase] = pages[0] / (time.perf_counter() - began)
            print(f"{phase} done", file=sys.stderr)

        for s in shoppers:
            for conn in s.conns.values():
                conn.close()
        closed, thinking = f"{args.clients} clients", f"{args.clients} clients, {args.think:g} s think"
        clients(closed, 0.0)
        clients(thinking, args.think)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)

    print(
        f"gunicorn ({args.workers} gthread workers x 4 threads per server) on PostgreSQL + Redis, loopback; "
        f"{len(customers)} customers, {args.rounds} rounds; ms to the last byte"
    )
    print("on/off: medians; slots: the page's own Server-Timing for its recommendation slots")
    head = f"{'phase / page':<32}{'on median':>10}{'on p95':>9}{'off median':>11}{'off p95':>9}{'on/off':>8}"
    print(head + f"{'slots med':>10}{'slots p95':>10}")
    for phase in ("cold, 1 client", "warm, 1 client", closed, thinking):
        for page in ("home", "product"):
            on, off = times[f"{phase} {page} on"], times[f"{phase} {page} off"]
            slots = times.get(f"{phase} {page} slots") or [float("nan")]
            ratio = statistics.median(on) / statistics.median(off)
            print(
                f"{phase + ' ' + page:<32}{statistics.median(on):>10.1f}{p95(on):>9.1f}"
                f"{statistics.median(off):>11.1f}{p95(off):>9.1f}{ratio:>8.2f}"
                f"{statistics.median(slots):>10.1f}{p95(slots):>10.1f}"
            )
    for phase, rate in rates.items():
        print(f"{phase}: {rate:.1f} pages/s served (on and off together)")


def _wait_up(ports: dict[str, int]) -> None:
    deadline = time.monotonic() + 60
    for port in ports.values():
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health/")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn on port {port} did not start") from None
                time.sleep(0.5)


if __name__ == "__main__":
    main()

"""Abandoned-cart reminders: the scan and the sending, per cart, against a
campaign's sending of the same number of e-mails (the same machinery, the
baseline) measured in the same run.

    .venv/bin/python bench/bench_cart_reminders.py              # 200 carts, 3 runs
    .venv/bin/python bench/bench_cart_reminders.py --carts 500 --runs 5

Each run builds fresh customers, each with a two-line cart left two hours ago
(step 1 due) and a campaign with as many members; it times `reminders_scan`,
`reminders_send` (every cart re-checked after its claim, the cart priced from
the database, four "cart" recommendations, two templates) and
`campaign_send`. Mail goes to Django's in-memory backend; recommendations are
served without trained models (the live same-basket counts). Prints the
median per mail and the ratio.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.test")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

import django  # noqa: E402

django.setup()
import logging  # noqa: E402

logging.getLogger("recommend").setLevel(logging.ERROR)
logging.getLogger("celery").setLevel(logging.WARNING)

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--carts", type=int, default=200)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from checkout import services as checkout_services
    from checkout.models import Cart
    from marketing import campaigns, recovery
    from marketing.models import Campaign, CartReminder
    from profiles.models import Portrait, Segment
    from tests.profiles.factories import CustomerFactory, ProductFactory, purchase

    print(f"database: {connection.vendor}; carts per run: {args.carts}; runs: {args.runs}")
    products = [ProductFactory(stock=10**6) for _ in range(12)]
    buyer = CustomerFactory()
    for n in range(40):  # baskets, so "cart" recommendations have co-purchases to name
        purchase(buyer, products[n % 12], order=f"B{n}")
        purchase(buyer, products[(n * 5 + 1) % 12], order=f"B{n}")
    rows: dict[str, list[float]] = {"scan": [], "reminders_send": [], "campaign_send (baseline)": []}
    for r in range(args.runs):
        country = f"Bench{r}"
        people = []
        for i in range(args.carts):
            c = CustomerFactory(country=country)
            Portrait.objects.create(customer=c, reference_time=timezone.now(), country=country, has_purchases=True)
            cart = checkout_services.cart_get_or_create(customer=c)
            for p in (products[i % 12], products[(i + 3) % 12]):
                checkout_services.cart_add(cart=cart, product_id=p.pk, quantity=2)
            people.append(c)
        Cart.objects.filter(customer__in=people).update(updated_at=timezone.now() - dt.timedelta(hours=2))
        now = timezone.now()
        mail.outbox = []
        start = time.perf_counter()
        scanned = recovery.reminders_scan(now=now)
        rows["scan"].append((time.perf_counter() - start) / args.carts)
        due = CartReminder.objects.filter(status="pending", due_at__lte=now).count()
        start = time.perf_counter()
        sent = recovery.reminders_send(now=now)["sent"]
        rows["reminders_send"].append((time.perf_counter() - start) / max(sent, 1))
        assert sent == due == scanned["treatment"], (sent, due, scanned)
        segment = Segment.objects.create(
            name=country, rule={"match": "all", "conditions": [{"field": "country", "op": "eq", "value": country}]}
        )
        campaign = Campaign.objects.create(
            name=country, segment=segment, email_subject="S", email_message="M", holdout_share=0
        )
        campaigns.campaign_launch(campaign=campaign, send=False)
        start = time.perf_counter()
        n = campaigns.campaign_send(campaign_id=campaign.pk)["sent"]
        rows["campaign_send (baseline)"].append((time.perf_counter() - start) / max(n, 1))
        print(
            f"run {r + 1}: {scanned['found']} carts found ({scanned['holdout']} hold-out), "
            f"{sent} reminders, {n} campaign mails"
        )
    base = statistics.median(rows["campaign_send (baseline)"])
    for name, values in rows.items():
        med = statistics.median(values) * 1000
        print(f"{name:28s} median {med:7.2f} ms per cart/mail   ({med / (base * 1000):.2f}× the baseline)")


if __name__ == "__main__":
    main()

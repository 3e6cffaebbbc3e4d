"""manage.py import_online_retail [PATH] [--if-empty]

Turns the Online Retail history into products (in a derived taxonomy),
customers, orders with their lines, returns and purchase events, through each
app's services, in one transaction: a file that cannot be read changes nothing.
Idempotent: a second run creates nothing. See docs/import.md.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from catalog import importing as catalog_importing
from catalog import selectors as catalog_selectors
from checkout import importing as checkout_importing
from profiles import importing as profiles_importing
from shop.importing import ImportFileError, history_parse


class Command(BaseCommand):
    help = "Import the Online Retail data set (products, categories, customers, orders, returns, purchase events)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="CSV or CSV.GZ file (default: settings.DATASET_PATH)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the catalog already has products")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, path=None, if_empty=False, no_progress=False, **options):
        started = time.monotonic()
        path = Path(path or settings.DATASET_PATH)
        if if_empty and catalog_selectors.product_count() > 0:
            self.stdout.write(f"Catalog already has {catalog_selectors.product_count()} products: import skipped.")
            return
        show = not no_progress and options.get("verbosity", 1) > 0

        def bar(total, desc, unit="rows"):
            return tqdm(total=total, desc=desc, unit=unit, disable=not show, leave=False, mininterval=0.5)

        steps = bar(6, "parsing " + path.name, unit="steps")
        try:
            parsed = history_parse(
                path,
                shift=checkout_importing.historical_time_shift(),
                progress=lambda label: (steps.set_postfix_str(label), steps.update(1)),
            )
        except ImportFileError as exc:
            raise CommandError(f"Import stopped, nothing was written: {exc}") from exc
        finally:
            steps.close()
        self.stdout.write(
            f"Read {parsed.rows:,} rows: {len(parsed.products):,} products, {len(parsed.customers):,} customers, "
            f"{len(parsed.orders):,} orders, {len(parsed.lines):,} order lines, {len(parsed.returns):,} return lines; "
            f"history moved {parsed.shift.days // 7:,} weeks forward to end this week."
        )

        with transaction.atomic():
            category_names = sorted({p.category for p in parsed.products})
            categories = catalog_importing.categories_ensure(names=category_names)
            product_ids = catalog_importing.products_import_bulk(products=parsed.products, categories=categories)
            customer_ids = profiles_importing.customers_import_bulk(customers=parsed.customers)
            with bar(len(parsed.lines), "orders and lines") as progress:
                created = checkout_importing.orders_import_historical(
                    orders=parsed.orders,
                    lines=parsed.lines,
                    customer_ids=customer_ids,
                    product_ids=product_ids,
                    progress=progress.update,
                )
            returns = checkout_importing.returns_import_historical(
                returns=parsed.returns, customer_ids=customer_ids, product_ids=product_ids
            )
            events = (
                profiles_importing.PurchaseEventRecord(
                    customer_id=order.customer_id,
                    product_id=product_ids[line.stock_code],
                    quantity=line.quantity - line.quantity_returned,
                    price=line.unit_price,
                    order_number=line.order_number,
                    created_at=order.placed_at,
                )
                for line in parsed.lines
                if (order := created.get(line.order_number)) is not None
                and order.customer_id is not None
                and line.quantity > line.quantity_returned  # net: a line cancelled in full was not a purchase
            )
            with bar(None, "purchase events", unit="events") as progress:
                n_events = profiles_importing.purchase_events_import_bulk(events=events, progress=progress.update)

        self.stdout.write(
            self.style.SUCCESS(
                f"Imported in {time.monotonic() - started:.1f} s: "
                f"{catalog_selectors.product_count():,} products in {catalog_selectors.category_count()} categories, "
                f"{len(customer_ids):,} customers, {len(created):,} new orders, {returns:,} new return lines, "
                f"{n_events:,} new purchase events."
            )
        )
        if parsed.skipped:
            self.stdout.write(f"Rows not imported ({sum(parsed.skipped.values()):,} of {parsed.rows:,}):")
            for why, n in parsed.skipped.most_common():
                self.stdout.write(f"  {n:>7,}  {why}")

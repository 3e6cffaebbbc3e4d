"""Where a page's time goes, one request at a time: SQL queries and their
time, and the whole request, per page type of bench/load_test.py (Django's
test client in-process, logged in as one imported customer, warm: the third
of three requests). Same environment as bench/load_test.py:

    .venv/bin/python bench/page_queries.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.prod")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Category, Product
    from profiles.models import Customer

    customer = Customer.objects.filter(user__isnull=False).order_by("pk").first()
    product = Product.objects.filter(is_active=True).order_by("pk").first()
    category = Category.objects.order_by("pk").first()
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(customer.user)
    pages = {
        "home": "/",
        "category": category.get_absolute_url(),
        "search": "/search/?q=heart",
        "product": product.get_absolute_url(),
        "cart": "/cart/",
    }
    print(f"{'page':<9} {'status':>6} {'queries':>7} {'sql ms':>7} {'total ms':>8}")
    for name, url in pages.items():
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url, secure=True)
                total = (time.perf_counter() - start) * 1000
        sql = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        print(f"{name:<9} {response.status_code:>6} {len(queries):>7} {sql:>7.1f} {total:>8.1f}")


if __name__ == "__main__":
    main()

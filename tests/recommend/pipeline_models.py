"""A small real Recommender for the training-pipeline tests, and the store data
they share.

`TinyPop` really fits (item popularity, in "epochs" that report progress) and
really saves and loads; its config makes it worse on purpose (`sign=-1` ranks
the least popular first), fail midway (`fail_at_epoch`; with
`fail_with="time_limit"` it raises what Celery raises past a soft time limit),
or pause while its arrays are being written (`save_sleep`) so a test can kill
the worker in the middle of writing an artifact. Tests register it for their duration (fixture
`tinypop`); a worker process registers it by importing
tests/recommend/pipeline_worker_plugin.py (Celery's --include option).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded

from recommend.ml.base import Recommender, mask_padding

NAME = "test_tinypop"


class TinyPop(Recommender):
    name = NAME
    defaults = {"epochs": 2, "sign": 1, "smoothing": None}  # smoothing None: tuned in fit, like EASE's l2

    def __init__(self, **config):
        super().__init__(**config)
        self.counts = np.zeros(1, dtype=np.float32)

    def fit(self, data, *, progress=None):
        epochs = int(self.config["epochs"])
        self.n_items = data.n_items
        counts = np.zeros(data.n_items + 1, dtype=np.float32)
        if self.config["smoothing"] is None:
            self.config["smoothing"] = 0.5
            self.config["tuned_on_interactions"] = data.n_interactions
        for epoch in range(epochs):
            if self.config.get("fail_at_epoch") == epoch:
                if self.config.get("fail_with") == "time_limit":  # what Celery raises in a task past its soft limit
                    raise SoftTimeLimitExceeded()
                raise RuntimeError(f"boom in epoch {epoch}")
            counts = np.bincount(data.item, minlength=data.n_items + 1).astype(np.float32)
            if progress:
                progress("epoch", epoch + 1, epochs)
        self.counts = counts * float(self.config["sign"])
        return self

    def score(self, histories, *, now=None):
        out = np.repeat(self.counts[None, :], len(histories), axis=0).astype(np.float32)
        return mask_padding(out)

    def _state(self):
        pause = float(self.config.get("save_sleep", 0))
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline:  # a slow disk, long enough to be killed in the middle
            time.sleep(0.05)
        return {"counts": self.counts}

    def _load_state(self, arrays):
        self.counts = arrays["counts"]


START = datetime(2011, 1, 3, 10, 0, tzinfo=UTC)


def make_store(*, n_customers: int = 40, n_products: int = 30, n_baskets: int = 14, seed: int = 0) -> dict:
    """Products, customers and purchase events: every customer buys every few
    days over ~100 days, one of five best-sellers (Zipf-like) plus one other item."""
    from django.contrib.auth import get_user_model

    from catalog.models import Category, Product
    from profiles.models import Customer, Event

    rng = np.random.default_rng(seed)
    cat = Category.objects.create(name="Gifts", slug="gifts")
    products = [
        Product.objects.create(
            stock_code=f"T{i:04d}",
            name=f"Test product {i}",
            slug=f"test-product-{i}",
            category=cat,
            price=Decimal("1.50"),
            stock=100,
        )
        for i in range(n_products)
    ]
    User = get_user_model()
    customers = [
        Customer.objects.create(
            user=User.objects.create(username=f"cust{i}"),
            external_id=20000 + i,
            country="United Kingdom",
            is_imported=True,
        )
        for i in range(n_customers)
    ]
    weights = 1.0 / np.arange(1, 6)
    weights /= weights.sum()
    events = []
    for c in customers:
        day = float(rng.uniform(0, 4))
        for _ in range(n_baskets):
            when = START + timedelta(days=day, hours=float(rng.uniform(0, 8)))
            best = products[int(rng.choice(5, p=weights))]
            other = products[int(rng.integers(5, n_products))]
            for p in (best, other):
                events.append(
                    Event(
                        kind="purchase",
                        customer=c,
                        product=p,
                        quantity=int(rng.integers(1, 6)),
                        price=p.price,
                        order_number=f"T{c.external_id}-{day:.0f}",
                        created_at=when,
                    )
                )
            day += float(rng.uniform(5, 9))
    Event.objects.bulk_create(events)
    return {"products": products, "customers": customers, "events": len(events)}

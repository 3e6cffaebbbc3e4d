"""Hourly trending: refit "pop_recent" on the latest purchases and serve it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from profiles.models import Event
from recommend import selectors
from recommend.ml.data import History
from recommend.models import ModelVersion
from recommend.tasks import trending_refresh

pytestmark = pytest.mark.django_db


def top_codes(k: int = 3) -> list[str]:
    loaded = selectors.active_model("pop_recent")
    top, _ = loaded.model.recommend(History.empty(), k=k)
    return [loaded.item_ids[i] for i in top]


def test_trending_refresh_follows_the_latest_purchases(store, artifacts, fresh_cache):
    first_id = trending_refresh.delay().get()  # eager in tests: runs the service here
    first = ModelVersion.objects.get(version=first_id)
    assert (first.name, first.status, first.metrics) == ("pop_recent", "active", {})
    assert "trending refresh" in first.notes
    assert top_codes(1)[0] in {f"T{i:04d}" for i in range(5)}  # the best-sellers lead
    # a sudden run on a slow seller, after everything else
    last = Event.objects.order_by("-created_at").first()
    slow = next(p for p in store["products"] if p.stock_code == "T0029")
    Event.objects.bulk_create(
        Event(
            kind="purchase",
            customer=c,
            product=slow,
            quantity=1,
            price=slow.price,
            created_at=last.created_at + timedelta(days=1),
        )
        for c in store["customers"]
    )
    second_id = trending_refresh.delay().get()
    first.refresh_from_db()
    assert first.status == "retired" and ModelVersion.objects.get(version=second_id).status == "active"
    assert top_codes(1) == ["T0029"]

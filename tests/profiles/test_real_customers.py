"""Spot checks on real customers of the Online Retail history: their portraits
against what the raw file says (segment, top category, bulk-buyer flag)."""

import time

import numpy as np
import pytest

from profiles import services
from profiles.models import Customer, Portrait

from . import real_data

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _pick(lines, rule) -> int:
    g = lines.groupby("CustomerID").agg(n=("InvoiceNo", "nunique"), last=("at", "max"), first=("at", "min"))
    ids = g[rule(g)].index
    assert len(ids), "the raw file has no such customer"
    return int(ids[0])


def test_portraits_of_real_customers_match_the_raw_data():
    lines = real_data.purchase_lines()
    t0 = time.perf_counter()
    loaded = real_data.load()
    services.portraits_build_all(embeddings=False)
    print(f"loaded {loaded} and built portraits in {time.perf_counter() - t0:.1f} s")

    # every customer of the file has a portrait, including those with only cancellations
    assert Portrait.objects.count() == Customer.objects.count() == 4372
    cancel_only = Portrait.objects.filter(has_purchases=False)
    assert cancel_only.count() == 4372 - lines["CustomerID"].nunique()
    assert set(cancel_only.values_list("segment", flat=True)) == {"new"}

    # clear-cut segments picked from the raw file by their history alone
    end = lines["at"].max()
    days = np.timedelta64(1, "D")
    cases = {
        "champions": _pick(lines, lambda g: (g.n >= 30) & ((end - g["last"]) / days <= 3)),
        "lost": _pick(lines, lambda g: (g.n == 1) & ((end - g["last"]) / days >= 300)),
        "new": _pick(lines, lambda g: (g.n == 1) & ((end - g["first"]) / days <= 5)),
        "at_risk": _pick(lines, lambda g: (g.n >= 10) & ((end - g["last"]) / days >= 200)),
    }
    cases["champions (12347, Iceland, 7 orders, last two days before the end)"] = 12347
    for segment, external_id in cases.items():
        p = Portrait.objects.get(customer__external_id=external_id)
        raw = real_data.expected(external_id)
        assert p.segment == segment.split(" ")[0], (segment, external_id, p.summary)
        assert p.frequency == raw["orders"]
        assert float(p.monetary) == pytest.approx(raw["spend"], rel=1e-3)
        assert p.top_interests[0] == raw["top_category"], external_id
        assert p.is_bulk_buyer == raw["bulk"], external_id
        assert p.last_purchase == raw["last"].to_pydatetime()
        assert p.summary

    # the bulk flag and order counts for every customer against the file
    raw_bulk = lines.groupby("CustomerID")["Quantity"].median() >= 12
    raw_orders = lines.groupby("CustomerID")["InvoiceNo"].nunique()
    ours = {
        ext: (bulk, freq)
        for ext, bulk, freq in Portrait.objects.filter(has_purchases=True).values_list(
            "customer__external_id", "is_bulk_buyer", "frequency"
        )
    }
    assert {c: b for c, (b, _) in ours.items()} == raw_bulk.to_dict()
    assert {c: f for c, (_, f) in ours.items()} == raw_orders.to_dict()

    # 12347 from Iceland: a wholesale-style buyer all year round
    p = Portrait.objects.get(customer__external_id=12347)
    assert p.country == "Iceland" and p.seasonality == "year-round"
    assert p.summary.startswith("A wholesale buyer from Iceland")

    # clusters: every buyer has one of six readable names
    names = set(Portrait.objects.filter(has_purchases=True).values_list("cluster_name", flat=True))
    assert len(names) == 6 and all(n.endswith("buyers") for n in names)

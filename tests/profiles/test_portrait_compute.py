"""The pure portrait computation, on small hand-made event tables."""

import numpy as np
import pandas as pd
import pytest

from profiles.portrait import (
    Baseline,
    cluster_names,
    portrait_summarize,
    portraits_compute,
    quintile_edges,
    quintile_score,
    segment_for,
)

NOW = pd.Timestamp("2011-12-09 12:00", tz="UTC")


def ev(
    customer,
    kind="purchase",
    *,
    product=1,
    name="WHITE MUG",
    cat=1,
    cat_name="Mugs",
    list_price=2.0,
    qty=1,
    price=2.0,
    order="1",
    at="2011-12-01 10:00",
):
    return dict(
        customer_id=customer,
        kind=kind,
        product_id=product,
        product_name=name,
        category_id=cat,
        category_name=cat_name,
        list_price=list_price,
        quantity=qty if kind == "purchase" else None,
        price=price if kind == "purchase" else None,
        order_number=order if kind == "purchase" else "",
        created_at=pd.Timestamp(at, tz="UTC"),
    )


def compute(rows, customers, **kw):
    events = pd.DataFrame(rows)
    cust = pd.DataFrame({"customer_id": customers, "country": ["France"] * len(customers)})
    out, baseline = portraits_compute(events=events, customers=cust, now=NOW, **kw)
    return {p["customer_id"]: p for p in out}, baseline


def test_a_customer_without_events_gets_a_valid_new_customer_portrait():
    out, _ = compute([ev(1)], [1, 2])
    p = out[2]
    assert p["segment"] == "new" and p["has_purchases"] is False and p["frequency"] == 0
    assert p["recency_days"] is None and p["monetary"] == 0 and p["category_affinities"] == []
    assert p["cluster"] is None and p["summary"].startswith("A new customer from France")


def test_rfm_basics_and_baskets():
    rows = [
        ev(1, order="A", qty=24, price=1.0, at="2011-11-09 10:00"),
        ev(1, order="A", product=2, qty=12, price=2.0, at="2011-11-09 10:00"),
        ev(1, order="B", qty=6, price=1.0, at="2011-12-07 10:00"),
    ]
    out, _ = compute(rows, [1])
    p = out[1]
    assert p["frequency"] == 2
    assert p["monetary"] == pytest.approx(24 + 24 + 6)
    assert p["recency_days"] == 2
    assert p["avg_basket_units"] == pytest.approx(21)
    assert p["avg_basket_value"] == pytest.approx(27)
    assert p["median_line_units"] == 12 and p["is_bulk_buyer"] is True
    assert p["spend_by_month"] == {"2011-11": 48.0, "2011-12": 6.0}


def test_category_affinities_mix_spend_and_views():
    rows = [
        ev(1, qty=1, price=9.0, cat=1, cat_name="Mugs"),
        ev(1, qty=1, price=1.0, product=2, cat=2, cat_name="Bags"),
        ev(1, "view", product=2, cat=2, cat_name="Bags"),
        ev(1, "view", product=3, cat=3, cat_name="Cards"),
    ]
    out, _ = compute(rows, [1])
    aff = {a["name"]: a for a in out[1]["category_affinities"]}
    assert aff["Mugs"]["spend_share"] == pytest.approx(0.9) and aff["Mugs"]["view_share"] == 0
    assert aff["Bags"]["view_share"] == pytest.approx(0.5)
    # two views weigh 0.3 * 2/20 = 3 % against spend
    assert aff["Mugs"]["affinity"] == pytest.approx(0.97 * 0.9)
    assert aff["Cards"]["affinity"] == pytest.approx(0.03 * 0.5)
    assert out[1]["top_interests"] == ["Mugs", "Bags", "Cards"]


def test_a_browser_without_orders_gets_affinities_from_views():
    out, _ = compute(
        [
            ev(1, "view", cat=2, cat_name="Bags"),
            ev(1, "view", product=3, cat=3, cat_name="Cards"),
            ev(1, "view", product=4, cat=3, cat_name="Cards"),
        ],
        [1],
    )
    assert out[1]["top_interests"] == ["Cards", "Bags"]
    assert out[1]["summary"] == (
        "A new customer from France who has not bought anything yet, browsing cards and bags so far."
    )


def test_muted_categories_are_left_out():
    rows = [ev(1, qty=1, price=9.0, cat=1, cat_name="Mugs"), ev(1, qty=1, price=1.0, product=2, cat=2, cat_name="Bags")]
    out, _ = compute(rows, [1], muted={1: {1}})
    assert out[1]["top_interests"] == ["Bags"]
    xmas = [ev(1, name="CHRISTMAS TREE", order=str(m), at=f"2011-{m}-05 09:00") for m in (10, 11)]
    assert compute(xmas, [1])[0][1]["seasonality"] == "christmas"
    assert compute(xmas, [1], muted={1: {1}})[0][1]["seasonality"] == "occasional"
    assert out[1]["monetary"] == pytest.approx(10)


def test_christmas_buyer_and_price_sensitivity():
    rows = [
        ev(1, name="CHRISTMAS BAUBLE", order=str(i), price=1.0, list_price=2.0, at=f"2011-{m}-05 09:00")
        for i, m in enumerate((9, 10, 11))
    ]
    out, _ = compute(rows, [1])
    p = out[1]
    assert p["seasonality"] == "christmas" and p["christmas_share"] == 1.0
    assert p["price_sensitivity"] == 1.0  # paid half the list price every time
    assert "price sensitive" in p["summary"] and "Christmas" in p["summary"]


def test_quintile_scores_put_best_customers_in_five():
    edges = quintile_edges(np.arange(1, 101))
    assert list(quintile_score([1, 50, 100], edges)) == [1, 3, 5]
    assert list(quintile_score([1, 50, 100], edges, higher_is_better=False)) == [5, 3, 1]
    assert list(quintile_score([7, 7], [7, 7, 7, 7])) == [3, 3]  # one customer alone is average
    assert list(quintile_score([1, 2, 3, 6, 9], [1, 2, 3, 6])) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("r", "f", "freq", "segment"),
    [
        (5, 5, 30, "champions"),
        (3, 4, 8, "loyal"),
        (5, 1, 1, "new"),
        (4, 2, 2, "potential"),
        (1, 5, 20, "at_risk"),
        (2, 1, 1, "hibernating"),
        (1, 1, 1, "lost"),
        (0, 0, 0, "new"),
    ],
)
def test_segment_rule(r, f, freq, segment):
    assert segment_for(r, f, freq) == segment


def test_incremental_scoring_uses_the_stored_baseline():
    rows = [
        ev(c, order=f"{c}-{k}", at=f"2011-{1 + c % 11:02d}-0{1 + k} 10:00")
        for c in range(1, 41)
        for k in range(1 + c % 5)
    ]
    batch, baseline = compute(rows, list(range(1, 41)))
    again = Baseline.from_dict(baseline.to_dict())
    one, _ = compute([r for r in rows if r["customer_id"] == 7], [7], baseline=again)
    for field in (
        "segment",
        "r_score",
        "f_score",
        "m_score",
        "cluster",
        "cluster_name",
        "churn_risk",
        "is_price_sensitive",
        "price_position",
    ):
        assert one[7][field] == batch[7][field], field
    assert len(set(p["cluster_name"] for p in batch.values())) >= 2


def test_cluster_names_are_readable_and_distinct():
    names = cluster_names(
        np.array([[2.0, 0, 0.1], [2.0, 0, 0.5], [0, -1.5, 0]]), ["log_monetary", "log_basket_units", "price_position"]
    )
    assert names[0] == "High-spending buyers"
    assert len(set(names)) == 3
    assert names[2] == "Small-basket buyers"


def test_embedding_is_a_unit_vector_leaning_to_recent_purchases():
    e1, e2 = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    rows = [ev(1, product=1, at="2010-12-09 10:00"), ev(1, product=2, order="2", at="2011-12-08 10:00")]
    out, _ = compute(rows, [1], embeddings={1: e1, 2: e2})
    vec = np.frombuffer(out[1]["embedding"], dtype=np.float32)
    assert np.linalg.norm(vec) == pytest.approx(1, abs=1e-5)
    assert vec[1] > vec[0] > 0


def test_summary_reads_like_a_sentence():
    p = dict(
        has_purchases=True,
        is_bulk_buyer=True,
        country="France",
        top_interests=["Christmas decorations"],
        seasonality="christmas",
        is_price_sensitive=True,
        price_band="budget",
        segment="loyal",
        frequency=5,
        monetary=1234.5,
        recency_days=12,
    )
    assert portrait_summarize(p) == (
        "A wholesale buyer from France who buys mostly christmas decorations and is price sensitive, stocking up "
        "for Christmas every autumn. Loyal: 5 orders worth £1,234.50, the last one 12 days ago."
    )

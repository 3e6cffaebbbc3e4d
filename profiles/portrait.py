"""Portrait features from an event log: pure pandas/numpy, no Django.

`portraits_compute` turns a table of events (one row per event, joined with
the product's category and list price) into one dict of portrait fields per
customer. The same function serves the nightly batch (all customers, learns a
new baseline) and the incremental update (one customer, scored against the
stored baseline), so both give the same answer for the same events.

Every dimension is documented in docs/portraits.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from django.utils import dates as django_dates
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from catalog.selectors import category_name
from core.countries import country_name

from . import clv

EVENT_COLUMNS = [
    "customer_id",
    "kind",
    "product_id",
    "product_name",
    "category_id",
    "category_name",
    "list_price",
    "quantity",
    "price",
    "order_number",
    "created_at",
]

BULK_LINE_UNITS = 12  # median units per order line at or above which a buyer is "wholesale-style"
DISCOUNT_RATIO = 0.95  # paid under 95 % of the list price counts as "under discount"
PRICE_SENSITIVE = 0.5  # share of cheap lines that makes a buyer price sensitive until a baseline knows better
PRICE_SENSITIVE_QUANTILE = 0.75  # with a baseline: the top quarter of buyers by that share
PRICE_SENSITIVE_FLOOR = 0.25  # and never under a quarter of the lines
CHURN_MIDPOINT = 2.0  # churn risk is 50 % when the customer is two usual gaps late
CHURN_STEEPNESS = 2.0
DEFAULT_GAP_DAYS = 60.0  # usual gap for customers with one order until the baseline knows better
EMBEDDING_HALF_LIFE_DAYS = 180.0
N_CLUSTERS = 6
VIEW_WEIGHT = 0.3  # most that views count in a category affinity, against spend
VIEWS_FOR_FULL_WEIGHT = 20
AUTUMN_MONTHS = (9, 10, 11, 12)
CHRISTMAS_RE = re.compile(r"christmas|xmas|advent|santa|reindeer|nativity|snowflake|bauble", re.I)

# segment and season names, in the interface language (lazy: read where shown)
SEGMENT_LABELS = {
    "champions": pgettext_lazy("segment", "Champions"),
    "loyal": pgettext_lazy("segment", "Loyal"),
    "potential": pgettext_lazy("segment", "Potential"),
    "new": pgettext_lazy("segment", "New"),
    "at_risk": pgettext_lazy("segment", "At risk"),
    "hibernating": pgettext_lazy("segment", "Hibernating"),
    "lost": pgettext_lazy("segment", "Lost"),
}
SEASON_LABELS = {
    "none": gettext_lazy("No orders yet"),
    "christmas": gettext_lazy(
        "Christmas buyer: most of the spend from September to December, much of it on Christmas lines"
    ),
    "one-off": gettext_lazy("One order so far"),
    "year-round": gettext_lazy("All year round"),
    "occasional": gettext_lazy("Now and then"),
}
# Django's own month and weekday names (translated by Django's catalogs)
MONTHS = [django_dates.MONTHS[m] for m in range(1, 13)]
WEEKDAYS = [django_dates.WEEKDAYS[d] for d in range(7)]

CLUSTER_FEATURES = [
    "log_recency",
    "log_frequency",
    "log_monetary",
    "log_basket_units",
    "price_position",
    "price_sensitivity",
    "autumn_share",
    "log_tenure",
]
# how a cluster centroid far above (+) or below (-) average reads
_CLUSTER_WORDS = {
    ("log_recency", 1): "lapsed",
    ("log_recency", -1): "recently active",
    ("log_frequency", 1): "frequent",
    ("log_frequency", -1): "one-off",
    ("log_monetary", 1): "high-spending",
    ("log_monetary", -1): "low-spending",
    ("log_basket_units", 1): "bulk",
    ("log_basket_units", -1): "small-basket",
    ("price_position", 1): "premium",
    ("price_position", -1): "budget",
    ("price_sensitivity", 1): "bargain-hunting",
    ("price_sensitivity", -1): "full-price",
    ("autumn_share", 1): "Christmas-season",
    ("autumn_share", -1): "spring-summer",
    ("log_tenure", 1): "long-standing",
    ("log_tenure", -1): "newly acquired",
}


@dataclass
class Baseline:
    """What scores one customer against all: learnt by the batch build."""

    recency_edges: list[float] = field(default_factory=list)
    frequency_edges: list[float] = field(default_factory=list)
    monetary_edges: list[float] = field(default_factory=list)
    median_gap_days: float = DEFAULT_GAP_DAYS
    price_sensitivity_cut: float = PRICE_SENSITIVE
    category_price_deciles: dict[str, list[float]] = field(default_factory=dict)
    scaler_mean: list[float] = field(default_factory=list)
    scaler_scale: list[float] = field(default_factory=list)
    centroids: list[list[float]] = field(default_factory=list)
    cluster_names: list[str] = field(default_factory=list)
    cluster_features: list[str] = field(default_factory=lambda: list(CLUSTER_FEATURES))
    clv_params: dict[str, float] = field(default_factory=dict)  # profiles.clv.ClvParams, learnt over all buyers

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Baseline | None:
        if not data:
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# --------------------------------------------------------------------------- scores


def quintile_edges(values: np.ndarray) -> list[float]:
    """Four cut points (20/40/60/80th percentiles) of the values."""
    if len(values) == 0:
        return []
    return [float(x) for x in np.quantile(np.asarray(values, dtype=float), [0.2, 0.4, 0.6, 0.8])]


def quintile_score(values: np.ndarray, edges: list[float], *, higher_is_better: bool = True) -> np.ndarray:
    """1..5 by which quintile a value falls in; 5 is best."""
    values = np.asarray(values, dtype=float)
    if not edges:
        return np.full(values.shape, 3, dtype=int)
    # a value tied with cut points sits in the middle of them (all tied: 3)
    edges = np.asarray(edges)
    rank = (np.searchsorted(edges, values, side="left") + np.searchsorted(edges, values, side="right")) // 2
    return 1 + rank if higher_is_better else 5 - rank


def segment_for(r: int, f: int, frequency: int) -> str:
    """The documented segment rule (docs/portraits.md), first match wins."""
    if frequency == 0:
        return "new"
    if r >= 4 and f >= 4:
        return "champions"
    if r >= 3 and f >= 3:
        return "loyal"
    if r >= 4 and frequency == 1:
        return "new"
    if r >= 3:
        return "potential"
    if f >= 3:
        return "at_risk"
    if r == 2:
        return "hibernating"
    return "lost"


def churn_risk_for(recency_days: float, gap_days: float) -> float:
    """Logistic in 'how many usual gaps late': 12 % at one gap, 50 % at two, 88 % at three."""
    gap = max(gap_days, 1.0)
    return float(1.0 / (1.0 + math.exp(-CHURN_STEEPNESS * (recency_days / gap - CHURN_MIDPOINT))))


def _top(hist: np.ndarray, n: int = 3) -> list[int]:
    order = np.argsort(-hist, kind="stable")
    return [int(i) for i in order[:n] if hist[i] > 0]


# --------------------------------------------------------------------------- main


def empty_events() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in EVENT_COLUMNS})


def portraits_compute(
    *,
    events: pd.DataFrame,
    customers: pd.DataFrame,
    now: pd.Timestamp,
    baseline: Baseline | None = None,
    embeddings: Mapping[int, np.ndarray] | None = None,
    muted: Mapping[int, Iterable[int]] | None = None,
    tz: str = "Europe/London",
    fit_clusters: bool | None = None,
    n_clusters: int = N_CLUSTERS,
    seed: int = 0,
) -> tuple[list[dict[str, Any]], Baseline]:
    """One portrait (a dict of Portrait fields) per row of `customers`.

    events: columns EVENT_COLUMNS; created_at tz-aware; price/list_price floats.
    customers: columns customer_id, country.
    now: the wall clock ("now" for recency, tenure and lifetime value).
    baseline: scales learnt over all customers; None learns a new one from
        these customers (the batch build) and returns it.
    embeddings: product_id -> unit vector (float32); missing products are skipped.
    muted: customer_id -> category ids the customer muted.

    Each step below is one function, one dimension of docs/portraits.md; each
    returns per-customer columns on the customers' index.
    """
    learn = baseline is None if fit_clusters is None else fit_clusters
    now = pd.Timestamp(now)
    if now.tzinfo is None:
        now = now.tz_localize("UTC")
    ev = _events_table(events)
    cust_ids = customers["customer_id"].astype("int64").to_numpy()
    idx = pd.Index(cust_ids, name="customer_id")
    muted = {int(k): {int(c) for c in v} for k, v in (muted or {}).items()}

    purchases = _purchase_lines(ev, tz=tz, muted=muted)
    orders = _orders(purchases)
    f = _basket_features(purchases, orders, idx, now)
    deciles = _category_price_deciles(purchases) if learn else baseline.category_price_deciles
    f = f.join(_price_features(purchases, idx, deciles))
    f = f.join(_season_features(purchases, idx, f["monetary"]))
    f = f.join(_activity_features(ev, idx, now))
    habits = _time_habits(orders, ev, idx, tz)
    counts = ev.groupby(["customer_id", "kind"]).size().unstack(fill_value=0).reindex(idx, fill_value=0)
    spend_month = purchases.groupby(["customer_id", "ym"])["value"].sum()
    affinities = _category_affinities(purchases, ev, muted)
    emb = _embeddings(purchases, now, embeddings, muted)
    if learn:
        baseline = _baseline_learn(f, deciles)
    f["clv_12m"] = _lifetime_value(purchases, idx, now=now, tz=tz, baseline=baseline, learn=learn)
    scores = _rfm_scores(f, baseline)
    clusters = _clusters_assign(f, baseline, learn=learn, n_clusters=n_clusters, seed=seed)
    countries = customers.set_index(customers["customer_id"].astype("int64"))["country"].reindex(idx).fillna("")

    out = []
    for i, (cid, row) in enumerate(zip(cust_ids, f.to_dict("records"))):
        cid = int(cid)
        portrait = _portrait_row(
            cid,
            row,
            now=now,
            baseline=baseline,
            scores=tuple(int(s[i]) for s in scores),
            cluster=int(clusters[i]),
            habits=[h[i] for h in habits],
            affinities=affinities.get(cid, []),
            spend_month=spend_month.loc[cid] if row["frequency"] else None,
            country=str(countries.iat[i]),
            counts=counts.iloc[i],
            embedding=emb.get(cid),
        )
        portrait["summary"] = portrait_summarize(portrait)
        out.append(portrait)
    return out, baseline


def _events_table(events: pd.DataFrame) -> pd.DataFrame:
    ev = events.copy() if len(events) else empty_events()
    ev["created_at"] = pd.to_datetime(ev["created_at"], utc=True)
    for col in ("quantity", "price", "list_price"):
        ev[col] = pd.to_numeric(ev[col], errors="coerce").astype(float)
    ev["customer_id"] = ev["customer_id"].astype("int64")
    return ev


def _purchase_lines(ev: pd.DataFrame, *, tz: str, muted: dict[int, set[int]]) -> pd.DataFrame:
    """Purchase events with their value, order key, local month and the
    Christmas and autumn parts of the value (muted categories are no Christmas)."""
    purchases = ev[(ev["kind"] == "purchase") & ev["quantity"].gt(0) & ev["price"].gt(0)].copy()
    purchases["value"] = purchases["quantity"] * purchases["price"]
    blank = purchases["order_number"].isna() | (purchases["order_number"].astype(str) == "")
    purchases["order_key"] = purchases["order_number"].astype(str)
    purchases.loc[blank, "order_key"] = "t" + purchases.loc[blank, "created_at"].astype("int64").astype(str)
    local_time = purchases["created_at"].dt.tz_convert(tz)
    purchases["month"] = local_time.dt.month
    purchases["ym"] = local_time.dt.strftime("%Y-%m")
    christmas_name = _matches(purchases["product_name"], CHRISTMAS_RE) | _matches(
        purchases["category_name"], CHRISTMAS_RE
    )
    if muted:  # a muted category's lines say nothing about interests, Christmas included
        muted_pairs = pd.MultiIndex.from_tuples([(c, cat) for c, cats in muted.items() for cat in cats])
        is_muted = pd.MultiIndex.from_arrays([purchases["customer_id"], purchases["category_id"]]).isin(muted_pairs)
        christmas_name = christmas_name & ~is_muted
    purchases["christmas_value"] = purchases["value"].where(christmas_name, 0.0)
    purchases["autumn_value"] = purchases["value"].where(purchases["month"].isin(AUTUMN_MONTHS), 0.0)
    return purchases


def _orders(purchases: pd.DataFrame) -> pd.DataFrame:
    """One row per order (basket): time, units, value, lines, days since the previous one."""
    orders = purchases.groupby(["customer_id", "order_key"], sort=False).agg(
        placed=("created_at", "min"), units=("quantity", "sum"), value=("value", "sum"), lines=("quantity", "size")
    )
    orders = orders.reset_index().sort_values(["customer_id", "placed"])
    orders["gap"] = orders.groupby("customer_id")["placed"].diff().dt.total_seconds() / 86400.0
    return orders


def _basket_features(purchases: pd.DataFrame, orders: pd.DataFrame, idx: pd.Index, now) -> pd.DataFrame:
    """RFM inputs and basket habits."""
    by_order = orders.groupby("customer_id")
    by_line = purchases.groupby("customer_id")
    last_purchase = by_line["created_at"].max().reindex(idx)
    return pd.DataFrame(
        {
            "frequency": by_order.size().reindex(idx, fill_value=0),
            "monetary": by_line["value"].sum().reindex(idx, fill_value=0.0),
            "last_purchase": last_purchase,
            "recency": (now - last_purchase).dt.total_seconds() / 86400.0,
            "mean_gap": by_order["gap"].mean().reindex(idx),
            "avg_units": by_order["units"].mean().reindex(idx, fill_value=0.0),
            "avg_value": by_order["value"].mean().reindex(idx, fill_value=0.0),
            "avg_lines": by_order["lines"].mean().reindex(idx, fill_value=0.0),
            "median_line_units": by_line["quantity"].median().reindex(idx, fill_value=0.0),
        },
        index=idx,
    )


def _category_price_deciles(purchases: pd.DataFrame) -> dict[str, list[float]]:
    prices = purchases.drop_duplicates("product_id")[["category_id", "list_price"]].dropna()
    return {
        str(int(cat)): [float(x) for x in np.quantile(grp["list_price"].to_numpy(), np.linspace(0.1, 0.9, 9))]
        for cat, grp in prices.groupby("category_id")
    }


def _price_features(purchases: pd.DataFrame, idx: pd.Index, deciles: dict[str, list[float]]) -> pd.DataFrame:
    """Price position within the category (mean percentile) and sensitivity
    (share of lines bought cheap or under discount). Adds price_pct and cheap
    to `purchases`."""
    pct = np.full(len(purchases), np.nan)
    cats = purchases["category_id"].to_numpy()
    lp = purchases["list_price"].to_numpy()
    for cat in pd.unique(cats):
        if pd.isna(cat) or str(int(cat)) not in deciles:
            continue
        mask = cats == cat
        edges = np.asarray(deciles[str(int(cat))])
        # ties count half below and half above, so a category of one price sits mid-range
        below = np.searchsorted(edges, lp[mask], side="left")
        not_above = np.searchsorted(edges, lp[mask], side="right")
        pct[mask] = (below + not_above) / 20.0 + 0.05
    purchases["price_pct"] = pct
    purchases["cheap"] = (
        (purchases["price_pct"] < 1 / 3) | (purchases["price"] < DISCOUNT_RATIO * purchases["list_price"])
    ).astype(float)
    by_line = purchases.groupby("customer_id")
    return pd.DataFrame(
        {
            "price_position": by_line["price_pct"].mean().reindex(idx),
            "price_sensitivity": by_line["cheap"].mean().reindex(idx, fill_value=0.0),
        },
        index=idx,
    )


def _season_features(purchases: pd.DataFrame, idx: pd.Index, monetary: pd.Series) -> pd.DataFrame:
    by_line = purchases.groupby("customer_id")
    spend = monetary.replace(0, np.nan)
    return pd.DataFrame(
        {
            "autumn_share": (by_line["autumn_value"].sum().reindex(idx, fill_value=0.0) / spend).fillna(0.0),
            "christmas_share": (by_line["christmas_value"].sum().reindex(idx, fill_value=0.0) / spend).fillna(0.0),
            "active_months": by_line["ym"].nunique().reindex(idx, fill_value=0),
        },
        index=idx,
    )


def _activity_features(ev: pd.DataFrame, idx: pd.Index, now) -> pd.DataFrame:
    first_activity = ev.groupby("customer_id")["created_at"].min().reindex(idx)
    return pd.DataFrame(
        {
            "first_activity": first_activity,
            "last_activity": ev.groupby("customer_id")["created_at"].max().reindex(idx),
            "tenure": ((now - first_activity).dt.total_seconds() / 86400.0).fillna(0.0).clip(lower=0),
        },
        index=idx,
    )


def _time_habits(orders: pd.DataFrame, ev: pd.DataFrame, idx: pd.Index, tz: str) -> list[np.ndarray]:
    """Month, weekday and hour histograms: of orders when there are any, else of every event."""
    orders_local = orders["placed"].dt.tz_convert(tz)
    habit = pd.DataFrame({"customer_id": orders["customer_id"].to_numpy(), "t": orders_local.to_numpy()})
    others = ev[~ev["customer_id"].isin(orders["customer_id"].unique())]
    habit = pd.concat(
        [
            habit,
            pd.DataFrame(
                {
                    "customer_id": others["customer_id"].to_numpy(),
                    "t": others["created_at"].dt.tz_convert(tz).to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    habit["t"] = pd.to_datetime(habit["t"], utc=True).dt.tz_convert(tz)
    return [
        _histogram(habit, habit["t"].dt.month - 1, 12, idx),
        _histogram(habit, habit["t"].dt.day_of_week, 7, idx),
        _histogram(habit, habit["t"].dt.hour, 24, idx),
    ]


def _category_affinities(purchases: pd.DataFrame, ev: pd.DataFrame, muted: dict[int, set[int]]) -> dict[int, list]:
    """Per customer, categories by affinity (spend share, views up to 30 %), muted ones left out."""
    spend_cat = purchases.groupby(["customer_id", "category_id", "category_name"])["value"].sum()
    views = ev[ev["kind"] == "view"]
    view_cat = views.groupby(["customer_id", "category_id", "category_name"]).size().astype(float)
    aff = pd.concat([spend_cat.rename("spend"), view_cat.rename("views")], axis=1).fillna(0.0).reset_index()
    if muted and len(aff):
        keep = [int(cat) not in muted.get(int(c), ()) for c, cat in zip(aff["customer_id"], aff["category_id"])]
        aff = aff[np.asarray(keep, dtype=bool)]
    aff["spend_share"] = aff["spend"] / aff.groupby("customer_id")["spend"].transform("sum").replace(0, np.nan)
    aff["view_share"] = aff["views"] / aff.groupby("customer_id")["views"].transform("sum").replace(0, np.nan)
    aff = aff.fillna({"spend_share": 0.0, "view_share": 0.0})
    has_spend = aff.groupby("customer_id")["spend"].transform("sum") > 0
    n_views = aff.groupby("customer_id")["views"].transform("sum")
    # views weigh up to 30 %, reached at VIEWS_FOR_FULL_WEIGHT views: a couple
    # of clicks do not outweigh a year of orders
    view_weight = VIEW_WEIGHT * np.minimum(1.0, n_views / VIEWS_FOR_FULL_WEIGHT)
    aff["affinity"] = np.where(
        has_spend, (1 - view_weight) * aff["spend_share"] + view_weight * aff["view_share"], aff["view_share"]
    )
    aff = aff.sort_values(["customer_id", "affinity"], ascending=[True, False])
    affinities: dict[int, list[dict]] = {}
    for row in aff.itertuples(index=False):
        affinities.setdefault(int(row.customer_id), []).append(
            {
                "category_id": int(row.category_id),
                "name": str(row.category_name),
                "spend_share": round(float(row.spend_share), 4),
                "view_share": round(float(row.view_share), 4),
                "affinity": round(float(row.affinity), 4),
            }
        )
    return affinities


def _baseline_learn(f: pd.DataFrame, deciles: dict[str, list[float]]) -> Baseline:
    """RFM quintile edges, the usual gap and the price-sensitivity cut over all buyers."""
    buyers = f["frequency"].to_numpy() > 0
    gaps = f["mean_gap"].dropna()
    sensitivity = f["price_sensitivity"].to_numpy()[buyers]
    return Baseline(
        recency_edges=quintile_edges(f["recency"].to_numpy()[buyers]),
        frequency_edges=quintile_edges(f["frequency"].to_numpy()[buyers]),
        monetary_edges=quintile_edges(f["monetary"].to_numpy()[buyers]),
        median_gap_days=float(gaps.median()) if len(gaps) else DEFAULT_GAP_DAYS,
        price_sensitivity_cut=float(np.quantile(sensitivity, PRICE_SENSITIVE_QUANTILE))
        if buyers.sum() >= 20
        else PRICE_SENSITIVE,
        category_price_deciles=deciles,
    )


def _lifetime_value(
    purchases: pd.DataFrame, idx: pd.Index, *, now, tz: str, baseline: Baseline, learn: bool
) -> pd.Series:
    """12-month CLV from BG/NBD + Gamma-Gamma (profiles/clv.py): fitted over all
    buyers by the batch build and kept in the baseline for incremental updates."""
    summary = clv.rfm_summary(purchases[["customer_id", "created_at", "value"]], now=now, tz=tz)
    params = None if learn else clv.ClvParams.from_dict(baseline.clv_params)
    if params is None:
        params = clv.clv_fit(summary)
        baseline.clv_params = params.to_dict()
    if not len(summary):
        return pd.Series(0.0, index=idx)
    return clv.clv_predict(params, summary).reindex(idx, fill_value=0.0)


def _rfm_scores(f: pd.DataFrame, baseline: Baseline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        quintile_score(f["recency"].fillna(0).to_numpy(), baseline.recency_edges, higher_is_better=False),
        quintile_score(f["frequency"].to_numpy(), baseline.frequency_edges),
        quintile_score(f["monetary"].to_numpy(), baseline.monetary_edges),
    )


def _clusters_assign(f: pd.DataFrame, baseline: Baseline, *, learn: bool, n_clusters: int, seed: int) -> np.ndarray:
    """Each buyer's nearest centroid (-1 for customers without purchases);
    the batch build fits the centroids first."""
    buyers = f["frequency"].to_numpy() > 0
    feats = pd.DataFrame(
        {
            "log_recency": np.log1p(f["recency"].fillna(0).clip(lower=0)),
            "log_frequency": np.log1p(f["frequency"].astype(float)),
            "log_monetary": np.log1p(f["monetary"].clip(lower=0)),
            "log_basket_units": np.log1p(f["avg_units"].clip(lower=0)),
            "price_position": f["price_position"].fillna(0.5),
            "price_sensitivity": f["price_sensitivity"],
            "autumn_share": f["autumn_share"],
            "log_tenure": np.log1p(f["tenure"]),
        },
        index=f.index,
    )[baseline.cluster_features]
    clusters = np.full(len(f), -1)
    if learn:
        _fit_clusters(baseline, feats.to_numpy()[buyers], n_clusters=n_clusters, seed=seed)
    if baseline.centroids and buyers.any():
        z = (feats.to_numpy()[buyers] - np.asarray(baseline.scaler_mean)) / np.asarray(baseline.scaler_scale)
        d = ((z[:, None, :] - np.asarray(baseline.centroids)[None, :, :]) ** 2).sum(-1)
        clusters[buyers] = d.argmin(1)
    return clusters


def _portrait_row(
    cid: int,
    row: dict,
    *,
    now,
    baseline: Baseline,
    scores: tuple[int, int, int],
    cluster: int,
    habits: list[np.ndarray],
    affinities: list[dict],
    spend_month,
    country: str,
    counts: pd.Series,
    embedding,
) -> dict[str, Any]:
    """One customer's Portrait fields from their feature row."""
    freq = int(row["frequency"])
    rec = None if freq == 0 else max(0, int(row["recency"]))
    gap = row["mean_gap"]
    gap = baseline.median_gap_days if pd.isna(gap) else float(gap)
    churn = churn_risk_for(rec, gap) if rec is not None else 0.0
    r, f, m = scores if freq else (0, 0, 0)
    pp = row["price_position"]
    pp = None if pd.isna(pp) else round(float(pp), 4)
    ps = round(float(row["price_sensitivity"]), 4)
    aut = round(float(row["autumn_share"]), 4)
    xmas = round(float(row["christmas_share"]), 4)
    mh, wh, hh = habits
    return {
        "customer_id": cid,
        "reference_time": now.to_pydatetime(),
        "has_purchases": freq > 0,
        "recency_days": rec,
        "frequency": freq,
        "monetary": round(float(row["monetary"]), 2),
        "r_score": r,
        "f_score": f,
        "m_score": m,
        "segment": segment_for(r, f, freq),
        "clv_12m": round(float(row["clv_12m"]), 2) if freq else 0.0,
        "churn_risk": round(churn, 4),
        "category_affinities": affinities,
        "top_interests": [a["name"] for a in affinities[:3] if a["affinity"] > 0],
        "price_band": "" if pp is None else ("budget" if pp < 1 / 3 else "mid" if pp < 2 / 3 else "premium"),
        "price_position": pp,
        "price_sensitivity": ps,
        "is_price_sensitive": bool(freq > 0 and ps >= max(baseline.price_sensitivity_cut, PRICE_SENSITIVE_FLOOR)),
        "avg_basket_units": round(float(row["avg_units"]), 2),
        "avg_basket_lines": round(float(row["avg_lines"]), 2),
        "avg_basket_value": round(float(row["avg_value"]), 2),
        "median_line_units": float(row["median_line_units"]),
        "is_bulk_buyer": bool(freq > 0 and row["median_line_units"] >= BULK_LINE_UNITS),
        "month_histogram": [int(x) for x in mh],
        "weekday_histogram": [int(x) for x in wh],
        "hour_histogram": [int(x) for x in hh],
        "preferred_months": _top(mh),
        "preferred_weekdays": _top(wh),
        "preferred_hours": _top(hh),
        "seasonality": _seasonality(freq, aut, xmas, int(row["active_months"])),
        "autumn_share": aut,
        "christmas_share": xmas,
        "spend_by_month": {ym: round(float(v), 2) for ym, v in spend_month.items()} if freq else {},
        "country": country,
        "tenure_days": int(row["tenure"]),
        "first_activity": _py(row["first_activity"]),
        "last_activity": _py(row["last_activity"]),
        "last_purchase": _py(row["last_purchase"]),
        "event_counts": {str(k): int(v) for k, v in counts.items() if v},
        "embedding": embedding,
        "cluster": cluster if cluster >= 0 else None,
        "cluster_name": baseline.cluster_names[cluster]
        if 0 <= cluster < len(baseline.cluster_names)
        else ("No purchases yet" if not freq else ""),
    }


def _matches(values: pd.Series, pattern: re.Pattern) -> np.ndarray:
    """pattern.search over a column, once per distinct value."""
    codes, uniques = pd.factorize(values.fillna(""))
    hits = np.fromiter((bool(pattern.search(str(u))) for u in uniques), dtype=bool, count=len(uniques))
    return hits[codes] if len(codes) else np.zeros(0, dtype=bool)


def _py(ts):
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).to_pydatetime()


def _histogram(habit: pd.DataFrame, bucket: pd.Series, n: int, idx: pd.Index) -> np.ndarray:
    if not len(habit):
        return np.zeros((len(idx), n), dtype=int)
    tab = pd.crosstab(habit["customer_id"], bucket.to_numpy())
    tab = tab.reindex(index=idx, columns=range(n), fill_value=0)
    return tab.to_numpy()


def _seasonality(frequency: int, autumn_share: float, christmas_share: float, active_months: int) -> str:
    if frequency == 0:
        return "none"
    if frequency == 1:
        return "one-off"
    if autumn_share >= 0.8 and christmas_share >= 0.25:
        return "christmas"
    if active_months >= 6:
        return "year-round"
    return "occasional"


def _embeddings(purchases: pd.DataFrame, now: pd.Timestamp, embeddings, muted) -> dict[int, bytes]:
    """Time-weighted mean of the bought products' embeddings, unit length, as float32 bytes."""
    if not embeddings or not len(purchases):
        return {}
    ids = np.fromiter(embeddings.keys(), dtype=np.int64)
    matrix = np.stack([np.asarray(embeddings[i], dtype=np.float32) for i in ids])
    pos = pd.Series(np.arange(len(ids)), index=ids)
    p = purchases[purchases["product_id"].isin(ids)]
    if muted:
        keep = [
            int(cat) not in muted.get(int(c), ()) if not pd.isna(cat) else True
            for c, cat in zip(p["customer_id"], p["category_id"])
        ]
        p = p[np.asarray(keep, dtype=bool)]
    if not len(p):
        return {}
    age = (now - p["created_at"]).dt.total_seconds().to_numpy() / 86400.0
    w = np.exp(-np.log(2) * np.clip(age, 0, None) / EMBEDDING_HALF_LIFE_DAYS) * np.log1p(p["quantity"].to_numpy())
    from scipy import sparse

    rows = pos.loc[p["product_id"].astype("int64")].to_numpy()
    codes, uniq = pd.factorize(p["customer_id"])
    weights = sparse.csr_matrix((w, (codes, rows)), shape=(len(uniq), len(ids)))  # duplicates are summed
    acc = np.asarray(weights @ matrix.astype(np.float64))
    norms = np.linalg.norm(acc, axis=1, keepdims=True)
    acc = acc / np.where(norms == 0, 1, norms)
    return {int(c): acc[k].astype(np.float32).tobytes() for k, c in enumerate(uniq)}


def _fit_clusters(baseline: Baseline, x: np.ndarray, *, n_clusters: int, seed: int) -> None:
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    if len(x) < 2:
        baseline.centroids, baseline.cluster_names = [], []
        baseline.scaler_mean, baseline.scaler_scale = [0.0] * x.shape[1], [1.0] * x.shape[1]
        return
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    z = (x - scaler.mean_) / scale
    k = min(n_clusters, len(np.unique(z, axis=0)))
    from threadpoolctl import threadpool_limits

    # one thread: 4k x 8 is small, and OpenMP threads spinning on a busy
    # 2-core box cost more than they save (9 s against under 1 s, measured)
    with threadpool_limits(limits=1):
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z)
    baseline.scaler_mean = [float(v) for v in scaler.mean_]
    baseline.scaler_scale = [float(v) for v in scale]
    baseline.centroids = [[float(v) for v in c] for c in km.cluster_centers_]
    baseline.cluster_names = cluster_names(km.cluster_centers_, baseline.cluster_features)


def cluster_names(centroids: np.ndarray, features: list[str]) -> list[str]:
    """Readable, distinct names from each centroid's two most distinctive features."""
    names: list[str] = []
    for c in np.asarray(centroids):
        order = np.argsort(-np.abs(c))
        words = []
        for j in order:
            word = _CLUSTER_WORDS.get((features[j], 1 if c[j] > 0 else -1))
            if word and abs(c[j]) >= 0.3:
                words.append(word)
            if len(words) == 2:
                break
        base = ", ".join(words) if words else "typical"
        name = f"{base[0].upper()}{base[1:]} buyers"
        for j in order[2:]:
            if name not in names:
                break
            extra = _CLUSTER_WORDS.get((features[j], 1 if c[j] > 0 else -1))
            if extra and extra not in base:
                base = f"{base}, {extra}"
                name = f"{base[0].upper()}{base[1:]} buyers"
        if name in names:
            name = f"{name} ({len(names) + 1})"
        names.append(name)
    return names


# --------------------------------------------------------------------------- text


def portrait_summarize(portrait: Any) -> str:
    """A short plain-language summary of a portrait (a Portrait or a dict of its
    fields), in the active language (the batch build stores the English one;
    the profile page writes it again in the shopper's language). The one place
    the wording comes from: an LLM backend can replace this function and every
    caller follows."""
    p = SimpleNamespace(**portrait) if isinstance(portrait, Mapping) else portrait
    country = getattr(p, "country", "") or ""
    has_country = bool(country) and country.lower() != "unspecified"
    interests = [category_name(str(x)) for x in (p.top_interests or [])][:2]
    if not p.has_purchases:
        browsing = _join(interests).lower()
        if has_country and interests:
            text = _("A new customer from %(country)s who has not bought anything yet, browsing %(interests)s so far.")
        elif has_country:
            text = _("A new customer from %(country)s who has not bought anything yet.")
        elif interests:
            text = _("A new customer who has not bought anything yet, browsing %(interests)s so far.")
        else:
            text = _("A new customer who has not bought anything yet.")
        return text % {"country": country_name(country), "interests": browsing}
    kind = pgettext("buyer", "wholesale") if p.is_bulk_buyer else pgettext("buyer", "retail")
    if has_country:
        subject = _("A %(kind)s buyer from %(country)s") % {"kind": kind, "country": country_name(country)}
    else:
        subject = _("A %(kind)s buyer") % {"kind": kind}
    if interests:
        what = _("buys mostly %(interests)s") % {"interests": _join(interests).lower()}
    else:
        what = _("buys across the range")
    season = {
        "christmas": _(", stocking up for Christmas every autumn"),
        "year-round": _(", ordering all year round"),
        "occasional": _(", ordering now and then"),
        "one-off": _(", with a single order so far"),
    }.get(p.seasonality, "")
    price = _(" and is price sensitive") if p.is_price_sensitive else ""
    if p.price_band == "premium" and not price:
        price = _(" and chooses the dearer lines")
    first = _("%(subject)s who %(what)s%(price)s%(season)s.") % {
        "subject": subject,
        "what": what,
        "price": price,
        "season": season,
    }
    seg = str(SEGMENT_LABELS.get(p.segment, p.segment))
    orders = ngettext("one order", "%(count)s orders", p.frequency) % {"count": p.frequency}
    days = p.recency_days
    if days == 0:
        when = _("today")
    elif days == 1:
        when = _("yesterday")
    else:
        when = ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": days}
    second = _("%(segment)s: %(orders)s worth %(amount)s, the last one %(when)s.") % {
        "segment": seg,
        "orders": orders,
        "amount": f"£{float(p.monetary):,.2f}",
        "when": when,
    }
    return pgettext("two sentences", "%(first)s %(second)s") % {"first": first, "second": second}


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    head = pgettext("list separator", ", ").join(items[:-1])
    return _("%(items)s and %(last)s") % {"items": head, "last": items[-1]}

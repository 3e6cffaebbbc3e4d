"""Reads of the marketing app: an experiment's results per variant with their
statistics (marketing/stats.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from profiles import selectors as profiles_selectors
from recommend import selectors as recommend_selectors

from . import stats
from .models import Assignment, Experiment

PRE_PERIOD_DAYS = 90
RATES = (("clicked", "click-through"), ("added", "add-to-cart rate"), ("converted", "conversion"))


@dataclass
class VariantResult:
    key: str
    is_control: bool
    weight: float
    units: int = 0
    clicked: int = 0
    added: int = 0
    converted: int = 0
    revenue: list[float] = field(default_factory=list)  # per unit
    pre: list[float] = field(default_factory=list)  # per unit, pre-period spend
    slots: int | None = None  # a page experiment's number of slots

    @property
    def rpv(self) -> float:
        return float(np.mean(self.revenue)) if self.revenue else 0.0

    def rate(self, name: str) -> float:
        return getattr(self, name) / self.units if self.units else 0.0


@dataclass
class ExperimentResults:
    experiment: Experiment
    variants: list[VariantResult]
    srm: stats.SrmResult
    horizon_warning: str
    comparisons: list[dict]  # one per treatment: rates, revenue (Welch, bootstrap, CUPED)


def experiment_unit_outcomes(*, experiment: Experiment, until: dt.datetime | None = None) -> dict[str, VariantResult]:
    """Per variant: its units (assigned shoppers) and, for each, whether they
    clicked a recommendation in the experiment's slot (a page experiment: in any
    slot of its page), added to cart, bought, their
    revenue after their first exposure, and their spend in the PRE_PERIOD_DAYS
    before the experiment started (0 for an anonymous session)."""
    until = until or experiment.ends_at or timezone.now()
    start = experiment.starts_at or experiment.created_at
    out = {
        v.key: VariantResult(v.key, v.is_control, v.weight, slots=v.slots)
        for v in experiment.variants.order_by("-is_control", "key")
    }
    rows = list(
        Assignment.objects.filter(experiment=experiment).values_list(
            "variant__key", "customer_id", "session_key", "first_exposed_at"
        )
    )
    if not rows:
        return out
    customer_ids = [c for _, c, _, _ in rows if c is not None]
    session_keys = [s for _, c, s, _ in rows if c is None and s]
    events = profiles_selectors.events_of_shoppers(
        customer_ids=customer_ids,
        session_keys=session_keys,
        kinds=["rec_click", "add_to_cart", "purchase"],
        since=min(r[3] for r in rows),
        until=until,
    )
    by_owner: dict[tuple, list[dict]] = {}
    for e in events:
        owner = ("c", e["customer_id"]) if e["customer_id"] is not None else ("s", e["session_key"])
        by_owner.setdefault(owner, []).append(e)
    pre = profiles_selectors.spend_by_customer(
        customer_ids=customer_ids, since=start - dt.timedelta(days=PRE_PERIOD_DAYS), until=start
    )
    if experiment.slot:
        clicked_slots = {experiment.slot}
    elif experiment.page:
        clicked_slots = set(recommend_selectors.page_slots().get(experiment.page, ()))
    else:
        clicked_slots = None  # any slot
    for variant_key, customer_id, session_key, exposed_at in rows:
        result = out[variant_key]
        owner = ("c", customer_id) if customer_id is not None else ("s", session_key)
        mine = [e for e in by_owner.get(owner, []) if e["created_at"] >= exposed_at]
        result.units += 1
        result.clicked += any(
            e["kind"] == "rec_click" and (clicked_slots is None or e["slot"] in clicked_slots) for e in mine
        )
        result.added += any(e["kind"] == "add_to_cart" for e in mine)
        result.converted += any(e["kind"] == "purchase" for e in mine)
        result.revenue.append(
            sum(float(e["price"] or 0) * float(e["quantity"] or 1) for e in mine if e["kind"] == "purchase")
        )
        result.pre.append(pre.get(customer_id, 0.0) if customer_id is not None else 0.0)
    return out


def experiment_results(
    *, experiment: Experiment, until: dt.datetime | None = None, n_boot: int = 2000
) -> ExperimentResults:
    variants = list(experiment_unit_outcomes(experiment=experiment, until=until).values())
    srm = stats.srm_test([v.units for v in variants], [v.weight for v in variants])
    warning = stats.horizon_check([v.units for v in variants], experiment.planned_units)
    control = next(v for v in variants if v.is_control)
    comparisons = []
    for v in variants:
        if v.is_control or v.units == 0 or control.units == 0:
            continue
        row = {"variant": v.key, "rates": {}}
        for name, label in RATES:
            row["rates"][label] = stats.two_proportion_ztest(
                getattr(control, name), control.units, getattr(v, name), v.units
            )
        if v.units >= 2 and control.units >= 2:
            row["revenue"] = stats.cuped(control.revenue, control.pre, v.revenue, v.pre)
            row["revenue_bootstrap"] = stats.bootstrap_diff(control.revenue, v.revenue, n_boot=n_boot)
        comparisons.append(row)
    return ExperimentResults(experiment, variants, srm, warning, comparisons)


def banners_for(*, customer_id: int | None) -> list[dict]:
    """Home banners for this customer: launched campaigns they are a treatment member of."""
    from .campaigns import banners_for as banners

    return banners(customer_id=customer_id)


def campaign_report(*, campaign) -> dict:
    from .campaigns import campaign_report as report

    return report(campaign=campaign)

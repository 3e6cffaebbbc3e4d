"""A shopper simulator that proves an experiment before real traffic.

Tastes come from real customers' held-out future: the purchases a customer
made in the last `future_days` of the history are their taste (the products
they will buy); those events are removed (inside a transaction that is
rolled back at the end, so the database is left as it was) and the rest of
their history is what the recommender sees. Each simulated shopper logs in and
visits the home page through the real views (Django's test client), sees the
slot of their variant, and acts by this choice model:

    P(click item at position i) = (P_TASTE if the product is in their taste else P_OTHER) / log2(i + 1)
    P(buy | click)              = BUY_TASTE if in taste else BUY_OTHER

A click follows the slot's tracked link (a rec_click event, then the product
page); a purchase adds it to the cart through the cart view and records a
purchase event (price x the quantity they really bought, 1 for other items).
After the run, the experiment is read with the real selectors and statistics,
and the statistics are validated on the simulated outcomes: repeated A/A
splits by the real hash (false-positive rate) and splits with a known injected
lift (interval coverage).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.test import Client, TestCase

from catalog import selectors as catalog_selectors
from profiles import selectors as profiles_selectors
from profiles import services as profiles_services

from . import selectors, services, stats
from .assignment import assign

P_TASTE, P_OTHER = 0.35, 0.02
BUY_TASTE, BUY_OTHER = 0.5, 0.05
SLOT = "home_for_you"
SECTION = re.compile(
    r'<section class="rec-slot[^"]*"[^>]*data-slot="' + SLOT + r'" data-model="([^"]*)"(.*?)</section>', re.S
)
ITEM = re.compile(r'data-product="(\d+)"[^>]*>\s*<a href="([^"]+)"')


class _Rollback(Exception):
    pass


@dataclass
class SimulationResult:
    experiment: dict
    results: object  # selectors.ExperimentResults (read inside the transaction)
    aa_false_positive_rate: float
    aa_runs: int
    coverage_conversion: float
    coverage_revenue: float
    injected: dict
    shoppers: int
    visits: int
    models_seen: dict = field(default_factory=dict)


def simulate(
    *,
    shoppers: int = 200,
    visits: int = 3,
    future_days: int = 60,
    control_model: str = "popularity",
    treatment_model: str = "hybrid",
    aa_runs: int = 500,
    seed: int = 1,
    progress: bool = True,
    on_results=None,
) -> SimulationResult:
    """Run the experiment "treatment_model vs control_model" on the home slot with
    simulated shoppers; everything it writes is rolled back. `on_results(result)`
    runs inside the transaction (to draw the report while the rows exist)."""
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    out: dict = {}
    try:
        with transaction.atomic():
            people = profiles_selectors.customers_with_future(future_days=future_days)
            order = rng.permutation(len(people))[:shoppers]
            people = [people[i] for i in order]
            key = f"sim-{seed}-{treatment_model}-vs-{control_model}"  # the same split on every run of a seed
            experiment = services.experiment_create(
                key=key,
                name=f"Simulated: {treatment_model} vs {control_model} on {SLOT}",
                slot=SLOT,
                variants=[
                    services.VariantSpec("control", 0.5, True, control_model),
                    services.VariantSpec("treatment", 0.5, False, treatment_model),
                ],
            )
            for other in services.running_on_slot(slot=SLOT):
                services.experiment_stop(experiment=other)
            experiment = services.experiment_start(experiment=experiment)
            client = Client(HTTP_HOST="localhost")
            models_seen: dict[str, int] = {}
            bar = tqdm(total=len(people) * visits, desc="simulated visits", unit="visit", disable=not progress)
            for person in people:
                profiles_services.events_delete_since(customer_id=person.customer_id, since=person.cutoff)
                client.force_login(profiles_selectors.customer_user(customer_id=person.customer_id))
                for visit in range(visits):
                    # the pages' after-commit work (cart events) runs now: the outer transaction never commits
                    with TestCase.captureOnCommitCallbacks(execute=True):
                        _visit(client, person, rng, visit, models_seen)
                    bar.update(1)
                client.logout()
            bar.close()
            results = selectors.experiment_results(experiment=experiment)
            aa, cov_c, cov_r, injected = _validate(results, runs=aa_runs, seed=seed)
            result = SimulationResult(
                experiment={
                    "key": key,
                    "name": experiment.name,
                    "control": control_model,
                    "treatment": treatment_model,
                },
                results=results,
                aa_false_positive_rate=aa,
                aa_runs=aa_runs,
                coverage_conversion=cov_c,
                coverage_revenue=cov_r,
                injected=injected,
                shoppers=len(people),
                visits=visits,
                models_seen=models_seen,
            )
            if on_results is not None:
                on_results(result)
            out["result"] = result
            cleanup = (experiment.pk, [person.customer_id for person in people])
            raise _Rollback
    except _Rollback:
        pass
    experiment_id, ids = cleanup
    services.running_cache_clear()
    cache.delete_many([services.assignment_cache_key(experiment_id, f"c:{cid}") for cid in ids])
    return out["result"]


def _visit(client: Client, person, rng, visit: int, models_seen: dict) -> None:
    html = client.get("/").content.decode()
    m = SECTION.search(html)
    if m is None:
        return
    models_seen[m.group(1)] = models_seen.get(m.group(1), 0) + 1
    for pos, (pid, href) in enumerate(ITEM.findall(m.group(2)), start=1):
        pid = int(pid)
        liked = pid in person.taste
        if rng.random() >= (P_TASTE if liked else P_OTHER) / math.log2(pos + 1):
            continue
        client.get(href, follow=True)  # the tracked link: rec_click, then the product page
        if rng.random() >= (BUY_TASTE if liked else BUY_OTHER):
            continue
        quantity = person.taste.get(pid, 1)
        client.post("/cart/add/", {"product": pid, "quantity": quantity})
        product = catalog_selectors.product_get(product_id=pid)
        profiles_services.event_record(
            kind="purchase",
            customer=profiles_selectors.customer_get(customer_id=person.customer_id),
            product=product,
            quantity=quantity,
            price=product.price,
            order_number=f"SIM-{person.customer_id}-{visit}",
        )


def _validate(results, *, runs: int, seed: int):
    """A/A: all simulated shoppers (both arms pooled) split R times by the real hash, the rate of
    p < 0.05 (conversion, two-proportion z). Injected lift: the same splits, each
    treated non-buyer converted with probability q (true lift q·(1 − p)) and
    £δ added to each treated shopper's revenue; how often the 95% interval covers."""
    rng = np.random.default_rng(seed + 1)
    revenue = np.concatenate([np.asarray(v.revenue, dtype=float) for v in results.variants])
    n = len(revenue)
    if n < 20:
        return float("nan"), float("nan"), float("nan"), {}
    conv = revenue > 0  # a purchase always has revenue here (prices are positive)
    base = float(conv.mean())
    q = 0.2
    delta = max(float(revenue.mean()) * 0.2, 0.5)
    fp = covered_c = covered_r = 0
    for r in range(runs):
        side = np.array(
            [
                assign(experiment_key=f"aa-{seed}-{r}", unit=f"u:{i}", traffic=1.0, weights=[("a", 0.5), ("b", 0.5)])
                == "b"
                for i in range(n)
            ]
        )
        if side.all() or not side.any():
            continue
        a, b = conv[~side], conv[side]
        fp += stats.two_proportion_ztest(int(a.sum()), len(a), int(b.sum()), len(b)).p_value < 0.05
        lifted = b | (rng.random(len(b)) < q)
        truth = q * (1 - base)
        z = stats.two_proportion_ztest(int(a.sum()), len(a), int(lifted.sum()), len(b))
        covered_c += z.low <= truth <= z.high
        w = stats.welch_ttest(revenue[~side], revenue[side] + delta)
        covered_r += w.low <= delta <= w.high
    return (
        fp / runs,
        covered_c / runs,
        covered_r / runs,
        {"q": q, "true_conversion_lift": q * (1 - base), "delta": delta},
    )

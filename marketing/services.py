"""Writes of the marketing app: experiment checks and starts, assignments and
their exposure events."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.cache import tolerant_cache
from profiles import services as profiles_services
from recommend import selectors as recommend_selectors

from .assignment import assign
from .errors import ExperimentInvalid
from .models import Assignment, Experiment, Variant

if TYPE_CHECKING:
    from profiles.models import Customer
    from profiles.selectors import Shopper

RUNNING_CACHE_KEY = "mkt:2:running"  # 2: rows carry the page
NOT_IN = "-"


@dataclass(frozen=True)
class VariantSpec:
    key: str
    weight: float
    is_control: bool = False
    model: str = ""
    n: int | None = None
    slots: int | None = None  # a page experiment: how many recommendation slots the page shows


def experiment_validate(*, experiment: Experiment, variants: list[VariantSpec]) -> None:
    """Raise ExperimentInvalid with the first problem an operator must fix."""
    if not 0 < experiment.traffic <= 1:
        raise ExperimentInvalid(f"traffic share must be above 0 and at most 1, not {experiment.traffic}")
    if experiment.starts_at and experiment.ends_at and experiment.ends_at <= experiment.starts_at:
        raise ExperimentInvalid("the experiment must end after it starts")
    if experiment.slot and experiment.slot not in recommend_selectors.slot_names():
        raise ExperimentInvalid(f"unknown slot {experiment.slot!r}")
    pages = recommend_selectors.page_slots()
    if experiment.page and experiment.slot:
        raise ExperimentInvalid("an experiment varies one slot or the number of slots on one page, not both")
    if experiment.page and experiment.page not in pages:
        raise ExperimentInvalid(f"unknown page {experiment.page!r}; pages: {', '.join(pages)}")
    if len(variants) < 2:
        raise ExperimentInvalid("an experiment needs at least two variants (a control and a treatment)")
    keys = [v.key for v in variants]
    if len(set(keys)) != len(keys):
        raise ExperimentInvalid("variant keys must differ")
    if any(not 0 < v.weight <= 1 for v in variants):
        raise ExperimentInvalid("every variant weight must be above 0 and at most 1")
    total = sum(v.weight for v in variants)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ExperimentInvalid(f"variant weights must sum to 1, not {total:g}")
    if sum(v.is_control for v in variants) != 1:
        raise ExperimentInvalid("exactly one variant must be the control")
    known = {*recommend_selectors.model_families(), "popularity"}
    for v in variants:
        if v.model and v.model not in known:
            raise ExperimentInvalid(f"variant {v.key}: unknown model {v.model!r}; known: {', '.join(sorted(known))}")
        if (v.model or v.n) and not experiment.slot:
            raise ExperimentInvalid(f"variant {v.key} sets a model or a size, so the experiment needs a slot")
        if v.slots is not None and not experiment.page:
            raise ExperimentInvalid(f"variant {v.key} sets a number of slots, so the experiment needs a page")
        if experiment.page:
            most = len(pages[experiment.page])
            if v.slots is None:
                raise ExperimentInvalid(
                    f"variant {v.key}: a page experiment needs the number of slots of every variant (0 to {most})"
                )
            if not 0 <= v.slots <= most:
                raise ExperimentInvalid(
                    f"variant {v.key}: {v.slots} slots is out of range: the {experiment.page} page has 0 to {most}"
                )
    if experiment.status == Experiment.Status.RUNNING and (experiment.slot or experiment.page):
        where = {"slot": experiment.slot} if experiment.slot else {"page": experiment.page}
        others = Experiment.objects.filter(status=Experiment.Status.RUNNING, **where).exclude(pk=experiment.pk)
        for other in others:
            if _overlap(experiment, other):
                what = f"slot {experiment.slot}" if experiment.slot else f"page {experiment.page}"
                raise ExperimentInvalid(f"experiment {other.key!r} is already running on {what}; stop it first")


def _overlap(a: Experiment, b: Experiment) -> bool:
    far_past, far_future = dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC)
    return (a.starts_at or far_past) < (b.ends_at or far_future) and (b.starts_at or far_past) < (
        a.ends_at or far_future
    )


def _specs(experiment: Experiment) -> list[VariantSpec]:
    return [VariantSpec(v.key, v.weight, v.is_control, v.model, v.n, v.slots) for v in experiment.variants.all()]


def experiment_create(
    *,
    key: str,
    name: str,
    variants: list[VariantSpec],
    slot: str = "",
    page: str = "",
    traffic: float = 1.0,
    **fields: Any,
) -> Experiment:
    """A draft experiment with its variants, validated first (nothing stored when invalid).
    slot: a slot experiment (variants set model / n); page: a page experiment (variants set slots)."""
    experiment = Experiment(key=key, name=name, slot=slot, page=page, traffic=traffic, **fields)
    experiment_validate(experiment=experiment, variants=variants)
    with transaction.atomic():
        experiment.save()
        Variant.objects.bulk_create(
            [Variant(experiment=experiment, **spec.__dict__) for spec in variants],
        )
    running_cache_clear()
    return experiment


def experiment_start(*, experiment: Experiment) -> Experiment:
    with transaction.atomic():
        experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
        experiment.status = Experiment.Status.RUNNING
        experiment_validate(experiment=experiment, variants=_specs(experiment))
        if experiment.starts_at is None:
            experiment.starts_at = timezone.now()
        experiment.save(update_fields=["status", "starts_at"])
    running_cache_clear()
    return experiment


def experiment_stop(*, experiment: Experiment) -> Experiment:
    experiment.status = Experiment.Status.STOPPED
    if experiment.ends_at is None or experiment.ends_at > timezone.now():
        experiment.ends_at = timezone.now()
    experiment.save(update_fields=["status", "ends_at"])
    running_cache_clear()
    return experiment


def running_on_slot(*, slot: str) -> list[Experiment]:
    return list(Experiment.objects.filter(status=Experiment.Status.RUNNING, slot=slot))


def running_cache_clear() -> None:
    tolerant_cache.delete(RUNNING_CACHE_KEY)


def running_experiments() -> list[dict]:
    """The running experiments as plain dicts (cached 30 s; cleared on every change)."""
    rows = tolerant_cache.get(RUNNING_CACHE_KEY)
    if rows is None:
        rows = [
            {
                "id": e.pk,
                "key": e.key,
                "slot": e.slot,
                "page": e.page,
                "traffic": e.traffic,
                "starts_at": e.starts_at,
                "ends_at": e.ends_at,
                "variants": [(v.pk, v.key, v.weight, v.config) for v in e.variants.all()],
            }
            for e in Experiment.objects.filter(status=Experiment.Status.RUNNING).prefetch_related("variants")
        ]
        tolerant_cache.set(RUNNING_CACHE_KEY, rows, 30)
    return rows


def _unit(shopper: Shopper) -> str | None:
    if shopper.customer_id is not None:
        return f"c:{shopper.customer_id}"
    return f"s:{shopper.session_key}" if shopper.session_key else None


def assignment_cache_key(experiment_id: int, unit: str) -> str:
    return f"mkt:1:as:{experiment_id}:{unit}"


def assignment_for(*, experiment: dict, shopper: Shopper, now: dt.datetime | None = None) -> tuple[int, str] | None:
    """(variant id, variant key) of this shopper in a running experiment, or None
    (outside its dates or traffic share, or no session to hash). The first time,
    the assignment row and one `exposure` event are written; after that, one
    cache read. A customer keeps the variant their anonymous session had."""
    now = now or timezone.now()
    if (experiment["starts_at"] and now < experiment["starts_at"]) or (
        experiment["ends_at"] and now >= experiment["ends_at"]
    ):
        return None
    unit = _unit(shopper)
    if unit is None:
        return None
    cache_key = assignment_cache_key(experiment["id"], unit)
    cached = tolerant_cache.get(cache_key)
    if cached is not None:
        return None if cached == NOT_IN else tuple(cached)
    found = _assignment_find(experiment_id=experiment["id"], shopper=shopper)
    if found is None:
        key = assign(
            experiment_key=experiment["key"],
            unit=unit,
            traffic=experiment["traffic"],
            weights=[(k, w) for _, k, w, _ in experiment["variants"]],
        )
        if key is None:
            tolerant_cache.set(cache_key, NOT_IN, 3600)
            return None
        variant_id = next(vid for vid, k, _, _ in experiment["variants"] if k == key)
        found = _assignment_create(experiment=experiment, variant_id=variant_id, shopper=shopper, now=now)
    result = (found.variant_id, next(k for vid, k, _, _ in experiment["variants"] if vid == found.variant_id))
    tolerant_cache.set(cache_key, list(result), 3600)
    return result


def _assignment_find(*, experiment_id: int, shopper: Shopper) -> Assignment | None:
    if shopper.customer_id is not None:
        found = Assignment.objects.filter(experiment_id=experiment_id, customer_id=shopper.customer_id).first()
        if found is None and shopper.session_key:  # logged in since; the login receiver may not have run
            found = Assignment.objects.filter(
                experiment_id=experiment_id, session_key=shopper.session_key, customer__isnull=True
            ).first()
            if found is not None:
                found.customer_id = shopper.customer_id
                found.save(update_fields=["customer"])
        return found
    return Assignment.objects.filter(
        experiment_id=experiment_id, session_key=shopper.session_key, customer__isnull=True
    ).first()


def _assignment_create(*, experiment: dict, variant_id: int, shopper: Shopper, now: dt.datetime) -> Assignment:
    owner = {"customer_id": shopper.customer_id} if shopper.customer_id is not None else {}
    try:
        with transaction.atomic():
            row = Assignment.objects.create(
                experiment_id=experiment["id"],
                variant_id=variant_id,
                session_key=shopper.session_key,
                first_exposed_at=now,
                **owner,
            )
            variant_key = next(k for vid, k, _, _ in experiment["variants"] if vid == variant_id)
            data = {"experiment": experiment["key"], "variant": variant_key}
            if experiment.get("page"):
                data["page"] = experiment["page"]
            profiles_services.event_record(
                kind="exposure",
                slot=experiment["slot"],
                data=data,
                created_at=now,
                **shopper.event_owner(),
            )
            return row
    except IntegrityError:  # a parallel request assigned them first: theirs stands
        return _assignment_find(experiment_id=experiment["id"], shopper=shopper)


def assignments_attach_session(*, session_key: str, customer: Customer) -> int:
    """At login: the anonymous session's assignments become the customer's, except
    in experiments where the customer already has one (theirs stands)."""
    if not session_key:
        return 0
    moved = 0
    taken = set(Assignment.objects.filter(customer=customer).values_list("experiment_id", flat=True))
    for row in Assignment.objects.filter(session_key=session_key, customer__isnull=True).exclude(
        experiment_id__in=taken
    ):
        row.customer = customer
        row.save(update_fields=["customer"])
        tolerant_cache.delete(assignment_cache_key(row.experiment_id, f"c:{customer.pk}"))
        moved += 1
    return moved


def slot_variant(*, slot: str, shopper: Shopper) -> dict | None:
    """The hook recommend's serving calls per slot (set in MarketingConfig.ready):
    the model / size of this shopper's variant in the experiment running on the slot;
    asked with a page's name, the number of slots of their variant in the page experiment."""
    for experiment in running_experiments():
        if slot not in (experiment["slot"], experiment.get("page")) or not slot:
            continue
        got = assignment_for(experiment=experiment, shopper=shopper)
        if got is None:
            return None
        config = next(c for vid, _, _, c in experiment["variants"] if vid == got[0])
        return {**config, "experiment": experiment["key"], "variant": got[1]}
    return None


def my_experiments(*, shopper: Shopper) -> list[dict]:
    """Every running experiment this shopper is in, with their variant (assigns on first ask)."""
    out = []
    for experiment in running_experiments():
        got = assignment_for(experiment=experiment, shopper=shopper)
        if got is not None:
            config = next(c for vid, _, _, c in experiment["variants"] if vid == got[0])
            out.append(
                {
                    "experiment": experiment["key"],
                    "slot": experiment["slot"],
                    "page": experiment["page"],
                    "variant": got[1],
                    **config,
                }
            )
    return out


# campaigns (implemented in marketing/campaigns.py)
from .campaigns import (  # noqa: E402, F401  (the public names of marketing/campaigns.py)
    CampaignInvalid,
    campaign_launch,
    campaign_send,
    customer_unsubscribe,
)

"""Writes of the recommend app: training runs, promotion, rollback, trending.

A training run snapshots the interactions once, then for each model family:
evaluates a fresh model with the harness on the temporal protocol's
validation split (carved from the training period, the test split is never
read here), fits another on all the data for serving, saves the artifact into
a temporary folder and renames it into place only when complete, records a
`ModelVersion`, and promotes it if it does not regress. Whatever goes wrong
with one model marks its row failed and leaves the active version serving.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from recommend.ml.base import Recommender, build_model, config_check, tuned_config
from recommend.ml.data import InteractionData
from recommend.ml.device import DEFAULT_DEVICE, device_check, resolve_device
from recommend.ml.device import DEVICES as DEVICES  # the choices of the admin's retrain form

from . import selectors
from .models import ModelVersion

logger = logging.getLogger(__name__)

TRENDING_MODEL = "pop_recent"
TMP_PREFIX = ".tmp-"


# -- settings (read at call time, so tests and operators can change them) --------
def train_time_limits() -> tuple[int, int]:
    """(soft, hard) seconds a training task may run; the hard one also decides
    when a row still "training" is stale (its worker is gone)."""
    # Both stay under Redis' visibility timeout (1 h by default), after which an
    # unacknowledged (acks_late) task would be delivered to a second worker.
    soft = int(getattr(settings, "RECOMMEND_TRAIN_SOFT_TIME_LIMIT", 45 * 60))
    hard = int(getattr(settings, "RECOMMEND_TRAIN_TIME_LIMIT", soft + 5 * 60))
    return soft, hard


def _keep_versions() -> int:
    return int(getattr(settings, "RECOMMEND_KEEP_VERSIONS", 5))


def embedding_cache_dir() -> Path:
    """Where the sentence encoder keeps product text vectors (shared with profiles' portraits)."""
    return Path(settings.ARTIFACTS_DIR) / "embeddings"


# -- helpers -----------------------------------------------------------------------
def _json_safe(value: Any) -> Any:
    """Round-trip through JSON so numpy scalars and arrays become plain values."""

    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    return json.loads(json.dumps(value, default=default))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(float(ts), tz=UTC).isoformat()


def snapshot_summary(data: InteractionData) -> dict[str, Any]:
    """What the models were trained on: sizes, time range and a content hash
    (two snapshots with the same hash hold the same interactions)."""
    h = hashlib.sha256()
    for arr in (data.user, data.item, data.time, data.quantity):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(json.dumps([str(x) for x in data.item_ids.tolist()]).encode())
    h.update(json.dumps([str(x) for x in data.user_ids.tolist()]).encode())
    n = data.n_interactions
    return {
        "users": int(data.n_users),
        "items": int(data.n_items),
        "interactions": int(n),
        "time_min": _iso(data.time.min()) if n else None,
        "time_max": _iso(data.time.max()) if n else None,
        "sha256": h.hexdigest(),
        "taken_at": timezone.now().isoformat(),
    }


def new_version_id() -> str:
    return f"{timezone.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


def _config_check(config: Mapping[str, Mapping[str, Any]] | None) -> None:
    for name, cfg in (config or {}).items():
        config_check(name, cfg)


def _validate_models(models: Sequence[str] | None) -> list[str]:
    classes = selectors.model_classes()
    names = list(dict.fromkeys(models)) if models else list(classes)
    unknown = [n for n in names if n not in classes]
    if unknown:
        raise ValueError(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(sorted(classes))}")
    if not names:
        raise ValueError("no models are registered")
    return names


class _TqdmProgress:
    """A Recommender progress callback: one tqdm bar per model, showing the
    current stage ("epoch 3/10", "tune l2 2/5", ...)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, desc=f"fit {self.label}", leave=False)
        self.bar.set_description(f"fit {self.label}: {stage}", refresh=False)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- the training run ------------------------------------------------------------
def model_version_train(
    *,
    models: Sequence[str] | None = None,
    device: str = DEFAULT_DEVICE,
    force: bool = False,
    run_id: str | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
) -> list[ModelVersion]:
    """Train, evaluate, save and (if it does not regress) promote each model.

    models: registry names (default: all). device: auto|cpu|cuda, resolved here
    once (auto: CUDA when present), passed to the models that take one and
    recorded on each ModelVersion. force: promote even if validation NDCG@10
    regresses. run_id: the idempotency key (the Celery task id); a model that
    this run already trained is not trained again, and a row this run left
    "training" (its worker died) is marked failed and trained anew.
    config: extra config per model name. Returns this run's versions."""
    names = _validate_models(models)
    stray = sorted(set(config or {}) - set(names))
    if stray:
        raise ValueError(f"config given for model(s) not in this run: {', '.join(stray)}")
    _config_check(config)
    resolved_device = resolve_device(device)  # bad input stops here, before any write
    run_id = run_id or uuid.uuid4().hex
    model_version_fail_stale()

    done = {
        v.name: v
        for v in ModelVersion.objects.filter(
            run_id=run_id,
            name__in=names,
            status__in=[ModelVersion.Status.READY, ModelVersion.Status.ACTIVE, ModelVersion.Status.RETIRED],
        )
    }
    for row in ModelVersion.objects.filter(run_id=run_id, status=ModelVersion.Status.TRAINING):
        _mark_failed(row, "interrupted: the worker running it was lost; the run was delivered again")
    todo = [n for n in names if n not in done]
    if not todo:
        return list(done.values())

    data = _snapshot()
    snapshot = snapshot_summary(data)
    logger.info(
        "retrain run %s: %s on %s (%s interactions)", run_id, ", ".join(todo), resolved_device, snapshot["interactions"]
    )
    versions = list(done.values())
    outer = None
    if progress:
        from tqdm import tqdm

        outer = tqdm(todo, desc="retrain", unit="model")
    try:
        for name in todo:
            if outer is not None:
                outer.set_postfix_str(name)
            versions.append(
                _train_one(
                    name=name,
                    data=data,
                    snapshot=snapshot,
                    cfg=dict((config or {}).get(name, {})),
                    device=resolved_device,
                    run_id=run_id,
                    force=force,
                    evaluate=True,
                    progress=progress,
                )
            )
            if outer is not None:
                outer.update(1)
    finally:
        if outer is not None:
            outer.close()
    return versions


def _snapshot(until: datetime | None = None) -> InteractionData:
    from recommend.snapshot import store_interactions

    data = store_interactions(until=until)
    if data.n_interactions == 0:
        raise ValueError("there are no purchases to train on (import the data first)")
    return data


def _validation_metrics(name: str, factory, data: InteractionData, progress: bool) -> tuple[dict, dict]:
    """The harness on the temporal validation split: (metrics, the config the model was fitted with)."""
    from recommend.evaluation import run_evaluation

    result = run_evaluation(data, {name: factory}, protocol="temporal", split="validation", progress=progress)
    metrics = dict(result["models"][name])
    fitted = metrics.pop("config", {})
    explore = (result.get("explore") or {}).get(name)
    if explore:
        metrics["explore"] = explore
    metrics["protocol"] = result.get("protocol", {})
    metrics["split"] = "validation"
    return _json_safe(metrics), fitted


def _train_one(
    *,
    name: str,
    data: InteractionData,
    snapshot: dict,
    cfg: dict,
    device: str,
    run_id: str,
    force: bool,
    evaluate: bool,
    progress: bool,
    notes: str = "",
) -> ModelVersion:
    cls: type[Recommender] = selectors.model_classes()[name]
    version_id = new_version_id()
    row = ModelVersion.objects.create(
        name=name,
        version=version_id,
        run_id=run_id,
        status=ModelVersion.Status.TRAINING,
        config=_json_safe(cfg),
        snapshot=snapshot,
        device=device,
        notes=notes,
    )
    root = selectors.artifacts_root() / name
    final, tmp = root / version_id, root / f"{TMP_PREFIX}{version_id}"
    started = time.monotonic()
    bar = _TqdmProgress(name) if progress else None
    runtime = {"device": device, "cache_dir": embedding_cache_dir()}
    try:
        serving_cfg = dict(cfg)
        metrics = {}
        if evaluate:
            metrics, fitted = _validation_metrics(name, lambda: build_model(cls, cfg, **runtime), data, progress)
            # hyperparameters the validation fit tuned itself (EASE's l2, the hybrid's base settings)
            # are kept: the served model has the settings its metrics were measured with, tuned once
            serving_cfg = tuned_config(cls.defaults, fitted, cfg)
        fit_started = time.monotonic()
        model = build_model(cls, serving_cfg, **runtime).fit(data, progress=bar)
        if evaluate:
            metrics["serving_fit_seconds"] = round(time.monotonic() - fit_started, 3)
        tmp.mkdir(parents=True, exist_ok=False)
        model.save(tmp)
        _write_json(tmp / "item_ids.json", [str(x) for x in data.item_ids.tolist()])
        _write_json(tmp / "user_ids.json", _json_safe(data.user_ids.tolist()))
        _write_json(tmp / "metrics.json", metrics)
        _write_json(tmp / "snapshot.json", snapshot)
        _write_json(
            tmp / "version.json",
            {
                "name": name,
                "version": version_id,
                "run_id": run_id,
                "device": device,
                "config": _json_safe(model.config),
            },
        )
        os.replace(tmp, final)  # atomic on one file system: the folder is whole or absent
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _mark_failed(row, "".join(traceback.format_exception(exc)), duration=time.monotonic() - started)
        logger.exception("training %s failed", name)
        if isinstance(exc, SoftTimeLimitExceeded):
            raise
        return row
    finally:
        if bar is not None:
            bar.close()
    row.status = ModelVersion.Status.READY
    row.metrics = metrics
    row.config = _json_safe(model.config)
    row.artifact_path = f"{name}/{version_id}"
    row.duration_seconds = time.monotonic() - started
    row.finished_at = timezone.now()
    row.save(update_fields=["status", "metrics", "config", "artifact_path", "duration_seconds", "finished_at"])
    row = model_version_promote(version=version_id, force=force)
    model_version_prune(name=name)
    return row


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2))


def _mark_failed(row: ModelVersion, error: str, *, duration: float | None = None) -> None:
    row.status = ModelVersion.Status.FAILED
    row.error = error[-20000:]
    row.finished_at = timezone.now()
    if duration is not None:
        row.duration_seconds = duration
    row.save(update_fields=["status", "error", "finished_at", "duration_seconds"])
    shutil.rmtree(selectors.artifacts_root() / row.name / f"{TMP_PREFIX}{row.version}", ignore_errors=True)


def model_version_fail_stale(*, older_than: timedelta | None = None) -> int:
    """Rows still "training" after the hard time limit belong to a worker that
    was killed or timed out: mark them failed and remove their temporary
    folders. Returns how many rows it marked."""
    limit = older_than if older_than is not None else timedelta(seconds=train_time_limits()[1])
    stale = list(
        ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING, created_at__lt=timezone.now() - limit)
    )
    for row in stale:
        _mark_failed(row, f"stale: still training after {limit}; its worker was killed or timed out")
    return len(stale)


# -- promotion and rollback --------------------------------------------------------
def promotion_decision(candidate: ModelVersion, active: ModelVersion | None) -> tuple[bool, str]:
    """Whether the candidate may replace the active version, and why.

    Rule: validation NDCG@10 of the candidate ≥ the active one's minus the noise,
    the noise being the larger half-width of the two 95% bootstrap CIs."""
    if active is None:
        return True, "no active version"
    new, old = candidate.ndcg10, active.ndcg10
    if old is None:
        return True, f"active {active.version} has no validation NDCG@10"
    if new is None:
        return False, "no validation NDCG@10 to compare with the active version"
    noise = max(candidate.ndcg10_half_width, active.ndcg10_half_width)
    text = f"NDCG@10 {new:.4f} vs active {old:.4f} (noise ±{noise:.4f})"
    if new >= old - noise:
        return True, f"not worse beyond noise: {text}"
    return False, f"regression: {text}"


def model_version_promote(*, version: str, force: bool = False) -> ModelVersion:
    """Make a trained version the active one of its family, if it does not
    regress (or if forced). Atomic: the active row is locked, demoted and the
    candidate promoted in one transaction. Returns the candidate (status
    "active" when promoted, unchanged with the reason in notes otherwise)."""
    try:
        with transaction.atomic():
            candidate = ModelVersion.objects.select_for_update().get(version=version)
            if candidate.status == ModelVersion.Status.ACTIVE:
                return candidate
            if candidate.status not in (ModelVersion.Status.READY, ModelVersion.Status.RETIRED):
                raise ValueError(f"{candidate} cannot be promoted: only trained versions can")
            if selectors.artifact_dir(candidate) is None:
                raise ValueError(f"{candidate} has no artifact folder to serve from")
            active = (
                ModelVersion.objects.select_for_update()
                .filter(name=candidate.name, status=ModelVersion.Status.ACTIVE)
                .first()
            )
            ok, reason = promotion_decision(candidate, active)
            if not ok and not force:
                candidate.notes = _add_note(candidate.notes, f"not promoted: {reason}")
                candidate.save(update_fields=["notes"])
                return candidate
            now = timezone.now()
            if active is not None:
                active.status = ModelVersion.Status.RETIRED
                active.notes = _add_note(active.notes, f"replaced by {candidate.version} at {now:%Y-%m-%d %H:%M}")
                active.save(update_fields=["status", "notes"])
            candidate.status = ModelVersion.Status.ACTIVE
            candidate.activated_at = candidate.activated_at or now
            candidate.notes = _add_note(candidate.notes, f"promoted{' (forced)' if force and not ok else ''}: {reason}")
            candidate.save(update_fields=["status", "activated_at", "notes"])
            return candidate
    except ModelVersion.DoesNotExist:
        raise ValueError(f"no model version {version!r}") from None
    except IntegrityError as exc:  # the partial unique constraint: another promotion won the race
        raise ValueError(f"another version of this model was promoted at the same time: {exc}") from exc


def model_version_rollback(*, name: str, to_version: str | None = None) -> ModelVersion:
    """Serve the version that served before the active one (or `to_version`).

    The active version is retired; the target must still have its artifact."""
    with transaction.atomic():
        active = ModelVersion.objects.select_for_update().filter(name=name, status=ModelVersion.Status.ACTIVE).first()
        candidates = ModelVersion.objects.select_for_update().filter(name=name).exclude(artifact_path="")
        if to_version:
            target = candidates.filter(version=to_version).first()
            if target is None:
                raise ValueError(f"no version {to_version!r} of {name!r} with an artifact")
        else:
            earlier = candidates.filter(
                status__in=[ModelVersion.Status.RETIRED, ModelVersion.Status.READY], activated_at__isnull=False
            )
            if active is not None:
                earlier = earlier.filter(created_at__lt=active.created_at)
            target = earlier.order_by("-created_at", "-id").first()
            if target is None:
                raise ValueError(f"{name!r} has no earlier version to roll back to")
        if target.status not in (ModelVersion.Status.READY, ModelVersion.Status.RETIRED):
            raise ValueError(f"{target} cannot serve (status {target.status})")
        if selectors.artifact_dir(target) is None:
            raise ValueError(f"{target} has lost its artifact folder")
        now = timezone.now()
        if active is not None:  # demote first: the constraint allows one active row at a time
            active.status = ModelVersion.Status.RETIRED
            active.notes = _add_note(active.notes, f"rolled back to {target.version} at {now:%Y-%m-%d %H:%M}")
            active.save(update_fields=["status", "notes"])
        target.status = ModelVersion.Status.ACTIVE
        target.activated_at = target.activated_at or now
        target.notes = _add_note(target.notes, f"reactivated by rollback at {now:%Y-%m-%d %H:%M}")
        target.save(update_fields=["status", "activated_at", "notes"])
        return target


def _add_note(notes: str, line: str) -> str:
    return f"{notes}\n{line}".strip()


def model_version_prune(*, name: str, keep: int | None = None) -> int:
    """Delete the artifact folders of old versions of a family, keeping the
    active one and the `keep` newest others (rollback targets). Rows stay, as
    history. Also removes temporary folders of runs that are no longer
    training. Returns how many folders it removed."""
    keep = _keep_versions() if keep is None else keep
    removed = 0
    others = (
        ModelVersion.objects.filter(name=name)
        .exclude(artifact_path="")
        .exclude(status=ModelVersion.Status.ACTIVE)
        .order_by("-created_at", "-id")
    )
    for row in list(others[keep:]):
        shutil.rmtree(selectors.artifacts_root() / row.artifact_path, ignore_errors=True)
        row.artifact_path = ""
        row.notes = _add_note(row.notes, "artifact pruned")
        row.save(update_fields=["artifact_path", "notes"])
        removed += 1
    root = selectors.artifacts_root() / name
    if root.is_dir():
        training = set(
            ModelVersion.objects.filter(name=name, status=ModelVersion.Status.TRAINING).values_list(
                "version", flat=True
            )
        )
        for tmp in root.glob(f"{TMP_PREFIX}*"):
            if tmp.name[len(TMP_PREFIX) :] not in training:
                shutil.rmtree(tmp, ignore_errors=True)
                removed += 1
    return removed


# -- queueing and trending ---------------------------------------------------------
def model_version_train_request(
    *,
    models: Sequence[str] | None = None,
    device: str = DEFAULT_DEVICE,
    force: bool = False,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """Queue a training run on the "ml" queue once the current transaction
    commits. Returns the run id (also the Celery task id)."""
    names = _validate_models(models)
    _config_check(config)
    device_check(device)  # resolved on the ml worker, which may have the GPU this machine lacks
    from .tasks import model_version_train

    run_id = uuid.uuid4().hex
    kwargs = {
        "models": names if models else None,
        "device": device,
        "force": force,
        "run_id": run_id,
        "config": _json_safe(dict(config or {})),
    }
    transaction.on_commit(lambda: model_version_train.apply_async(kwargs=kwargs, task_id=run_id))
    return run_id


def trending_refresh(*, run_id: str | None = None) -> ModelVersion:
    """Refit the time-decayed popularity model ("pop_recent") on the latest
    purchases and serve it at once: no evaluation, it is cheap and fresh
    trending beats a measured but stale one."""
    if TRENDING_MODEL not in selectors.model_classes():
        raise ValueError(f"the trending model {TRENDING_MODEL!r} is not registered")
    run_id = run_id or uuid.uuid4().hex
    data = _snapshot()
    row = _train_one(
        name=TRENDING_MODEL,
        data=data,
        snapshot=snapshot_summary(data),
        cfg={},
        device="cpu",
        run_id=run_id,
        force=True,
        evaluate=False,
        progress=False,
        notes="trending refresh (not evaluated)",
    )
    if row.status == ModelVersion.Status.FAILED:
        raise RuntimeError(f"trending refresh failed: {row.error.strip().splitlines()[-1]}")
    return row


def slot_variant_resolver_set(*, resolver) -> None:
    """Let a higher app (marketing's experiments) choose, per slot and shopper, the
    model ("popularity" or a model family) or the number of items behind a
    recommendation slot: `resolver(slot=, shopper=)` returns {"model": ..., "n": ...}
    or None. One resolver; setting None removes it. recommend never imports its caller."""
    from .serving import SLOT_VARIANT

    SLOT_VARIANT.clear()
    if resolver is not None:
        SLOT_VARIANT.append(resolver)

"""The training pipeline in-process: retrain, promotion rules, failures, rollback."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from recommend import selectors, services
from recommend.ml.data import History
from recommend.ml.device import resolve_device
from recommend.ml.registry import MODELS
from recommend.models import ModelVersion

from .pipeline_models import NAME, TinyPop

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tinypop")]


def train(**kwargs) -> ModelVersion:
    kwargs.setdefault("device", "cpu")
    (version,) = services.model_version_train(models=[NAME], **kwargs)
    return version


def folders(root: Path) -> list[str]:
    return sorted(p.name for p in (root / NAME).iterdir()) if (root / NAME).exists() else []


def test_retrain_sync_writes_a_whole_artifact_and_serves_it(store, artifacts, fresh_cache, capsys):
    call_command("retrain", "--models", NAME, "--device", "cpu", "--sync")
    out = capsys.readouterr().out
    v = ModelVersion.objects.get(name=NAME)
    assert v.status == "active" and v.version in out and "active" in out
    assert v.device == "cpu" and "device" not in v.config and v.config["epochs"] == 2
    assert v.duration_seconds > 0 and v.finished_at and v.activated_at
    # validation metrics from the harness, with the bootstrap CI
    assert 0 < v.metrics["ndcg@10"] <= 1
    lo, hi = v.metrics["ndcg@10_ci"]
    assert lo <= v.metrics["ndcg@10"] <= hi
    assert v.metrics["split"] == "validation"
    # the snapshot summary describes the store data
    assert v.snapshot["users"] == 40 and v.snapshot["items"] == 30 and v.snapshot["interactions"] == store["events"]
    assert v.snapshot["time_min"].startswith("2011-01") and len(v.snapshot["sha256"]) == 64
    # one whole folder, no temporary leftovers
    folder = artifacts / NAME / v.version
    assert folders(artifacts) == [v.version]
    for f in ("config.json", "arrays.npz", "item_ids.json", "user_ids.json", "metrics.json", "snapshot.json"):
        assert (folder / f).is_file(), f
    assert json.loads((folder / "metrics.json").read_text())["ndcg@10"] == pytest.approx(v.metrics["ndcg@10"])
    assert json.loads((folder / "snapshot.json").read_text())["sha256"] == v.snapshot["sha256"]
    item_ids = json.loads((folder / "item_ids.json").read_text())
    assert item_ids[0] == "" and sorted(item_ids[1:]) == [f"T{i:04d}" for i in range(30)]
    # serving loads it, and it recommends the best-sellers
    loaded = selectors.active_model(NAME)
    assert loaded.version == v.version
    top, _ = loaded.model.recommend(History.empty(), k=3)
    assert [loaded.item_ids[i] for i in top][:1] == ["T0000"]
    assert selectors.active_model(NAME) is loaded  # loaded once per process


def test_a_regression_is_not_promoted_unless_forced(store, artifacts, fresh_cache):
    good = train()
    worse = train(config={NAME: {"sign": -1}})
    assert worse.metrics["ndcg@10"] < good.metrics["ndcg@10"] - worse.ndcg10_half_width
    worse.refresh_from_db()
    good.refresh_from_db()
    assert (good.status, worse.status) == ("active", "ready")
    assert "not promoted: regression" in worse.notes
    assert selectors.active_model(NAME).version == good.version
    forced = train(config={NAME: {"sign": -1}}, force=True)
    good.refresh_from_db()
    assert (forced.status, good.status) == ("active", "retired")
    assert selectors.active_model(NAME).version == forced.version


def test_a_tie_within_noise_is_promoted(store, artifacts):
    first = train()
    second = train()
    first.refresh_from_db()
    assert second.metrics["ndcg@10"] == pytest.approx(first.metrics["ndcg@10"])
    assert (first.status, second.status) == ("retired", "active")
    assert "not worse beyond noise" in second.notes


def test_a_failed_training_is_recorded_and_the_active_version_keeps_serving(store, artifacts, fresh_cache):
    good = train()
    broken = train(config={NAME: {"fail_at_epoch": 1}})
    assert broken.status == "failed" and "boom in epoch 1" in broken.error
    assert broken.artifact_path == "" and broken.finished_at is not None
    assert folders(artifacts) == [good.version]  # nothing half-written
    assert selectors.active_model(NAME).version == good.version


def test_a_timed_out_training_is_failed_and_stops_the_run(store, artifacts, fresh_cache):
    good = train()
    with pytest.raises(SoftTimeLimitExceeded):
        train(config={NAME: {"fail_at_epoch": 0, "fail_with": "time_limit"}})
    timed_out = ModelVersion.objects.exclude(pk=good.pk).get()
    assert timed_out.status == "failed" and "SoftTimeLimitExceeded" in timed_out.error
    assert folders(artifacts) == [good.version]
    assert selectors.active_model(NAME).version == good.version


def test_bad_input_stops_before_any_write(store, artifacts):
    with pytest.raises(CommandError, match="unknown model"):
        call_command("retrain", "--models", "no_such_model", "--sync")
    with pytest.raises(ValueError, match="unknown device"):
        services.model_version_train(models=[NAME], device="tpu")
    with pytest.raises(CommandError):
        call_command("retrain", "--device", "tpu")
    with pytest.raises(ValueError, match="not in this run"):
        services.model_version_train(models=[NAME], device="cpu", config={"ease": {"l2": 1}})
    assert not ModelVersion.objects.exists() and not artifacts.exists()


def test_no_purchases_is_a_clear_error(db, artifacts):
    with pytest.raises(ValueError, match="no purchases"):
        train()
    assert not ModelVersion.objects.exists()


def test_the_same_run_id_trains_once(store, artifacts):
    first = services.model_version_train(models=[NAME], device="cpu", run_id="run-1")
    again = services.model_version_train(models=[NAME], device="cpu", run_id="run-1")
    assert [v.version for v in again] == [v.version for v in first]
    assert ModelVersion.objects.count() == 1


def test_a_redelivered_run_fails_the_dead_attempt_and_trains_again(store, artifacts):
    dead = ModelVersion.objects.create(name=NAME, version="dead-attempt", run_id="run-2", status="training")
    (v,) = services.model_version_train(models=[NAME], device="cpu", run_id="run-2")
    dead.refresh_from_db()
    assert dead.status == "failed" and "interrupted" in dead.error
    assert v.status == "active" and v.version != dead.version


def test_stale_training_rows_become_failed_on_next_start(store, artifacts, settings):
    settings.RECOMMEND_TRAIN_TIME_LIMIT = 600
    stale = ModelVersion.objects.create(name=NAME, version="stale", run_id="old", status="training")
    fresh = ModelVersion.objects.create(name=NAME, version="fresh", run_id="other", status="training")
    ModelVersion.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    (artifacts / NAME / ".tmp-stale").mkdir(parents=True)
    train()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "failed" and "stale" in stale.error
    assert fresh.status == "training"  # may still be running elsewhere
    assert not (artifacts / NAME / ".tmp-stale").exists()


def test_rollback_returns_to_the_version_that_served_before(store, artifacts, fresh_cache):
    v1 = train()
    v2 = train(force=True)
    v3 = train(config={NAME: {"sign": -1}})  # rejected: never served, never a rollback target
    assert v3.status == "ready"
    back = services.model_version_rollback(name=NAME)
    assert back.version == v1.version and back.status == "active"
    v2.refresh_from_db()
    assert v2.status == "retired" and "rolled back" in v2.notes
    assert selectors.active_model(NAME).version == v1.version
    with pytest.raises(ValueError, match="no earlier version"):
        services.model_version_rollback(name=NAME)
    assert services.model_version_rollback(name=NAME, to_version=v2.version).status == "active"
    assert list(selectors.active_versions().values_list("version", flat=True)) == [v2.version]


def test_the_database_allows_one_active_version_per_model(db):
    ModelVersion.objects.create(name="x", version="a", status="active")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(name="x", version="b", status="active")
    ModelVersion.objects.create(name="y", version="c", status="active")  # another family may


def test_promotion_refuses_a_version_without_artifact(db, artifacts):
    ModelVersion.objects.create(name=NAME, version="gone", status="ready", artifact_path=f"{NAME}/gone")
    with pytest.raises(ValueError, match="no artifact"):
        services.model_version_promote(version="gone", force=True)
    assert not ModelVersion.objects.filter(status="active").exists()


def test_old_artifacts_are_pruned_but_the_active_one_stays(store, artifacts, settings):
    settings.RECOMMEND_KEEP_VERSIONS = 1
    versions = [train(force=True) for _ in range(3)]
    for v in versions:
        v.refresh_from_db()
    assert [v.status for v in versions] == ["retired", "retired", "active"]
    assert folders(artifacts) == sorted([versions[1].version, versions[2].version])
    assert versions[0].artifact_path == "" and "pruned" in versions[0].notes


def test_self_tuned_settings_are_tuned_once_on_the_validation_fit(store, artifacts):
    v = train()
    assert v.config["smoothing"] == 0.5  # chosen while evaluating, kept for serving
    assert "tuned_on_interactions" not in v.config  # the serving fit did not tune again
    assert json.loads((artifacts / v.artifact_path / "config.json").read_text())["config"]["smoothing"] == 0.5


def test_the_device_is_resolved_once_given_to_models_that_take_one_and_recorded_on_the_version(
    store, artifacts, monkeypatch
):
    trained_on = []

    class OnDevice(TinyPop):
        runtime = ("device",)

        def __init__(self, *, device="cpu", **config):
            super().__init__(**config)
            self.device = device

        def fit(self, data, *, progress=None):
            trained_on.append(self.device)
            return super().fit(data, progress=progress)

    monkeypatch.setitem(MODELS, NAME, OnDevice)
    v = train(device="auto")
    expected = resolve_device("auto")
    assert v.device == expected and trained_on == [expected, expected]  # the validation fit and the serving fit
    assert "device" not in v.config
    folder = artifacts / v.artifact_path
    assert "device" not in json.loads((folder / "config.json").read_text())["config"]
    assert json.loads((folder / "version.json").read_text())["device"] == expected


def test_models_without_a_device_are_not_given_one(store, artifacts):
    v = train(device="auto")  # TinyPop takes no device: building it with one would fail
    assert v.status == "active" and v.device == resolve_device("auto")


def test_a_device_in_a_model_config_is_refused_before_anything_is_written(store, artifacts):
    with pytest.raises(ValueError, match="not model configuration"):
        train(config={NAME: {"device": "cpu"}})
    with pytest.raises(ValueError, match="not model configuration"):
        services.model_version_train_request(models=[NAME], config={NAME: {"device": "cuda"}})
    assert not ModelVersion.objects.exists()


def test_loaded_artifact_recommends_like_the_fitted_model(store, artifacts, fresh_cache):
    v = train()
    loaded = selectors.active_model(NAME)
    fresh = selectors.load_artifact(name=NAME, version=v.version, path=artifacts / v.artifact_path)
    h = History.from_lists([1, 2, 3])
    np.testing.assert_array_equal(loaded.model.recommend(h, k=5)[0], fresh.model.recommend(h, k=5)[0])
    assert loaded.item_index["T0000"] >= 1

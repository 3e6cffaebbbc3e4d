"""The real path: `manage.py retrain` queues a task on Redis, a real Celery
worker process trains; and a worker killed in the middle of writing an
artifact leaves the old version serving and nothing half-written."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.management import call_command

from recommend import selectors, services
from recommend.models import ModelVersion
from tests.conftest import wait_for

from .pipeline_models import NAME

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tinypop"),
]


@pytest.fixture
def worker_env(monkeypatch, artifacts):
    """What the worker process must share with the test: the artifacts folder,
    and the test model (imported through Celery's --include option, which
    the worker reads from CELERY_WORKER_INCLUDE)."""
    monkeypatch.setenv("ARTIFACTS_DIR", str(artifacts))
    monkeypatch.setenv("CELERY_WORKER_INCLUDE", "tests.recommend.pipeline_worker_plugin")
    return artifacts


@pytest.fixture
def ml_worker(worker_env, celery_worker_proc):
    return celery_worker_proc


def _status(version: str) -> str:
    return ModelVersion.objects.get(version=version).status


def test_retrain_runs_on_a_real_worker_and_promotes(store, ml_worker, fresh_cache, capsys, settings):
    call_command("retrain", "--models", NAME, "--device", "cpu")  # no --sync: queued on "ml"
    out = capsys.readouterr().out
    assert "queued training run" in out
    run_id = out.split("queued training run ")[1].split()[0]
    v = wait_for(lambda: ModelVersion.objects.filter(run_id=run_id, status="active").first(), timeout=120)
    assert v.name == NAME and v.metrics["ndcg@10"] > 0
    assert (settings.ARTIFACTS_DIR / v.artifact_path / "arrays.npz").is_file()
    assert selectors.active_model(NAME).version == v.version
    assert f"Task recommend.tasks.model_version_train[{run_id}] succeeded" in ml_worker.log_path.read_text()


def test_killing_the_worker_midway_leaves_the_old_version_serving(store, ml_worker, fresh_cache, settings):
    old = services.model_version_train(models=[NAME], device="cpu")[0]
    assert old.status == "active"
    # slow enough writing its arrays for the kill to land in the middle of the artifact
    run_id = services.model_version_train_request(
        models=[NAME], device="cpu", force=True, config={NAME: {"save_sleep": 60}}
    )
    written = wait_for(lambda: next((settings.ARTIFACTS_DIR / NAME).glob(".tmp-*/config.json"), None), timeout=120)
    tmp = written.parent
    assert (tmp / "config.json").exists() and not (tmp / "arrays.npz").exists()  # half-written, in the temp folder
    os.kill(ml_worker.pid, signal.SIGKILL)
    ml_worker.wait(timeout=10)

    killed = ModelVersion.objects.get(run_id=run_id)
    assert killed.status == "training"  # not active, not ready: nothing promoted it
    assert not (settings.ARTIFACTS_DIR / NAME / killed.version).exists()
    assert selectors.active_model(NAME).version == old.version
    assert _status(old.version) == "active"

    # The next start (here: a later run, once the row is past the time limit) marks it failed and sweeps its folder.
    settings.RECOMMEND_TRAIN_TIME_LIMIT = 0
    services.model_version_fail_stale()
    killed.refresh_from_db()
    assert killed.status == "failed" and "stale" in killed.error
    assert not tmp.exists()
    assert sorted(p.name for p in (settings.ARTIFACTS_DIR / NAME).iterdir()) == [old.version]
    assert selectors.active_model(NAME).version == old.version

    # The killed task was not acknowledged (acks_late): Redis still holds it for redelivery. Drop it,
    # so that no later test run's worker picks it up.
    import redis

    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert r.hlen("unacked") >= 1
    r.delete("unacked", "unacked_index")

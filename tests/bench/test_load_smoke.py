"""A bounded smoke of bench/load_test.py (10 s): gunicorn (prod settings) on
the test database and a Redis of the test's own, a real worker, 2 then 4
clients for 5 s each. Every request answers as expected and the orders
reconcile with the stock (the driver's exit status says both)."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.checkout.factories import CustomerFactory, ProductFactory
from tests.conftest import ROOT, _test_database_url

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def test_the_load_driver_runs_clean_and_reconciles(transactional_db, redis_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the load driver needs PostgreSQL")
    CustomerFactory.create_batch(4)
    for i in range(12):
        ProductFactory(name=f"Heart mug {i}", stock=5)
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "shop.settings.prod",
        "CACHE_URL": redis_server.url(0),
        "CELERY_BROKER_URL": redis_server.url(1),
        "ARTIFACTS_DIR": str(tmp_path / "artifacts"),  # no trained model: the pages fall back to popularity
    }
    run = subprocess.run(
        [sys.executable, "bench/load_test.py", "--clients", "2,4", "--duration", "5", "--port", "8297"]
        + ["--products", "12", "--json", str(tmp_path / "load.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "errors 0, reconciliation: ok" in out
    assert "checkouts 0," not in out  # the mix did check out

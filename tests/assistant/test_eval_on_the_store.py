"""The assistant's quality floors, measured on the real store by the same
harness as `manage.py assistant_eval` (docs/assistant-eval.md): the whole
Online Retail catalogue imported by the real importer, every request of
assistant/evaluation/requests.json answered by the embedded default."""

import pytest
from django.core.management import call_command

from assistant import retrieval
from assistant.evaluation import harness


@pytest.mark.slow
@pytest.mark.django_db
def test_the_embedded_default_meets_its_floors_on_the_real_store(settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    call_command("import_online_retail", verbosity=0)
    retrieval.index_clear()
    try:
        results = harness.run()
    finally:
        retrieval.index_clear()
    overall = harness.summary(results)
    assert overall["requests"] >= 100
    assert overall["invented_products"] == 0  # every product shown resolves, at its price
    assert overall["answered_with_products"] >= 0.9, overall
    assert overall["constraints_hold"] >= 0.95, overall
    assert overall["declines_correct"] == 1.0, overall
    assert overall["store_correct"] >= 0.9, overall

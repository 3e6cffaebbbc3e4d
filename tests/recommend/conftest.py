"""Fixtures of the recommend tests (the pipeline's: an artifacts folder per test, a clean model cache)."""

from __future__ import annotations

import pytest

from recommend.ml.registry import MODELS

from .pipeline_models import NAME, TinyPop, make_store


@pytest.fixture
def store(db):
    """The small store of tests/recommend/pipeline_models.py: 40 customers, 30 products, 1,120 purchases."""
    return make_store()


@pytest.fixture
def artifacts(settings, tmp_path):
    """A fresh artifacts folder for this test (the worker gets it too, by environment)."""
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    return settings.ARTIFACTS_DIR


@pytest.fixture(autouse=False)
def fresh_cache():
    from recommend.selectors import active_model_cache_clear

    active_model_cache_clear()
    yield
    active_model_cache_clear()


@pytest.fixture
def tinypop(monkeypatch):
    """The pipeline tests' model, registered for this test only (other tests see the real registry)."""
    monkeypatch.setitem(MODELS, NAME, TinyPop)
    return TinyPop

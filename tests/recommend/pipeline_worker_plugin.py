"""Imported by the test worker process (CELERY_WORKER_INCLUDE): registers the
pipeline tests' model in that process's registry."""

from recommend.ml.registry import MODELS

from .pipeline_models import NAME, TinyPop

MODELS[NAME] = TinyPop

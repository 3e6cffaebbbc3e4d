"""Reads of the recommend app: model versions and the models that serve.

`active_model(name)` is what serving calls on every request: one small query
for the active version id, and the artifact itself is loaded once per process
(cached by version id), so a promotion in another process is picked up on the
next call and a page never pays for loading twice.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import QuerySet

from recommend.ml.base import Recommender
from recommend.ml.registry import MODELS

from .models import ModelVersion

logger = logging.getLogger(__name__)


def model_classes() -> Mapping[str, type[Recommender]]:
    """The registered model families, name → Recommender class."""
    return MODELS


def artifacts_root() -> Path:
    return Path(settings.ARTIFACTS_DIR)


def artifact_dir(version: ModelVersion) -> Path | None:
    """The version's artifact folder, or None when it has none (failed, pruned)."""
    if not version.artifact_path:
        return None
    path = artifacts_root() / version.artifact_path
    return path if path.is_dir() else None


def active_versions() -> QuerySet[ModelVersion]:
    """The versions serving now, one per model family."""
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).order_by("name")


def model_version_history(*, name: str | None = None) -> QuerySet[ModelVersion]:
    """Finished versions with their metrics, oldest first (the admin's chart)."""
    qs = ModelVersion.objects.exclude(status__in=[ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED])
    if name:
        qs = qs.filter(name=name)
    return qs.order_by("created_at", "id")


@dataclass
class LoadedModel:
    """A fitted model with the id maps of its artifact.

    item_ids: (n_items + 1,) external item ids (stock codes), [0] = "" (padding).
    user_ids: (n_users,) external customer ids seen in training.
    """

    name: str
    version: str
    model: Recommender
    item_ids: np.ndarray
    user_ids: np.ndarray
    _item_index: dict[str, int] | None = field(default=None, repr=False)

    @property
    def item_index(self) -> dict[str, int]:
        """External item id → item index (1..n_items)."""
        if self._item_index is None:
            self._item_index = {str(x): i for i, x in enumerate(self.item_ids.tolist()) if i > 0}
        return self._item_index


_cache: dict[str, LoadedModel] = {}
_cache_lock = threading.Lock()


def load_artifact(*, name: str, version: str, path: Path) -> LoadedModel:
    """Load one artifact folder (raises when it is missing or unreadable)."""
    cls = model_classes().get(name)
    if cls is None:
        raise LookupError(f"no registered model class for {name!r}")
    model = cls.load(path)
    item_ids = np.asarray(json.loads((path / "item_ids.json").read_text()), dtype=object)
    user_ids = np.asarray(json.loads((path / "user_ids.json").read_text()), dtype=object)
    return LoadedModel(name=name, version=version, model=model, item_ids=item_ids, user_ids=user_ids)


def active_model(name: str) -> LoadedModel | None:
    """The active version of a model family, loaded once per process.

    Returns None when no version is active or its artifact cannot be loaded
    (logged): callers fall back to popularity, a page never fails for this."""
    row = (
        ModelVersion.objects.filter(name=name, status=ModelVersion.Status.ACTIVE)
        .values("version", "artifact_path")
        .first()
    )
    if row is None:
        return None
    return model_version_loaded(name=name, version=row["version"], artifact_path=row["artifact_path"])


def model_version_loaded(*, name: str, version: str, artifact_path: str) -> LoadedModel | None:
    """That version of a model family, loaded once per process (when a caller
    already read which version is active: serving reads every family's in one
    query per page). None when its artifact cannot be loaded (logged)."""
    cached = _cache.get(version)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(version)
        if cached is not None:
            return cached
        try:
            loaded = load_artifact(name=name, version=version, path=artifacts_root() / artifact_path)
        except Exception:
            logger.exception("cannot load %s version %s", name, version)
            return None
        for old_version, old in list(_cache.items()):  # keep one version per family in memory
            if old.name == name:
                del _cache[old_version]
        _cache[version] = loaded
        return loaded


def active_model_cache_clear() -> None:
    """Forget loaded models (tests; a process that wants to free memory)."""
    with _cache_lock:
        _cache.clear()


def recommendations_for(*, slot: str, shopper, context=None):
    """What one recommendation slot shows this shopper now (recommend/serving.py):
    a `Served` (items with product, score and reason; model and version), or
    None when the slot does not apply to them."""
    from .serving import recommendations_for as serve

    return serve(slot=slot, shopper=shopper, context=context)


def slot_names() -> list[str]:
    """Every recommendation slot a page can show (an experiment's choices)."""
    from .serving import GENERATORS

    return list(GENERATORS)


def page_slots() -> dict[str, tuple[str, ...]]:
    """Every page that shows recommendations and its slots in display order (a page
    experiment varies how many of them show)."""
    from .serving import PAGES

    return dict(PAGES)


def model_families() -> list[str]:
    """The model families a slot can be served by ("popularity" is the fallback)."""
    return sorted(model_classes())

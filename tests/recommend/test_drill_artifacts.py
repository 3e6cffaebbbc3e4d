"""Fault drill (issue 13): the artifacts folder cannot be written. A retrain
fails clearly (a failed version with the OS error, nothing half-written) and
the version that was active keeps serving, loaded again from its folder.

The drill runs as root on CI, which ignores mode bits, so the folder is made
immutable (`chattr +i`: no file can be created in it, by anyone); where
chattr is refused it falls back to `chmod a-w` for a non-root user."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from recommend import selectors, services
from recommend.models import ModelVersion

from .pipeline_models import NAME

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tinypop"), pytest.mark.drill]


def _lock(folder: Path) -> str:
    chattr = shutil.which("chattr")
    if chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode == 0:
        return "chattr"
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return "chmod"
    pytest.skip("cannot make a folder unwritable here (root without chattr)")


def _unlock(folder: Path, how: str) -> None:
    if how == "chattr":
        subprocess.run([shutil.which("chattr"), "-i", str(folder)], check=True)
    else:
        folder.chmod(0o755)


def test_an_unwritable_artifacts_folder_fails_the_retrain_and_the_old_model_serves(store, artifacts, fresh_cache):
    (good,) = services.model_version_train(models=[NAME], device="cpu")
    assert good.status == "active"
    folder = artifacts / NAME
    before = sorted(p.name for p in folder.iterdir())
    how = _lock(folder)
    try:
        (broken,) = services.model_version_train(models=[NAME], device="cpu", force=True)
        assert broken.status == "failed"
        assert "Operation not permitted" in broken.error or "Permission denied" in broken.error, broken.error
        assert sorted(p.name for p in folder.iterdir()) == before  # nothing half-written
    finally:
        _unlock(folder, how)
    assert ModelVersion.objects.get(pk=good.pk).status == "active"
    from recommend.selectors import active_model_cache_clear

    active_model_cache_clear()  # a fresh process: the old version loads from its folder and answers
    model = selectors.active_model(NAME)  # None when its artifact cannot be loaded
    assert model is not None and model.version == good.version

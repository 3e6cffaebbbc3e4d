"""One configuration convention for every model: `defaults`, and runtime arguments kept out of config."""

from __future__ import annotations

import json

import pytest

from recommend.ml.base import build_model
from recommend.ml.content import EmbeddingContent
from recommend.ml.ease import EASE
from recommend.ml.hybrid import Hybrid
from recommend.ml.registry import MODELS
from recommend.ml.sasrec import SASRec

from .tiny import tiny_data


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_states_its_hyperparameters_in_defaults(name):
    cls = MODELS[name]
    assert cls().config == dict(cls.defaults)
    assert set(cls.runtime) <= {"device", "cache_dir"}
    assert not set(cls.defaults) & {"device", "cache_dir"}


def test_defaults_are_copied_so_one_model_never_changes_another():
    a = Hybrid()
    a.config["bases"].append("sasrec")
    assert "sasrec" not in Hybrid().config["bases"] and "sasrec" not in Hybrid.defaults["bases"]


def test_build_model_lends_runtime_arguments_only_to_the_models_that_take_them(tmp_path):
    ease = build_model(EASE, {"l2": 10.0}, device="cuda", cache_dir=tmp_path)
    assert ease.config["l2"] == 10.0 and not hasattr(ease, "device")
    sasrec = build_model(SASRec, {"dim": 16}, device="cpu", cache_dir=tmp_path)
    assert sasrec.device == "cpu" and "device" not in sasrec.config
    minilm = build_model(EmbeddingContent, None, device="cpu", cache_dir=tmp_path)
    assert minilm.cache_dir == tmp_path and "cache_dir" not in minilm.config
    hybrid = build_model(Hybrid, None, device="cpu", cache_dir=tmp_path)
    assert (hybrid.device, hybrid.cache_dir) == ("cpu", tmp_path)


def test_a_device_in_the_config_is_refused():
    with pytest.raises(ValueError, match="config of sasrec: device is not model configuration"):
        build_model(SASRec, {"device": "cuda"})


def test_a_saved_config_that_carries_a_runtime_key_still_loads(tmp_path):
    model = SASRec(epochs=1, dim=16, max_len=4, repeat_keys=4, batch_size=16, val_users=3).fit(tiny_data())
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "config.json").read_text())
    assert "device" not in meta["config"]
    meta["config"]["device"] = "auto"  # what an artifact written with the device in its config holds
    (tmp_path / "m" / "config.json").write_text(json.dumps(meta))
    loaded = SASRec.load(tmp_path / "m")
    assert loaded.device == "cpu" and "device" not in loaded.config

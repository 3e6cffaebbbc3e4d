"""Every model of recommend/ml trains one epoch on a tiny store, and what it saved
loads back into a model that recommends exactly the same items."""

from __future__ import annotations

import numpy as np
import pytest

from recommend.ml.content import EmbeddingContent, TfidfContent
from recommend.ml.data import History
from recommend.ml.hybrid import Hybrid
from recommend.ml.registry import MODELS
from recommend.ml.sasrec import SASRec
from recommend.ml.tifu import TIFUKNN

from .tiny import tiny_data


def _factories(tmp_path):
    return {
        "tifuknn": lambda: TIFUKNN(k=5),
        "tfidf": lambda: TfidfContent(),
        "minilm": lambda: EmbeddingContent(cache_dir=str(tmp_path / "emb")),
        "sasrec": lambda: SASRec(epochs=1, dim=16, max_len=8, repeat_keys=8, batch_size=16, val_users=5, device="cpu"),
        "hybrid": lambda: Hybrid(
            bases=["repeat", "tifuknn", "ease", "tfidf", "pop_recent"],
            label_days=40,
            n_estimators=20,
            min_child_samples=2,
        ),
    }


@pytest.mark.parametrize("name", ["tifuknn", "tfidf", "minilm", "sasrec", "hybrid"])
def test_train_save_load_recommends_the_same(name, tmp_path):
    data = tiny_data()
    model = _factories(tmp_path)[name]().fit(data)
    hists = [data.histories()[u] for u in (0, 1, 2, 7)] + [History.from_lists([3, 12], [1.3e9, 1.3e9 + 86400])]
    before = [model.recommend(h, k=5)[0] for h in hists]
    assert all(len(r) == 5 for r in before)
    assert all(0 not in r for r in before)  # padding is never recommended
    model.save(tmp_path / name)
    loaded = MODELS[name].load(tmp_path / name)
    after = [loaded.recommend(h, k=5)[0] for h in hists]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    scores = loaded.score(hists)
    assert scores.shape == (len(hists), data.n_items + 1) and scores.dtype == np.float32
    assert np.isneginf(scores[:, 0]).all()


@pytest.mark.parametrize("name", ["tifuknn", "tfidf", "minilm", "sasrec", "hybrid"])
def test_exclude_and_allow_are_respected(name, tmp_path):
    data = tiny_data()
    model = _factories(tmp_path)[name]().fit(data)
    h = data.histories()[4]
    bought = np.unique(h.items)
    items, _ = model.recommend(h, k=5, exclude=bought)
    assert not set(items.tolist()) & set(bought.tolist())
    items, _ = model.recommend(h, k=5, allow=np.array([21, 22, 23]))
    assert set(items.tolist()) <= {21, 22, 23}


def test_content_models_give_never_bought_items_a_place(tmp_path):
    """Cold start: an item nobody bought still gets recommended next to its look-alikes."""
    data = tiny_data()
    never = data.subset(data.item != 2)  # "Blue Spotty Mug" disappears from the purchases
    for model in (TfidfContent().fit(never), EmbeddingContent(cache_dir=str(tmp_path / "emb")).fit(never)):
        similar, _ = model.similar_items(1, k=3)  # "Red Spotty Mug"
        assert 2 in similar.tolist()


def test_tifuknn_re_recommends_what_the_shopper_buys_again():
    data = tiny_data()
    model = TIFUKNN(k=5).fit(data)
    h = data.histories()[0]
    counts = np.bincount(h.items, minlength=data.n_items + 1)
    top, _ = model.recommend(h, k=3)
    assert counts[top].min() >= 1  # the top three were bought before
    assert int(np.argmax(counts)) in model.recommend(h, k=5)[0].tolist()


def test_hybrid_skips_an_unknown_base_model():
    data = tiny_data()
    model = Hybrid(bases=["repeat", "no_such_model"], label_days=40, n_estimators=10, min_child_samples=2).fit(data)
    assert model.config["used_bases"] == ["repeat"]
    assert len(model.recommend(data.histories()[3], k=5)[0]) == 5


def test_hybrid_rejects_data_without_a_holdout_window():
    data = tiny_data()
    one_day = data.subset(data.time == data.time.min())
    with pytest.raises(ValueError, match="last"):
        Hybrid(bases=["repeat"], label_days=1).fit(one_day)


def test_hybrid_tunes_its_ease_once_and_records_the_setting():
    data = tiny_data()
    model = Hybrid(bases=["repeat", "ease"], label_days=40, n_estimators=10, min_child_samples=2).fit(data)
    l2 = model.config["base_configs"]["ease"]["l2"]
    assert l2 in model.bases_["ease"].config["l2_grid"]
    # the full-data EASE reuses the λ the inner fit chose instead of searching the grid again
    assert model.bases_["ease"].config["l2"] == l2 and "l2_scores" not in model.bases_["ease"].config
    # and a fit asked for explicit settings keeps them
    fixed = Hybrid(
        bases=["ease"], base_configs={"ease": {"l2": 77.0}}, label_days=40, n_estimators=10, min_child_samples=2
    ).fit(data)
    assert fixed.bases_["ease"].config["l2"] == 77.0 and fixed.config["base_configs"] == {"ease": {"l2": 77.0}}


def test_a_hybrid_saved_with_other_features_refuses_to_load(tmp_path):
    data = tiny_data()
    model = Hybrid(bases=["repeat"], label_days=40, n_estimators=5, min_child_samples=2).fit(data)
    del model.stats_.a["age"]  # as saved before the product-age features existed
    model.save(tmp_path / "old")
    with pytest.raises(ValueError, match="retrain it"):
        Hybrid.load(tmp_path / "old")

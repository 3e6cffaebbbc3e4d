"""The shop's one sentence encoder: unit vectors, one cache file per text, nothing encoded twice."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from core import text_encoder
from core.text_encoder import E5_SMALL, MINILM, TextEncoder

TEXTS = ["RED HEART CANDLE HOLDER. Candles & Holders", "BLUE SPOTTY MUG. Tableware & Mugs", ""]


def test_vectors_are_unit_length_similar_texts_are_near_and_an_empty_text_is_zero(tmp_path):
    enc = TextEncoder(cache_dir=tmp_path)
    assert enc.model_name == MINILM and enc.dim == 384
    v = enc.encode(TEXTS + ["WHITE HEART T-LIGHT HOLDER. Candles & Holders"])
    assert v.shape == (4, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v[[0, 1, 3]], axis=1), 1.0, atol=1e-5)
    assert not v[2].any()
    assert float(v[0] @ v[3]) > float(v[0] @ v[1])  # two heart holders are nearer than a holder and a mug


def test_the_cache_holds_one_file_per_text_and_a_second_encoder_reads_it_without_the_model(tmp_path, monkeypatch):
    first = TextEncoder(cache_dir=tmp_path).encode(TEXTS + [TEXTS[0]])
    files = sorted((tmp_path / MINILM).rglob("*.npy"))
    assert len(files) == 2  # two distinct non-empty texts

    def no_model(name):
        raise AssertionError("the model was loaded although every text is cached")

    monkeypatch.setattr(text_encoder, "_sentence_model", no_model)
    again = TextEncoder(cache_dir=tmp_path)
    np.testing.assert_array_equal(again.encode(TEXTS), first[:3])
    vectors, found = again.cached(TEXTS + ["NOT ENCODED YET"])
    assert found.tolist() == [True, True, True, False] and not vectors[3].any()


def test_without_a_cache_folder_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    TextEncoder(cache_dir=None).encode(TEXTS[:1])
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown sentence model 'nope'"):
        TextEncoder(model="nope", cache_dir=None)


def test_the_multilingual_model_matches_chinese_searches_to_english_product_texts(tmp_path):
    enc = TextEncoder(model=E5_SMALL, cache_dir=tmp_path)
    assert enc.model_name == E5_SMALL and enc.dim == 384
    products = enc.encode(
        ["SET OF 20 CHRISTMAS FAIRY LIGHTS. Christmas", "RED HEART CANDLE HOLDER. Candles & Holders", ""]
    )
    searches = enc.encode(["圣诞灯", "红色蜡烛台"], query=True)  # "Christmas lights", "red candle holder"
    np.testing.assert_allclose(np.linalg.norm(products[:2], axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(searches, axis=1), 1.0, atol=1e-4)
    assert not products[2].any()
    scores = searches @ products[:2].T
    assert scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0]


def test_e5_searches_and_documents_are_cached_apart_with_the_prefix_the_model_reads(tmp_path):
    enc = TextEncoder(model=E5_SMALL, cache_dir=tmp_path)
    as_document = enc.encode(["candle"])
    as_search = enc.encode(["candle"], query=True)
    assert not np.allclose(as_document, as_search)  # "passage: candle" and "query: candle" differ
    files = sorted((tmp_path / E5_SMALL).rglob("*.npy"))
    assert len(files) == 2
    names = {f.stem for f in files}
    assert names == {hashlib.sha256(b"passage: candle").hexdigest(), hashlib.sha256(b"query: candle").hexdigest()}
    vectors, found = TextEncoder(model=E5_SMALL, cache_dir=tmp_path).cached(["candle"], query=True)
    assert found.all() and np.array_equal(vectors, as_search)

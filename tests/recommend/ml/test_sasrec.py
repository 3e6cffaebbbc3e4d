"""The SASRec-style model: causal over baskets, blind to order inside a basket, seeded, CPU and CUDA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommend.ml.data import History
from recommend.ml.device import resolve_device
from recommend.ml.sasrec import BasketSeq, SASRec, repeat_features

from .tiny import tiny_data

DAY = 86400.0
SMALL = dict(epochs=2, dim=16, max_len=8, repeat_keys=16, batch_size=8, val_users=5, device="cpu")


def test_baskets_become_steps_with_gap_and_size_buckets():
    h = History.from_lists([5, 3, 5, 7, 3], [0.0, 0.0, 0.0, 3 * DAY, 10 * DAY])
    seq = BasketSeq.from_history(h, gap_buckets=16, size_buckets=8)
    assert [b.tolist() for b in seq.baskets] == [[3, 5], [7], [3]]  # distinct items; order inside is gone
    assert seq.gaps.tolist() == [15, 1 + 2, 1 + 3]  # first basket: last bucket; then 1 + floor(log2(1 + days))
    assert seq.sizes.tolist() == [2, 1, 1]  # 1 + floor(log2(items))


def test_repeat_features_count_baskets_and_decay_by_steps():
    seq = BasketSeq([np.array([1, 2]), np.array([2]), np.array([3])], np.array([15, 1, 1]), np.array([2, 1, 1]))
    keys, counts, decayed = repeat_features(seq, 0, 3, n_keys=4, decay=0.5)
    assert keys.tolist() == [3, 2, 1, 0]  # most recently bought first, padded with 0
    np.testing.assert_allclose(counts, [[0, 1, 1, 0], [0, 2, 1, 0], [1, 2, 1, 0]])
    np.testing.assert_allclose(decayed, [[0, 1, 1, 0], [0, 1.5, 0.5, 0], [1, 0.75, 0.25, 0]])
    # a window of the last step only sees the same values for that step
    _, c, d = repeat_features(seq, 2, 3, n_keys=4, decay=0.5)
    np.testing.assert_allclose(c, counts[2:])
    np.testing.assert_allclose(d, decayed[2:])


def test_hidden_state_of_a_step_never_sees_later_baskets():
    data = tiny_data()
    model = SASRec(**SMALL).fit(data)
    net = model.net
    h = data.histories()[0]
    seq = model._seq(h)
    n = len(seq)
    batch = model._batch([seq], [n], targets=False, device="cpu")
    changed = BasketSeq([*seq.baskets[:-1], np.array([29, 30])], seq.gaps, seq.sizes)
    batch2 = model._batch([changed], [n], targets=False, device="cpu")
    with torch.inference_mode():
        a = net(batch["flat"], batch["offsets"], batch["gaps"], batch["sizes"])
        b = net(batch2["flat"], batch2["offsets"], batch2["gaps"], batch2["sizes"])
    assert a.shape[1] == min(n, model.config["max_len"]) >= 3
    torch.testing.assert_close(a[:, :-1], b[:, :-1])  # every earlier step is unchanged
    assert not torch.allclose(a[:, -1], b[:, -1])  # the changed step itself does change


def test_a_short_batch_is_the_tail_of_a_padded_one():
    """Trimming all-padding columns changes nothing: the last step keeps the last position."""
    data = tiny_data()
    model = SASRec(**SMALL).fit(data)
    short = model._seq(History.from_lists([1, 2, 4], [0.0, 0.0, 3 * DAY]))
    long = model._seq(data.histories()[0])
    alone = model._batch([short], [len(short)], targets=False, device="cpu")
    both = model._batch([short, long], [len(short), len(long)], targets=False, device="cpu")
    assert alone["gaps"].shape[1] == 2 < both["gaps"].shape[1]
    with torch.inference_mode():
        a = model.net(alone["flat"], alone["offsets"], alone["gaps"], alone["sizes"])[0, -1]
        b = model.net(both["flat"], both["offsets"], both["gaps"], both["sizes"])[0, -1]
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_order_inside_a_basket_changes_nothing():
    data = tiny_data()
    model = SASRec(**SMALL).fit(data)
    h = data.histories()[3]
    rng = np.random.default_rng(1)
    shuffled_items = h.items.copy()
    for t in np.unique(h.times):
        idx = np.flatnonzero(h.times == t)
        shuffled_items[idx] = shuffled_items[rng.permutation(idx)]
    a = model.score([h])
    b = model.score([History(shuffled_items, h.times, None)])
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_seeded_training_is_deterministic_on_cpu():
    data = tiny_data()
    cfg = {**SMALL, "item_dropout": 0.3, "completion_weight": 0.5}
    a, b = SASRec(**cfg).fit(data), SASRec(**cfg).fit(data)
    hists = data.histories()[:6]
    np.testing.assert_array_equal(a.score(hists), b.score(hists))

    def untimed(m):
        return [{k: v for k, v in e.items() if k != "seconds"} for e in m.history_]

    assert untimed(a) == untimed(b)
    c = SASRec(**{**cfg, "seed": 1}).fit(data)
    assert not np.array_equal(a.score(hists), c.score(hists))


def test_learns_the_families_of_the_tiny_store():
    """Shoppers stay in one product family (mugs, candles or bags): after training, a
    history of mugs ranks the unseen mugs above every candle and bag."""
    data = tiny_data()
    model = SASRec(
        epochs=40,
        patience=40,
        dim=32,
        max_len=8,
        repeat_keys=16,
        batch_size=8,
        lr=5e-3,
        val_users=5,
        device="cpu",
        item_dropout=0.3,
        completion_weight=0.5,
    ).fit(data)
    mugs = History.from_lists([1, 2, 3], [0.0, 0.0, 5 * DAY])
    top, _ = model.recommend(mugs, k=5, exclude=np.array([1, 2, 3]))
    assert set(top.tolist()) <= set(range(1, 11))
    assert model.config["epochs_run"] == 40 and next(model.net.parameters()).device.type == "cpu"


def test_asks_for_two_baskets():
    data = tiny_data()
    one_each = data.subset(np.isin(data.time, [t for t in np.unique(data.time)][:1]))
    with pytest.raises(ValueError, match="two baskets"):
        SASRec(**SMALL).fit(one_each)


def test_cuda_refused_without_a_device():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="no CUDA device"):
        resolve_device("cuda")
    assert resolve_device("auto") == "cpu"


def test_the_model_takes_a_resolved_device_only_and_keeps_it_out_of_its_config():
    with pytest.raises(ValueError, match="cpu or cuda, not 'auto'"):
        SASRec(device="auto")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        resolve_device("tpu")
    model = SASRec(**SMALL)
    assert model.device == "cpu" and "device" not in model.config


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_trains_on_cuda_with_mixed_precision_and_serves_on_cpu(tmp_path):
    data = tiny_data()
    model = SASRec(**{**SMALL, "device": "cuda"}).fit(data)
    assert next(model.net.parameters()).is_cuda and "device" not in model.config
    hists = data.histories()[:4]
    on_gpu = model.recommend(hists[0], k=5)[0]
    model.save(tmp_path / "m")
    loaded = SASRec.load(tmp_path / "m")  # weights come back on the CPU
    assert not next(loaded.net.parameters()).is_cuda
    assert len(set(on_gpu.tolist()) & set(loaded.recommend(hists[0], k=5)[0].tolist())) >= 4  # bf16 vs fp32


def test_the_serving_refit_trains_the_best_epoch_count_on_everything():
    from recommend.ml.base import tuned_config

    data = tiny_data()
    first = SASRec(**{**SMALL, "epochs": 4, "patience": 4}).fit(data)
    assert first.config["train_epochs"] == first.config["best_epoch"] >= 1
    again = SASRec(**tuned_config(SASRec(**SMALL).config, first.config, SMALL)).fit(data)
    assert again.config["epochs_run"] == first.config["best_epoch"]
    assert again.config["best_val_ndcg10"] is None  # nobody held out: every shopper trains

"""run_evaluation and write_report end to end on small synthetic data."""

import json

import numpy as np
import pytest

from recommend.evaluation import run_evaluation, write_report
from recommend.ml.base import Recommender
from recommend.ml.data import InteractionData
from recommend.ml.popularity import Popularity
from recommend.ml.repeat import RepeatPurchase

DAY = 86400.0


def synthetic(n_users=60, n_items=40, seed=0) -> InteractionData:
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for u in range(n_users):
        favourites = rng.choice(np.arange(n_items), size=5, replace=False)
        for _ in range(rng.integers(3, 8)):
            day = rng.integers(0, 100)
            for it in rng.choice(favourites, size=rng.integers(1, 4), replace=False):
                users.append(f"u{u}")
                items.append(f"i{it}")
                times.append(day * DAY + u)  # one basket per (user, day)
    return InteractionData.from_arrays(users, items, times, item_ids=[f"i{i}" for i in range(n_items)])


class Spy(Recommender):
    """Random scores; remembers what it was trained on."""

    name = "spy"
    seen_max_time: list = []

    def fit(self, data, *, progress=None):
        self.n_items = data.n_items
        Spy.seen_max_time.append(float(data.time.max()))
        return self

    def score(self, histories, *, now=None):
        rng = np.random.default_rng(42)
        s = rng.random((len(histories), self.n_items + 1)).astype(np.float32)
        s[:, 0] = -np.inf
        return s

    def _state(self):
        return {}

    def _load_state(self, arrays):
        pass


class Oracle(Spy):
    """Knows the future: scores exactly the test targets highest (to check the plumbing)."""

    name = "oracle"
    targets: dict = {}

    def score(self, histories, *, now=None):
        s = super().score(histories, now=now)
        for r, h in enumerate(histories):
            s[r, Oracle.targets[id(h)]] += 10.0
        return s


def test_metrics_json_shape_and_no_leakage():
    data = synthetic()
    cutoff = 80 * DAY
    Spy.seen_max_time.clear()
    r = run_evaluation(
        data, {"pop": Popularity, "spy": Spy, "repeat": RepeatPurchase}, cutoff=cutoff, progress=False, n_bootstrap=200
    )
    assert set(r) == {"dataset", "protocol", "models", "explore", "paired"}
    assert r["dataset"]["users"] == 60 and r["dataset"]["items"] == 40
    assert r["dataset"]["interactions"] == data.n_interactions
    assert r["protocol"]["name"] == "temporal" and r["protocol"]["sampled"] is False
    assert r["protocol"]["cutoff"] == "1970-03-22T00:00:00+00:00"
    for view in ("models", "explore"):
        assert list(r[view]) == ["pop", "spy", "repeat"]
        for m in r[view].values():
            for k in (5, 10, 20):
                for name in ("hr", "recall", "precision", "ndcg", "mrr", "map", "coverage", "gini", "novelty"):
                    assert 0.0 <= m[f"{name}@{k}"] <= (1.0 if name != "novelty" else 20.0)
            lo, hi = m["ndcg@10_ci"]
            assert lo <= m["ndcg@10"] <= hi
            assert m["hr@10_ci"][0] <= m["hr@10"] <= m["hr@10_ci"][1]
    assert r["models"]["pop"]["fit_seconds"] >= 0 and r["models"]["pop"]["score_seconds"] >= 0
    assert Spy.seen_max_time == [max(t for t in data.time if t < cutoff)]
    # customers re-buy their favourites here, so repeat purchase must beat random scores
    assert r["models"]["repeat"]["ndcg@10"] > r["models"]["spy"]["ndcg@10"]
    # explore filters already bought items: repeat falls back to popularity there
    assert r["explore"]["repeat"]["ndcg@10"] == pytest.approx(r["explore"]["pop"]["ndcg@10"])
    # paired differences: the best model of each view against the others, on the same users
    best = max(r["models"], key=lambda n: r["models"][n]["ndcg@10"])
    paired = r["paired"]["models"]
    assert paired["reference"] == best and paired["metric"] == "ndcg@10"
    assert set(paired["vs"]) == set(r["models"]) - {best}
    for other, d in paired["vs"].items():
        assert d["diff"] == pytest.approx(r["models"][best]["ndcg@10"] - r["models"][other]["ndcg@10"])
        assert d["ci"][0] <= d["diff"] <= d["ci"][1]
        assert d["beyond_noise"] == (d["ci"][0] > 0)
    assert r["paired"]["models"]["vs"]["spy"]["beyond_noise"]  # repeat buyers: random scores lose clearly
    json.dumps(r)  # serialisable as is


def test_sampled_candidates_identical_across_models_and_flattering():
    data = synthetic(seed=1)
    kw = dict(protocol="leave-last", sampled=True, seed=7, progress=False, n_bootstrap=50, n_negatives=10)
    a = run_evaluation(data, {"spy_a": Spy, "spy_b": Spy}, **kw)
    # the same scorer on the same candidates gives the same numbers under two names
    assert a["models"]["spy_a"]["ndcg@10"] == a["models"]["spy_b"]["ndcg@10"]
    full = run_evaluation(data, {"pop": Popularity}, protocol="leave-last", progress=False, n_bootstrap=50)
    sampled = run_evaluation(data, {"pop": Popularity}, **kw)
    assert sampled["protocol"]["sampled"] is True and sampled["protocol"]["negatives"] == 10
    assert sampled["models"]["pop"]["hr@10"] >= full["models"]["pop"]["hr@10"]
    assert "explore" not in full


def test_oracle_scores_one(monkeypatch):
    data = synthetic(seed=2)
    from recommend.evaluation import runner

    real = runner.make_split

    def spy_split(*args, **kwargs):
        s = real(*args, **kwargs)
        for h, t in zip(s.cases.histories, s.cases.truth):
            Oracle.targets[id(h)] = t
        return s

    monkeypatch.setattr(runner, "make_split", spy_split)
    r = run_evaluation(data, {"oracle": Oracle}, protocol="leave-last", progress=False, n_bootstrap=50)
    m = r["models"]["oracle"]
    assert m["hr@5"] == 1.0 and m["mrr@5"] == 1.0
    assert m["ndcg@20"] == pytest.approx(1.0) and m["map@20"] == pytest.approx(1.0)


def test_validation_split_never_reads_test_period():
    data = synthetic(seed=3)
    Spy.seen_max_time.clear()
    r = run_evaluation(data, {"spy": Spy}, cutoff=70 * DAY, split="validation", progress=False, n_bootstrap=50)
    assert Spy.seen_max_time[0] < 70 * DAY
    assert r["protocol"]["split"] == "validation"
    assert r["protocol"]["validation_cutoff"] < r["protocol"]["test_cutoff"]


def test_write_report(tmp_path):
    data = synthetic(seed=4)
    r = run_evaluation(data, {"pop": Popularity, "repeat": RepeatPurchase}, progress=False, n_bootstrap=50)
    paths = write_report(r, tmp_path, command="python manage.py evaluate")
    assert json.loads((tmp_path / "metrics.json").read_text()) == json.loads(json.dumps(r))
    md = (tmp_path / "report.md").read_text()
    assert "| repeat |" in md and "**" in md and "95% CI" in md
    assert "python manage.py evaluate" in md
    assert "Paired bootstrap" in md and "| pop |" in md.split("Paired bootstrap")[1]
    for name in ("metric_by_model.png", "ndcg_over_k.png", "metric_by_model_explore.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["report"] == tmp_path / "report.md"


def test_bad_arguments():
    data = synthetic()
    with pytest.raises(ValueError, match="no models"):
        run_evaluation(data, {}, progress=False)
    with pytest.raises(ValueError, match="positive"):
        run_evaluation(data, {"pop": Popularity}, ks=(0,), progress=False)


def test_explore_view_matches_a_direct_computation():
    from recommend.evaluation import metrics as M
    from recommend.evaluation.protocols import temporal_split

    data = synthetic(seed=5)
    r = run_evaluation(data, {"pop": Popularity}, cutoff=70 * DAY, progress=False, n_bootstrap=20, batch_size=7)
    s = temporal_split(data, cutoff=70 * DAY)
    model = Popularity().fit(s.train)
    ndcg, hr = [], []
    for h, t, ex in zip(s.explore.histories, s.explore.truth, s.explore.exclude):
        scores = model.score([h])[0].astype(np.float64)
        scores[ex] = -np.inf
        ranked = np.argsort(-scores, kind="stable")[:10]  # ties by index, as the harness breaks them
        ndcg.append(M.ndcg(ranked, t, 10))
        hr.append(M.hit_rate(ranked, t, 10))
    assert r["explore"]["pop"]["ndcg@10"] == pytest.approx(np.mean(ndcg))
    assert r["explore"]["pop"]["hr@10"] == pytest.approx(np.mean(hr))
    assert r["explore"]["pop"]["cases"] == len(s.explore)


def test_top_k_breaks_ties_by_index_and_pads():
    from recommend.evaluation.runner import _top_k_batch

    s = np.array([[-np.inf, 1.0, 2.0, 2.0, 1.0, 2.0], [-np.inf, 0.0, -np.inf, -np.inf, 5.0, 0.0]], dtype=np.float32)
    assert _top_k_batch(s, 4).tolist() == [[2, 3, 5, 1], [4, 1, 5, -1]]
    assert _top_k_batch(s, 8).tolist()[0] == [2, 3, 5, 1, 4, -1, -1, -1]

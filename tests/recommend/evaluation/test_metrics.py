"""Each metric against hand-computed values and its boundaries."""

import math

import numpy as np
import pytest

from recommend.evaluation import metrics as M


def test_perfect_ranking_scores_one():
    truth = [3, 7, 9]
    for k in (3, 5, 10):
        assert M.ndcg(truth, truth, k) == pytest.approx(1.0)
        assert M.average_precision(truth, truth, k) == pytest.approx(1.0)
        assert M.hit_rate(truth, truth, k) == 1.0
        assert M.recall(truth, truth, k) == pytest.approx(1.0)
        assert M.mrr(truth, truth, k) == 1.0


def test_no_hit_scores_zero():
    ranked, truth = [1, 2, 3, 4], [8, 9]
    for f in (M.ndcg, M.average_precision, M.hit_rate, M.recall, M.precision, M.mrr):
        assert f(ranked, truth, 4) == 0.0


def test_hand_computed_example():
    # ranked: 5 hit? no; 2 hit; 8 no; 4 hit; 6 no.  truth {2, 4, 7}
    ranked, truth, k = [5, 2, 8, 4, 6], [2, 4, 7], 5
    assert M.hit_rate(ranked, truth, k) == 1.0
    assert M.recall(ranked, truth, k) == pytest.approx(2 / 3)
    assert M.precision(ranked, truth, k) == pytest.approx(2 / 5)
    assert M.mrr(ranked, truth, k) == pytest.approx(1 / 2)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert M.ndcg(ranked, truth, k) == pytest.approx(dcg / idcg)
    # AP@5 = (P@2 + P@4) / min(3, 5) = (1/2 + 2/4) / 3
    assert M.average_precision(ranked, truth, k) == pytest.approx((0.5 + 0.5) / 3)


def test_cutoff_k_ignores_later_ranks():
    ranked, truth = [1, 2, 3, 9], [9]
    assert M.hit_rate(ranked, truth, 3) == 0.0
    assert M.ndcg(ranked, truth, 3) == 0.0
    assert M.ndcg(ranked, truth, 4) == pytest.approx(1 / math.log2(5))


def test_ideal_dcg_is_capped_at_k():
    # 5 relevant items, K = 2, both top slots hit: a perfect list at K = 2
    assert M.ndcg([1, 2], [1, 2, 3, 4, 5], 2) == pytest.approx(1.0)
    assert M.average_precision([1, 2], [1, 2, 3, 4, 5], 2) == pytest.approx(1.0)
    assert M.recall([1, 2], [1, 2, 3, 4, 5], 2) == pytest.approx(2 / 5)


def test_vectorised_matches_scalar_functions():
    rng = np.random.default_rng(1)
    ranked = [rng.permutation(30)[:20] + 1 for _ in range(50)]
    truth = [rng.choice(np.arange(1, 31), size=rng.integers(1, 8), replace=False) for _ in range(50)]
    hits = np.array([np.isin(r, t) for r, t in zip(ranked, truth)])
    n = np.array([len(t) for t in truth])
    scalar = {
        "hr": M.hit_rate,
        "recall": M.recall,
        "precision": M.precision,
        "ndcg": M.ndcg,
        "mrr": M.mrr,
        "map": M.average_precision,
    }
    for k in (1, 5, 10, 20):
        vec = M.accuracy_from_hits(hits, n, k)
        for name, f in scalar.items():
            expected = [f(r, t, k) for r, t in zip(ranked, truth)]
            assert vec[name] == pytest.approx(expected), (name, k)


def test_vectorised_rejects_empty_truth():
    with pytest.raises(ValueError):
        M.accuracy_from_hits(np.zeros((1, 5), bool), np.array([0]), 5)


def test_coverage():
    lists = np.array([[1, 2], [2, 3], [3, -1]])
    assert M.coverage(lists, 10) == pytest.approx(3 / 10)
    assert M.coverage(np.array([[1, 2, 3, 4]]), 4) == 1.0


def test_gini_bounds_and_example():
    assert M.gini(np.array([5, 5, 5, 5])) == pytest.approx(0.0)
    # all exposure on one of n items: (n - 1) / n
    assert M.gini(np.array([0, 0, 0, 10])) == pytest.approx(3 / 4)
    # hand: x = [1, 3], n = 2: ((2*1-3)*1 + (2*2-3)*3) / (2 * 4) = 2 / 8
    assert M.gini(np.array([3, 1])) == pytest.approx(0.25)
    assert M.exposure_gini(np.array([[1, 2], [1, 2]]), 2) == pytest.approx(0.0)


def test_novelty_is_self_information():
    item_users = np.array([0, 50, 25, 0])  # item 1: half the users, item 2: a quarter, item 3: nobody
    assert M.novelty(np.array([[1]]), item_users, 100) == pytest.approx(1.0)
    assert M.novelty(np.array([[1, 2]]), item_users, 100) == pytest.approx((1 + 2) / 2)
    assert M.novelty(np.array([[3]]), item_users, 100) == pytest.approx(math.log2(100))


def test_intra_list_diversity_by_category():
    cats = np.array(["", "a", "a", "b", "c"], dtype=object)
    assert M.intra_list_diversity_categories(np.array([[1, 2]]), cats) == pytest.approx(0.0)
    assert M.intra_list_diversity_categories(np.array([[1, 3, 4]]), cats) == pytest.approx(1.0)
    # pairs of [1, 2, 3]: (1,2) same, (1,3) diff, (2,3) diff -> 2/3
    assert M.intra_list_diversity_categories(np.array([[1, 2, 3]]), cats) == pytest.approx(2 / 3)


def test_intra_list_diversity_by_vectors():
    v = np.array([[0, 0], [1, 0], [1, 0], [0, 1]], dtype=float)
    assert M.intra_list_diversity_vectors(np.array([[1, 2]]), v) == pytest.approx(0.0)
    assert M.intra_list_diversity_vectors(np.array([[1, 3]]), v) == pytest.approx(1.0)


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    v = np.random.default_rng(0).random(500)
    lo, hi = M.bootstrap_ci(v, seed=3)
    assert (lo, hi) == M.bootstrap_ci(v, seed=3)
    assert lo < v.mean() < hi
    assert hi - lo < 0.1
    assert M.bootstrap_ci(np.ones(20), seed=0) == pytest.approx((1.0, 1.0))


def test_paired_bootstrap_diff_sees_a_small_consistent_win_that_unpaired_intervals_call_a_tie():
    rng = np.random.default_rng(0)
    hard = rng.random(400)  # how easy each case is: shared by both models
    a, b = hard + 0.02, hard.copy()
    diff, lo, hi = M.paired_bootstrap_diff(a, b, seed=1)
    assert diff == pytest.approx(0.02)
    assert (lo, hi) == pytest.approx((0.02, 0.02))  # the same cases every resample: no noise in the difference
    a_lo, _ = M.bootstrap_ci(a, seed=1)
    _, b_hi = M.bootstrap_ci(b, seed=1)
    assert a_lo < b_hi  # the unpaired intervals overlap
    assert M.paired_bootstrap_diff(b, b, seed=1) == (0.0, 0.0, 0.0)
    assert M.paired_bootstrap_diff(np.zeros(0), np.zeros(0)) == (0.0, 0.0, 0.0)
    noisy = b + rng.normal(0, 0.2, len(b))
    diff, lo, hi = M.paired_bootstrap_diff(noisy, b, seed=1)
    assert lo < diff < hi and lo < 0 < hi  # pure noise: the interval holds 0

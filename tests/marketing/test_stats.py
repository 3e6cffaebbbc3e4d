"""The experiment statistics against values computed by hand (the arithmetic is
in the comments), and their behaviour over many simulated tests."""

import numpy as np
import pytest

from marketing import stats


def test_two_proportion_z_test_by_hand():
    # 200/1000 vs 250/1000: pooled p = 0.225, se = sqrt(0.225·0.775·(2/1000)) = 0.0186748
    # z = 0.05 / 0.0186748 = 2.67740, p = 2·(1 − Φ(2.6774)) = 0.0074196
    # interval: se = sqrt(0.2·0.8/1000 + 0.25·0.75/1000) = 0.0186414, 0.05 ± 1.95996·0.0186414
    r = stats.two_proportion_ztest(200, 1000, 250, 1000)
    assert r.diff == pytest.approx(0.05)
    assert r.statistic == pytest.approx(2.67740, abs=1e-4)
    assert r.p_value == pytest.approx(0.0074196, abs=1e-6)
    assert (r.low, r.high) == (pytest.approx(0.013464, abs=1e-5), pytest.approx(0.086536, abs=1e-5))
    assert r.relative == pytest.approx(0.25)
    with pytest.raises(ValueError):
        stats.two_proportion_ztest(0, 0, 1, 10)


def test_welch_by_hand():
    # a = 1..4: mean 2.5, s² = 5/3; b = 2,4,..,10: mean 6, s² = 10
    # se² = (5/3)/4 + 10/5 = 2.416667, t = 3.5 / 1.554563 = 2.25144
    # df = 2.416667² / ((0.416667²)/3 + 2²/4) = 5.840278 / 1.057870 = 5.52079
    r = stats.welch_ttest([1, 2, 3, 4], [2, 4, 6, 8, 10])
    assert r.diff == pytest.approx(3.5)
    assert r.statistic == pytest.approx(2.25144, abs=1e-5)
    from scipy import stats as st

    assert r.p_value == pytest.approx(2 * st.t.sf(2.25144, 5.52079), abs=1e-5)
    assert r.high - r.diff == pytest.approx(st.t.ppf(0.975, 5.52079) * 1.554563, abs=1e-4)


def test_cuped_theta_and_adjustment_by_hand():
    # x = 1..4 (mean 2.5), y = 2,4,5,9 (mean 5): cov = 11/3, var x = 5/3, θ = 2.2
    # y' = y − 2.2 (x − 2.5) = 5.3, 5.1, 3.9, 5.7
    assert stats.cuped_theta([2, 4, 5, 9], [1, 2, 3, 4]) == pytest.approx(2.2)
    assert stats.cuped_adjust([2, 4, 5, 9], [1, 2, 3, 4]) == pytest.approx([5.3, 5.1, 3.9, 5.7])


def test_cuped_keeps_the_effect_and_narrows_the_interval():
    rng = np.random.default_rng(1)
    n = 4000
    x_c, x_t = rng.gamma(2, 20, n), rng.gamma(2, 20, n)  # pre-period spend
    y_c = 0.8 * x_c + rng.normal(0, 10, n)
    y_t = 0.8 * x_t + rng.normal(0, 10, n) + 2.0  # true lift: 2.0 per visitor
    r = stats.cuped(y_c, x_c, y_t, x_t)
    assert r.theta == pytest.approx(0.8, abs=0.03)
    assert r.adjusted.low < 2.0 < r.adjusted.high
    assert (r.adjusted.high - r.adjusted.low) < 0.5 * (r.raw.high - r.raw.low)
    assert r.variance_reduction > 0.7


def test_bootstrap_interval_agrees_with_welch_on_normal_data():
    rng = np.random.default_rng(2)
    c, t = rng.normal(10, 3, 3000), rng.normal(10.5, 3, 3000)
    low, high = stats.bootstrap_diff(c, t, n_boot=2000, seed=3)
    w = stats.welch_ttest(c, t)
    assert low == pytest.approx(w.low, abs=0.03) and high == pytest.approx(w.high, abs=0.03)


def test_srm_by_hand():
    # 5000 vs 5300 at 50/50: expected 5150 each, χ² = 2·150²/5150 = 8.7379, p = 0.0031: not flagged
    ok = stats.srm_test([5000, 5300], [0.5, 0.5])
    assert ok.chi2 == pytest.approx(8.73786, abs=1e-4) and ok.p_value == pytest.approx(0.003117, abs=1e-5)
    assert not ok.mismatch
    # 5000 vs 5400: χ² = 2·200²/5200 = 15.3846, p = 8.77e-5 < 0.001: flagged
    bad = stats.srm_test([5000, 5400], [0.5, 0.5])
    assert bad.chi2 == pytest.approx(15.38462, abs=1e-4) and bad.mismatch
    # unequal weights: 2000 vs 8000 at 20/80 is exactly as planned
    assert stats.srm_test([2000, 8000], [0.2, 0.8]).chi2 == pytest.approx(0.0)


def test_sample_size_and_horizon_warning():
    # (1.959964 + 0.841621)² · (0.1·0.9 + 0.12·0.88) / 0.02² = 7.848879 · 0.1956 / 0.0004 = 3838.1 → 3839
    assert stats.sample_size_proportions(0.10, 0.02) == 3839
    assert "peeking" in stats.horizon_check([1200, 1180], 3839)
    assert stats.horizon_check([3900, 3840], 3839) == ""
    assert "No planned sample size" in stats.horizon_check([10, 10], None)


def test_a_a_tests_are_significant_at_the_stated_rate():
    rng = np.random.default_rng(4)
    runs = 4000
    x = rng.binomial(2000, 0.1, size=(runs, 2))
    p = np.array([stats.two_proportion_ztest(int(a), 2000, int(b), 2000).p_value for a, b in x])
    rate = float((p < 0.05).mean())
    assert 0.04 < rate < 0.06  # 5% ± 4.6 standard errors (sqrt(.05·.95/4000) = 0.0034)


def test_mean_interval_by_hand():
    # x = 1, 2, 3, 4, 10: mean 4, s² = (9 + 4 + 1 + 0 + 36) / 4 = 12.5, s/√5 = 1.5811, t(0.975, 4) = 2.7764
    r = stats.mean_interval([1, 2, 3, 4, 10])
    assert r.mean == 4 and r.n == 5
    assert r.low == pytest.approx(4 - 2.7764 * 1.5811, abs=1e-3)
    assert r.high == pytest.approx(4 + 2.7764 * 1.5811, abs=1e-3)
    assert stats.mean_interval([7.0]) == stats.MeanInterval(7.0, None, None, 1)
    assert stats.mean_interval([]).n == 0

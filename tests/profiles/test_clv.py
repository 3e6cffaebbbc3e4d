"""BG/NBD + Gamma-Gamma (profiles/clv.py) on data drawn from the models themselves."""

import numpy as np
import pandas as pd
import pytest

from profiles.clv import ClvParams, clv_fit, clv_predict, expected_purchases, expected_spend, rfm_summary


def simulate(n, r, alpha, a, b, *, T_calib, T_hold, seed=0):
    """BG/NBD shoppers: rate ~ Gamma(r, 1/alpha) per week, drop out after each
    repeat purchase with probability ~ Beta(a, b); first purchase at week 0."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    x, t_x, hold = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T_calib + T_hold:
                break
            if t <= T_calib:
                x[i], t_x[i] = x[i] + 1, t
            else:
                hold[i] += 1
            if rng.random() < drop[i]:  # after each repeat purchase (FHL 2005)
                break
    return pd.DataFrame({"x": x, "t_x": t_x, "T": np.full(n, T_calib)}), hold


def test_bgnbd_recovers_its_parameters_and_predicts_the_hold_out():
    summary, hold = simulate(4000, r=0.5, alpha=5.0, a=0.8, b=2.5, T_calib=39.0, T_hold=13.0)
    summary["n"] = summary["x"] + 1
    summary["mean_value"] = 20.0
    summary["monetary"] = np.where(summary["x"] > 0, 20.0, 0.0)
    fit = clv_fit(summary)
    assert fit.r == pytest.approx(0.5, rel=0.3) and fit.alpha == pytest.approx(5.0, rel=0.4)
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.8 / 3.3, rel=0.3)  # mean drop-out probability
    predicted = expected_purchases(fit, 13.0, summary["x"], summary["t_x"], summary["T"])
    assert predicted.sum() == pytest.approx(hold.sum(), rel=0.1)
    # frequent recent buyers are expected to buy more than lapsed ones
    assert expected_purchases(fit, 13.0, 10, 38.0, 39.0) > expected_purchases(fit, 13.0, 10, 5.0, 39.0)


def test_gamma_gamma_shrinks_a_single_order_towards_the_population():
    params = ClvParams(r=0.7, alpha=9.0, a=0.1, b=4.5, p=3.5, q=3.0, v=220.0)
    population = params.p * params.v / (params.q - 1)
    one_big = float(expected_spend(params, 1, 6000.0))
    many_big = float(expected_spend(params, 30, 6000.0))
    assert population < one_big < many_big < 6000.0 and many_big > 0.95 * 6000.0
    assert float(expected_spend(params, 0, 0.0)) == pytest.approx(population)


def test_summary_counts_purchase_days_and_clv_is_zero_for_nobody():
    at = pd.to_datetime(["2026-01-05 10:00", "2026-01-05 15:00", "2026-02-02 09:00"]).tz_localize("UTC")
    purchases = pd.DataFrame({"customer_id": [1, 1, 1], "created_at": at, "value": [10.0, 5.0, 30.0]})
    s = rfm_summary(purchases, now=pd.Timestamp("2026-03-02", tz="UTC"))
    row = s.loc[1]
    assert (row["n"], row["x"], row["t_x"], row["T"], row["monetary"]) == (2, 1, 4.0, 8.0, 30.0)
    assert row["mean_value"] == pytest.approx(22.5)
    empty = rfm_summary(purchases.iloc[:0], now=pd.Timestamp("2026-03-02", tz="UTC"))
    assert clv_predict(clv_fit(empty), empty).empty

"""The statistics of an A/B test, pure functions over counts and arrays (no
Django): scipy.stats gives the distributions, the formulas are written out.

- two_proportion_ztest: rates (click-through, add-to-cart, conversion); the
  test uses the pooled proportion, the 95% interval the unpooled standard error.
- welch_ttest / bootstrap_diff: revenue per visitor (heavy-tailed: the
  bootstrap interval is shown next to Welch's).
- cuped: variance reduction with a pre-period covariate (each shopper's spend
  before the experiment): y' = y - θ (x - mean x), θ = cov(x, y) / var(x), over
  both groups pooled; the difference of means is unchanged in expectation and
  its variance shrinks by the squared correlation.
- srm_test: chi-square of the variant counts against their weights; flagged
  at p < 0.001 (the assignment, not the shoppers, is then suspect).
- sample_size_proportions / horizon_check: the fixed horizon (shoppers per
  variant) a test must reach before its p-value may be read; peeking earlier
  inflates false positives, so the dashboard says so until it is reached.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

SRM_ALPHA = 0.001


@dataclass(frozen=True)
class Comparison:
    """treatment minus control: estimate, 95% interval, test statistic, p-value."""

    control: float
    treatment: float
    diff: float
    low: float
    high: float
    statistic: float
    p_value: float

    @property
    def relative(self) -> float | None:
        return self.diff / self.control if self.control else None


def two_proportion_ztest(x_c: int, n_c: int, x_t: int, n_t: int, *, alpha: float = 0.05) -> Comparison:
    if n_c <= 0 or n_t <= 0:
        raise ValueError("both groups need at least one unit")
    p_c, p_t = x_c / n_c, x_t / n_t
    pooled = (x_c + x_t) / (n_c + n_t)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    diff = p_t - p_c
    z = diff / se_pooled if se_pooled > 0 else 0.0
    p = 2 * st.norm.sf(abs(z))
    se = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    q = st.norm.ppf(1 - alpha / 2)
    return Comparison(p_c, p_t, diff, float(diff - q * se), float(diff + q * se), float(z), float(p))


def welch_ttest(control: Sequence[float], treatment: Sequence[float], *, alpha: float = 0.05) -> Comparison:
    c, t = np.asarray(control, dtype=float), np.asarray(treatment, dtype=float)
    if len(c) < 2 or len(t) < 2:
        raise ValueError("both groups need at least two units")
    vc, vt = c.var(ddof=1) / len(c), t.var(ddof=1) / len(t)
    se = math.sqrt(vc + vt)
    diff = float(t.mean() - c.mean())
    if se == 0:
        return Comparison(float(c.mean()), float(t.mean()), diff, diff, diff, 0.0, 1.0 if diff == 0 else 0.0)
    df = (vc + vt) ** 2 / (vc**2 / (len(c) - 1) + vt**2 / (len(t) - 1))
    stat = diff / se
    q = st.t.ppf(1 - alpha / 2, df)
    return Comparison(
        float(c.mean()), float(t.mean()), diff, diff - q * se, diff + q * se, stat, float(2 * st.t.sf(abs(stat), df))
    )


def bootstrap_diff(
    control: Sequence[float], treatment: Sequence[float], *, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile interval of mean(treatment) - mean(control), resampling each group."""
    c, t = np.asarray(control, dtype=float), np.asarray(treatment, dtype=float)
    rng = np.random.default_rng(seed)
    ci = rng.integers(0, len(c), size=(n_boot, len(c)))
    ti = rng.integers(0, len(t), size=(n_boot, len(t)))
    diffs = t[ti].mean(axis=1) - c[ci].mean(axis=1)
    return float(np.quantile(diffs, alpha / 2)), float(np.quantile(diffs, 1 - alpha / 2))


def cuped_theta(y: Sequence[float], x: Sequence[float]) -> float:
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    var = x.var(ddof=1)
    return float(np.cov(x, y, ddof=1)[0, 1] / var) if var > 0 else 0.0


def cuped_adjust(y: Sequence[float], x: Sequence[float], theta: float | None = None) -> np.ndarray:
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    theta = cuped_theta(y, x) if theta is None else theta
    return y - theta * (x - x.mean())


@dataclass(frozen=True)
class CupedResult:
    raw: Comparison
    adjusted: Comparison
    theta: float
    variance_reduction: float  # share of the variance of y removed, 0..1


def cuped(y_c, x_c, y_t, x_t, *, alpha: float = 0.05) -> CupedResult:
    """Welch's test on the raw outcome and on the CUPED-adjusted outcome (θ and the
    covariate mean pooled over both groups)."""
    y = np.concatenate([np.asarray(y_c, float), np.asarray(y_t, float)])
    x = np.concatenate([np.asarray(x_c, float), np.asarray(x_t, float)])
    theta = cuped_theta(y, x)
    adj = cuped_adjust(y, x, theta)
    n_c = len(y_c)
    raw = welch_ttest(y[:n_c], y[n_c:], alpha=alpha)
    adjusted = welch_ttest(adj[:n_c], adj[n_c:], alpha=alpha)
    var_y = y.var(ddof=1)
    reduction = float(1 - adj.var(ddof=1) / var_y) if var_y > 0 else 0.0
    return CupedResult(raw, adjusted, theta, reduction)


@dataclass(frozen=True)
class SrmResult:
    chi2: float
    p_value: float
    expected: tuple[float, ...]

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


def srm_test(observed: Sequence[int], weights: Sequence[float]) -> SrmResult:
    """Chi-square goodness of fit of the variant counts to their weights."""
    obs = np.asarray(observed, dtype=float)
    w = np.asarray(weights, dtype=float)
    total = obs.sum()
    if total == 0:
        return SrmResult(0.0, 1.0, tuple(0.0 for _ in obs))
    expected = total * w / w.sum()
    chi2 = float(((obs - expected) ** 2 / expected).sum())
    return SrmResult(chi2, float(st.chi2.sf(chi2, len(obs) - 1)), tuple(float(e) for e in expected))


def sample_size_proportions(p_base: float, mde: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Units per variant to detect an absolute change `mde` of a base rate `p_base`
    with a two-sided test: (z_{1-α/2} + z_power)² (p1(1-p1) + p2(1-p2)) / mde²."""
    if not 0 < p_base < 1 or mde == 0 or not 0 < p_base + mde < 1:
        raise ValueError("base rate and base rate + effect must lie strictly between 0 and 1")
    p2 = p_base + mde
    z = st.norm.ppf(1 - alpha / 2) + st.norm.ppf(power)
    return math.ceil(z**2 * (p_base * (1 - p_base) + p2 * (1 - p2)) / mde**2)


def horizon_check(units_per_variant: Sequence[int], planned: int | None) -> str:
    """The fixed-horizon warning shown next to the p-values ("" once reached)."""
    if not planned:
        return (
            "No planned sample size: these p-values assume the test was read once, at a horizon fixed in "
            "advance. Set the planned shoppers per variant before reading them."
        )
    smallest = min(units_per_variant) if units_per_variant else 0
    if smallest < planned:
        return (
            f"Not at the planned horizon yet ({smallest:,} of {planned:,} shoppers in the smallest variant): "
            "reading the p-values now (peeking) inflates false positives; wait for the horizon."
        )
    return ""


@dataclass(frozen=True)
class MeanInterval:
    """A mean with its 95% t interval (None below two units)."""

    mean: float
    low: float | None
    high: float | None
    n: int


def mean_interval(values: Sequence[float], *, alpha: float = 0.05) -> MeanInterval:
    """mean ± t(1 − α/2, n − 1) · s / √n: e.g. revenue per member of one group."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return MeanInterval(0.0, None, None, 0)
    mean = float(x.mean())
    if n < 2:
        return MeanInterval(mean, None, None, n)
    half = float(st.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return MeanInterval(mean, mean - half, mean + half, n)

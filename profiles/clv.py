"""Customer lifetime value: BG/NBD (how often, and whether still alive) with
Gamma-Gamma (how much per purchase). Pure numpy/scipy, no Django.

The two published models, fitted by maximum likelihood with scipy.optimize:
- BG/NBD: Fader, Hardie and Lee, '"Counting Your Customers" the Easy Way: An
  Alternative to the Pareto/NBD Model', Marketing Science 24(2), 2005
  (log-likelihood eq. 6, conditional expectation eq. 10);
- Gamma-Gamma: Fader and Hardie, 'The Gamma-Gamma Model of Monetary Value',
  2013 (note), the spend model of `lifetimes` and `pymc-marketing`.

Why our own fit: `lifetimes` (last release 2020) no longer imports with
today's setuptools and fails to converge where the likelihood is fine, `btyd`
installs only on Python < 3.10, and `pymc-marketing` brings PyMC, PyTensor
and ArviZ for two four-parameter likelihoods. docs/portraits.md reports this
module's error on a hold-out period (`bench/bench_clv.py`).

Conventions (as in `lifetimes`): a customer's purchases are counted per day;
x = repeat purchase days, t_x = weeks from the first to the last purchase
day, T = weeks from the first purchase day to now. Spend: Gamma-Gamma is fitted
on every purchase day (n = x + 1 days of mean value `mean_value`), not only the
repeat ones, so a one-time buyer's expected spend per purchase is their own
spend shrunk towards the population's rather than the population mean: on the
hold-out this halves the one-time buyers predicted at over three times their
spend (docs/portraits.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

WEEK_S = 7 * 86400.0
HORIZON_WEEKS = 52.0  # the 12 months of `clv_12m`


@dataclass(frozen=True)
class ClvParams:
    """Fitted parameters of both models (BG/NBD r, alpha, a, b; Gamma-Gamma p, q, v)."""

    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    v: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ClvParams | None:
        if not data:
            return None
        try:
            return cls(**{k: float(data[k]) for k in cls.__dataclass_fields__})
        except (KeyError, TypeError, ValueError):
            return None


def rfm_summary(purchases: pd.DataFrame, *, now: pd.Timestamp, tz: str = "Europe/London") -> pd.DataFrame:
    """x, t_x, T (weeks) and mean repeat spend per customer.

    purchases: columns customer_id, created_at (tz-aware), value (net money of
    the line). Returns a frame indexed by customer_id with columns x, t_x, T,
    monetary (buyers only)."""
    if not len(purchases):
        return pd.DataFrame(
            columns=["n", "mean_value", "x", "t_x", "T", "monetary"], index=pd.Index([], name="customer_id")
        )
    day = purchases["created_at"].dt.tz_convert(tz).dt.normalize()
    days = (
        pd.DataFrame(
            {
                "customer_id": purchases["customer_id"].to_numpy(),
                "day": day.to_numpy(),
                "value": purchases["value"].to_numpy(),
            }
        )
        .groupby(["customer_id", "day"], sort=True)["value"]
        .sum()
        .reset_index()
    )
    days["day"] = pd.to_datetime(days["day"], utc=True)
    g = days.groupby("customer_id")
    first = g["day"].min()
    last = g["day"].max()
    n = g.size()
    total = g["value"].sum()
    first_value = g["value"].first()
    x = (n - 1).astype(float)
    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now
    out = pd.DataFrame(
        {
            "n": n.astype(float),
            "mean_value": total / n,
            "x": x,
            "t_x": (last - first).dt.total_seconds() / WEEK_S,
            "T": ((now - first).dt.total_seconds() / WEEK_S).clip(lower=0.0),
            "monetary": np.where(x > 0, (total - first_value) / x.where(x > 0, 1.0), 0.0),
        }
    )
    out["T"] = np.maximum(out["T"], out["t_x"])
    return out


def _bgnbd_ll(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def _gg_ll(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, v = params
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


def _fit(negll, start: np.ndarray, penalty: float) -> np.ndarray:
    def objective(log_params):
        value = negll(np.exp(log_params)) + penalty * float(np.sum(log_params**2))
        return value if np.isfinite(value) else 1e300

    result = minimize(
        objective, np.log(start), method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-8}
    )
    return np.exp(result.x)


# what the whole store's history gives (bench/bench_clv.py): the answer when
# there is no buyer to learn from yet
STORE_PRIOR = ClvParams(r=0.7, alpha=9.0, a=0.09, b=4.5, p=3.5, q=3.0, v=220.0)


def clv_fit(summary: pd.DataFrame, *, penalty: float = 1e-3) -> ClvParams:
    """Fit BG/NBD on every buyer and Gamma-Gamma on the repeat buyers (positive
    mean spend). A small ridge on the log-parameters keeps a fit on a handful
    of customers finite; on thousands it does not move the estimates."""
    if not len(summary):
        return STORE_PRIOR
    x = summary["x"].to_numpy(float)
    t_x = summary["t_x"].to_numpy(float)
    T = summary["T"].to_numpy(float)
    n = max(len(x), 1)
    r, alpha, a, b = _fit(lambda prm: -_bgnbd_ll(prm, x, t_x, T).sum() / n, np.array([1.0, 10.0, 1.0, 3.0]), penalty)
    spend_n = summary["n"].to_numpy(float)
    spend_m = summary["mean_value"].to_numpy(float)
    keep = spend_m > 0
    xm, m = spend_n[keep], spend_m[keep]
    if len(xm) >= 2:
        k = len(xm)
        p, q, v = _fit(
            lambda prm: -_gg_ll(prm, xm, m).sum() / k, np.array([2.0, 3.0, max(float(m.mean()), 1.0)]), penalty
        )
    else:  # too few buyers to learn a spread: spend per purchase is what they spent, with weak certainty
        mean = float(np.nan_to_num(summary["mean_value"].mean(), nan=1.0))
        p, q, v = 1.0, 2.0, max(mean, 1.0)
    return ClvParams(r=float(r), alpha=float(alpha), a=float(a), b=float(b), p=float(p), q=float(q), v=float(v))


def expected_purchases(params: ClvParams, t: float, x, t_x, T) -> np.ndarray:
    """E[purchases in the next t weeks | x, t_x, T] (BG/NBD, FHL 2005 eq. 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    alive = 1 + np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return np.clip(head * body / alive, 0.0, None)


def expected_spend(params: ClvParams, x, m) -> np.ndarray:
    """E[spend per purchase | x purchases of mean m] (Gamma-Gamma); the
    population mean p*v/(q-1) for x = 0."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    p, q, v = params.p, params.q, params.v
    return (p * (v + x * m)) / np.maximum(p * x + q - 1, 1e-9)


def clv_predict(params: ClvParams, summary: pd.DataFrame, *, weeks: float = HORIZON_WEEKS) -> pd.Series:
    """Expected spend over the next `weeks` (undiscounted) per customer of `summary`."""
    n = expected_purchases(params, weeks, summary["x"], summary["t_x"], summary["T"])
    spend = expected_spend(params, summary["n"], summary["mean_value"])
    return pd.Series(np.nan_to_num(n * spend, nan=0.0, posinf=0.0), index=summary.index)

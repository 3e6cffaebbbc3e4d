"""The hybrid: candidates from several models, re-ranked by a LightGBM lambdarank model.

As the Kaggle H&M / Instacart winners and the next-basket literature do
(docs/evaluation.md, trap 2): every base model proposes candidates (its top items
that are new to the shopper, plus everything the shopper bought before), and a
gradient-boosted ranker orders them from features of each (shopper, item)
pair:

- each base model's score and rank (NaN when that model is missing);
- the shopper's own history of the item: baskets with it, units, time-decayed
  count, count in the last 1 and 3 baskets, days since last bought, mean gap
  between purchases and the ratio of the two (is it "due"?);
- the shopper: baskets, distinct items, mean basket size, days since last
  basket; the item: popularity overall and in the last 30 days, trend, buyers,
  price and price relative to the shopper's usual price band; the shopper's
  affinity for the item's category (share of their history in it), computed
  from the history itself.

Training never sees the evaluation period: inside `fit(data)` the last
`label_days` of `data` are held out, the base models are fitted on what lies
before, the ranker learns which candidates were bought in the held-out window,
and then every base model is refitted on all of `data` for scoring. A base
model that is unknown or fails to fit is skipped (its features are missing
values), so the hybrid degrades instead of failing.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .base import Progress, Recommender, build_model, mask_padding, tuned_config
from .data import History, InteractionData

log = logging.getLogger(__name__)
DAY = 86400.0
HISTORY_FEATURES = (
    "in_history",
    "baskets_with",
    "units",
    "decayed",
    "last1",
    "last3",
    "days_since",
    "mean_gap",
    "due_ratio",
)
# the rows of history_features(), named
IN_HISTORY, BASKETS_WITH, UNITS, DECAYED, LAST1, LAST3, DAYS_SINCE, MEAN_GAP, DUE_RATIO = range(len(HISTORY_FEATURES))
USER_FEATURES = ("u_baskets", "u_items", "u_basket_size", "u_days_since")
ITEM_FEATURES = ("i_pop", "i_pop30", "i_trend", "i_buyers", "i_price", "price_ratio", "cat_affinity", "i_age", "i_idle")


def _model_class(name: str) -> type[Recommender] | None:
    from .registry import MODELS  # late: the registry lists the hybrid too

    return MODELS.get(name)


class _ItemStats:
    """Item-level statistics from the data the hybrid is fitted on (never later data)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.a = arrays

    @classmethod
    def from_data(cls, data: InteractionData) -> "_ItemStats":
        n1 = data.n_items + 1
        end = float(data.time.max()) if data.n_interactions else 0.0
        recent = data.time >= end - 30 * DAY
        prev = (data.time >= end - 60 * DAY) & ~recent
        pop = np.bincount(data.item, minlength=n1).astype(np.float64)
        pop30 = np.bincount(data.item[recent], minlength=n1).astype(np.float64)
        prev30 = np.bincount(data.item[prev], minlength=n1).astype(np.float64)
        pairs = np.unique(data.user.astype(np.int64) * n1 + data.item)
        buyers = np.bincount(pairs % n1, minlength=n1).astype(np.float64)
        feats = data.item_features
        price = (
            np.asarray(feats.prices, dtype=np.float64)
            if feats is not None and feats.prices is not None
            else np.full(n1, np.nan)
        )
        if feats is not None and feats.categories is not None:
            _, cat = np.unique(np.asarray([str(c or "") for c in feats.categories]), return_inverse=True)
        else:
            cat = np.full(n1, -1)
        # a product's life: days since its first and its last sale (new lines sell, discontinued ones stop)
        first = np.full(n1, np.inf)
        np.minimum.at(first, data.item, data.time)
        last = np.full(n1, -np.inf)
        np.maximum.at(last, data.item, data.time)
        sold = np.isfinite(first)
        age, idle = np.full(n1, np.nan), np.full(n1, np.nan)
        age[sold], idle[sold] = (end - first[sold]) / DAY, (end - last[sold]) / DAY
        return cls(
            {
                "pop": np.log1p(pop),
                "pop30": np.log1p(pop30),
                "trend": np.log((pop30 + 1) / (prev30 + 1)),
                "buyers": np.log1p(buyers),
                "price": price,
                "cat": cat.astype(np.int64),
                "raw_pop": pop,
                "age": age,
                "idle": idle,
            }
        )


def history_features(h: History, now: float, n1: int, stats: _ItemStats) -> tuple[np.ndarray, np.ndarray]:
    """Per-item features of one history: float64 (len(HISTORY_FEATURES), n1) and user (len(USER_FEATURES),)."""
    f = np.zeros((len(HISTORY_FEATURES), n1))
    f[[DAYS_SINCE, MEAN_GAP, DUE_RATIO]] = np.nan  # missing for items never bought (or bought once)
    if len(h) == 0:
        return f, np.array([0.0, 0.0, np.nan, np.nan])
    items, times, qty = h.items, h.times, h.qty.astype(np.float64)
    bid = np.r_[0, np.cumsum(np.diff(times) != 0)]
    n_b = int(bid[-1]) + 1
    pair = np.unique(items * (n_b + 1) + bid)
    p_item, p_b = pair // (n_b + 1), pair % (n_b + 1)
    f[IN_HISTORY, items] = 1.0
    f[BASKETS_WITH] = np.bincount(p_item, minlength=n1)
    f[UNITS] = np.log1p(np.bincount(items, weights=qty, minlength=n1))
    f[DECAYED] = np.bincount(items, weights=0.5 ** (np.maximum(now - times, 0) / (90 * DAY)), minlength=n1)
    f[LAST1] = np.bincount(p_item[p_b == n_b - 1], minlength=n1)
    f[LAST3] = np.bincount(p_item[p_b >= n_b - 3], minlength=n1)
    last = np.full(n1, -np.inf)
    np.maximum.at(last, items, times)
    first = np.full(n1, np.inf)
    np.minimum.at(first, items, times)
    seen = np.isfinite(last)
    f[DAYS_SINCE, seen] = (now - last[seen]) / DAY
    multi = f[BASKETS_WITH] > 1
    f[MEAN_GAP, multi] = (last[multi] - first[multi]) / (f[BASKETS_WITH, multi] - 1) / DAY
    f[DUE_RATIO, multi] = f[DAYS_SINCE, multi] / np.maximum(f[MEAN_GAP, multi], 1.0)
    u = np.array([n_b, len(np.unique(items)), len(items) / n_b, (now - times[-1]) / DAY])
    return f, u


class Hybrid(Recommender):
    name: ClassVar[str] = "hybrid"
    defaults: ClassVar[dict[str, Any]] = {
        "bases": ["repeat", "tifuknn", "ease", "itemknn", "als", "tfidf", "pop_recent"],
        "base_configs": None,  # per base model; None: their defaults, with what they tune themselves kept
        "new_candidates": 15,  # per base model, items the shopper never bought
        "history_candidates": 100,  # previously bought items, the most recent/frequent first
        "label_days": 30,
        "max_train_users": 3000,
        "n_estimators": 300,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 20,
        "seed": 0,
    }

    runtime: ClassVar[tuple[str, ...]] = ("device", "cache_dir")  # lent to the bases that take them

    def __init__(self, *, device: str = "cpu", cache_dir: str | Path | None = None, **config: Any) -> None:
        super().__init__(**config)
        self.device, self.cache_dir = device, cache_dir
        self.bases_: dict[str, Recommender] = {}
        self.stats_: _ItemStats | None = None
        self.ranker_ = None  # lightgbm.Booster

    # -- base models -----------------------------------------------------------
    def _fit_bases(
        self, data: InteractionData, configs: dict[str, dict[str, Any]], progress: Progress | None
    ) -> dict[str, Recommender]:
        fitted: dict[str, Recommender] = {}
        names = list(self.config["bases"])
        for i, name in enumerate(names):
            cls = _model_class(name)
            if cls is None or cls is Hybrid:
                log.warning("hybrid: base model %r is unknown; skipped", name)
                continue
            try:
                fitted[name] = build_model(cls, configs.get(name), device=self.device, cache_dir=self.cache_dir).fit(
                    data
                )
            except Exception as exc:  # a failing base model degrades the hybrid, never breaks it
                log.warning("hybrid: base model %r failed to fit (%s); skipped", name, exc)
            if progress:
                progress(f"hybrid bases ({name})", i + 1, len(names))
        return fitted

    # -- candidates and features -----------------------------------------------
    def feature_names(self) -> list[str]:
        names = [f"{b}_{kind}" for b in self.config["bases"] for kind in ("score", "rank")]
        return names + list(HISTORY_FEATURES) + list(USER_FEATURES) + list(ITEM_FEATURES)

    def _candidates_and_features(
        self, histories: Sequence[History], now: float | None, bases: dict[str, Recommender], stats: _ItemStats
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        n1 = self.n_items + 1
        names = list(self.config["bases"])
        n_new, n_hist = int(self.config["new_candidates"]), int(self.config["history_candidates"])
        base_scores = {b: bases[b].score(histories, now=now).astype(np.float64) for b in names if b in bases}
        s = stats.a
        out = []
        for r, h in enumerate(histories):
            ref = now if now is not None else (float(h.times[-1]) if len(h) else 0.0)
            hf, uf = history_features(h, ref, n1, stats)
            bought = np.flatnonzero(hf[IN_HISTORY])
            if len(bought) > n_hist:
                bought = bought[np.argsort(-hf[DECAYED, bought], kind="stable")[:n_hist]]
            cand = [bought]
            for sc in base_scores.values():
                row = sc[r].copy()
                row[0] = -np.inf
                row[hf[IN_HISTORY] > 0] = -np.inf
                k = min(n_new, int(np.isfinite(row).sum()))
                if k > 0:
                    cand.append(np.argpartition(-row, k - 1)[:k])
            if not base_scores:  # nothing else: the popular items
                cand.append(np.argsort(-s["raw_pop"][1:], kind="stable")[:n_new] + 1)
            c = np.unique(np.concatenate(cand)).astype(np.int64)
            c = c[c > 0]
            cols = []
            for b in names:
                if b in base_scores:
                    row = base_scores[b][r]
                    finite = np.where(np.isfinite(row[1:]), row[1:], -1e30)
                    # rank = 1 + items scored strictly higher (ties share a rank): a sort, no argsort
                    ranked = np.sort(finite)
                    rc = row[c]
                    ok = np.isfinite(rc)
                    rank = (len(ranked) - np.searchsorted(ranked, np.where(ok, rc, -1e30), side="right") + 1).astype(
                        np.float64
                    )
                    cols += [np.where(ok, rc, np.nan), rank]
                else:
                    cols += [np.full(len(c), np.nan), np.full(len(c), np.nan)]
            cols += list(hf[:, c])
            cols += [np.full(len(c), v) for v in uf]
            price = s["price"][c]
            h_prices = s["price"][h.items] if len(h) else np.array([np.nan])
            band = np.nanmedian(h_prices) if np.isfinite(h_prices).any() else np.nan
            if (s["cat"] >= 0).any() and len(h):
                share = np.bincount(s["cat"][h.items], minlength=int(s["cat"].max()) + 1) / len(h)
                aff = share[s["cat"][c]]
            else:
                aff = np.full(len(c), np.nan)
            cols += [
                s["pop"][c],
                s["pop30"][c],
                s["trend"][c],
                s["buyers"][c],
                price,
                np.log(price / band) if np.isfinite(band) and band > 0 else np.full(len(c), np.nan),
                aff,
                s["age"][c],
                s["idle"][c],
            ]
            out.append((c, np.column_stack(cols).astype(np.float32)))
        return out

    # -- training --------------------------------------------------------------
    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "Hybrid":
        import lightgbm as lgb

        self.n_items = data.n_items
        seed = int(self.config["seed"])
        end = float(data.time.max())
        cut = end - float(self.config["label_days"]) * DAY
        inner = data.subset(data.time < cut)
        users, hists, truth = [], [], []
        for u, h in enumerate(data.histories()):
            before = h.times < cut
            if before.any() and (~before).any():
                users.append(u)
                hists.append(History(h.items[before], h.times[before], h.qty[before]))
                truth.append(h.items[~before])
        rng = np.random.default_rng(seed)
        if len(users) > int(self.config["max_train_users"]):
            keep = np.sort(rng.choice(len(users), int(self.config["max_train_users"]), replace=False))
            hists, truth = [hists[i] for i in keep], [truth[i] for i in keep]
        if not hists or inner.n_interactions == 0:
            raise ValueError(
                "the hybrid needs purchases both before and within the last "
                f"{self.config['label_days']} days of the training data"
            )
        requested = {k: dict(v) for k, v in (self.config["base_configs"] or {}).items()}
        inner_bases = self._fit_bases(inner, requested, progress)
        # what a base tuned on the inner data (EASE's l2) it keeps on all the data: tuned once
        tuned = {
            name: tuned_config(type(m).defaults, m.config, requested.get(name, {})) for name, m in inner_bases.items()
        }
        inner_stats = _ItemStats.from_data(inner)
        xs, ys, groups = [], [], []
        for a in range(0, len(hists), 256):
            for (c, x), t in zip(
                self._candidates_and_features(hists[a : a + 256], cut, inner_bases, inner_stats), truth[a : a + 256]
            ):
                y = np.isin(c, t).astype(np.float32)
                if y.any() and len(c) > 1:
                    xs.append(x)
                    ys.append(y)
                    groups.append(len(c))
            if progress:
                progress("hybrid features", min(a + 256, len(hists)), len(hists))
        if not groups:
            raise ValueError("no held-out purchase is among the candidates: cannot train the ranker")
        params = {
            "objective": "lambdarank",
            "metric": "ndcg",
            "eval_at": [10],
            "learning_rate": float(self.config["learning_rate"]),
            "num_leaves": int(self.config["num_leaves"]),
            "min_child_samples": int(self.config["min_child_samples"]),
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "seed": seed,
            "deterministic": True,
            "num_threads": 2,
            "verbose": -1,
        }
        train = lgb.Dataset(np.vstack(xs), np.concatenate(ys), group=groups, feature_name=self.feature_names())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.ranker_ = lgb.train(params, train, num_boost_round=int(self.config["n_estimators"]))
        if progress:
            progress("hybrid ranker", 1, 1)
        self.bases_ = self._fit_bases(data, tuned, progress)
        self.config["base_configs"] = {name: c for name, c in tuned.items() if c}
        self.stats_ = _ItemStats.from_data(data)
        self.config["used_bases"] = sorted(self.bases_)
        self.config["ranker_rows"] = int(sum(groups))
        return self

    # -- scoring ---------------------------------------------------------------
    def score(self, histories: Sequence[History], *, now: float | None = None) -> np.ndarray:
        out = np.zeros((len(histories), self.n_items + 1), dtype=np.float32)
        pop = self.stats_.a["raw_pop"]
        prior = (pop / max(pop.max(), 1.0)).astype(np.float32)  # orders the non-candidates
        for r, (c, x) in enumerate(self._candidates_and_features(histories, now, self.bases_, self.stats_)):
            s = self.ranker_.predict(x, num_threads=1) if len(c) else np.zeros(0)
            floor = float(s.min()) - 2.0 if len(s) else 0.0
            out[r] = floor + prior
            out[r, c] = s
        return mask_padding(out)

    # -- persistence -----------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        return {f"stat_{k}": v for k, v in self.stats_.a.items()}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.stats_ = _ItemStats({k[5:]: v for k, v in arrays.items() if k.startswith("stat_")})

    def save(self, path: str | Path) -> Path:
        path = super().save(path)
        for name, model in self.bases_.items():
            model.save(path / "bases" / name)
        self.ranker_.save_model(str(path / "ranker.txt"))
        return path

    def _after_load(self, path: Path) -> None:
        import lightgbm as lgb

        self.ranker_ = lgb.Booster(model_file=str(path / "ranker.txt"))
        if self.ranker_.num_feature() != len(self.feature_names()) or "age" not in self.stats_.a:
            raise ValueError(
                f"{path}: a hybrid saved with other features ({self.ranker_.num_feature()}, "
                f"now {len(self.feature_names())}); retrain it"
            )
        self.bases_ = {}
        for name in self.config.get("used_bases", []):
            cls = _model_class(name)
            folder = path / "bases" / name
            if cls is None or not folder.exists():
                log.warning("hybrid: base model %r cannot be loaded; its features will be missing", name)
                continue
            self.bases_[name] = cls.load(folder)

"""Data helpers for the benchmarks (pandas only, no Django).

- `load_online_retail(path)`: the store's purchase history straight from the
  shipped CSV (customers with an id, product codes only, no cancellations),
  with product names as item text.
- `export_csv(data, path)` / `load_csv(path)`: the generic
  `user_id,item_id,timestamp,quantity` form, so a GPU box can run
  `bench/bench_sasrec.py` with nothing but this repository and that file.
- `temporal_split(data, cutoff)`: histories before the cutoff, targets after.
- `ndcg_at_k(...)`: a quick NDCG@k over sets of targets (the harness in
  `recommend/evaluation` is the yardstick; this is for standalone scripts).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recommend.ml.data import History, InteractionData, ItemFeatures  # noqa: E402

STORE_CSV = ROOT / "data" / "online_retail.csv.gz"
PRODUCT_CODE = r"^\d{5}[A-Za-z]*$"


def load_online_retail(path: str | Path = STORE_CSV, *, seed: int = 0) -> InteractionData:
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "Description": str})
    df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0) & df["StockCode"].str.match(PRODUCT_CODE)]
    df = df.assign(StockCode=df["StockCode"].str.upper())
    ts = (pd.to_datetime(df["InvoiceDate"]) - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    names = (
        df.dropna(subset=["Description"]).groupby("StockCode")["Description"].agg(lambda s: s.value_counts().index[0])
    )
    prices = df.groupby("StockCode")["UnitPrice"].median()
    item_ids = np.array(sorted(df["StockCode"].unique()), dtype=object)
    titles = np.empty(len(item_ids) + 1, dtype=object)
    titles[0] = ""
    titles[1:] = [str(names.get(c, c)).strip().title() for c in item_ids]
    price_arr = np.zeros(len(item_ids) + 1)
    price_arr[1:] = prices.reindex(item_ids).to_numpy()
    users = df["CustomerID"].astype(np.int64).astype(str).to_numpy()
    return InteractionData.from_arrays(
        users,
        df["StockCode"].to_numpy(),
        ts.to_numpy(dtype=np.float64),
        df["Quantity"].to_numpy(),
        item_ids=item_ids,
        item_features=ItemFeatures(titles=titles, prices=price_arr),
        seed=seed,
    )


def export_csv(data: InteractionData, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "user_id": data.user_ids[data.user],
            "item_id": data.item_ids[data.item],
            "timestamp": data.time.astype(np.int64),
            "quantity": data.quantity,
        }
    ).to_csv(path, index=False)
    return path


def load_csv(path: str | Path, *, seed: int = 0) -> InteractionData:
    df = pd.read_csv(path, dtype={"user_id": str, "item_id": str})
    qty = df["quantity"].to_numpy() if "quantity" in df else None
    return InteractionData.from_arrays(
        df["user_id"].to_numpy(), df["item_id"].to_numpy(), df["timestamp"].to_numpy(dtype=np.float64), qty, seed=seed
    )


def temporal_split(
    data: InteractionData, cutoff: float, *, horizon: float | None = None
) -> tuple[InteractionData, list[int], list[History], list[set[int]]]:
    """Train data (everything before the cutoff), and for each user with history
    before and purchases after it: the history and the set of items bought in
    [cutoff, cutoff + horizon)."""
    train = data.subset(data.time < cutoff)
    end = np.inf if horizon is None else cutoff + horizon
    users, hists, targets = [], [], []
    for u, h in enumerate(data.histories()):
        before = h.before(cutoff)
        after = set(h.items[(h.times >= cutoff) & (h.times < end)].tolist())
        if len(before) and after:
            users.append(u)
            hists.append(before)
            targets.append(after)
    return train, users, hists, targets


def ndcg_at_k(ranked: np.ndarray, targets: set[int], k: int = 10) -> float:
    gains = np.array([1.0 if int(i) in targets else 0.0 for i in ranked[:k]])
    dcg = float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())
    ideal = float((1.0 / np.log2(np.arange(2, min(k, len(targets)) + 2))).sum())
    return dcg / ideal if ideal else 0.0


def evaluate(
    model,
    hists: list[History],
    targets: list[set[int]],
    *,
    now: float | None = None,
    k: int = 10,
    explore: bool = False,
    batch: int = 256,
) -> float:
    """Mean NDCG@k with full ranking (explore: already-bought items filtered out
    and only new items count as targets; users with no new item are skipped)."""
    vals = []
    for a in range(0, len(hists), batch):
        hs = hists[a : a + batch]
        scores = model.score(hs, now=now).astype(np.float64)
        for row, h, t in zip(scores, hs, targets[a : a + batch]):
            row[0] = -np.inf
            if explore:
                row[h.items] = -np.inf
                t = t - set(h.items.tolist())
                if not t:
                    continue
            top = np.argpartition(-row, k)[:k]
            top = top[np.argsort(-row[top], kind="stable")]
            vals.append(ndcg_at_k(top, t, k))
    return float(np.mean(vals)) if vals else 0.0

"""The store's interactions as an InteractionData (the Django side of the harness).

Purchases are `profiles.Event(kind="purchase")` rows of customers (guests have no
history to learn from): user id = Customer pk, item id = Product.stock_code,
time = created_at, quantity = units (1 when unset). Every active product gets an
item index even if nobody bought it (so new products can be recommended), and so
does every product that was bought, active or not. Item features: title = name,
category = category name, price.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from catalog.selectors import products_for_recommender
from profiles.selectors import purchase_rows
from recommend.ml.data import InteractionData, ItemFeatures


def store_interactions(*, until: datetime | None = None, seed: int = 0) -> InteractionData:
    """Snapshot of purchase events strictly before `until` (all when None)."""
    rows = purchase_rows(until=until)
    bought = {r[1] for r in rows}
    products = products_for_recommender()
    products = [p for p in products if p[4] or p[0] in bought]
    n = len(products) + 1
    titles = np.empty(n, dtype=object)
    categories = np.empty(n, dtype=object)
    titles[0] = categories[0] = ""
    prices = np.full(n, np.nan)
    for i, (_, name, cat, price, _) in enumerate(products, start=1):
        titles[i], categories[i], prices[i] = name, cat or "", float(price)
    features = ItemFeatures(titles=titles, categories=categories, prices=prices)
    item_ids = [p[0] for p in products]
    if not rows:
        return InteractionData.from_arrays(
            [],
            np.array([], dtype=object),
            [],
            item_ids=item_ids,
            user_ids=np.array([], dtype=np.int64),
            item_features=features,
        )
    users = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    items = np.array([r[1] for r in rows], dtype=object)
    times = np.fromiter((r[2].timestamp() for r in rows), dtype=np.float64, count=len(rows))
    qty = np.fromiter((r[3] if r[3] and r[3] > 0 else 1 for r in rows), dtype=np.float32, count=len(rows))
    return InteractionData.from_arrays(users, items, times, qty, item_ids=item_ids, item_features=features, seed=seed)

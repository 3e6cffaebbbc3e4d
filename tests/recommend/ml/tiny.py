"""A tiny, deterministic store for model tests: 40 shoppers, 30 products in three families."""

from __future__ import annotations

import numpy as np

from recommend.ml.data import InteractionData, ItemFeatures

FAMILIES = {
    "mug": [
        "Red Spotty Mug",
        "Blue Spotty Mug",
        "Green Spotty Mug",
        "Pink Polka Mug",
        "Tea Mug Gift Set",
        "Enamel Mug White",
        "Enamel Mug Blue",
        "Coffee Mug Cat",
        "Coffee Mug Dog",
        "Mug Tree Wooden",
    ],
    "candle": [
        "White T-Light Holder",
        "Heart T-Light Holder",
        "Glass Candle Jar",
        "Lavender Scented Candle",
        "Rose Scented Candle",
        "Pillar Candle Ivory",
        "Tea Light Candles Pack",
        "Lantern Moroccan",
        "Candle Holder Star",
        "Votive Glass Red",
    ],
    "bag": [
        "Jumbo Bag Red Retrospot",
        "Jumbo Bag Pink",
        "Lunch Bag Skulls",
        "Lunch Bag Apples",
        "Tote Bag Birds",
        "Shopper Bag Vintage",
        "Gift Bag Birthday",
        "Gift Bag Christmas",
        "Paper Bag Kraft",
        "Charlotte Bag",
    ],
}


def tiny_data(seed: int = 0, n_users: int = 40, with_features: bool = True) -> InteractionData:
    rng = np.random.default_rng(seed)
    names = [n for fam in FAMILIES.values() for n in fam]
    codes = [f"P{i:03d}" for i in range(len(names))]
    users, items, times, qty = [], [], [], []
    for u in range(n_users):
        fam = u % 3
        favourites = rng.choice(10, size=4, replace=False) + 10 * fam
        t = 1_300_000_000.0 + rng.integers(0, 30) * 86400
        for _ in range(rng.integers(3, 9)):  # baskets
            basket = set(rng.choice(favourites, size=2, replace=False).tolist())
            basket |= set((rng.choice(10, size=rng.integers(1, 3), replace=False) + 10 * fam).tolist())
            for it in basket:
                users.append(f"U{u:02d}")
                items.append(codes[it])
                times.append(t)
                qty.append(float(rng.integers(1, 13)))
            t += float(rng.integers(3, 40)) * 86400
    titles = np.array([""] + names, dtype=object)
    cats = np.array([""] + [fam for fam, ns in FAMILIES.items() for _ in ns], dtype=object)
    prices = np.array([0.0] + list(rng.uniform(0.5, 9.0, len(names))))
    feats = ItemFeatures(titles=titles, categories=cats, prices=prices) if with_features else None
    return InteractionData.from_arrays(users, items, times, qty, item_ids=codes, item_features=feats, seed=seed)

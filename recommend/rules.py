"""Business rules applied to every list before it is shown, each switched by a
RECOMMEND_* setting (shop/settings/base.py, docs/serving.md):

- RECOMMEND_IN_STOCK_ONLY: only active products with stock;
- RECOMMEND_UNIQUE_PER_PAGE: a product shown in one slot of a page is not
  shown again in a later slot (the slots of a page share `seen`);
- RECOMMEND_EXCLUDE_VIEWED_PRODUCT: never the product the page is about;
- RECOMMEND_RESPECT_MUTED: nothing from a category the shopper muted;
- RECOMMEND_MAX_PER_CATEGORY / RECOMMEND_DIVERSITY_MIN_LENGTH: in a list of at
  least that length, at most that many products of one category (filled up
  from the skipped ones only when the list would otherwise come out short).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings


def setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


@dataclass(frozen=True)
class Candidate:
    """A product proposed for a slot (ids only, so it can be cached)."""

    product_id: int
    score: float
    reason: str


def apply_rules(
    candidates: Iterable[Candidate],
    products: dict[int, Any],
    *,
    n: int,
    seen: set[int] | None = None,
    exclude: Iterable[int] = (),
    muted: set[int] | None = None,
    fill: bool = True,
) -> list[tuple[Any, Candidate]]:
    """The first `n` candidates that pass every rule, as (product, candidate).
    fill=False: no filling in past the category cap (a caller reading the
    candidates a prefix at a time asks so, to know whether the prefix was enough)."""
    in_stock_only = setting("RECOMMEND_IN_STOCK_ONLY", True)
    unique = setting("RECOMMEND_UNIQUE_PER_PAGE", True)
    exclude_viewed = setting("RECOMMEND_EXCLUDE_VIEWED_PRODUCT", True)
    respect_muted = setting("RECOMMEND_RESPECT_MUTED", True)
    cap = int(setting("RECOMMEND_MAX_PER_CATEGORY", 3) or 0)
    diverse = cap > 0 and n >= int(setting("RECOMMEND_DIVERSITY_MIN_LENGTH", 6))
    excluded = set(exclude) if exclude_viewed else set()
    taken: set[int] = set()
    passing: list[tuple[Any, Candidate]] = []
    for cand in candidates:
        product = products.get(cand.product_id)
        if product is None or cand.product_id in taken or cand.product_id in excluded:
            continue
        if in_stock_only and not (product.is_active and product.stock > 0):
            continue
        if unique and seen is not None and cand.product_id in seen:
            continue
        if respect_muted and muted and product.category_id in muted:
            continue
        taken.add(cand.product_id)
        passing.append((product, cand))
    if not diverse:
        chosen = passing[:n]
    else:
        chosen, skipped, per_category = [], [], {}
        for pair in passing:
            category = pair[0].category_id
            if per_category.get(category, 0) >= cap:
                skipped.append(pair)
                continue
            per_category[category] = per_category.get(category, 0) + 1
            chosen.append(pair)
            if len(chosen) == n:
                break
        if len(chosen) < n and fill:  # too few categories: a short list helps nobody, fill in score order
            chosen.extend(skipped[: n - len(chosen)])
            order = {id(pair): i for i, pair in enumerate(passing)}
            chosen.sort(key=lambda pair: order[id(pair)])
    if seen is not None and unique:
        seen.update(p.pk for p, _ in chosen)
    return chosen

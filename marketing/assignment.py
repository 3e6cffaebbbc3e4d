"""Deterministic assignment (no Django): a shopper's unit id and the experiment
key hash to a point in [0, 1); the first hash decides whether they are in the
experiment's traffic share, a second, independent one picks the variant by the
cumulative weights. Same inputs, same variant, on every machine and visit."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def unit_point(experiment_key: str, unit: str, salt: str = "variant") -> float:
    """sha256(key:salt:unit), first 8 bytes as a fraction of 2**64: uniform in [0, 1)."""
    digest = hashlib.sha256(f"{experiment_key}:{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(*, experiment_key: str, unit: str, traffic: float, weights: Sequence[tuple[str, float]]) -> str | None:
    """The variant key for this unit, or None when it falls outside the traffic share.

    weights: (variant key, weight) in a fixed order (the weights sum to 1)."""
    if unit_point(experiment_key, unit, "traffic") >= traffic:
        return None
    point = unit_point(experiment_key, unit)
    total = sum(w for _, w in weights)
    edge = 0.0
    for key, weight in weights:
        edge += weight / total
        if point < edge:
            return key
    return weights[-1][0]

"""Name → Recommender class. (Placeholder until the evaluation branch's registry lands on main.)"""

from __future__ import annotations

from .base import Recommender

MODELS: dict[str, type[Recommender]] = {}

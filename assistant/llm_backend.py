"""The generative backend for chat (see core/llm.py): None while LLM_BASE_URL is unset."""

from __future__ import annotations

from django.conf import settings


def answer(*, message, state, shopper, cart_getter):
    if not getattr(settings, "LLM_BASE_URL", ""):
        return None
    return None

"""Reads of the assistant."""

from __future__ import annotations

from typing import Any

from .models import Conversation, PolicyPage


def conversations_export(*, customer) -> list[dict[str, Any]]:
    """A customer's conversations with every message, for "download my data"."""
    out = []
    for conv in Conversation.objects.filter(customer=customer).prefetch_related("messages").order_by("created_at"):
        out.append(
            {
                "id": conv.pk,
                "started_at": conv.created_at.isoformat(),
                "language": conv.language,
                "messages": [
                    {
                        "role": m.role,
                        "text": m.text,
                        "products": m.product_ids,
                        "sources": m.sources,
                        "at": m.created_at.isoformat(),
                    }
                    for m in conv.messages.all()
                ],
            }
        )
    return out


def policy_get(*, slug: str) -> PolicyPage:
    return PolicyPage.objects.get(slug=slug, is_published=True)

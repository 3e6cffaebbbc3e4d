"""Writes of the assistant: one chat turn, stored in the shopper's conversation."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from . import engine, llm_backend
from .models import Conversation, Message

logger = logging.getLogger(__name__)


@dataclass
class ChatResult:
    conversation: Conversation
    reply: str
    kind: str
    products: list = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    backend: str = "embedded"
    dropped_references: int = 0
    seconds: float = 0.0


def conversation_for(*, shopper, conversation_id: int | None) -> Conversation:
    """The shopper's own conversation with that id, or a new one. Another shopper's id
    (or one that does not exist) starts a new conversation: nobody reads another's chat."""
    qs = Conversation.objects.all()
    if shopper.customer is not None:
        qs = qs.filter(customer=shopper.customer)
    else:
        qs = qs.filter(customer__isnull=True, session_key=shopper.session_key)
    if conversation_id:
        found = qs.filter(pk=conversation_id).first()
        if found is not None:
            return found
    return Conversation(customer=shopper.customer, session_key=shopper.session_key)


def chat_reply(
    *, shopper, message: str, conversation_id: int | None = None, cart_getter: Callable[[], Any] | None = None
) -> ChatResult:
    """Answer one message and store both sides. The generative backend answers when
    it is configured and grounded; otherwise (or on any failure) the embedded default."""
    started = time.perf_counter()
    conversation = conversation_for(shopper=shopper, conversation_id=conversation_id)
    state = dict(conversation.state or {})
    outcome = llm_backend.answer(message=message, state=state, shopper=shopper, cart_getter=cart_getter)
    dropped = outcome.dropped if outcome is not None else 0
    if outcome is not None and outcome.answer is not None:
        ans, backend = outcome.answer, "llm"
    else:  # not configured, or the backend failed or was not grounded: the embedded default, same request
        _req, ans = engine.answer(message=message, state=state, shopper=shopper, cart_getter=cart_getter)
        backend = "embedded"
    with transaction.atomic():
        conversation.state = ans.state
        conversation.language = ans.lang
        conversation.save()
        Message.objects.create(conversation=conversation, role=Message.Role.SHOPPER, text=(message or "")[:4000])
        Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            text=ans.text,
            kind=ans.kind,
            product_ids=[p.pk for p in ans.products],
            sources=ans.sources,
            backend=backend,
            dropped_references=dropped,
        )
    return ChatResult(
        conversation=conversation,
        reply=ans.text,
        kind=ans.kind,
        products=ans.products,
        sources=ans.sources,
        backend=backend,
        dropped_references=dropped,
        seconds=time.perf_counter() - started,
    )


def conversations_delete(*, customer) -> int:
    """Delete every conversation of a customer (their data deletion)."""
    n, _ = Conversation.objects.filter(customer=customer).delete()
    return n

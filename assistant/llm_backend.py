"""The generative backend for chat (core/llm.py, OpenAI-compatible), used when LLM_BASE_URL is set.

The model reads the request and calls tools that run on our database:
`search_products` (the embedded default's search, constraints applied in the
database), `order_status` (the shopper's own latest order), `add_to_cart`
(the asking shopper's own cart). It answers with JSON
`{"reply": "...", "product_ids": [...]}`. Then the grounding check, in code:
every product id must be one the tools returned this turn and resolve in the
database; every £ price in the reply must be the price of a product in the
answer (or a tool result); every order number must be one of the shopper's
orders. Unknown product ids are dropped; an invented price or order number
cannot be cut out of a sentence, so the whole reply is dropped (fail closed).
Each dropped reference is counted, logged and stored on the message. A timeout,
an error, a malformed reply or a dropped reply gives None, and the caller
answers with the embedded default in the same request.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

from catalog import selectors as catalog_selectors
from checkout import selectors as checkout_selectors
from core.llm import LLMConfig, LLMError, chat_with_tools, parse_json_reply, unresolved

from . import engine, parsing
from .replies import money

logger = logging.getLogger(__name__)

SYSTEM = (
    "You are the shopping assistant of a UK gift shop. Answer in the shopper's language "
    "(English or Simplified Chinese). Use the tools for every product, price, order or cart action; "
    "never name a product, price or order the tools did not give you. Answer with one JSON object: "
    '{"reply": "<one or two sentences>", "product_ids": [<ids from the tools, best first, at most 5>]}.'
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_products",
            "description": "Find products in the catalogue. Constraints are applied in the database.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "what to look for, e.g. 'red candle holders'"},
                    "max_price": {"type": "number", "description": "pounds, exclusive"},
                    "min_price": {"type": "number", "description": "pounds, inclusive"},
                    "colour": {"type": "string"},
                    "quantity": {"type": "integer", "description": "units needed in stock"},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "order_status",
            "description": "The logged-in shopper's latest order.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "add_to_cart",
            "description": "Add units of a product (an id from search_products) to the shopper's own cart.",
            "parameters": {
                "type": "object",
                "properties": {"product_id": {"type": "integer"}, "quantity": {"type": "integer"}},
                "required": ["product_id"],
            },
        },
    },
]

PRICE = re.compile(r"£\s*(\d+(?:\.\d{1,2})?)")
ORDER_NUMBER = re.compile(r"\b(W\d{6}-[0-9A-F]{6}|C?\d{6})\b")


@dataclass
class Outcome:
    answer: engine.Answer | None  # None: answer with the embedded default
    dropped: int = 0
    error: str = ""


def config() -> LLMConfig:
    return LLMConfig(
        base_url=getattr(settings, "LLM_BASE_URL", ""),
        model=getattr(settings, "LLM_MODEL", ""),
        api_key=getattr(settings, "LLM_API_KEY", ""),
        timeout=float(getattr(settings, "LLM_TIMEOUT", 8.0)),
    )


def answer(*, message: str, state: dict, shopper, cart_getter) -> Outcome | None:
    """The backend's grounded answer, or an Outcome without one (fall back); None when not configured."""
    cfg = config()
    if not cfg.enabled:
        return None
    req = parsing.parse(message or "")
    if req.intent in ("empty", "too_long") or req.hostile:
        return Outcome(None, error="not sent to the model")  # bad input never reaches the model
    seen: dict[int, Decimal] = {}  # products the tools returned this turn: id -> price
    orders_seen: set[str] = set()
    actions: list[engine.Answer] = []  # cart changes made: never repeated by a fallback
    new_state = dict(state)

    def search_products(query: str, max_price=None, min_price=None, colour: str = "", quantity=None):
        text = str(query)[: parsing.MAX_MESSAGE]
        sub = parsing.parse(text)
        sub.intent = "search"
        if max_price is not None:
            sub.max_price, sub.max_inclusive = Decimal(str(max_price)).quantize(Decimal("0.01")), False
        if min_price is not None:
            sub.min_price = Decimal(str(min_price)).quantize(Decimal("0.01"))
        if colour:
            sub.colour = str(colour).lower()
        if quantity:
            sub.quantity = int(quantity)
        ans = engine.search(sub, {}, shopper)
        new_state.update(ans.state)
        for p in ans.products:
            seen[p.pk] = p.price
        return [{"id": p.pk, "name": p.display_name, "price": str(p.price), "stock": p.stock} for p in ans.products]

    def order_status():
        if shopper is None or shopper.customer is None:
            return {"error": "not logged in"}
        order = checkout_selectors.order_list_for_customer(customer=shopper.customer).first()
        if order is None:
            return {"orders": 0}
        orders_seen.add(order.number)
        return {"number": order.number, "status": order.status, "total": str(order.total), "placed_at": order.placed_at}

    def add_to_cart(product_id: int, quantity: int = 1):
        pid = int(product_id)
        if pid not in seen:
            return {"error": "unknown product id: search first"}
        ans = engine.cart_add(
            parsing.Request(text="", lang=req.lang, intent="cart_add", quantity=int(quantity), ordinal=1),
            {"shown": [pid]},
            cart_getter,
        )
        if ans.kind == "cart_added":
            actions.append(ans)
        return {"done": ans.kind == "cart_added", "message": ans.text}

    shown = [int(p) for p in state.get("shown", [])]
    context = ""
    if shown:
        products = catalog_selectors.products_by_ids(product_ids=shown)
        context = "Products shown last, in order: " + "; ".join(
            f"{i + 1}. id {pid} {products[pid].display_name} £{products[pid].price}"
            for i, pid in enumerate(shown)
            if pid in products
        )
        for pid in shown:
            if pid in products:
                seen[pid] = products[pid].price
    messages = [{"role": "system", "content": SYSTEM + (" " + context if context else "")}]
    messages.append({"role": "user", "content": message})
    try:
        completion = chat_with_tools(
            cfg,
            messages,
            tools=TOOLS,
            handlers={"search_products": search_products, "order_status": order_status, "add_to_cart": add_to_cart},
        )
        data = parse_json_reply(completion.content)
        reply = data.get("reply")
        ids = data.get("product_ids") or []
        if not isinstance(reply, str) or not reply.strip() or not isinstance(ids, list):
            raise LLMError("the answer lacks a reply or product_ids")
    except (LLMError, ValueError, InvalidOperation, TypeError) as exc:
        logger.warning("assistant llm: falling back to the embedded default: %s", exc)
        return Outcome(actions[-1] if actions else None, error=str(exc))
    outcome = _grounded(
        reply=reply, ids=ids, seen=seen, orders_seen=orders_seen, shopper=shopper, state=new_state, lang=req.lang
    )
    if outcome.answer is None and actions:
        outcome.answer = actions[-1]  # the cart changed: confirm that, in our words
    return outcome


def _grounded(
    *, reply: str, ids: list, seen: dict[int, Decimal], orders_seen: set[str], shopper, state, lang
) -> Outcome:
    def as_id(x):
        try:
            return int(x)
        except (TypeError, ValueError):
            return None

    wanted = [as_id(x) for x in ids][: engine.TOP_N]
    found = catalog_selectors.products_by_ids(product_ids=[i for i in wanted if i is not None])
    bad_ids = unresolved(wanted, resolves=lambda i: i is not None and i in seen and i in found and found[i].is_active)
    products = [found[i] for i in wanted if i not in bad_ids]
    prices = {found[i].price for i in wanted if i not in bad_ids} | set(seen.values())
    bad_prices = unresolved(
        [Decimal(m).quantize(Decimal("0.01")) for m in PRICE.findall(reply)], resolves=lambda v: v in prices
    )
    own_orders = set()
    if shopper is not None and shopper.customer is not None:
        own_orders = set(
            checkout_selectors.order_list_for_customer(customer=shopper.customer).values_list("number", flat=True)[:500]
        )
    bad_orders = unresolved(ORDER_NUMBER.findall(reply), resolves=lambda n: n in own_orders or n in orders_seen)
    dropped = len(bad_ids) + len(bad_prices) + len(bad_orders)
    if dropped:
        logger.warning(
            "assistant llm: dropped %d ungrounded references (ids %s, prices %s, orders %s)",
            dropped,
            bad_ids,
            [money(p, lang) for p in bad_prices],
            bad_orders,
        )
    if bad_prices or bad_orders:
        return Outcome(None, dropped=dropped, error="invented price or order in the reply")
    state = {**state, "shown": [p.pk for p in products] or state.get("shown", []), "lang": lang}
    if products:
        state["shown_prices"] = [str(p.price) for p in products]
    return Outcome(
        engine.Answer("products" if products else "llm", reply.strip(), lang, products, state=state), dropped
    )

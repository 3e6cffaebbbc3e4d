"""The assistant's quality on a fixed set of requests (requests.json): the share of
answers whose constraints all hold, precision@5, correct declines ("we don't carry
that", "I don't know", "nothing fits"), store answers from the right page, and
invented products (any product shown that does not resolve in the database)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from catalog import selectors as catalog_selectors

from .. import engine

REQUESTS = Path(__file__).with_name("requests.json")
DECLINES = ("dont_carry", "idk", "no_match")


def _word_in(word: str, name: str) -> bool:
    name = name.lower()
    if " " in word or "-" in word:
        return word in name
    return any(engine.stem(t) == engine.stem(word) for t in re.findall(r"[a-z]+", name))


def _colour_in(colour: str, name: str) -> bool:
    return bool(re.search(rf"(^|[^a-z]){re.escape(colour)}([^a-z]|$)", name.lower()))


@dataclass
class TurnResult:
    case: str
    lang: str
    message: str
    expect: str
    kind: str
    reply: str
    products: list[tuple[int, str, str]]
    violations: list[str] = field(default_factory=list)
    relevant: int = 0
    invented: int = 0
    seconds: float = 0.0

    @property
    def ok_kind(self) -> bool:
        return self.kind == self.expect


def _violations(turn: dict, products, bound: Decimal | None) -> list[str]:
    out = []
    for p in products:
        if turn.get("max_price") is not None:
            hi = Decimal(turn["max_price"])
            if p.price > hi or (not turn.get("max_inclusive", True) and p.price == hi):
                out.append(f"{p.name} £{p.price} over the budget £{hi}")
        if turn.get("min_price") is not None and p.price < Decimal(turn["min_price"]):
            out.append(f"{p.name} £{p.price} under £{turn['min_price']}")
        if turn.get("colour") and not _colour_in(turn["colour"], p.name):
            out.append(f"{p.name} is not {turn['colour']}")
        if turn.get("min_stock") and p.stock < int(turn["min_stock"]):
            out.append(f"{p.name} has {p.stock} in stock, {turn['min_stock']} needed")
        if bound is not None and (turn.get("cheaper") or turn.get("cheaper_kept")) and p.price >= bound:
            out.append(f"{p.name} £{p.price} not cheaper than £{bound}")
    return out


def run(*, progress: bool = False) -> list[TurnResult]:
    from tqdm import tqdm

    cases = json.loads(REQUESTS.read_text())["cases"]
    results: list[TurnResult] = []
    for case in tqdm(cases, desc="assistant eval", unit="case", disable=not progress):
        state: dict = {}
        bound: Decimal | None = None
        prev_prices: list[Decimal] = []
        for turn in case["turns"]:
            started = time.perf_counter()
            _req, ans = engine.answer(message=turn["message"], state=state, shopper=None)
            seconds = time.perf_counter() - started
            state = ans.state
            if turn.get("cheaper") and prev_prices:
                bound = sum(prev_prices) / len(prev_prices)
            fresh = catalog_selectors.products_by_ids(product_ids=[p.pk for p in ans.products])
            invented = sum(1 for p in ans.products if p.pk not in fresh or fresh[p.pk].price != p.price)
            shown = ans.products[:5]
            r = TurnResult(
                case=case["id"],
                lang=case["lang"],
                message=turn["message"],
                expect=turn["expect"],
                kind=ans.kind,
                reply=ans.text,
                products=[(p.pk, p.name, str(p.price)) for p in shown],
                invented=invented,
                seconds=seconds,
            )
            if turn["expect"] == "products":
                r.violations = _violations(turn, shown, bound)
                r.relevant = sum(1 for p in shown if any(_word_in(w, p.name) for w in turn["relevant_words"]))
            if turn["expect"] == "store":
                if not ans.sources or not ans.sources[0]["url"].rstrip("/").endswith(turn["source"]):
                    r.violations.append(f"source {ans.sources} instead of {turn['source']}")
            results.append(r)
            prev_prices = [p.price for p in ans.products]
    return results


def summary(results: list[TurnResult], lang: str | None = None) -> dict:
    rs = [r for r in results if lang is None or r.lang == lang]
    product_turns = [r for r in rs if r.expect == "products"]
    answered = [r for r in product_turns if r.kind == "products" and r.products]
    declines = [r for r in rs if r.expect in DECLINES]
    store = [r for r in rs if r.expect == "store"]
    secs = sorted(r.seconds for r in rs)
    return {
        "requests": len(rs),
        "product_requests": len(product_turns),
        "answered_with_products": len(answered) / max(len(product_turns), 1),
        "constraints_hold": sum(1 for r in answered if not r.violations) / max(len(answered), 1),
        "precision_at_5": sum(r.relevant / len(r.products) for r in answered) / max(len(answered), 1),
        "declines": len(declines),
        "declines_correct": sum(1 for r in declines if r.ok_kind) / max(len(declines), 1),
        "false_declines": sum(1 for r in product_turns if r.kind in DECLINES) / max(len(product_turns), 1),
        "store": len(store),
        "store_correct": sum(1 for r in store if r.ok_kind and not r.violations) / max(len(store), 1),
        "invented_products": sum(r.invented for r in rs),
        "median_ms": 1000 * secs[len(secs) // 2] if secs else 0.0,
    }

"""The embedded default: parse the message, query the database, fill a reply template.

No network and no generative model. Every product, price and order in an
answer is read from the database in this request, so nothing is invented.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

from catalog import selectors as catalog_selectors
from checkout import errors as checkout_errors
from checkout import selectors as checkout_selectors
from checkout import services as checkout_services
from recommend import selectors as recommend_selectors

from . import parsing, retrieval
from .parsing import Request
from .replies import STATUS_ZH, describe, money, say

TOP_N = 5
# below these similarities (and with no word of the request in any product name
# or category keyword) the catalogue has nothing of the kind: "we don't carry that"
CARRY_THRESHOLD = {"en": 0.42, "zh": 0.84}
POLICY_THRESHOLD = 0.80
PERSONAL_WEIGHT = 0.05
WORD_WEIGHT = 0.25
# "what's the meaning of life?" asks no product: with no category word it gets "I don't know"
QUESTION = re.compile(
    r"^\s*(what|what's|whats|why|who|when|how|which|is|are|will|should|would)\b|^(为什么|什么是|谁|怎么样)", re.I
)


@dataclass
class Answer:
    kind: str
    text: str
    lang: str
    products: list = field(default_factory=list)  # Product instances, best first
    sources: list[dict] = field(default_factory=list)  # {"title", "url"}
    state: dict = field(default_factory=dict)  # the conversation's state after this answer


def contact() -> str:
    return getattr(settings, "ASSISTANT_CONTACT", "support@giftshop.example")


def stem(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "xes", "sses")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def tokens(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z][a-z\-']+", text.lower())}


_categories: tuple[float, list[tuple[int, str, list[str]]]] | None = None
_cat_lock = threading.Lock()


def _category_keywords() -> list[tuple[int, str, list[str]]]:
    global _categories
    with _cat_lock:
        if _categories is None or time.monotonic() - _categories[0] > 60:
            rows = []
            for c in catalog_selectors.category_list():
                kws = [k.strip().lower() for k in (c.keywords or "").split(",") if k.strip()]
                rows.append((c.pk, c.name, kws))
            _categories = (time.monotonic(), rows)
        return _categories[1]


def categories_for(words: list[str]) -> list[int]:
    """Categories whose keywords (or name) occur among the request's words."""
    text = " " + " ".join(stem(w) for w in words) + " "
    found = []
    for pk, name, kws in _category_keywords():
        names = kws + [n.strip().lower() for n in re.split(r"[&,]", name) if n.strip()]
        for kw in names:
            if " " + " ".join(stem(w) for w in kw.split()) + " " in text:
                found.append(pk)
                break
    return found


_personal: dict[tuple, tuple[float, dict[int, float]]] = {}


def personal_scores(shopper) -> dict[int, float]:
    """The shopper's recommendation scores (recommend's home page), 1.0 for the first
    item down to near 0; {} when the recommender has nothing. Kept 2 minutes."""
    if shopper is None or (shopper.customer is None and not shopper.session_key):
        return {}
    key = (shopper.customer_id, shopper.session_key if shopper.customer is None else "")
    hit = _personal.get(key)
    if hit and time.monotonic() - hit[0] < 120:
        return hit[1]
    scores: dict[int, float] = {}
    try:
        served = recommend_selectors.recommendations_for(slot="home", shopper=shopper, context={"n": 40})
    except Exception:  # a recommender failure never breaks a chat answer
        served = None
    if served is not None and served.items:
        n = len(served.items)
        scores = {item.product.pk: 1.0 - i / n for i, item in enumerate(served.items)}
    _personal[key] = (time.monotonic(), scores)
    return scores


# --- product requests ----------------------------------------------------------------------


def _merged(req: Request, state: dict) -> dict:
    """The request's constraints, on top of the last request's for a follow-up."""
    last = state.get("request") or {}
    follow_up = req.intent in ("refine", "similar") or (req.cheaper and not req.words)
    base = dict(last) if follow_up else {}
    c = {
        "words": req.words or base.get("words", []),
        "search_text": req.search_text if req.words else base.get("search_text", ""),
        "lang_text": base.get("lang_text", req.text) if not req.words else req.text,
        "min_price": base.get("min_price"),
        "max_price": base.get("max_price"),
        "max_inclusive": base.get("max_inclusive", False),
        "min_inclusive": base.get("min_inclusive", True),
        "colour": req.colour or base.get("colour", ""),
        "quantity": req.quantity or base.get("quantity"),
        "head": req.head if req.words else base.get("head", ""),
    }
    if req.min_price is not None or req.max_price is not None:
        c["min_price"] = str(req.min_price) if req.min_price is not None else None
        c["max_price"] = str(req.max_price) if req.max_price is not None else None
        c["max_inclusive"], c["min_inclusive"] = req.max_inclusive, req.min_inclusive
    return c


def _price(v) -> Decimal | None:
    return Decimal(v) if v not in (None, "") else None


def _constraint_phrase(c: dict, lang: str) -> str:
    return describe(
        lang=lang,
        min_price=_price(c["min_price"]),
        max_price=_price(c["max_price"]),
        max_inclusive=c["max_inclusive"],
        colour=c["colour"],
        quantity=c["quantity"],
    )


def _what(c: dict, lang: str, products: list | None = None) -> str:
    if lang == "zh":
        return "相关商品"
    words = [w for w in c["words"] if w not in parsing.COLOURS]
    return " ".join(dict.fromkeys(words[:4])) or "products"


def _filtered_ids(c: dict, categories: list[int] | None) -> list[int]:
    quantity = c["quantity"]
    return catalog_selectors.product_ids_matching(
        min_price=_price(c["min_price"]),
        max_price=_price(c["max_price"]),
        min_inclusive=c["min_inclusive"],
        max_inclusive=c["max_inclusive"],
        name_word=c["colour"],
        category_ids=categories,
        min_stock=max(1, int(quantity or 1)),
    )


def _rank(ids: np.ndarray, sims: np.ndarray, words: list[str], shopper, exclude: set[int], head: str = "") -> list[int]:
    index = retrieval.product_index()
    wanted = {stem(w) for w in words if len(w) > 2}
    weight = {w: (2.0 if w == stem(head) else 1.0) for w in wanted}  # the head noun counts double
    total = sum(weight.values())
    overlap = np.zeros(len(ids), dtype=np.float32)
    if wanted:
        for i, pid in enumerate(ids):
            at = index.position.get(int(pid))  # None: the index was rebuilt since the ids were read
            if at is None:
                continue
            name = index.texts[at].rsplit(". ", 1)[0]  # the name, not the category
            overlap[i] = sum(weight[w] for w in wanted & tokens(name)) / total
    score = sims + WORD_WEIGHT * overlap
    if overlap.size and overlap.max() > 0:  # products that name what was asked come first
        keep = overlap >= overlap.max() * 0.5
        ids, score = ids[keep], score[keep]
    personal = personal_scores(shopper)
    if personal:
        score = score + PERSONAL_WEIGHT * np.asarray([personal.get(int(p), 0.0) for p in ids], dtype=np.float32)
    order = np.argsort(-score, kind="stable")
    return [int(ids[i]) for i in order if int(ids[i]) not in exclude][:TOP_N]


def _carried(c: dict, lang: str, categories: list[int]) -> bool:
    """Whether the catalogue has anything of the kind asked for, constraints aside: a
    category named, or the thing asked for (the head noun) in some product's name."""
    if categories:
        return True
    index = retrieval.product_index()
    head = stem(c.get("head") or "")
    if head:
        return any(head in tokens(t) for t in index.texts)
    wanted = {stem(w) for w in c["words"] if len(w) > 2}
    if wanted and any(wanted & tokens(t) for t in index.texts):
        return True
    _, sims = retrieval.similarities(text=c["lang_text"], lang=lang)
    return bool(sims.size) and float(sims.max()) >= CARRY_THRESHOLD[lang]


def _products(ids: list[int]) -> list:
    found = catalog_selectors.products_by_ids(product_ids=ids)
    return [found[i] for i in ids if i in found]


def search(req: Request, state: dict, shopper) -> Answer:
    lang = req.lang
    last = state.get("request")
    if req.intent in ("refine", "similar") and not last:
        return Answer("refine_nothing", say("refine_nothing", lang), lang, state=state)
    c = _merged(req, state)
    shown = [int(p) for p in state.get("shown", [])]
    shown_prices = [Decimal(p) for p in state.get("shown_prices", [])]
    if req.cheaper and shown_prices:
        # "cheaper": below the average price of the last answer, new products first
        average = (sum(shown_prices) / len(shown_prices)).quantize(Decimal("0.01"))
        c["max_price"], c["max_inclusive"] = str(average), False
    categories = categories_for(c["words"])
    text = c["search_text"] or " ".join(c["words"]) or c["lang_text"]
    q_lang = "zh" if parsing.language(c["lang_text"]) == "zh" else "en"
    new_state = {"request": c, "shown": [], "shown_prices": [], "lang": lang}

    if req.intent == "similar":
        ordinal = req.ordinal or 1
        if not shown or abs(ordinal) > len(shown) and ordinal != -1:
            return Answer("refine_nothing", say("refine_nothing", lang), lang, state=state)
        anchor = shown[ordinal - 1] if ordinal > 0 else shown[-1]
        ids = _filtered_ids({**c, "colour": req.colour}, None)
        pids, sims = retrieval.neighbours(product_id=anchor, product_ids=ids, lang="en")
        ranked = _rank(pids, sims, [], shopper, exclude=set(shown) | {anchor})
        products = _products(ranked)
        anchor_product = _products([anchor])
        name = anchor_product[0].display_name if anchor_product else ""
        new_state.update(shown=[p.pk for p in products], shown_prices=[str(p.price) for p in products])
        return Answer(
            "products",
            say(
                "similar",
                lang,
                n=len(products),
                name=name,
                constraints=_constraint_phrase({**c, "colour": req.colour}, lang),
            ),
            lang,
            products,
            state=new_state,
        )

    if not c["words"] and not c["lang_text"]:
        return Answer("refine_nothing", say("refine_nothing", lang), lang, state=state)
    if req.intent == "search" and not categories and not req.has_constraints and QUESTION.match(req.text):
        return Answer("idk", say("idk", lang, contact=contact()), lang, state=state)  # a question, not a product
    if not _carried(c, q_lang, categories):
        return Answer("dont_carry", say("dont_carry", lang, contact=contact()), lang, state=new_state)
    ids = _filtered_ids(c, categories or None)
    if not ids and categories:
        ids = []
    exclude = set(shown) if req.cheaper or req.intent == "refine" and not req.colour else set()
    if req.cheaper:
        exclude = set(shown)
    ranked: list[int] = []
    if ids:
        pids, sims = retrieval.similarities(
            text=text if q_lang == "en" else c["lang_text"], lang=q_lang, product_ids=ids
        )
        ranked = _rank(pids, sims, c["words"], shopper, exclude, c.get("head", ""))
        if not ranked and exclude:
            ranked = _rank(pids, sims, c["words"], shopper, set(), c.get("head", ""))
    products = _products(ranked)
    phrase = _constraint_phrase(c, lang)
    if not products:
        if req.cheaper and shown_prices:
            return Answer(
                "no_match", say("cheaper_none", lang, price=money(Decimal(c["max_price"]), lang)), lang, state=state
            )
        plain = phrase.strip(" （）") or ("your request" if lang == "en" else "您的要求")
        return Answer(
            "no_match",
            say("no_match", lang, what=_what(c, lang), constraints_plain=plain, contact=contact()),
            lang,
            state=new_state,
        )
    new_state.update(shown=[p.pk for p in products], shown_prices=[str(p.price) for p in products])
    kind_text = "products_one" if len(products) == 1 else "products"
    return Answer(
        "products",
        say(kind_text, lang, n=len(products), what=_what(c, lang), constraints=phrase),
        lang,
        products,
        state=new_state,
    )


# --- store questions -------------------------------------------------------------------------


POLICY_WORDS = {
    "shipping": ("shipping", "delivery", "deliver", "postage", "运费", "配送", "送货", "快递"),
    "returns": ("return", "refund", "exchange", "退货", "退款", "换货"),
    "payment": ("pay", "payment", "card", "paypal", "vat", "付款", "支付"),
    "wholesale": ("wholesale", "bulk", "trade", "批发"),
    "contact": ("contact", "phone", "email", "e-mail", "联系", "客服"),
}


def store_question(req: Request, state: dict) -> Answer:
    """The policy page nearest the question (multilingual model); a page whose topic words
    the question uses counts extra. "I don't know" when none is near enough."""
    low = req.text.lower()
    hits = [
        (page, score + (0.05 if any(w in low for w in POLICY_WORDS.get(page.slug, ())) else 0.0))
        for page, score in retrieval.policy_search(text=req.text)
    ]
    hits.sort(key=lambda h: -h[1])
    lang = req.lang
    if not hits or hits[0][1] < POLICY_THRESHOLD:
        return Answer("idk", say("idk", lang, contact=contact()), lang, state=state)
    page, _score = hits[0]
    if lang == "zh" and page.body_zh.strip():
        excerpt = f"根据我们的「{page.title}」：" + "".join(re.split(r"(?<=[。！？])", page.body_zh.strip())[:3])
    else:
        excerpt = " ".join(re.split(r"(?<=[.!?])\s+", page.body.strip())[:3])
    return Answer(
        "store",
        say("store", lang, excerpt=excerpt),
        lang,
        sources=[{"title": page.title, "url": page.get_absolute_url()}],
        state=state,
    )


# --- the shopper's own orders and cart -------------------------------------------------------------


def _orders(shopper):
    return checkout_selectors.order_list_for_customer(customer=shopper.customer)


def order_status(req: Request, state: dict, shopper) -> Answer:
    lang = req.lang
    order = _orders(shopper).first()
    if order is None:
        return Answer("no_orders", say("no_orders", lang), lang, state=state)
    order = checkout_selectors.order_get_for_customer(customer=shopper.customer, pk=order.pk)
    lines = list(order.lines.all())
    status = STATUS_ZH.get(order.status, order.status) if lang == "zh" else order.get_status_display().lower()
    text = say(
        "order_status",
        lang,
        number=order.number,
        date=timezone.localtime(order.placed_at).date().isoformat(),
        status=status,
        total=money(order.total, lang),
        n=sum(line.quantity for line in lines),
    )
    products = [line.product for line in lines if line.product is not None][:TOP_N]
    return Answer(
        "order_status",
        text,
        lang,
        products,
        sources=[{"title": order.number, "url": f"/orders/{order.number}/"}],
        state=_shown(state, products),
    )


def _shown(state: dict, products: list) -> dict:
    return {**state, "shown": [p.pk for p in products], "shown_prices": [str(p.price) for p in products]}


def _line_counts(orders) -> Counter:
    counts: Counter = Counter()
    for order in orders:
        for line in checkout_selectors.order_get_for_customer(customer=order.customer, pk=order.pk).lines.all():
            if line.product is not None:
                counts[line.product.pk] += line.quantity
    return counts


def past_purchases(req: Request, state: dict, shopper) -> Answer:
    lang = req.lang
    orders = list(_orders(shopper).exclude(status__in=["cancelled", "refunded"])[:200])
    if not orders:
        return Answer("no_orders", say("no_orders", lang), lang, state=state)
    if req.season == "christmas":
        now = timezone.now()
        seasons = sorted(
            {o.placed_at.year for o in orders if o.placed_at.month in (11, 12) and o.placed_at < now}, reverse=True
        )
        if not seasons:
            return Answer("no_past", say("no_past", lang), lang, state=state)
        year = seasons[0]
        chosen = [o for o in orders if o.placed_at.year == year and o.placed_at.month in (11, 12)]
        counts = _line_counts(chosen)
        products = [p for p in _products([pid for pid, _ in counts.most_common(TOP_N)])]
        return Answer(
            "past_purchases",
            say("past_purchases", lang, year=year, n=len(counts)),
            lang,
            products,
            state=_shown(state, products),
        )
    counts = _line_counts(orders[:3])
    products = _products([pid for pid, _ in counts.most_common(TOP_N)])
    return Answer("past_purchases", say("past_recent", lang), lang, products, state=_shown(state, products))


def buy_again(req: Request, state: dict, shopper) -> Answer:
    lang = req.lang
    orders = list(_orders(shopper).exclude(status__in=["cancelled", "refunded"])[:100])
    if not orders:
        return Answer("no_orders", say("no_orders", lang), lang, state=state)
    counts = _line_counts(orders)
    products = [p for p in _products([pid for pid, _ in counts.most_common(30)]) if p.in_stock][:TOP_N]
    return Answer("buy_again", say("buy_again", lang, n=len(products)), lang, products, state=_shown(state, products))


def cart_add(req: Request, state: dict, cart_getter: Callable[[], Any] | None) -> Answer:
    lang = req.lang
    shown = [int(p) for p in state.get("shown", [])]
    if not shown or cart_getter is None:
        return Answer("cart_nothing", say("cart_nothing", lang), lang, state=state)
    ordinal = req.ordinal or 1
    if ordinal > len(shown):
        return Answer("cart_nothing", say("cart_nothing", lang), lang, state=state)
    product_id = shown[ordinal - 1] if ordinal > 0 else shown[-1]
    try:
        line = checkout_services.cart_add(cart=cart_getter(), product_id=product_id, quantity=int(req.quantity or 1))
    except checkout_errors.CheckoutError as exc:
        return Answer("cart_error", say("cart_error", lang, error=exc.message), lang, state=state)
    product = line.product
    text = say(
        "cart_added",
        lang,
        quantity=int(req.quantity or 1),
        name=product.display_name,
        price=money(product.price, lang),
        line=line.quantity,
    )
    return Answer("cart_added", text, lang, [product], state=state)


# --- the entry point ---------------------------------------------------------------------------


def answer(
    *, message: str, state: dict | None, shopper, cart_getter: Callable[[], Any] | None = None
) -> tuple[Request, Answer]:
    """The embedded default's answer to one message in a conversation (state: the
    conversation's state; the new one is in Answer.state)."""
    state = dict(state or {})
    raw = message or ""
    req = parsing.parse(strip_tags(raw) if len(raw) <= parsing.MAX_MESSAGE else raw)
    req.hostile = req.hostile or bool(parsing.HOSTILE.search(raw[: parsing.MAX_MESSAGE]))
    lang = req.lang
    if req.intent in ("empty", "too_long", "greeting"):
        return req, Answer(req.intent, say(req.intent, lang), lang, state=state)
    if req.hostile:
        return req, Answer("hostile", say("hostile", lang), lang, state=state)
    if req.intent == "store":
        return req, store_question(req, state)
    if req.intent in ("order_status", "past_purchases", "buy_again"):
        if shopper is None or shopper.customer is None:
            return req, Answer("login", say("login", lang), lang, state=state)
        return req, {"order_status": order_status, "past_purchases": past_purchases, "buy_again": buy_again}[
            req.intent
        ](req, state, shopper)
    if req.intent == "cart_add":
        return req, cart_add(req, state, cart_getter)
    return req, search(req, state, shopper)


def today() -> dt.date:
    return timezone.localdate()


def caches_clear() -> None:
    """Forget the per-process caches (category keywords, shoppers' scores, the product index)."""
    global _categories
    with _cat_lock:
        _categories = None
    _personal.clear()
    retrieval.index_clear()

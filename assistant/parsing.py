"""Understand one chat message: language, intent and the constraints of a product request.

Pure Python, no Django: `parse(text)` gives a `Request` the engine turns into
database filters. English and Chinese (zh-Hans): prices in £, p, pounds,
pence, 英镑, 镑, 便士 with "under / below / cheaper than / up to / over /
between ... and ..." and 以下 / 以内 / 低于 / 不超过 / 以上 / 超过 / 到 ... 之间;
colours (red ... 红色); quantity or party size ("for a party of 30",
"30人"); occasion or recipient words, which become search words; follow-ups
("cheaper", "in blue", "more like the second one", 更便宜, 蓝色的, 第二个).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

MAX_MESSAGE = 2000

COLOURS = (
    "red",
    "pink",
    "blue",
    "green",
    "yellow",
    "white",
    "black",
    "purple",
    "orange",
    "gold",
    "silver",
    "grey",
    "brown",
    "ivory",
    "cream",
)
COLOUR_ALIASES = {"gray": "grey", "golden": "gold"}
ZH_COLOURS = {
    "红": "red",
    "粉": "pink",
    "蓝": "blue",
    "绿": "green",
    "黄": "yellow",
    "白": "white",
    "黑": "black",
    "紫": "purple",
    "橙": "orange",
    "金": "gold",
    "银": "silver",
    "灰": "grey",
    "棕": "brown",
    "咖啡色": "brown",
}
ZH_COLOUR_NAMES = {v: k + "色" for k, v in ZH_COLOURS.items() if len(k) == 1}

# Chinese words of the catalogue, as the English words of product names and category keywords
ZH_WORDS = {
    "圣诞树": "christmas tree",
    "圣诞": "christmas",
    "灯串": "lights",
    "彩灯": "lights",
    "灯": "lights",
    "蜡烛台": "candle holder",
    "烛台": "candle holder",
    "蜡烛": "candle",
    "茶灯": "t-light",
    "灯笼": "lantern",
    "马克杯": "mug",
    "杯子": "mug",
    "杯": "cup",
    "茶杯": "teacup",
    "茶壶": "teapot",
    "盘子": "plate",
    "碗": "bowl",
    "餐巾": "napkin",
    "包": "bag",
    "购物袋": "shopper bag",
    "钱包": "purse",
    "背包": "backpack",
    "靠垫": "cushion",
    "抱枕": "cushion",
    "毯子": "blanket",
    "热水袋": "hot water bottle",
    "钟": "clock",
    "闹钟": "alarm clock",
    "相框": "photo frame",
    "镜子": "mirror",
    "花瓶": "vase",
    "项链": "necklace",
    "手链": "bracelet",
    "耳环": "earrings",
    "首饰": "jewellery",
    "笔记本": "notebook",
    "铅笔": "pencil",
    "贴纸": "sticker",
    "贺卡": "card",
    "卡片": "card",
    "包装纸": "wrap",
    "礼品袋": "gift bag",
    "礼物": "gift",
    "玩具": "toy",
    "拼图": "jigsaw",
    "游戏": "game",
    "花园": "garden",
    "园艺": "garden",
    "鸟": "bird",
    "蛋糕": "cake",
    "烘焙": "baking",
    "围裙": "apron",
    "厨房": "kitchen",
    "挂饰": "hanging decoration",
    "装饰": "decoration",
    "花环": "wreath",
    "收纳盒": "storage box",
    "盒子": "box",
    "篮子": "basket",
    "复活节": "easter",
    "兔子": "rabbit",
    "生日": "birthday",
    "派对": "party",
    "聚会": "party",
    "婚礼": "wedding",
    "气球": "balloon",
    "彩旗": "bunting",
    "茶": "tea",
    "婴儿": "baby",
    "儿童": "kids",
    "孩子": "kids",
    "肥皂": "soap",
    "心形": "heart",
    "心": "heart",
    "星星": "star",
    "猫": "cat",
    "狗": "dog",
}

# occasions and recipients: what to look for when someone names one
OCCASIONS = {
    "tea lover": "tea cup teapot tea set",
    "coffee lover": "coffee mug",
    "christmas tree": "christmas hanging tree decoration",
    "gardener": "garden",
    "baker": "baking cake",
    "new baby": "baby",
    "baby shower": "baby",
    "kids party": "party kids",
    "children's party": "party",
    "wedding": "wedding",
    "valentine": "heart love",
    "easter": "easter",
    "halloween": "halloween",
    "birthday": "birthday",
    "cat lover": "cat",
    "dog lover": "dog",
    "teacher": "teacher",
    "mum": "mum",
    "grandma": "gran",
}

ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ZH_NUM = "[零一二两三四五六七八九十百]+"
NUM = r"\d+(?:\.\d{1,2})?"

ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
}
ZH_ORDINALS = {"第一": 1, "第二": 2, "第三": 3, "第四": 4, "第五": 5, "最后": -1}
WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a dozen": 12,
    "dozen": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
}

STORE_WORDS = (
    "shipping",
    "delivery",
    "deliver",
    "postage",
    "return",
    "returns",
    "refund",
    "exchange",
    "payment",
    "pay ",
    "card",
    "paypal",
    "wholesale",
    "bulk",
    "trade",
    "vat",
    "invoice",
    "contact",
    "opening",
    "privacy",
    "track",
)
STORE_WORDS_ZH = (
    "运费",
    "配送",
    "送货",
    "快递",
    "退货",
    "退款",
    "换货",
    "付款",
    "支付",
    "批发",
    "发票",
    "联系",
    "隐私",
)
STORE_PHRASES = (
    "how long",
    "do you ship",
    "can i return",
    "how do i",
    "how can i",
    "what is your",
    "what's your",
    "policy",
)


@dataclass
class Request:
    """What one message asks, as plain values (the engine applies them)."""

    text: str
    lang: str  # "en" or "zh"
    intent: str  # search, refine, similar, store, order_status, past_purchases, buy_again, cart_add, greeting, empty, too_long, help
    words: list[str] = field(default_factory=list)  # search words in English (Chinese translated)
    search_text: str = ""  # what the embedding reads (the message without price words)
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    max_inclusive: bool = False  # "up to £5" includes £5; "under £5" does not
    min_inclusive: bool = True
    colour: str = ""
    quantity: int | None = None  # units needed (party size, "I need 40")
    cheaper: bool = False  # follow-up: cheaper than the last answer
    ordinal: int | None = None  # "the second one" (1-based; -1 = last)
    season: str = ""  # "christmas" in "what did I buy last Christmas"
    head: str = ""  # the thing asked for (the last product word: "napkins" in "party napkins")
    hostile: bool = False

    @property
    def has_constraints(self) -> bool:
        return any(x is not None for x in (self.min_price, self.max_price, self.quantity)) or bool(self.colour)


def language(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def zh_number(s: str) -> int:
    """一 -> 1, 十五 -> 15, 二十 -> 20, 一百 -> 100, 三十五 -> 35."""
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = ZH_DIGITS[ch]
    return total + current


def _amount(number: str, unit: str) -> Decimal:
    value = Decimal(str(zh_number(number))) if re.fullmatch(ZH_NUM, number) else Decimal(number)
    if unit.lower().strip() in ("p", "pence", "penny", "便士"):
        value = value / 100
    return value.quantize(Decimal("0.01"))


HOSTILE = re.compile(
    r"ignore (all |your |previous |the )*(instructions|rules)|system prompt|you are now|jailbreak|<\s*script|drop\s+table|"
    r"delete\s+from|;\s*--|union\s+select|忽略.*(指令|说明)",
    re.I,
)

_P = r"(?:£\s*)?"
_UNIT = r"(pounds?|pence|quid|gbp|£|p\b)?"
EN_RANGE = re.compile(rf"(?:between|from)\s+{_P}({NUM})\s*{_UNIT}\s*(?:and|to|-)\s*{_P}({NUM})\s*{_UNIT}", re.I)
EN_DASH = re.compile(rf"£\s*({NUM})\s*(?:-|to)\s*£?\s*({NUM})\s*(p|pence|pounds?)?", re.I)
EN_MAX = re.compile(
    rf"(under|below|less than|cheaper than|lower than|up to|no more than|max(?:imum)?|at most|within|<)\s*{_P}({NUM})\s*{_UNIT}",
    re.I,
)
EN_MIN = re.compile(rf"(over|above|more than|at least|min(?:imum)?|from|>)\s*{_P}({NUM})\s*{_UNIT}", re.I)
EN_ABOUT = re.compile(rf"(?:about|around|roughly|approximately)\s*{_P}({NUM})\s*{_UNIT}", re.I)
_ZHN = rf"({NUM}|{ZH_NUM})"
_ZHU = r"(英镑|镑|便士|块)"
ZH_RANGE = re.compile(rf"{_ZHN}\s*{_ZHU}?\s*(?:到|至|-)\s*{_ZHN}\s*{_ZHU}(?:之间)?")
ZH_MAX_AFTER = re.compile(rf"{_ZHN}\s*{_ZHU}\s*(以下|以内|之内|内)")
ZH_MAX_BEFORE = re.compile(rf"(低于|少于|不超过|不到|便宜于|最多)\s*£?\s*{_ZHN}\s*{_ZHU}?")
ZH_MIN_AFTER = re.compile(rf"{_ZHN}\s*{_ZHU}\s*(以上)")
ZH_MIN_BEFORE = re.compile(rf"(高于|超过|多于|至少)\s*£?\s*{_ZHN}\s*{_ZHU}?")
EN_QTY = re.compile(
    r"(?:party of|for|group of|feed|serve|need|want|buy|order)\s+(\d+|"
    + "|".join(WORD_NUMBERS)
    + r")\s*(people|guests|kids|children|persons|friends|units|of them|pieces)?",
    re.I,
)
ZH_QTY = re.compile(rf"{_ZHN}\s*(个人|人|位|个|件|份)")


def _unit(u: str | None, default: str = "") -> str:
    u = (u or default).lower()
    return "p" if u in ("p", "pence") else "£"


def _price(req: Request, text: str) -> str:
    """Fill the price constraints; returns the text with the price words taken out."""
    t = text
    if m := EN_RANGE.search(t) or EN_DASH.search(t):
        g = m.groups()
        hi_unit = g[3] if len(g) > 3 else g[2]
        lo_unit = g[1] if len(g) > 3 and g[1] else hi_unit
        lo, hi = _amount(g[0], _unit(lo_unit)), _amount(g[2] if len(g) > 3 else g[1], _unit(hi_unit))
        req.min_price, req.max_price, req.max_inclusive = min(lo, hi), max(lo, hi), True
        return t.replace(m.group(0), " ")
    if m := ZH_RANGE.search(t):
        lo_u, hi_u = m.group(2) or m.group(4), m.group(4)
        lo, hi = _amount(m.group(1), lo_u), _amount(m.group(3), hi_u)
        req.min_price, req.max_price, req.max_inclusive = min(lo, hi), max(lo, hi), True
        return t.replace(m.group(0), " ")
    if m := EN_ABOUT.search(t):
        v = _amount(m.group(1), _unit(m.group(2)))
        req.min_price, req.max_price, req.max_inclusive = (
            (v * Decimal("0.8")).quantize(Decimal("0.01")),
            (v * Decimal("1.2")).quantize(Decimal("0.01")),
            True,
        )
        t = t.replace(m.group(0), " ")
    for m in EN_MAX.finditer(t):
        if (
            m.group(3) is None
            and not re.search(r"£", m.group(0))
            and re.match(r"\s*(people|guests|kids|units)", t[m.end() :])
        ):
            continue
        if m.group(3) is None and "£" not in m.group(0) and m.group(1).lower() in ("for", "within"):
            continue
        req.max_price = _amount(m.group(2), _unit(m.group(3)))
        req.max_inclusive = m.group(1).lower() in ("up to", "no more than", "max", "maximum", "at most", "within")
        t = t.replace(m.group(0), " ")
        break
    for m in EN_MIN.finditer(t):
        if m.group(3) is None and "£" not in m.group(0):
            continue  # "from 2010", "more than 30 people": not a price
        req.min_price = _amount(m.group(2), _unit(m.group(3)))
        req.min_inclusive = m.group(1).lower() in ("at least", "min", "minimum", "from")
        t = t.replace(m.group(0), " ")
        break
    if m := ZH_MAX_AFTER.search(t):
        req.max_price, req.max_inclusive = _amount(m.group(1), m.group(2)), m.group(3) != "以下"
        t = t.replace(m.group(0), " ")
    elif m := ZH_MAX_BEFORE.search(t):
        req.max_price, req.max_inclusive = _amount(m.group(2), m.group(3) or "英镑"), m.group(1) in ("不超过", "最多")
        t = t.replace(m.group(0), " ")
    if m := ZH_MIN_AFTER.search(t):
        req.min_price = _amount(m.group(1), m.group(2))
        t = t.replace(m.group(0), " ")
    elif m := ZH_MIN_BEFORE.search(t):
        req.min_price, req.min_inclusive = _amount(m.group(2), m.group(3) or "英镑"), m.group(1) == "至少"
        t = t.replace(m.group(0), " ")
    if req.min_price is None and req.max_price is None:
        # a bare "£3 candles" reads as a budget
        if m := re.search(rf"£\s*({NUM})|({NUM})\s*(p|pence|pounds|quid)\b", t, re.I):
            if m.group(1):
                req.max_price, req.max_inclusive = _amount(m.group(1), "£"), True
            else:
                req.max_price, req.max_inclusive = _amount(m.group(2), _unit(m.group(3))), True
            t = t.replace(m.group(0), " ")
    return t


def _quantity(req: Request, text: str) -> str:
    low = text.lower()
    if req.lang == "zh":
        if m := ZH_QTY.search(text):
            n = zh_number(m.group(1)) if not m.group(1).replace(".", "").isdigit() else int(float(m.group(1)))
            if n > 1:
                req.quantity = n
                return text.replace(m.group(0), " ")
        return text
    for m in EN_QTY.finditer(low):
        word = m.group(1)
        n = int(word) if word.isdigit() else WORD_NUMBERS[word]
        if n > 1:
            req.quantity = n
            return text[: m.start()] + " " + text[m.end() :]
    return text


def _colour(req: Request, text: str) -> None:
    if req.lang == "zh":
        for zh, en in ZH_COLOURS.items():
            if zh in text and (
                zh + "色" in text or zh + "的" in text or len(zh) > 1 or re.search(zh + "[^\u4e00-\u9fff]?", text)
            ):
                req.colour = en
                return
        return
    for w in re.findall(r"[a-z]+", text.lower()):
        w = COLOUR_ALIASES.get(w, w)
        if w in COLOURS:
            req.colour = w
            return


STOP = set(
    "a an the and or of for to in on with me my i we you do have any some something show find looking look want need would like "
    "please can could get buy under below over above cheap cheaper cheapest than less more pounds pound pence quid gift gifts "
    "present presents nice good best one ones that those these it them is are what which there how much price priced sell "
    "carry your shop store got also other again similar like about around between from up at most least party people guests "
    "lover lovers first second third fourth fifth last someone somebody".split()
)


def _words(req: Request, text: str) -> None:
    if req.lang == "zh":
        found, rest = [], text
        for zh in sorted(ZH_WORDS, key=len, reverse=True):
            if zh in rest:
                found.append(ZH_WORDS[zh])
                rest = rest.replace(zh, " ")
        req.words = " ".join(found).split()
        # the head noun comes last in Chinese too ("派对餐巾": party napkins)
        last = max(
            (zh for zh in ZH_WORDS if zh in text), key=lambda zh: (text.rfind(zh) + len(zh), len(zh)), default=""
        )
        req.head = ZH_WORDS[last].split()[-1] if last else ""
        return
    low = text.lower()
    extra = [v for k, v in OCCASIONS.items() if k in low]
    ws = [
        w for w in re.findall(r"[a-z][a-z'\-]+", low) if w not in STOP and w not in COLOURS and w not in COLOUR_ALIASES
    ]
    req.head = ws[-1] if ws and not extra else ""
    req.words = ws + " ".join(extra).split()


def parse(text: str) -> Request:
    """The Request one message makes (never raises: unreadable text is intent 'empty' or 'too_long')."""
    raw = text or ""
    stripped = raw.strip()
    lang = language(stripped)
    if not stripped:
        return Request(text="", lang=lang, intent="empty")
    if len(raw) > MAX_MESSAGE:
        return Request(text=stripped[:200], lang=lang, intent="too_long")
    req = Request(text=stripped, lang=lang, intent="search", hostile=bool(HOSTILE.search(stripped)))
    low = stripped.lower()

    # questions about the shopper's own orders and cart
    if re.search(
        r"where('s| is) my (order|parcel|package)|track(ing)? my (order|parcel)|status of my order|my order status|has my order",
        low,
    ) or re.search("我的订单(在哪|到哪|状态)|订单.*(到哪|在哪|状态)|我的包裹", stripped):
        req.intent = "order_status"
        return req
    if re.search(
        r"what did i (buy|order|get)|what have i (bought|ordered)|my (past|previous|last) (orders|purchases)", low
    ) or re.search("我(上次|去年|之前)?.*买了什么|我买过什么|我的购买记录", stripped):
        req.intent = "past_purchases"
        if "christmas" in low or "xmas" in low or "圣诞" in stripped:
            req.season = "christmas"
        return req
    if (
        re.search(r"\b(buy|order) (it|that|them|those) again\b|\breorder\b|\bbuy again\b|my usual", low)
        or "再买一次" in stripped
        or "再来一份" in stripped
    ):
        req.intent = "buy_again"
        return req
    if m := re.search(
        r"\badd (\w+|\d+)?\s*(?:of )?(those|these|them|it|that|this|the (?:first|second|third|fourth|fifth|last) one)?\s*(?:to|into|in) (?:my )?(cart|basket|bag)",
        low,
    ):
        req.intent = "cart_add"
        q = m.group(1)
        req.quantity = int(q) if q and q.isdigit() else WORD_NUMBERS.get(q or "", 1)
        _ordinal(req, low)
        return req
    if m := re.search(r"(把|将)?.*?(加|放)(入|进|到)?.*?购物车", stripped):
        req.intent = "cart_add"
        n = re.search(rf"(?<!第){_ZHN}\s*(个|件|份)", stripped)
        req.quantity = zh_number(n.group(1)) if n else 1
        _ordinal(req, stripped)
        return req

    if re.search(r"\b(pay|payment|paying)\b", low):
        req.intent = "store"
        return req
    if (
        any(w in low for w in STORE_WORDS)
        and not re.search(r"\b(card|bag|cards)s?\b.*\b(under|red|blue|for)\b", low)
        or any(w in stripped for w in STORE_WORDS_ZH)
    ):
        if (
            any(p in low for p in STORE_PHRASES)
            or "?" in stripped
            or "？" in stripped
            or lang == "zh"
            or len(low.split()) <= 4
        ):
            if not re.search(r"\b(greeting|birthday|christmas|gift|playing)\s+cards?\b", low):
                req.intent = "store"
                _words(req, stripped)
                return req
    if re.fullmatch(r"(hi|hello|hey|good (morning|afternoon|evening)|thanks|thank you)[!. ]*", low) or stripped in (
        "你好",
        "您好",
        "谢谢",
    ):
        req.intent = "greeting"
        return req

    rest = _price(req, stripped)
    rest = _quantity(req, rest)
    _colour(req, rest)
    _ordinal(req, low if lang == "en" else stripped)
    # follow-ups refine the last answer
    if re.search(r"\bcheaper\b|\bless expensive\b|\blower price", low) or "便宜" in stripped:
        req.cheaper = req.max_price is None
    if (
        re.search(r"\bmore like\b|\bsimilar to\b|\blike the\b|\bothers like\b", low)
        or "类似" in stripped
        or "像" in stripped
    ):
        if req.ordinal is not None:
            req.intent = "similar"
    _words(req, rest)
    req.search_text = re.sub(r"\s+", " ", rest).strip()
    if req.intent == "search" and not req.words and (req.cheaper or req.colour or req.has_constraints):
        req.intent = "refine"
    elif req.intent == "search" and req.cheaper and len(req.words) <= 1:
        req.intent = "refine"
    return req


def _ordinal(req: Request, text: str) -> None:
    for word, n in ORDINALS.items():
        if re.search(rf"\b{word}\b", text):
            req.ordinal = n
            return
    for word, n in ZH_ORDINALS.items():
        if word in text:
            req.ordinal = n
            return

"""The embedded default's replies: one template per answer kind, in English and
Chinese (zh-Hans). Facts (names, prices, order numbers) are filled in from the
database by the engine; the templates never contain any."""

from __future__ import annotations

from decimal import Decimal

from .parsing import ZH_COLOUR_NAMES

T = {
    "en": {
        "products": "Here are {n} {what}{constraints} from our catalogue.",
        "products_one": "Here is 1 {what}{constraints} from our catalogue.",
        "similar": "Here are {n} products like {name}{constraints}.",
        "cheaper_none": "I could not find anything cheaper than {price} that still fits. Try another colour or a higher budget.",
        "no_match": "We carry {what}, but nothing fits {constraints_plain} right now. Try a wider budget or another colour, or ask us: {contact}.",
        "dont_carry": "Sorry, we don't carry that. We sell gifts, homeware, decorations and party goods. If you think we should, tell us: {contact}.",
        "idk": "I don't know the answer to that. Please ask our team: {contact}.",
        "store": "{excerpt}",
        "login": "Please log in first, then I can look at your orders and purchases.",
        "order_status": "Your latest order {number} of {date} is {status} (total {total}, {n} items).",
        "no_orders": "I can't find any orders on your account yet.",
        "past_purchases": "In the Christmas season of {year} you bought {n} different products; here are the ones you bought most.",
        "past_recent": "These are the products you bought most recently.",
        "no_past": "I can't find purchases from that time on your account.",
        "buy_again": "Here are {n} products you buy most often; add any of them to your cart from here.",
        "cart_added": "Added to your cart: {quantity} × {name} at {price} each (your cart now has {line} of them).",
        "cart_nothing": 'Tell me which product first: ask for something, then say "add two of the first one to my cart".',
        "cart_error": "I couldn't add that to your cart: {error}",
        "greeting": 'Hello! Ask me for a product ("red candle holders under £3"), about delivery or returns, or about your orders.',
        "empty": 'Please type a question, for example "Christmas lights under £10".',
        "too_long": "That message is too long for me (over 2,000 characters). Please ask in a sentence or two.",
        "hostile": "I can only help with our products, your orders and our store's policies. What are you looking for?",
        "refine_nothing": 'What should I refine? Ask for a product first, for example "mugs under £3".',
    },
    "zh": {
        "products": "为您找到 {n} 件{what}{constraints}。",
        "products_one": "为您找到 1 件{what}{constraints}。",
        "similar": "这里有 {n} 件和「{name}」类似的商品{constraints}。",
        "cheaper_none": "没有找到比 {price} 更便宜且符合条件的商品。可以换个颜色或提高预算试试。",
        "no_match": "我们有{what}，但目前没有符合{constraints_plain}的商品。可以放宽预算或换个颜色，或联系我们：{contact}。",
        "dont_carry": "抱歉，我们没有这类商品。我们销售礼品、家居、装饰和派对用品。如有建议，请联系我们：{contact}。",
        "idk": "这个问题我不知道答案。请联系我们的客服：{contact}。",
        "store": "{excerpt}",
        "login": "请先登录，然后我可以帮您查看订单和购买记录。",
        "order_status": "您最近的订单 {number}（{date}）状态：{status}，合计 {total}，共 {n} 件。",
        "no_orders": "您的账户中还没有订单。",
        "past_purchases": "{year} 年圣诞季您买了 {n} 种商品，以下是买得最多的。",
        "past_recent": "这些是您最近购买的商品。",
        "no_past": "没有找到您那段时间的购买记录。",
        "buy_again": "这是您最常购买的 {n} 件商品，可以直接加入购物车。",
        "cart_added": "已加入购物车：{quantity} × {name}，单价 {price}（购物车中现有 {line} 件）。",
        "cart_nothing": "请先告诉我是哪件商品：先搜索，再说“把第一个加入购物车”。",
        "cart_error": "无法加入购物车：{error}",
        "greeting": "您好！可以问我商品（例如“五英镑以下的红色蜡烛台”）、配送和退货，或您的订单。",
        "empty": "请输入您的问题，例如“十英镑以下的圣诞灯”。",
        "too_long": "消息太长了（超过 2000 个字符），请用一两句话提问。",
        "hostile": "我只能帮您查询商品、订单和本店政策。请问您在找什么？",
        "refine_nothing": "请先搜索商品，例如“三英镑以下的杯子”，我再帮您筛选。",
    },
}

STATUS_ZH = {
    "placed": "已下单",
    "paid": "已付款",
    "shipped": "已发货",
    "completed": "已完成",
    "cancelled": "已取消",
    "refunded": "已退款",
}


def money(value: Decimal | float, lang: str) -> str:
    return f"£{Decimal(str(value)).quantize(Decimal('0.01'))}"


def describe(*, lang: str, min_price=None, max_price=None, max_inclusive=False, colour="", quantity=None) -> str:
    """The constraints as a phrase: " in red, under £3.00, at least 30 in stock"."""
    parts = []
    if lang == "zh":
        if colour:
            parts.append(ZH_COLOUR_NAMES.get(colour, colour))
        if min_price is not None and max_price is not None:
            parts.append(f"{money(min_price, lang)} 到 {money(max_price, lang)} 之间")
        elif max_price is not None:
            parts.append(f"{money(max_price, lang)} {'以内' if max_inclusive else '以下'}")
        elif min_price is not None:
            parts.append(f"{money(min_price, lang)} 以上")
        if quantity:
            parts.append(f"库存至少 {quantity} 件")
        return ("（" + "，".join(parts) + "）") if parts else ""
    if colour:
        parts.append(f"in {colour}")
    if min_price is not None and max_price is not None:
        parts.append(f"between {money(min_price, lang)} and {money(max_price, lang)}")
    elif max_price is not None:
        parts.append(f"{'up to' if max_inclusive else 'under'} {money(max_price, lang)}")
    elif min_price is not None:
        parts.append(f"over {money(min_price, lang)}")
    if quantity:
        parts.append(f"with at least {quantity} in stock")
    return (" " + ", ".join(parts)) if parts else ""


def say(kind: str, lang: str, **values) -> str:
    return T.get(lang, T["en"])[kind].format(**values)

"""A shopper switches to 中文 in the header and buys in a real browser: home →
category → product → cart → checkout → confirmation. No page on the way shows
an English interface string, and the confirmation e-mail arrives in Chinese
(issue 17, docs/i18n.md).

The English interface strings are the msgids of locale/zh_Hans/LC_MESSAGES/django.po.
Each is cut at its placeholders and tags into fragments, and a fragment is
looked for as whole words in the page's visible text (document.body.innerText).
Left out, on purpose:
- colour names (msgctxt "colour": Red, White, ...): they are words of the
  retailer's English product names, which stay as written;
- date format strings (msgctxt "date format: ..."): "j F Y" is not text;
- fragments shorter than four letters or single lower-case words ("to",
  "used", "about"): too short or generic to tell an untranslated string from
  English data (a product name, a typed address);
- "NDCG@10": a metric's name, the same in both languages;
- proper names quoted inside translated sentences: the data set ("Online
  Retail", "UCI Machine Learning Repository", the citation) and its licence
  ("CC BY 4.0", "Creative Commons Attribution 4.0").
Product names, the typed address, the username and order numbers are data,
not msgids, and may be English."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from checkout.models import Order
from tests.checkout.factories import CategoryFactory, CustomerFactory, ProductFactory
from tests.e2e.test_truthful_pages import imported, store  # noqa: F401  (the real-rows fixtures)
from tests.shop.test_i18n_catalog import PO, _entries

IGNORED_MSGIDS = {"NDCG@10"}
PROPER_NAMES = {
    "Online Retail",
    "CC BY 4.0",
    "Creative Commons Attribution 4.0",
    "Data: Chen, D. (2015). Online Retail [Dataset]. UCI Machine Learning Repository",
}


def english_ui_fragments() -> list[str]:
    fragments = set()
    for e in _entries(PO):
        ctx = e["msgctxt"] or ""
        if ctx == "colour" or ctx.startswith("date format") or e["msgid"] in IGNORED_MSGIDS:
            continue
        for msgid in filter(None, (e["msgid"], e["msgid_plural"])):
            text = msgid.replace("&nbsp;", " ")
            for part in re.split(r"%\(\w+\)s|%%|<[^>]+>", text):
                part = part.strip(" .,:;!?()“”'\"–—-←→…·×%£")
                if len(re.sub(r"[^A-Za-z]", "", part)) < 4:
                    continue
                if " " not in part and not part[0].isupper():
                    continue
                fragments.add(part)
    return sorted(f for f in fragments if f not in PROPER_NAMES)


def assert_no_english_ui(page, where: str, fragments: list[str]) -> None:
    text = page.evaluate("() => document.body.innerText")
    found = [f for f in fragments if re.search(r"(?<![A-Za-z])" + re.escape(f) + r"(?![A-Za-z])", text)]
    assert found == [], f"English interface text on the Chinese {where} page: {found}"
    assert re.search(r"[\u4e00-\u9fff]", text), f"no Chinese on the {where} page"


@pytest.mark.django_db(transaction=True)
def test_a_shopper_buys_in_chinese_and_sees_no_english_interface(page, screenshot):
    fragments = english_ui_fragments()
    assert len(fragments) > 300  # the scan has something to look for
    assert "Add to cart" in fragments and "Your cart is empty" in fragments and "Checkout" in fragments
    candles = CategoryFactory(name="Candles & Holders", description="Candles, tea lights, lanterns and holders")
    product = ProductFactory(name="REGENCY CAKESTAND 3 TIER", category=candles, price="2.55", stock=10)
    ProductFactory(name="JUMBO BAG RED RETROSPOT", category=candles, price="1.95", stock=10)
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")

    page.goto("/")
    page.get_by_test_id("lang-zh-hans").click()
    page.wait_for_url("**/zh-hans/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert_no_english_ui(page, "home", fragments)
    assert "按分类选购" in page.content()

    page.get_by_test_id("category-card").filter(has_text="蜡烛与烛台").click()
    page.wait_for_url("**/zh-hans/categories/**")
    assert page.locator("h1").inner_text() == "蜡烛与烛台"
    assert_no_english_ui(page, "category", fragments)

    page.get_by_role("link", name="Regency Cakestand 3 Tier").first.click()
    page.wait_for_url("**/zh-hans/products/**")
    assert page.get_by_test_id("product-name").inner_text() == "Regency Cakestand 3 Tier"  # as the retailer wrote it
    assert_no_english_ui(page, "product", fragments)
    page.get_by_role("button", name="加入购物车").click()
    page.wait_for_load_state()
    assert "已加入购物车" in page.content()

    page.get_by_test_id("mini-cart").click()
    page.wait_for_url("**/zh-hans/cart/")
    assert_no_english_ui(page, "cart", fragments)

    page.get_by_role("link", name="结算").click()
    page.wait_for_url("**/zh-hans/accounts/login/**")
    assert_no_english_ui(page, "login", fragments)
    page.locator("input[name=username]").fill(customer.user.username)
    page.locator("input[name=password]").fill("pass-word-123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/zh-hans/checkout/")
    assert_no_english_ui(page, "checkout", fragments)
    page.locator("input[name=line1]").fill("12 Mill Lane")
    page.locator("input[name=city]").fill("Leeds")
    page.locator("input[name=postcode]").fill("LS1 4AB")
    page.locator("input[name=payment_token]").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="核对订单").click()
    page.get_by_text("核对您的订单").first.wait_for()
    assert_no_english_ui(page, "review", fragments)

    page.get_by_test_id("place-order").click()
    page.wait_for_url("**/zh-hans/checkout/done/**")
    order = Order.objects.get()
    assert page.get_by_test_id("order-number").inner_text() == order.number
    assert_no_english_ui(page, "confirmation", fragments)
    assert order.language == "zh-hans"

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == f"您的礼品店订单 {order.number}"
    assert "感谢您的订购" in email.body and "实付金额" in email.body
    body = email.body.replace(product.display_name, "").replace("Mill Lane", "").replace("Leeds", "")
    found = [f for f in fragments if re.search(r"(?<![A-Za-z])" + re.escape(f) + r"(?![A-Za-z])", body)]
    assert found == [], f"English interface text in the Chinese e-mail: {found}"


SHOTS = PO.parents[3] / "docs" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_the_chinese_home_and_product_pages_on_real_rows(page, store):  # noqa: F811
    """docs/screenshots/zh-home.png and zh-product.png, from the real data set's
    rows (a person looks at them: the CJK font must be installed, fonts-noto-cjk)."""
    from catalog.models import Product

    fragments = english_ui_fragments()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto("/zh-hans/")
    assert_no_english_ui(page, "home (real rows)", fragments)
    page.screenshot(path=str(SHOTS / "zh-home.png"), full_page=False)
    product = Product.objects.filter(is_active=True, stock__gt=0).order_by("-units_sold").first()
    page.goto(product.get_absolute_url().replace("/products/", "/zh-hans/products/", 1))
    assert page.get_by_test_id("product-name").inner_text() == product.display_name
    assert_no_english_ui(page, "product (real rows)", fragments)
    page.screenshot(path=str(SHOTS / "zh-product.png"), full_page=True)

"""The chat widget in a real browser: ask for red candle holders under £3, get only
those, add one to the cart from the chat; ask in Chinese for Christmas lights."""

from decimal import Decimal

import pytest

from assistant import engine
from checkout.models import CartLine
from tests.assistant.conftest import CATEGORIES, PRODUCTS
from tests.catalog.factories import CategoryFactory, ProductFactory


@pytest.fixture
def shop_catalogue(transactional_db):
    engine.caches_clear()
    cats = {name: CategoryFactory(name=name, keywords=kw) for name, kw in CATEGORIES.items()}
    for name, cat, price, stock in PRODUCTS:
        ProductFactory(name=name, category=cats[cat], price=Decimal(price), stock=stock)
    yield
    engine.caches_clear()


def ask(page, text: str, answers: int):
    page.get_by_test_id("assistant-input").fill(text)
    page.get_by_test_id("assistant-send").click()
    replies = page.locator(".assistant-msg-assistant")
    replies.nth(answers - 1).wait_for()
    return replies.nth(answers - 1)


@pytest.mark.django_db(transaction=True)
def test_red_candle_holders_under_3_then_add_one_to_the_cart_from_the_chat(page, shop_catalogue, screenshot):
    page.goto("/")
    page.get_by_test_id("assistant-open").click()
    reply = ask(page, "red candle holders under £3", 1)
    cards = reply.get_by_test_id("assistant-card")
    assert cards.count() == 2
    for i in range(cards.count()):
        name = cards.nth(i).locator(".assistant-card-name").inner_text().upper()
        price = Decimal(cards.nth(i).get_attribute("data-price"))
        assert "RED" in name and "CANDLE HOLDER" in name and price < 3
        assert "in stock" in cards.nth(i).inner_text()
    screenshot("assistant-red-candle-holders")
    first_id = int(cards.first.get_attribute("data-product-id"))
    cards.first.get_by_test_id("assistant-add").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("mini-cart").inner_text().endswith("1")
    line = CartLine.objects.get()
    assert (line.product_id, line.quantity) == (first_id, 1)
    assert page.get_by_test_id("assistant").get_attribute("open") is not None  # the chat is still there
    assert page.locator(".assistant-msg-assistant").count() == 1


@pytest.mark.django_db(transaction=True)
def test_christmas_lights_asked_in_chinese(page, shop_catalogue, screenshot):
    page.goto("/")
    page.get_by_test_id("assistant-open").click()
    reply = ask(page, "圣诞灯", 1)
    names = [n.upper() for n in reply.locator(".assistant-card-name").all_inner_texts()]
    assert set(names[:2]) == {"SET OF 20 CHRISTMAS FAIRY LIGHTS", "CHRISTMAS LIGHTS 10 REINDEER"}
    assert "为您找到" in reply.locator(".assistant-text").inner_text()
    screenshot("assistant-christmas-lights-zh")


@pytest.mark.django_db(transaction=True)
def test_html_typed_into_the_chat_is_shown_as_text(page, shop_catalogue):
    page.goto("/")
    page.get_by_test_id("assistant-open").click()
    ask(page, "<img src=x onerror=alert(1)> red mugs", 1)
    shopper = page.locator(".assistant-msg-shopper .assistant-text").first
    assert shopper.inner_text() == "<img src=x onerror=alert(1)> red mugs"
    assert page.locator(".assistant-log img").count() == 0

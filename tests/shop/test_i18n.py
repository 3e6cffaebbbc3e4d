"""The Simplified Chinese interface (issue 17, docs/i18n.md): /zh-hans/ pages,
the header's switch (cookie and Customer.language), Accept-Language on a first
visit, hreflang links, the API in the client's language, recommendation
reasons and portrait summaries in Chinese."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation

from profiles.models import Customer
from profiles.portrait import portrait_summarize
from recommend import reasons
from tests.checkout.factories import CategoryFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db
COOKIE = settings.LANGUAGE_COOKIE_NAME


def _text(response) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_chinese_pages_live_under_zh_hans_and_english_ones_stay_unprefixed(client):
    ProductFactory(category=CategoryFactory(name="Christmas"))
    zh = client.get("/zh-hans/cart/")
    assert zh.status_code == 200 and zh["Content-Language"] == "zh-hans"
    assert '<html lang="zh-Hans">' in zh.content.decode()
    assert "您的购物车是空的。" in _text(zh) and "Your cart is empty" not in _text(zh)
    en = client.get("/cart/")
    assert en.status_code == 200 and "Your cart is empty." in _text(en)
    home = _text(client.get("/zh-hans/"))
    assert "圣诞节" in home and "按分类选购" in home  # the category name and the page's own words
    # links on a Chinese page stay Chinese
    assert 'href="/zh-hans/cart/"' in zh.content.decode()


def test_every_page_names_its_twin_in_the_other_language_for_search_engines(client):
    html = client.get("/zh-hans/about/").content.decode()
    assert '<link rel="alternate" hreflang="en" href="http://testserver/about/">' in html
    assert '<link rel="alternate" hreflang="zh-Hans" href="http://testserver/zh-hans/about/">' in html
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/about/">' in html


def test_a_first_visit_follows_the_browsers_accept_language(client):
    response = client.get("/about/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert response.status_code == 302 and response["Location"] == "/zh-hans/about/"
    assert "Accept-Language" in response["Vary"]
    english = client.get("/about/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert english.status_code == 200 and "About this shop" in _text(english)
    # a reader who chose English stays in English whatever the browser says
    client.cookies[COOKIE] = "en"
    assert client.get("/about/", HTTP_ACCEPT_LANGUAGE="zh-CN").status_code == 200


def test_the_switch_sets_the_cookie_and_returns_to_the_same_page_in_chinese(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/cart/"})
    assert response.status_code == 302 and response["Location"] == "/zh-hans/cart/"
    assert response.cookies[COOKIE].value == "zh-hans"
    # the choice is remembered: an unprefixed page sends this reader to Chinese
    assert client.get("/about/")["Location"] == "/zh-hans/about/"
    back = client.post("/i18n/setlang/", {"language": "en", "next": "/zh-hans/cart/"})
    assert back["Location"] == "/cart/" and back.cookies[COOKIE].value == "en"
    assert client.get("/about/").status_code == 200


def test_the_switch_keeps_a_logged_in_shoppers_choice_on_their_customer(client):
    customer = CustomerFactory()
    client.force_login(customer.user)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert Customer.objects.get(pk=customer.pk).language == "zh-hans"
    # another browser (no cookie): the stored choice applies
    other = client.__class__()
    other.force_login(customer.user)
    assert other.get("/orders/")["Location"] == "/zh-hans/orders/"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert Customer.objects.get(pk=customer.pk).language == "en"


def test_an_unknown_language_changes_nothing(client):
    customer = CustomerFactory()
    client.force_login(customer.user)
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/cart/"})
    assert response.status_code == 302 and COOKIE not in response.cookies
    assert Customer.objects.get(pk=customer.pk).language == ""


def test_the_api_answers_errors_in_the_clients_language(client):
    product = ProductFactory(stock=2)
    body = {"product": product.pk, "quantity": 5}
    zh = client.post("/api/cart/items/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-CN")
    en = client.post("/api/cart/items/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 409
    assert "仅剩 2 件" in zh.content.decode() and "Only 2 left" in en.content.decode()


def test_recommendation_reasons_read_in_chinese():
    product = ProductFactory(name="WHITE HANGING HEART T-LIGHT HOLDER")
    october = timezone.make_aware(dt.datetime(2011, 10, 5, 12))
    now = october + dt.timedelta(days=30)
    with translation.override("zh-hans"):
        assert reasons.because("purchase", product, october).startswith("因为您在")
        assert reasons.month_of(october, now=now) == "十月"
        assert reasons.because("view", product) == "因为您看过 White Hanging Heart T-Light Holder"
        assert reasons.trending(3, 30) == "正在流行：近 30 天有 3 位顾客购买"
        # the data set's country, named in Chinese
        assert reasons.popular_in("EIRE", buyers=4) == "在爱尔兰的顾客中很受欢迎（4 人购买）"
    with translation.override("en"):
        assert reasons.because("view", product) == "Because you viewed White Hanging Heart T-Light Holder"
        assert reasons.popular_in("EIRE") == "Popular with customers in EIRE"  # English keeps the data's spelling


def test_the_portrait_summary_and_segment_read_in_chinese_and_english():
    portrait = {
        "country": "United Kingdom",
        "has_purchases": True,
        "top_interests": ["Christmas", "Candles & Holders"],
        "is_bulk_buyer": False,
        "seasonality": "christmas",
        "is_price_sensitive": True,
        "price_band": "mid",
        "segment": "loyal",
        "frequency": 5,
        "recency_days": 12,
        "monetary": 1234.5,
    }
    with translation.override("zh-hans"):
        zh = portrait_summarize(portrait)
    with translation.override("en"):
        en = portrait_summarize(portrait)
    assert zh == (
        "一位来自英国的零售买家，主要购买圣诞节和蜡烛与烛台，对价格比较敏感，每年秋天都为圣诞节备货。"
        "忠实客户：共 5 笔订单，合计 £1,234.50，最近一笔在12 天前。"
    )
    assert en == (
        "A retail buyer from United Kingdom who buys mostly christmas and candles & holders and is price sensitive, "
        "stocking up for Christmas every autumn. Loyal: 5 orders worth £1,234.50, the last one 12 days ago."
    )

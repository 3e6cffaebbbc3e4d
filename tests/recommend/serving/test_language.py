"""Reasons and titles are written in the page's language, and every cache that
holds them is keyed by it: a Chinese page never shows a cached English reason,
nor the reverse (issue 17)."""

from __future__ import annotations

import pytest
from django.utils import translation

from profiles.selectors import Shopper
from recommend import serving


@pytest.mark.django_db
def test_the_same_list_is_written_in_each_language_not_served_from_the_other(shop):
    shopper = Shopper(customer=None, session_key="z" * 32)
    with translation.override("en"):
        english = serving.recommendations_for(slot="home_trending", shopper=shopper)
    with translation.override("zh-hans"):
        chinese = serving.recommendations_for(slot="home_trending", shopper=shopper)
    with translation.override("en"):
        again = serving.recommendations_for(slot="home_trending", shopper=shopper)
    assert english.items and [i.product.pk for i in english.items] == [i.product.pk for i in chinese.items]
    assert english.title == again.title == "Trending now" and chinese.title == "正在流行"
    assert all(i.reason.startswith(("Trending", "Popular")) for i in english.items)
    assert all(i.reason.startswith(("正在流行", "店内")) for i in chinese.items)
    assert [i.reason for i in again.items] == [i.reason for i in english.items]


@pytest.mark.django_db
def test_a_chinese_page_and_an_english_page_show_their_own_slot_html(client, shop):
    zh = client.get("/zh-hans/").content.decode()
    en = client.get("/").content.decode()
    zh_again = client.get("/zh-hans/").content.decode()
    assert "正在流行" in zh and "Trending now" not in zh
    assert "Trending now" in en and "正在流行" not in en
    assert "正在流行" in zh_again and "Trending now" not in zh_again

"""Search that understands: typo tolerance, spellings, plurals, fusion, facets,
autocomplete, 'did you mean' and the zero-result page, on the real database
(PostgreSQL full text in CI, SQLite FTS5 with TEST_FORCE_SQLITE=1) and the real
sentence encoder."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from catalog import selectors, services
from catalog.models import Category, Product, SearchQueryStat
from catalog.search import rrf
from tests.catalog.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    candles = CategoryFactory(name="Candles & Holders")
    christmas = CategoryFactory(name="Christmas")
    kitchen = CategoryFactory(name="Tableware & Mugs")
    jewellery = CategoryFactory(name="Jewellery & Accessories")
    made = {}
    for name, cat, price, sold in [
        ("WHITE HANGING HEART T-LIGHT HOLDER", candles, "2.95", 900),
        ("RED HEART CANDLE", candles, "1.25", 50),
        ("ZINC METAL LANTERN", candles, "9.95", 300),
        ("MOROCCAN LANTERNS SET OF 3", candles, "12.50", 40),
        ("CHRISTMAS TREE STAR DECORATION", christmas, "0.85", 700),
        ("RED CHRISTMAS STOCKING", christmas, "3.75", 200),
        ("PINK POLKADOT COFFEE MUG", kitchen, "2.55", 400),
        ("BLUE BREAKFAST CUP AND SAUCER", kitchen, "3.25", 100),
        ("BAROQUE JEWELLERY BOX", jewellery, "4.95", 120),
        ("COLOUR CHANGING NIGHT LIGHT", candles, "5.95", 30),
    ]:
        made[name] = ProductFactory(name=name, category=cat, price=Decimal(price), units_sold=sold)
    return made


def found(query: str, **kw) -> list[str]:
    result = selectors.product_search_hybrid(query=query, **kw)
    return [p.name for p in selectors.products_in_order(product_ids=result.ids)]


def test_typos_are_corrected_from_the_catalogs_own_words(shop):
    result = selectors.product_search_hybrid(query="chrismas", mode="lexical")
    assert result.understood.text == "christmas" and result.suggestion == "christmas"
    assert set(found("chrismas", mode="lexical")) == {"CHRISTMAS TREE STAR DECORATION", "RED CHRISTMAS STOCKING"}
    assert found("lanturn")[:2] == ["ZINC METAL LANTERN", "MOROCCAN LANTERNS SET OF 3"]
    # a word the catalog knows is never "corrected", nor a short one
    assert selectors.product_search_hybrid(query="red mug").suggestion == ""
    assert selectors.product_search_hybrid(query="zqx").understood.text == "zqx"
    # correction can be turned off (the "search only for" link)
    assert found("chrismas", mode="lexical", correct=False) == []


def test_plurals_and_british_american_spellings_match_alike(shop):
    lanterns = {"ZINC METAL LANTERN", "MOROCCAN LANTERNS SET OF 3"}
    assert set(found("lantern", mode="lexical")) == lanterns
    assert set(found("lanterns", mode="lexical")) == lanterns
    assert found("color changing", mode="lexical") == ["COLOUR CHANGING NIGHT LIGHT"]
    assert found("colour changing", mode="lexical") == ["COLOUR CHANGING NIGHT LIGHT"]
    assert found("jewelry box", mode="lexical") == ["BAROQUE JEWELLERY BOX"]
    assert found("xmas stocking", mode="lexical") == ["RED CHRISTMAS STOCKING"]


def test_every_word_must_match_name_or_category_in_lexical(shop):
    assert found("red heart", mode="lexical") == ["RED HEART CANDLE"]
    # "christmas" is also the category of the star decoration
    assert "CHRISTMAS TREE STAR DECORATION" in found("star christmas", mode="lexical")
    assert found("submarine", mode="lexical") == []


def test_rrf_fuses_by_rank_and_rewards_agreement():
    assert rrf([[1, 2, 3], [3, 4]]) == [3, 1, 2, 4]  # 3 is in both lists
    assert rrf([[1, 2], [2, 1]]) == [1, 2]  # a tie keeps first appearance
    assert rrf([[], [5, 6]]) == [5, 6]
    assert rrf([[1], [2]], weights=[1.0, 2.0]) == [2, 1]


def test_hybrid_adds_meaning_that_words_miss(shop):
    # no product says "cup" and "coffee" together with "tea": the encoder knows a mug and a cup are alike
    lexical = found("coffee cup", mode="lexical")
    hybrid = found("coffee cup")
    assert lexical == []
    assert {"PINK POLKADOT COFFEE MUG", "BLUE BREAKFAST CUP AND SAUCER"} <= set(hybrid[:3])
    # what lexical finds stays, and leads when both lists agree
    assert found("red heart")[0] == "RED HEART CANDLE"
    # nonsense finds nothing in either half
    assert found("submarine") == [] and found("qwxzv") == []


def test_facets_count_the_results_and_filter_them(shop):
    result = selectors.product_search_hybrid(query="red", mode="lexical")
    cats = {f.label: f.count for f in result.facets.category}
    assert cats == {"Candles & Holders": 1, "Christmas": 1}
    assert {f.key: f.count for f in result.facets.colour} == {"red": 2}
    assert {f.key: f.count for f in result.facets.price} == {"1-3": 1, "3-10": 1}
    christmas = Category.objects.get(name="Christmas")
    narrowed = selectors.product_search_hybrid(query="red", mode="lexical", category_id=christmas.pk)
    assert [p.name for p in selectors.products_in_order(product_ids=narrowed.ids)] == ["RED CHRISTMAS STOCKING"]
    # the category facet still counts every category (to switch), the others count within it
    assert {f.label: f.count for f in narrowed.facets.category} == {"Candles & Holders": 1, "Christmas": 1}
    assert {f.key: f.count for f in narrowed.facets.price} == {"3-10": 1}
    cheap = selectors.product_search_hybrid(query="lantern", mode="lexical", band="3-10")
    assert [p.name for p in selectors.products_in_order(product_ids=cheap.ids)] == ["ZINC METAL LANTERN"]
    mugs = selectors.product_search_hybrid(query="mug", mode="lexical", colour="pink")
    assert mugs.count == 1


def test_unknown_mode_is_a_clear_error(shop):
    with pytest.raises(ValueError, match="mode must be one of"):
        selectors.product_search_hybrid(query="red", mode="fuzzy")


def test_the_index_follows_renames_and_deactivation(shop):
    candle = shop["RED HEART CANDLE"]
    Product.objects.filter(pk=candle.pk).update(name="RED HEART PILLAR")  # no save(): the trigger keeps up
    assert found("pillar", mode="lexical") == ["RED HEART PILLAR"]
    # the category ("Candles & Holders") still matches its word
    assert set(found("candle heart", mode="lexical")) == {"RED HEART PILLAR", "WHITE HANGING HEART T-LIGHT HOLDER"}
    Category.objects.filter(name="Candles & Holders").update(name="Candlesticks")
    assert "RED HEART PILLAR" in found("candlesticks", mode="lexical")
    Product.objects.filter(pk=candle.pk).update(is_active=False)
    assert found("pillar") == []
    bulk = Product.objects.bulk_create(
        [Product(stock_code="B1", name="GLASS BAUBLE", category=candle.category, price=Decimal("1"))]
    )
    assert found("bauble", mode="lexical") == ["GLASS BAUBLE"] and bulk


def test_search_page_shows_did_you_mean_facets_and_records_the_query(client, shop):
    response = client.get("/search/", {"q": "chrismas"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="did-you-mean"' in html and "<strong>christmas</strong>" in html
    assert 'Christmas <span class="count">(2)</span>' in html
    # counted as what was searched, so autocomplete never offers the typo
    stat = SearchQueryStat.objects.get(query="christmas")
    assert (stat.count, stat.last_result_count) == (1, response.context["page"].paginator.count)
    client.get("/search/", {"q": "Christmas"})
    assert SearchQueryStat.objects.get(query="christmas").count == 2
    assert not SearchQueryStat.objects.filter(query="chrismas").exists()
    christmas = Category.objects.get(name="Christmas")
    response = client.get("/search/", {"q": "red", "category": christmas.pk})
    assert [p.name for p in response.context["page"].object_list] == ["RED CHRISTMAS STOCKING"]


def test_bad_facet_values_are_dropped_and_said_so(client, shop):
    response = client.get("/search/", {"q": "red", "category": "999999", "band": "cheap", "colour": "<b>"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "That category does not exist" in html and "Unknown price band" in html and "Unknown colour" in html
    assert response.context["page"].paginator.count == response.context["result"].total_unfiltered


def test_zero_results_page_offers_a_way_on(client, shop):
    services.search_query_record(query="lantern", result_count=2)
    response = client.get("/search/", {"q": "submarine"})
    html = response.content.decode()
    assert "Nothing matches" in html
    assert 'href="?q=lantern"' in html  # a popular query
    assert "Popular right now" in html and "White Hanging Heart" in html
    assert "Candles &amp; Holders" in html


def test_autocomplete_suggests_popular_queries_and_product_names(client, shop):
    services.search_query_record(query="Lantern lights", result_count=3)
    services.search_query_record(query="lantern lights", result_count=3)
    services.search_query_record(query="lanterns nowhere", result_count=0)  # found nothing: never suggested
    response = client.get("/search/suggest/", {"q": "lan"})
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/json"
    labels = [(s["kind"], s["label"]) for s in data["suggestions"]]
    assert labels[0] == ("query", "lantern lights")
    assert ("query", "lanterns nowhere") not in labels
    assert {label for kind, label in labels if kind == "product"} == {
        "Zinc Metal Lantern",
        "Moroccan Lanterns Set of 3",
    }
    assert json.loads(client.get("/search/suggest/", {"q": "l"}).content) == {"suggestions": []}
    assert json.loads(client.get("/search/suggest/", {"q": "'%;--"}).content) == {"suggestions": []}


def test_search_query_record_refuses_a_negative_count(shop):
    with pytest.raises(ValueError):
        services.search_query_record(query="red", result_count=-1)
    assert not SearchQueryStat.objects.exists()
    assert services.search_query_record(query="  !! ", result_count=0) is None


def test_operators_see_the_queries_that_found_nothing(client, shop):
    from django.contrib.auth import get_user_model

    services.search_query_record(query="submarine", result_count=0)
    services.search_query_record(query="lantern", result_count=2)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "a-long-Passphrase-9")
    client.force_login(admin)
    html = client.get("/admin/catalog/searchquerystat/", {"found": "no"}).content.decode()
    assert "submarine" in html and "lantern" not in html


# ---------------------------------------------------------------------------
# Chinese queries over the English catalog (the multilingual model's semantic half)
# ---------------------------------------------------------------------------
def test_a_chinese_query_is_answered_by_the_multilingual_model(shop):
    from catalog.search import has_cjk, semantic_model

    assert has_cjk("圣诞灯") and has_cjk("红色 mug") and not has_cjk("christmas lights")
    assert semantic_model(cjk=True) == "multilingual-e5-small-q4"
    assert semantic_model(cjk=False) == "all-MiniLM-L6-v2"
    # "Christmas lights": both Christmas products lead; "cup": the cup and saucer
    assert set(found("圣诞灯")[:2]) == {"CHRISTMAS TREE STAR DECORATION", "RED CHRISTMAS STOCKING"}
    assert found("杯子")[0] == "BLUE BREAKFAST CUP AND SAUCER"
    assert found("圣诞灯", mode="semantic")[:2] == found("圣诞灯")[:2]  # no lexical half to fuse with


def test_chinese_words_are_never_corrected_nor_matched_lexically(shop):
    result = selectors.product_search_hybrid(query="圣诞灯")
    assert result.understood.text == "圣诞灯" and result.suggestion == ""
    assert found("圣诞灯", mode="lexical") == []
    # the English word of a mixed query still matches the full text
    mugs = ["PINK POLKADOT COFFEE MUG", "BLUE BREAKFAST CUP AND SAUCER"]  # the cup by its category, "& Mugs"
    assert found("粉色 mug", mode="lexical") == found("mug", mode="lexical") == mugs
    assert selectors.product_search_hybrid(query="粉色 mugg").understood.text == "粉色 mug"


def test_a_multilingual_model_that_cannot_load_leaves_lexical_search_and_english(shop, settings, caplog):
    from catalog import search

    settings.SEARCH_SEMANTIC_MODEL_CJK = "no-such-model"
    search._broken_until.clear()
    try:
        with caplog.at_level("WARNING", logger="catalog.search"):
            assert found("圣诞灯") == []
            assert found("粉色 mug") == found("mug", mode="lexical")  # lexical goes on
            assert "PINK POLKADOT COFFEE MUG" in found("coffee cup")  # English keeps its model
        assert sum("no-such-model" in r.getMessage() for r in caplog.records) == 1  # logged once
    finally:
        search._broken_until.clear()

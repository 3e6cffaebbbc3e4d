"""Search that understands, in a real headless Chromium: the header box's
autocomplete, a typo corrected, a facet narrowing the results, and the
product found."""

from decimal import Decimal

import pytest

from catalog import selectors, services
from tests.catalog.factories import CategoryFactory, ProductFactory


@pytest.fixture
def catalog():
    candles = CategoryFactory(name="Candles & Holders", position=1)
    garden = CategoryFactory(name="Garden & Outdoors", position=2)
    christmas = CategoryFactory(name="Christmas", position=3)
    ProductFactory(name="ZINC METAL LANTERN", category=candles, price=Decimal("9.95"), units_sold=300)
    ProductFactory(name="MOROCCAN LANTERN SET OF 3", category=candles, price=Decimal("12.50"), units_sold=200)
    target = ProductFactory(name="GARDEN SOLAR LANTERN", category=garden, price=Decimal("6.95"), units_sold=20)
    ProductFactory(name="CHRISTMAS STAR LANTERN", category=christmas, price=Decimal("4.25"), units_sold=500)
    ProductFactory(name="RED HEART CANDLE", category=candles, price=Decimal("1.25"), units_sold=50)
    services.search_query_record(query="lantern", result_count=4)
    # the live server runs in this process: load the sentence model and the products' vectors now,
    # so the first page does not wait for them
    assert selectors.product_search_hybrid(query="lantern").count == 4
    return target


@pytest.mark.django_db(transaction=True)
def test_search_with_a_typo_then_a_facet_finds_the_product(page, screenshot, catalog):
    page.goto("/")
    box = page.get_by_test_id("search-box")
    box.fill("lant")
    # autocomplete: the header box's datalist fills from /search/suggest/
    # a locator wait: wait_for_function evaluates a string, which the Content-Security-Policy refuses
    page.locator("#search-suggestions option").first.wait_for(state="attached")
    options = page.locator("#search-suggestions option").evaluate_all("os => os.map(o => o.value)")
    assert options[0] == "lantern" and "Garden Solar Lantern" in options

    box.fill("lanturn")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=lanturn")
    assert "Showing results for lantern" in page.get_by_test_id("did-you-mean").inner_text()
    assert page.get_by_test_id("result-count").inner_text() == "4 products found"
    screenshot("search-typo")

    facets = page.get_by_test_id("facets")
    garden = facets.get_by_role("link", name="Garden & Outdoors (1)")
    assert garden.is_visible()
    garden.click()
    page.wait_for_url("**category=*")
    assert page.get_by_test_id("result-count").inner_text() == "1 product found"
    cards = page.get_by_test_id("product-card")
    assert cards.count() == 1 and "Garden Solar Lantern" in cards.first.inner_text()
    screenshot("search-facet")

    cards.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/products/{catalog.pk}/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Garden Solar Lantern"

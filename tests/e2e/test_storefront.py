"""A shopper's first visit, in a real headless Chromium: home, a category, a
product and a search result."""

from decimal import Decimal

import pytest

from tests.catalog.factories import CategoryFactory, ProductFactory


@pytest.fixture
def small_catalog():
    candles = CategoryFactory(
        name="Candles & Holders", description="Candles, tea lights, lanterns and holders", position=1
    )
    bags = CategoryFactory(name="Bags & Purses", description="Shopping bags, lunch bags and purses", position=2)
    products = {
        "holder": ProductFactory(
            name="WHITE HANGING HEART T-LIGHT HOLDER",
            category=candles,
            price=Decimal("2.95"),
            stock=120,
            units_sold=2000,
        ),
        "candle": ProductFactory(name="RED HEART CANDLE", category=candles, price=Decimal("1.25"), units_sold=400),
        "lantern": ProductFactory(
            name="ZINC METAL LANTERN", category=candles, price=Decimal("9.95"), stock=0, units_sold=150
        ),
        "bag": ProductFactory(name="JUMBO BAG PINK POLKADOT", category=bags, price=Decimal("1.95"), units_sold=900),
    }
    for i in range(30):
        ProductFactory(
            name=f"SCENTED PILLAR CANDLE NO {i:02d}", category=candles, price=Decimal("3.00") + i, units_sold=i
        )
    return candles, bags, products


@pytest.mark.django_db(transaction=True)
def test_shopper_browses_home_category_product_and_search(page, screenshot, small_catalog):
    candles, bags, products = small_catalog

    # Home: the categories and the popular products
    page.goto("/")
    assert page.get_by_role("heading", name="Shop by category").is_visible()
    cards = page.get_by_test_id("category-card")
    assert cards.count() == 2
    assert "Candles & Holders" in cards.nth(0).inner_text() and "33 products" in cards.nth(0).inner_text()
    first_popular = page.get_by_test_id("product-card").first
    assert "White Hanging Heart T-Light Holder" in first_popular.inner_text()
    assert first_popular.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot("storefront-home")

    # A category: count, sort by price, price filter, next page
    cards.nth(0).click()
    page.wait_for_url(f"**/categories/{candles.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Candles & Holders"
    assert page.get_by_test_id("result-count").inner_text() == "33 products"
    assert page.get_by_test_id("product-card").count() == 24
    screenshot("storefront-category")
    page.get_by_label("Sort by").select_option("price_asc")
    page.wait_for_url("**sort=price_asc**")
    assert "Red Heart Candle" in page.get_by_test_id("product-card").first.inner_text()
    page.get_by_label("Minimum price").fill("2")
    page.get_by_label("Maximum price").fill("5")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**max_price=5**")
    prices = [Decimal(t.strip("£")) for t in page.locator(".product-card .price").all_inner_texts()]
    assert prices and all(Decimal("2") <= p <= Decimal("5") for p in prices)
    assert prices == sorted(prices)
    page.goto(f"/categories/{candles.pk}/")
    page.get_by_role("link", name="Next →").click()
    assert page.get_by_test_id("product-card").count() == 9

    # A product: name, price, stock, breadcrumb, picture, add to cart
    page.goto(products["holder"].get_absolute_url())
    assert page.get_by_test_id("product-name").inner_text() == "White Hanging Heart T-Light Holder"
    assert page.get_by_test_id("product-price").inner_text() == "£2.95"
    assert "In stock" in page.get_by_test_id("stock").inner_text()
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumb.get_by_role("link", name="Candles & Holders").is_visible()
    picture = page.locator(".product-visual img")
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.get_by_role("button", name="Add to cart").is_enabled()
    screenshot("storefront-product")
    page.goto(products["lantern"].get_absolute_url())
    assert page.get_by_test_id("stock").inner_text() == "Out of stock"
    assert page.get_by_role("button", name="Add to cart").is_disabled()

    # Search from the header box
    page.get_by_role("combobox", name="Search products").fill("heart")
    page.get_by_role("combobox", name="Search products").press("Enter")
    page.wait_for_url("**/search/?q=heart")
    assert page.get_by_test_id("result-count").inner_text() == "2 products found"
    found = page.get_by_test_id("product-card").all_inner_texts()
    assert any("White Hanging Heart" in t for t in found) and any("Red Heart Candle" in t for t in found)
    screenshot("storefront-search")
    page.get_by_test_id("product-card").filter(has_text="Red Heart Candle").get_by_role("link").click()
    assert page.get_by_test_id("product-name").inner_text() == "Red Heart Candle"

    # Hostile search: shown as text, not run
    page.goto("/search/?q=%3Cscript%3Ewindow.hacked%3D1%3C%2Fscript%3E")
    assert page.evaluate("window.hacked") is None
    assert "<script>window.hacked=1</script>" in page.get_by_test_id("search-query").inner_text()
    assert "Nothing matches" in page.content()


@pytest.mark.django_db(transaction=True)
def test_unknown_product_shows_our_404_page(page, small_catalog):
    response = page.goto("/products/999999/")
    assert response.status == 404
    assert page.get_by_role("heading", name="We couldn't find that page").is_visible()


@pytest.mark.django_db(transaction=True)
def test_phone_sized_screen_shows_one_clean_column(browser, live_server, small_catalog):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(small_catalog[2]["bag"].get_absolute_url())
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling
    assert page.get_by_role("button", name="Add to cart").is_visible()
    from tests.e2e.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "storefront-product-phone.png"), full_page=True)
    context.close()

"""What a new shopper sees, in a real Chromium at desktop (1280 px) and phone
(390 px) widths, on a slice of the real data set: every category reachable,
product pages with the facts the data has, one display name from the
catalog to the order, the admin portrait list unclipped, the API docs
rendered without internet. Screenshots go to docs/img/ (looked at by a person)."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from catalog.importing import categories_ensure
from catalog.models import Product
from catalog.taxonomy import OTHER, RULES
from profiles import services as profiles_services
from profiles.models import Customer
from tests.shop.test_returns_and_clock import imported  # noqa: F401  (the real-rows import fixture)

IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
PHONE = {"width": 390, "height": 844}


def shot(page, name: str, *, full_page: bool = True) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / f"{name}.png"), full_page=full_page)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def offline(page) -> list[str]:
    """Refuse every request that leaves the test server; return what was tried."""
    tried: list[str] = []

    def route(r):
        if r.request.url.startswith(("http://localhost", "http://127.0.0.1")):
            r.continue_()
        else:
            tried.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return tried


@pytest.fixture
def store(imported):  # noqa: F811
    categories_ensure(names=[r.name for r in RULES] + [OTHER])  # every category of the taxonomy in the bar
    return imported


@pytest.mark.django_db(transaction=True)
def test_every_category_is_visible_on_desktop_and_in_a_menu_on_a_phone(page, browser, live_server, store):
    page.goto("/")
    bar = page.get_by_test_id("category-bar")
    links = bar.get_by_role("link")
    assert links.count() == len(RULES) + 1
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert links.nth(i).is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 1280
    assert no_sideways_scroll(page)
    # popular products are net of cancellations: the cancelled bulk lines are not there
    popular = page.get_by_test_id("product-card").all_inner_texts()
    assert popular and not any("Little Birdie" in text for text in popular)
    shot(page, "home-desktop", full_page=False)

    phone = browser.new_context(base_url=live_server.url, viewport=PHONE)
    mobile = phone.new_page()
    mobile.goto("/")
    assert not mobile.get_by_test_id("category-bar").is_visible()
    menu = mobile.get_by_test_id("category-menu")
    menu.locator("summary").click()
    menu_links = menu.get_by_role("link")
    assert menu_links.count() == len(RULES) + 1 and menu_links.last.is_visible()
    assert no_sideways_scroll(mobile)
    mobile.screenshot(path=str(IMG / "home-phone-menu.png"), full_page=False)
    menu_links.nth(2).click()
    mobile.wait_for_url("**/categories/**")
    phone.close()


@pytest.mark.django_db(transaction=True)
def test_product_page_shows_pack_description_stock_sales_and_delivery(page, browser, live_server, store):
    product = (
        Product.objects.filter(name__istartswith="SET OF", stock__gt=0).order_by("-units_sold").first()
        or Product.objects.filter(name__regex=r"^(SET|PACK) ?(OF|/) ?[0-9]", stock__gt=0).first()
    )
    assert product is not None and product.pack_size
    page.goto(product.get_absolute_url())
    assert page.get_by_test_id("product-name").inner_text() == product.display_name
    assert page.get_by_test_id("pack-size").inner_text() == str(product.pack_size)
    assert product.category.name in page.get_by_test_id("product-blurb").inner_text()
    assert "in stock" in page.get_by_test_id("stock").inner_text().lower()
    bought = page.get_by_test_id("popularity").inner_text()
    assert f"{product.units_sold:,} sold" in bought and "returns and cancellations taken off" in bought
    delivery = page.get_by_test_id("delivery").inner_text()
    assert delivery.startswith("Order today: standard delivery") and "express" in delivery
    shot(page, "product-desktop")

    phone = browser.new_context(base_url=live_server.url, viewport=PHONE)
    mobile = phone.new_page()
    mobile.goto(product.get_absolute_url())
    assert mobile.get_by_test_id("delivery").is_visible() and no_sideways_scroll(mobile)
    mobile.screenshot(path=str(IMG / "product-phone.png"), full_page=True)
    phone.close()


@pytest.mark.django_db(transaction=True)
def test_one_name_from_catalog_to_cart_and_order_history(page, store):
    customer = Customer.objects.get(external_id=17850)
    customer.user.set_password("pw-123456")
    customer.user.save()
    page.goto(reverse("login"))
    page.fill("input[name=username]", customer.user.username)
    page.fill("input[name=password]", "pw-123456")
    page.locator("main form").get_by_role("button").last.click()
    product = Product.objects.filter(stock__gt=0).order_by("-units_sold").first()
    page.goto(product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    message = page.locator("ul.messages li").first.inner_text()
    page.goto("/cart/")
    line = page.get_by_test_id("cart-line").first.inner_text()
    assert product.display_name in message and product.display_name in line
    assert product.name not in line and product.name not in message
    # the side panels start with their heading, no empty band above it
    for card in page.locator("aside .co-card").all():
        gap = card.evaluate("c => c.querySelector('h2').getBoundingClientRect().top - c.getBoundingClientRect().top")
        assert gap < 30
    shot(page, "cart-desktop")
    # an imported order: its name as the catalog shows it, and when it was really placed
    order = customer.orders.filter(is_historical=True).order_by("-placed_at").first()
    page.goto(f"/orders/{order.number}/")
    placed = page.get_by_test_id("placed").inner_text()
    assert f"originally placed on {timezone.localtime(order.original_placed_at):%-d %B %Y}" in placed
    first_line = order.lines.order_by("pk").first()
    assert page.get_by_role("link", name=first_line.product_name).first.is_visible()
    assert first_line.product_name == first_line.product.display_name
    shot(page, "order-history-desktop")


@pytest.mark.django_db(transaction=True)
def test_admin_portrait_list_fits_1280_and_api_docs_render_offline(page, store):
    profiles_services.portraits_build_all(embeddings=False)
    get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-123456")
    page.goto("/admin/login/?next=/admin/profiles/portrait/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-123456")
    page.click("input[type=submit]")
    page.locator("#result_list").wait_for()
    assert page.locator("#result_list tbody tr").count() == Customer.objects.count()
    assert no_sideways_scroll(page)
    # the whole table shows inside its panel, whether the admin's navigation is open or not
    for sidebar_open in (True, False):
        toggle = page.locator("#toggle-nav-sidebar")
        if toggle.count() and (page.locator("#main.shifted").count() > 0) != sidebar_open:
            toggle.click()
        fits = page.evaluate(
            "() => { const r = document.querySelector('#changelist .results');"
            " return r.scrollWidth <= r.clientWidth"
            " && document.querySelector('#result_list').getBoundingClientRect().right <= window.innerWidth; }"
        )
        assert fits, f"portrait list clipped with the navigation {'open' if sidebar_open else 'closed'}"
        if sidebar_open:
            shot(page, "admin-portraits-1280", full_page=False)

    tried = offline(page)
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Shop API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 5
    assert tried == []  # nothing was fetched from outside
    shot(page, "api-docs", full_page=False)

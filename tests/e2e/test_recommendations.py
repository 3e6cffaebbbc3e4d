"""Personal recommendations in a real browser, on a slice of the real Online
Retail history with models trained by the real pipeline in the fixture.

A real imported customer (demo switch) sees personal slots with reasons on
the home and product pages; after viewing three products of one category the
next home page leans toward it. An anonymous visitor sees trending first and
personal slots after two clicks. Screenshots of home, product, cart and
confirmation go to docs/img/ (the README shows one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import Count

from catalog.models import Product
from profiles.models import Customer, Event
from tests.profiles import real_data

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
MODELS = ["pop", "pop_recent", "repeat", "itemknn", "tfidf"]


def slice_customers(n: int = 350) -> list[int]:
    """Customers with 4 to 25 orders (every country), the most orders first: a
    slice that trains in seconds and still has real co-purchase structure."""
    lines = real_data.purchase_lines()
    orders = lines.groupby("CustomerID")["InvoiceNo"].nunique()
    chosen = orders[(orders >= 4) & (orders <= 25)].sort_values(ascending=False)
    return [int(c) for c in chosen.index[:n]]


@pytest.fixture
def real_shop(transactional_db, settings, tmp_path):
    from django.core.cache import cache

    from recommend import services, serving
    from recommend.selectors import active_model_cache_clear

    cache.clear()  # lists cached by earlier tests name products of their own databases
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    real_data.load(customer_ids=slice_customers())
    versions = services.model_version_train(models=MODELS, force=True)
    assert all(v.status == "active" for v in versions), [(v.name, v.error) for v in versions]
    active_model_cache_clear()
    serving.broken_models_reset()
    serving.log_once_reset()
    yield
    active_model_cache_clear()
    serving.broken_models_reset()


def slot_titles(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid=rec-slot] h2").all_inner_texts()]


def slot_items(page, slot: str):
    return page.locator(f"[data-testid=rec-slot][data-slot={slot}] [data-testid=rec-item]")


def categories_of(page, slot: str) -> list[int]:
    return [int(x) for x in slot_items(page, slot).evaluate_all("els => els.map(e => e.dataset.category)")]


def shot(page, name: str, *, full_page: bool = True) -> None:
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / f"{name}.png"), full_page=full_page)


@pytest.mark.e2e
def test_personal_slots_for_a_real_customer_and_an_anonymous_visitor(browser, live_server, real_shop):
    # ---- a real imported customer, through the demo switch ---------------------------------
    customer = Customer.objects.filter(is_imported=True, country="United Kingdom").order_by("external_id").first()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"/demo/customers/?q={customer.external_id}")
    page.get_by_role("button", name=f"Shop as {customer.external_id}").click()
    page.wait_for_url(f"{live_server.url}/")

    titles = slot_titles(page)
    assert titles[0] == "Recommended for you", titles
    assert "Trending now" in titles
    reasons = slot_items(page, "home_for_you").locator("[data-testid=rec-reason]").all_inner_texts()
    assert len(reasons) == 6 and any(r.startswith("Because you bought ") for r in reasons), reasons
    shot(page, "recommendations-home", full_page=False)  # the README's picture: the first screen
    shot(page, "recommendations-home-full")

    # the first recommendation, through its tracked link: a product page with its own slots
    slot_items(page, "home_for_you").first.locator("a").click()
    page.wait_for_url("**/products/**")
    titles = slot_titles(page)
    assert {"Picked for you", "Customers who bought this also bought", "Similar items"} <= set(titles), titles
    picked = slot_items(page, "product_for_you").locator("[data-testid=rec-reason]").all_inner_texts()
    assert picked and all(r for r in picked)
    shot(page, "recommendations-product")

    # three products of one category the list did not lean to: the next home page leans toward it
    page.goto("/")
    before = categories_of(page, "home_for_you")
    counts = {}
    for cat in Product.objects.values_list("category_id", flat=True):
        counts[cat] = counts.get(cat, 0) + 1
    target = min((c for c, n in counts.items() if n >= 10), key=lambda c: (before.count(c), -counts[c]))
    best_sellers = (
        Event.objects.filter(kind="purchase", product__category_id=target)
        .values("product_id")
        .annotate(n=Count("id"))
        .order_by("-n", "product_id")
        .values_list("product_id", flat=True)[:3]
    )
    in_target = [Product.objects.get(pk=pid) for pid in best_sellers]
    for product in in_target[:3]:
        page.goto(product.get_absolute_url())
    page.goto("/")
    after = categories_of(page, "home_for_you")
    assert after.count(target) > before.count(target), (before, after, target)
    assert page.locator("[data-testid=rec-slot][data-slot=home_because_viewed]").count() == 1

    # cart: frequently bought together; checkout review; confirmation: you may also like
    product = in_target[0]
    page.goto(product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/cart/")
    assert "Frequently bought together" in slot_titles(page)
    shot(page, "recommendations-cart")
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url("**/checkout/")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("E-mail for the confirmation").fill("ada@example.com")
    page.get_by_label("Address", exact=True).fill("12 Mill Lane")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Postcode").fill("LS1 4AB")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Review order").click()
    page.get_by_test_id("place-order").wait_for()
    page.get_by_test_id("place-order").click()
    page.wait_for_url("**/checkout/done/**")
    assert "You may also like" in slot_titles(page)
    shot(page, "recommendations-confirmation")
    context.close()

    # ---- an anonymous visitor ---------------------------------------------------------------
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="fr-FR",
        extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/")
    titles = slot_titles(page)
    assert titles[0] == "Trending now" and "Recommended for you" not in titles, titles
    assert "Popular in France" in titles
    slot_items(page, "home_trending").nth(0).locator("a").click()
    page.wait_for_url("**/products/**")
    page.goto("/")
    slot_items(page, "home_trending").nth(0).locator("a").click()
    page.wait_for_url("**/products/**")
    page.goto("/")
    titles = slot_titles(page)
    assert titles[0] == "Recommended for you" and "Popular in France" not in titles, titles
    assert any(
        r.startswith("Because you viewed ")
        for r in slot_items(page, "home_for_you").locator("[data-testid=rec-reason]").all_inner_texts()
    )
    context.close()

import datetime as dt
import json
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from profiles import services
from profiles.models import Event, MutedCategory
from tests.profiles.factories import CategoryFactory, CustomerFactory, ProductFactory, purchase


def _login(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.mark.django_db(transaction=True)
def test_my_profile_shows_the_portrait_and_its_controls_work(page, live_server, screenshot):
    customer = CustomerFactory(country="France")
    xmas = CategoryFactory(name="Christmas decorations")
    candles = CategoryFactory(name="Candles and lights")
    bags = CategoryFactory(name="Bags")
    for month, day in ((9, 6), (10, 4), (11, 8), (11, 22)):
        at = dt.datetime(2011, month, day, 10, 30, tzinfo=dt.UTC)
        purchase(
            customer,
            ProductFactory(category=xmas, name="CHRISTMAS BAUBLE SET"),
            quantity=24,
            price="1.85",
            order=f"{month}-{day}",
            at=at,
        )
        purchase(
            customer,
            ProductFactory(category=candles, name="T-LIGHT HOLDER"),
            quantity=12,
            order=f"{month}-{day}",
            at=at,
        )
    purchase(
        customer,
        ProductFactory(category=bags, name="JUMBO BAG"),
        quantity=10,
        order="12-1",
        at=dt.datetime(2011, 12, 1, 9, 0, tzinfo=dt.UTC),
    )
    Event.objects.create(
        kind="view",
        customer=customer,
        product=ProductFactory(category=bags),
        created_at=dt.datetime(2011, 12, 8, 9, 0, tzinfo=dt.UTC),
    )
    services.portraits_build_all(embeddings=False)
    _login(page, live_server, customer.user)

    page.goto("/profile/")
    summary = page.get_by_test_id("portrait-summary")
    assert "A wholesale buyer from France who buys mostly christmas decorations" in summary.inner_text()
    assert page.get_by_role("img", name="Category affinities").is_visible()
    assert page.get_by_role("img", name="Spend over time").is_visible()
    screenshot("profile")

    page.get_by_role("button", name="Mute Christmas decorations").click()
    assert "Muted: we will leave it out" in page.content()
    assert "Christmas decorations" in page.get_by_test_id("muted").inner_text()
    assert "christmas decorations" not in summary.inner_text().lower().split("mostly")[1].split(",")[0]
    assert MutedCategory.objects.filter(customer=customer, category=xmas).exists()
    screenshot("profile-muted")

    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    data = json.loads(open(info.value.path()).read())
    assert data["customer"]["country"] == "France" and len(data["events"]) == 10

    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Delete my history").click()
    assert "Deleted 10 events" in page.content()
    assert "A new customer from France" in page.get_by_test_id("portrait-summary").inner_text()
    screenshot("profile-after-delete")


@pytest.mark.django_db(transaction=True)
def test_profile_asks_strangers_to_log_in(page, screenshot):
    response = page.goto("/profile/")
    url = urlparse(page.url)
    # redirected to the login form, which brings them back to their profile afterwards
    assert response.ok and url.path == "/accounts/login/" and parse_qs(url.query)["next"] == ["/profile/"]
    assert page.get_by_role("heading", name="Log in").is_visible()
    assert page.get_by_label("Username").is_visible() and page.get_by_label("Password").is_visible()
    assert page.locator("main input[name=next]").get_attribute("value") == "/profile/"
    assert "My profile" not in page.content() and not page.get_by_test_id("portrait-summary").count()
    screenshot("profile-stranger")


@pytest.mark.django_db(transaction=True)
def test_operators_see_segments_and_clusters(page, live_server, screenshot, django_user_model):
    mugs = CategoryFactory(name="Mugs")
    for i in range(30):
        customer = CustomerFactory(country="France" if i % 3 else "Germany")
        for k in range(1 + i % 6):
            purchase(
                customer,
                ProductFactory(category=mugs),
                quantity=1 + 3 * (i % 5),
                order=f"{i}-{k}",
                at=dt.datetime(2011, 1 + (i + k) % 12, 3, 10, tzinfo=dt.UTC),
            )
    CustomerFactory()  # no events at all
    services.portraits_build_all(embeddings=False)
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    _login(page, live_server, admin)

    page.goto("/admin/profiles/portrait/")
    page.get_by_role("link", name="Segments and clusters overview").click()
    segments = page.locator("#segments")
    assert segments.is_visible() and "New" in segments.inner_text()
    assert page.locator("#clusters tbody tr").count() >= 3
    assert "No purchases yet" in page.locator("#clusters").inner_text()
    screenshot("admin-portrait-overview")
    page.locator("#segments tbody tr").first.locator("td").last.locator("a").first.click()
    page.wait_for_url("**/change/")
    assert page.get_by_role("img", name="Category affinities").first.is_visible()
    screenshot("admin-portrait-change")

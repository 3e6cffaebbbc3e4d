"""The shopping funnel against events counted by hand, its admin page, and
the checkout_started event that checkout now records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from checkout import services as checkout_services
from profiles.models import Event
from profiles.selectors import funnel_report
from profiles.services import customer_sign_up, event_record
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def events():
    """Seven sessions, counted by hand in the test below."""
    product = ProductFactory(price=Decimal("2.00"))
    ada = customer_sign_up(username="ada", password="a-long-Passphrase-9")
    ada.country = "France"
    ada.save()
    bob = customer_sign_up(username="bob", password="a-long-Passphrase-9")
    bob.country = "United Kingdom"
    bob.save()

    def rec(kind, when, customer=None, session="", **kw):
        if kind in ("view", "add_to_cart", "purchase"):
            kw.setdefault("product", product)
        if kind in ("add_to_cart", "purchase"):
            kw.setdefault("quantity", 1)
        if kind == "purchase":
            kw.setdefault("price", Decimal("2.00"))
        event_record(kind=kind, customer=customer, session_key=session, created_at=when, **kw)

    # ada, 1 Nov: a whole funnel in 20 minutes (session 1), then a lone view 2 hours later (session 2)
    rec("view", at(1, 10, 0), ada, "sa")
    rec("add_to_cart", at(1, 10, 5), ada, "sa")
    rec("checkout_started", at(1, 10, 10), ada, "sa")
    rec("purchase", at(1, 10, 20), ada)
    rec("view", at(1, 12, 0), ada, "sa")
    # an anonymous visitor, 1 Nov: enters by a search, views, adds, leaves (session 3)
    rec("search", at(1, 10, 0), None, "s1", query="lantern", result_count=3)
    rec("view", at(1, 10, 2), None, "s1")
    rec("add_to_cart", at(1, 10, 3), None, "s1")
    # another visitor only sees the home page's recommendations (session 4)
    rec("rec_impression", at(1, 11, 0), None, "s2", slot="home_trending", model_version="v1", data={"page": "home"})
    # bob, 2 Nov: checks out at 9:02 but orders an hour later: the order starts a new
    # session with no view (sessions 5 and 6); later a whole funnel in 40 minutes (session 7)
    rec("view", at(2, 9, 0), bob, "sb")
    rec("add_to_cart", at(2, 9, 1), bob, "sb")
    rec("checkout_started", at(2, 9, 2), bob, "sb")
    rec("purchase", at(2, 10, 2), bob)
    rec("view", at(2, 13, 0), bob, "sb")
    rec("add_to_cart", at(2, 13, 10), bob, "sb")
    rec("checkout_started", at(2, 13, 20), bob, "sb")
    rec("purchase", at(2, 13, 40), bob)
    return ada, bob


def test_funnel_counts_match_the_hand_count(events):
    result = funnel_report()
    steps = result.steps.set_index("step")
    assert list(steps["count"]) == [7, 5, 4, 3, 2]
    assert steps.loc["product views", "step_conversion"] == pytest.approx(5 / 7)
    assert steps.loc["add to cart", "drop_off"] == pytest.approx(1 / 5)
    assert steps.loc["checkout started", "step_conversion"] == pytest.approx(3 / 4)
    assert steps.loc["order", "step_conversion"] == pytest.approx(2 / 3)
    assert steps.loc["order", "of_sessions"] == pytest.approx(2 / 7)
    # time to purchase: 20 and 40 minutes
    assert result.time_to_purchase_median_s == pytest.approx(30 * 60)
    assert result.time_to_purchase_p95_s == pytest.approx(39 * 60)

    def table(dim):
        return {r[dim]: (r["sessions"], r["order"]) for r in result.by[dim].to_dict("records")}

    assert table("country") == {"France": (2, 1), "United Kingdom": (3, 1), "Unknown": (2, 0)}
    assert table("entry") == {"product page": (4, 2), "search": (1, 0), "home page": (1, 0), "checkout": (1, 0)}
    assert table("day") == {dt.date(2026, 11, 1): (4, 1), dt.date(2026, 11, 2): (3, 1)}
    assert table("segment") == {"No portrait": (5, 2), "Anonymous": (2, 0)}


def test_funnel_window_and_gap(events):
    day_two = funnel_report(since=at(2, 0), until=at(3, 0))
    assert list(day_two.steps["count"]) == [3, 2, 2, 2, 1]
    # with a 2-hour gap ada's 12:00 view joins her first session and bob's 10:02 order his
    # 9:00 one (now a whole funnel); his 13:00 visit is still apart: ada 1, s1, s2, bob 2
    wide = funnel_report(gap_minutes=120)
    assert list(wide.steps["count"]) == [5, 4, 4, 3, 3]
    with pytest.raises(ValueError, match="before its end"):
        funnel_report(since=at(3, 0), until=at(2, 0))
    empty = funnel_report(since=at(20, 0), until=at(21, 0))
    assert list(empty.steps["count"]) == [0, 0, 0, 0, 0] and empty.time_to_purchase_median_s is None


def test_funnel_admin_page_shows_steps_and_a_chart(client, events, settings):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "a-long-Passphrase-9")
    client.force_login(admin)
    response = client.get("/admin/profiles/event/funnel/", {"days": "3660"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="funnel-steps"' in html and "data:image/png;base64," in html
    assert "median 30.0 min, p95 39.0 min" in html
    bad = client.get("/admin/profiles/event/funnel/", {"days": "-4"})
    assert "Days must be a whole number" in bad.content.decode()
    assert "Shopping funnel" in client.get("/admin/profiles/event/").content.decode()
    client.logout()
    assert client.get("/admin/profiles/event/funnel/").status_code == 302  # staff only


def test_opening_checkout_records_checkout_started(client, django_capture_on_commit_callbacks):
    customer = customer_sign_up(username="cy", password="a-long-Passphrase-9")
    client.force_login(customer.user)
    product = ProductFactory(price=Decimal("3.00"), stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/cart/add/", {"product": product.pk, "quantity": "2"})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get("/checkout/").status_code == 200
    event = Event.objects.get(kind="checkout_started")
    assert event.customer == customer and event.data["lines"] == 1 and event.data["units"] == 2


def test_checkout_start_records_nothing_for_an_empty_cart(django_capture_on_commit_callbacks):
    customer = customer_sign_up(username="dee", password="a-long-Passphrase-9")
    cart = checkout_services.cart_get_or_create(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert checkout_services.checkout_start(cart=cart, customer=customer) is False
    assert not Event.objects.filter(kind="checkout_started").exists()


@pytest.mark.django_db(transaction=True)
def test_cart_add_still_runs_in_its_own_transaction():
    # outside any test transaction, as a page calls it: its row lock needs its own atomic block
    customer = customer_sign_up(username="eve", password="a-long-Passphrase-9")
    cart = checkout_services.cart_get_or_create(customer=customer)
    product = ProductFactory(price=Decimal("3.00"), stock=5)
    line = checkout_services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    assert line.quantity == 2
    assert checkout_services.checkout_start(cart=cart, customer=customer) is True
    assert Event.objects.filter(kind="checkout_started", customer=customer).count() == 1

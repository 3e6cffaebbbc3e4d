"""An operator builds a segment in the admin (live member count while typing),
makes a coupon for it and launches a campaign with a home banner; a member sees
the banner and pays with the coupon; a customer outside the segment cannot."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from checkout.models import Order
from marketing.models import Campaign
from profiles.models import Portrait
from tests.checkout.factories import CustomerFactory, ProductFactory

RULE = '{"match": "all", "conditions": [{"field": "country", "op": "eq", "value": "Germany"}]}'


def login_admin(page):
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-123456")
    page.click("input[type=submit]")


def login_shop(page, customer):
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(customer.user.username)
    page.locator("input[name=password]").fill("pass-word-123")
    page.locator("form[action='/accounts/login/'] [type=submit]").click()
    page.wait_for_load_state()


def apply_coupon(page, product, code):
    page.goto(product.get_absolute_url())
    page.locator("form[action='/cart/add/'] [type=submit]").first.click()
    page.wait_for_load_state()
    page.goto("/cart/")
    page.get_by_label("Coupon code").fill(code)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/cart/")


@pytest.mark.django_db(transaction=True)
def test_operator_launches_a_segment_campaign_member_uses_coupon_outsider_cannot(browser, live_server, screenshot):
    get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-123456")
    member = CustomerFactory(country="Germany", user__first_name="Hans", user__last_name="Meier")
    outsider = CustomerFactory(country="France", user__first_name="Claire", user__last_name="Dubois")
    for c, spend in ((member, "120.00"), (outsider, "80.00")):
        Portrait.objects.create(
            customer=c, reference_time=timezone.now(), country=c.country, has_purchases=True, monetary=Decimal(spend)
        )
    product = ProductFactory(name="REGENCY CAKESTAND 3 TIER", price="12.75", stock=5)

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login_admin(page)
    # the segment, with the live count shown while the rule is typed
    page.goto("/admin/profiles/segment/add/")
    page.fill("#id_name", "Germany")
    page.fill("textarea[name=rule]", RULE)
    # a locator wait: wait_for_function evaluates a string, which the Content-Security-Policy refuses
    expect(page.locator("#segment-live")).to_contain_text("1 members")
    assert "£120.00" in page.locator("#segment-live").inner_text()
    screenshot("marketing-1-segment")
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator("ul.messagelist").inner_text()
    # a coupon restricted to it
    page.goto("/admin/checkout/coupon/add/")
    page.fill("#id_code", "DANKE10")
    page.select_option("#id_kind", "percentage")
    page.fill("#id_value", "10")
    page.select_option("#id_segment", label="Germany")
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator("ul.messagelist").inner_text()
    # the campaign: coupon + banner, no hold-out; launched from the list
    page.goto("/admin/marketing/campaign/add/")
    page.fill("#id_name", "Danke Deutschland")
    page.select_option("#id_segment", label="Germany")
    page.select_option("#id_coupon", label="DANKE10")
    page.fill("#id_banner_text", "Danke, dass Sie bei uns einkaufen!")
    page.fill("#id_holdout_share", "0")
    page.click("input[name=_save]")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "launch")
    page.click("button[name=index]")
    assert "launched" in page.locator("ul.messagelist").inner_text()
    assert Campaign.objects.get().status == Campaign.Status.LAUNCHED
    screenshot("marketing-2-launched")
    context.close()

    # the member sees the banner and pays with the coupon
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login_shop(page, member)
    page.goto("/")
    banner = page.get_by_test_id("campaign-banner")
    assert "Danke, dass Sie bei uns einkaufen!" in banner.inner_text()
    assert page.get_by_test_id("banner-coupon").inner_text() == "DANKE10"
    screenshot("marketing-3-banner")
    apply_coupon(page, product, "danke10")
    assert page.get_by_test_id("applied-coupon").inner_text() == "DANKE10"
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url("**/checkout/")
    page.get_by_label("Address", exact=True).fill("Hauptstraße 1")
    page.get_by_label("Town or city").fill("Berlin")
    page.get_by_label("Postcode").fill("10115")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Review order").click()
    page.get_by_test_id("place-order").click()
    page.wait_for_url("**/checkout/done/**")
    order = Order.objects.get()
    assert order.coupon_code == "DANKE10" and order.discount == Decimal("1.28")
    screenshot("marketing-4-paid")
    context.close()

    # the outsider sees no banner and the coupon is refused
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login_shop(page, outsider)
    page.goto("/")
    assert page.get_by_test_id("campaign-banner").count() == 0
    apply_coupon(page, product, "DANKE10")
    assert "not available for your account" in page.content()
    assert page.get_by_test_id("applied-coupon").count() == 0
    screenshot("marketing-5-outsider")
    context.close()

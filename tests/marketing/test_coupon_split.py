# ruff: noqa: F811  (the fixtures segment and coupon come from test_campaigns)
"""A coupon versus none: a campaign whose treated members are split by hash into
those whose banner and e-mail carry the coupon and those who get the same
message without it; the report compares them on real orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from checkout import services as checkout_services
from checkout.parsing import address_parse
from checkout.payment import CARD_SUCCEEDS
from marketing import campaigns, selectors, services
from marketing.models import Campaign, CampaignMember
from tests.profiles.factories import ProductFactory

from .test_campaigns import campaign, coupon, members, segment  # noqa: F401  (fixtures)

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Mill Lane",
    "line2": "",
    "city": "Leeds",
    "postcode": "LS1 4AB",
    "country": "Germany",
    "email": "",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"banner_text": "Hallo", "coupon_split": True}, "a coupon-versus-none split needs a coupon"),
        ({"with_coupon": True, "coupon_split": True}, "a coupon-versus-none split needs a banner or an e-mail"),
    ],
)
def test_a_split_without_a_coupon_or_without_a_message_is_refused(segment, coupon, kwargs, message):
    members(4)
    if kwargs.pop("with_coupon", False):
        kwargs["coupon"] = coupon
    c = campaign(segment, **kwargs)
    with pytest.raises(services.CampaignInvalid, match=message):
        services.campaign_launch(campaign=c)
    assert Campaign.objects.get(pk=c.pk).status == Campaign.Status.DRAFT and not CampaignMember.objects.exists()


def _split(segment, coupon, django_capture_on_commit_callbacks, n=60):
    people = members(n)
    c = campaign(
        segment,
        coupon=coupon,
        coupon_split=True,
        banner_text="Danke, Deutschland!",
        email_subject="Danke!",
        email_message="Thank you for shopping with us.",
        holdout_share=0.2,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=c)
    groups = dict(CampaignMember.objects.filter(campaign=c).values_list("customer_id", "group"))
    return c, people, groups


@pytest.mark.django_db
def test_half_of_the_treated_get_the_message_without_the_coupon(
    client, segment, coupon, django_capture_on_commit_callbacks
):
    c, people, groups = _split(segment, coupon, django_capture_on_commit_callbacks)
    counts = {g: list(groups.values()).count(g) for g in ("treatment", "no_coupon", "holdout")}
    assert counts["holdout"] >= 4 and counts["treatment"] >= 10 and counts["no_coupon"] >= 10, counts
    # the group is the hash's, reproducible
    assert all(campaigns.member_group(campaign=c, customer_id=cid) == g for cid, g in groups.items())
    by_address = {m.to[0]: m for m in mail.outbox}
    for person in people:
        group = groups[person.pk]
        msg = by_address.get(person.user.email)
        if group == "holdout":
            assert msg is None
            continue
        assert msg is not None and "Thank you for shopping with us." in msg.body
        html = msg.alternatives[0][0]
        if group == "treatment":
            assert "DANKE10 (10% off)" in msg.body and "DANKE10" in html
        else:
            assert "DANKE10" not in msg.body and "DANKE10" not in html and "Your code" not in msg.body
    treated = next(p for p in people if groups[p.pk] == "treatment")
    without = next(p for p in people if groups[p.pk] == "no_coupon")
    held = next(p for p in people if groups[p.pk] == "holdout")
    client.force_login(treated.user)
    page = client.get("/").content.decode()
    assert "Danke, Deutschland!" in page and 'data-testid="banner-coupon">DANKE10' in page
    client.force_login(without.user)
    page = client.get("/").content.decode()
    assert "Danke, Deutschland!" in page and "DANKE10" not in page
    client.force_login(held.user)
    assert "Danke, Deutschland!" not in client.get("/").content.decode()


def _buy(customer, product, quantity, code=""):
    cart = checkout_services.cart_get_or_create(customer=customer)
    checkout_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)
    order = checkout_services.order_place(
        cart=cart,
        address=address_parse(data=dict(ADDRESS)),
        shipping_method="standard",
        payment_token=CARD_SUCCEEDS,
        coupon_code=code,
        idempotency_key=f"key-{customer.pk:08d}",
    )
    assert checkout_services.order_events_record(order_id=order.pk)
    return order


@pytest.mark.django_db
def test_report_compares_the_coupon_against_none_on_real_orders(
    admin_client, segment, coupon, django_capture_on_commit_callbacks
):
    c, people, groups = _split(segment, coupon, django_capture_on_commit_callbacks)
    product = ProductFactory(price=Decimal("10.00"), stock=100)
    treated = [p for p in people if groups[p.pk] == "treatment"]
    without = [p for p in people if groups[p.pk] == "no_coupon"]
    held = [p for p in people if groups[p.pk] == "holdout"]
    orders = [_buy(treated[0], product, 3, "DANKE10"), _buy(treated[1], product, 1, "DANKE10")]
    _buy(without[0], product, 2)
    _buy(held[0], product, 1)
    assert [o.discount for o in orders] == [Decimal("3.00"), Decimal("1.00")]  # 10% of £30 and of £10

    report = selectors.campaign_report(campaign=c)
    g = report["groups"]
    assert list(g) == ["treatment", "no_coupon", "holdout"]
    assert (g["treatment"]["coupon_used"], g["treatment"]["orders"], g["treatment"]["revenue"]) == (2, 2, 40.0)
    assert (g["treatment"]["discount"], g["no_coupon"]["discount"]) == (4.0, 0.0)
    assert (g["no_coupon"]["coupon_used"], g["no_coupon"]["orders"], g["no_coupon"]["revenue"]) == (0, 1, 20.0)
    assert (g["holdout"]["orders"], g["holdout"]["revenue"]) == (1, 10.0)
    nt, nn = len(treated), len(without)
    assert g["treatment"]["net_per_member"].mean == pytest.approx(36.0 / nt)
    assert g["no_coupon"]["net_per_member"].mean == pytest.approx(20.0 / nn)
    low, high = g["treatment"]["net_per_member"].low, g["treatment"]["net_per_member"].high
    assert low < 36.0 / nt < high
    versus = report["coupon_vs_none"]
    assert versus["coupon_used"].diff == pytest.approx(2 / nt)
    assert versus["conversion"].diff == pytest.approx(2 / nt - 1 / nn)
    assert versus["net_revenue"].diff == pytest.approx(36.0 / nt - 20.0 / nn)
    assert versus["net_revenue"].low < versus["net_revenue"].diff < versus["net_revenue"].high
    b_low, b_high = versus["net_revenue_bootstrap"]
    assert b_low < b_high

    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/report/").content.decode()
    assert 'data-group="no_coupon"' in page and "Treatment without the coupon" in page
    assert 'data-testid="coupon-vs-none"' in page and "net revenue / member" in page


@pytest.mark.django_db
def test_a_campaign_without_the_split_has_no_no_coupon_group(segment, coupon):
    members(10)
    c = campaign(segment, coupon=coupon, banner_text="Hallo")
    services.campaign_launch(campaign=c)
    assert not CampaignMember.objects.filter(group="no_coupon").exists()
    report = selectors.campaign_report(campaign=c)
    assert list(report["groups"]) == ["treatment", "holdout"] and report["coupon_vs_none"] is None


@pytest.mark.django_db
def test_admin_preview_shows_the_members_group_and_no_code_to_the_no_coupon_group(admin_client, segment, coupon):
    people = members(30)
    c = campaign(
        segment, coupon=coupon, coupon_split=True, email_subject="Hallo", email_message="Schöne Grüße", holdout_share=0
    )
    groups = {p.pk: campaigns.member_group(campaign=c, customer_id=p.pk) for p in people}
    without = next(p for p in people if groups[p.pk] == "no_coupon")
    treated = next(p for p in people if groups[p.pk] == "treatment")
    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/preview/?customer={without.pk}").content.decode()
    assert "Group: Treatment without the coupon" in page and "Schöne Grüße" in page and "DANKE10" not in page
    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/preview/?customer={treated.pk}").content.decode()
    assert "Group: Treatment" in page and "DANKE10" in page

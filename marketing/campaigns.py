"""Campaigns: launch (validate everything, then snapshot the segment's members
into treatment and hold-out), the per-customer e-mail, idempotent batch
sending, tracking (open pixel, clicks), one-click unsubscribe, banners and the
per-campaign report. Public through marketing.services / marketing.selectors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from checkout import selectors as checkout_selectors
from core.languages import language_of
from profiles import selectors as profiles_selectors
from recommend import selectors as recommend_selectors

from . import sending, stats
from .assignment import unit_point
from .errors import MarketingError
from .models import Campaign, CampaignMember

if TYPE_CHECKING:
    from profiles.models import Customer

log = logging.getLogger(__name__)
TOKEN_SALT = "marketing.member"


class CampaignInvalid(MarketingError):
    """A campaign that cannot be launched; nothing was written."""


# --- launch -----------------------------------------------------------------------


def campaign_check(*, campaign: Campaign) -> int:
    """Raise CampaignInvalid with the first problem; return the member count."""
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignInvalid(f"campaign {campaign.name!r} was launched already")
    if not (campaign.coupon_id or campaign.banner_text.strip() or campaign.has_email):
        raise CampaignInvalid("a campaign needs content: a coupon, a home banner or an e-mail message")
    if campaign.has_email and not campaign.email_subject.strip():
        raise CampaignInvalid("the e-mail needs a subject")
    if not 0 <= campaign.holdout_share <= 0.5:
        raise CampaignInvalid("the hold-out share must be between 0 and 0.5")
    if campaign.coupon_split and not campaign.coupon_id:
        raise CampaignInvalid("a coupon-versus-none split needs a coupon")
    if campaign.coupon_split and not (campaign.banner_text.strip() or campaign.has_email):
        raise CampaignInvalid(
            "a coupon-versus-none split needs a banner or an e-mail: the no-coupon group gets the same message "
            "without the coupon (with neither, it would be a second hold-out)"
        )
    if campaign.coupon_id:
        coupon = campaign.coupon
        if not coupon.is_active:
            raise CampaignInvalid(f"coupon {coupon.code} is not active")
        if coupon.segment_id != campaign.segment_id:
            raise CampaignInvalid(
                f"coupon {coupon.code} must be restricted to segment {campaign.segment.name!r} "
                "(set its segment in Coupons), so that only members can use it"
            )
    members = profiles_selectors.segment_stats(segment=campaign.segment)["members"]
    if members == 0:
        raise CampaignInvalid(f"segment {campaign.segment.name!r} has no members: nothing to launch")
    return members


def in_holdout(*, campaign_id: int, customer_id: int, share: float) -> bool:
    return unit_point(f"campaign-{campaign_id}", f"c:{customer_id}", "holdout") < share


def member_group(*, campaign: Campaign, customer_id: int) -> str:
    """The group the hash puts a member in: hold-out (holdout_share), else, with
    coupon_split, half of the rest without the coupon (an independent hash)."""
    if in_holdout(campaign_id=campaign.pk, customer_id=customer_id, share=campaign.holdout_share):
        return CampaignMember.Group.HOLDOUT
    if campaign.coupon_split and unit_point(f"campaign-{campaign.pk}", f"c:{customer_id}", "coupon") >= 0.5:
        return CampaignMember.Group.NO_COUPON
    return CampaignMember.Group.TREATMENT


def campaign_launch(*, campaign: Campaign, send: bool = True) -> Campaign:
    """Check, then in one transaction: the members (as of now) with their group,
    status LAUNCHED; the e-mail batch is queued after commit (`send=False`: send
    later with `manage.py campaign_send`)."""
    from .tasks import campaign_send as campaign_send_task

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        campaign_check(campaign=campaign)
        customer_ids = list(profiles_selectors.segment_members(segment=campaign.segment).values_list("pk", flat=True))
        rows = []
        for cid in customer_ids:
            group = member_group(campaign=campaign, customer_id=cid)
            rows.append(
                CampaignMember(
                    campaign=campaign,
                    customer_id=cid,
                    group=group,
                    status=CampaignMember.Status.NO_EMAIL
                    if group == CampaignMember.Group.HOLDOUT or not campaign.has_email
                    else CampaignMember.Status.PENDING,
                )
            )
        CampaignMember.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        campaign.status = Campaign.Status.LAUNCHED
        campaign.launched_at = timezone.now()
        campaign.save(update_fields=["status", "launched_at"])
        if campaign.has_email and send:
            campaign_id = campaign.pk
            transaction.on_commit(lambda: campaign_send_task.delay(campaign_id))
    return campaign


# --- the e-mail -------------------------------------------------------------------


def member_token(member_id: int) -> str:
    return signing.dumps(member_id, salt=TOKEN_SALT)


def member_from_token(token: str) -> CampaignMember | None:
    try:
        member_id = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    return CampaignMember.objects.select_related("campaign", "customer__user").filter(pk=member_id).first()


def _absolute(path: str) -> str:
    return sending.absolute(path)


def message_text(*, campaign: Campaign, customer: Customer) -> str:
    """The campaign message for this customer: the operator's text, or, where a
    language model is configured, its rephrasing for the campaign's segment once
    checked (marketing/rephrase.py: one call per campaign and segment, cached; any
    failure gives the operator's text). The text is prose only: products, prices
    and the coupon code are added from the database by the e-mail template."""
    from .rephrase import campaign_copy

    return campaign_copy(campaign=campaign).text


def email_context(*, member: CampaignMember) -> dict[str, Any]:
    """Everything the e-mail shows, from the database: name, message, the
    products recommended for them with reasons, the coupon, tracked links."""
    campaign, customer = member.campaign, member.customer
    token = member_token(member.pk)
    shopper = profiles_selectors.Shopper(customer=customer)
    served = recommend_selectors.recommendations_for(slot="home", shopper=shopper, context={"n": 4})
    products = []
    for item in served.items if served is not None else []:
        url = item.product.get_absolute_url()
        products.append(
            {
                "name": item.product.name,
                "price": item.product.price,
                "reason": item.reason,
                "url": _absolute(reverse("marketing:click", args=[token]) + f"?next={url}"),
            }
        )
    user = customer.user
    return {
        "name": user.first_name or user.get_username(),
        "message": message_text(campaign=campaign, customer=customer),
        "products": products,
        "coupon": campaign.coupon if member.group != CampaignMember.Group.NO_COUPON else None,
        "shop_url": _absolute(reverse("marketing:click", args=[token]) + "?next=/"),
        "unsubscribe_url": _absolute(reverse("marketing:unsubscribe", args=[token])),
        "pixel_url": _absolute(reverse("marketing:open", args=[token])),
    }


def email_build(*, member: CampaignMember) -> EmailMultiAlternatives:
    # in the language the shopper chose (Customer.language; English when none)
    with translation.override(language_of(member.customer.language)):
        context = email_context(member=member)
        message = EmailMultiAlternatives(
            subject=member.campaign.email_subject,
            body=render_to_string("emails/campaign.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[member.customer.user.email],
            headers={**sending.unsubscribe_headers(context["unsubscribe_url"]), "X-Campaign": str(member.campaign_id)},
        )
        message.attach_alternative(render_to_string("emails/campaign.html", context), "text/html")
    return message


# --- sending ----------------------------------------------------------------------


def _claim_next(campaign_id: int) -> CampaignMember | None:
    """Take one PENDING member and mark it SENDING (sending.claim_next)."""
    return sending.claim_next(CampaignMember.objects.filter(campaign_id=campaign_id).order_by("id"))


def campaign_send(*, campaign_id: int, limit: int | None = None, progress: bool = False) -> dict[str, int]:
    """Send the campaign's pending e-mails one claimed row at a time. At most once
    per member: a row is SENDING (committed) before its mail is handed to the
    backend and SENT after; a batch killed in between leaves that one row
    SENDING, and a restart sends only PENDING rows (the operator sees the stuck
    row in the admin and decides). Unsubscribed members are skipped. The
    machinery is marketing/sending.py, shared with the cart reminders."""

    def handle(member: CampaignMember) -> str:
        member = CampaignMember.objects.select_related("campaign__coupon", "customer__user").get(pk=member.pk)
        return sending.send_claimed(
            row=member, build=lambda: email_build(member=member), label=f"campaign {campaign_id}"
        )

    total = None
    if progress:
        total = CampaignMember.objects.filter(campaign_id=campaign_id, status=CampaignMember.Status.PENDING).count()
    return sending.send_batch(
        claim=lambda: _claim_next(campaign_id), handle=handle, limit=limit, total=total, progress=progress
    )


# --- tracking and unsubscribe -----------------------------------------------------


def member_opened(*, member: CampaignMember) -> None:
    sending.recipient_opened(row=member)


def member_clicked(*, member: CampaignMember) -> None:
    sending.recipient_clicked(row=member)


def customer_unsubscribe(*, member: CampaignMember) -> bool:
    """True when this call unsubscribed them (False: they were already)."""
    return sending.recipient_unsubscribe(row=member)


# --- banners and report -----------------------------------------------------------


def banners_for(*, customer_id: int | None) -> list[dict[str, Any]]:
    """Home banners of launched campaigns this customer is a treated member of (the
    no-coupon group of a coupon split sees the same banner without the code)."""
    if customer_id is None:
        return []
    now = timezone.now()
    rows = (
        CampaignMember.objects.filter(
            customer_id=customer_id,
            group__in=[CampaignMember.Group.TREATMENT, CampaignMember.Group.NO_COUPON],
            campaign__status=Campaign.Status.LAUNCHED,
        )
        .filter(Q(campaign__ends_at__isnull=True) | Q(campaign__ends_at__gt=now))
        .exclude(campaign__banner_text="")
        .select_related("campaign__coupon")
        .order_by("-campaign__launched_at")
    )
    out = []
    for m in rows:
        coupon = m.campaign.coupon if m.group == CampaignMember.Group.TREATMENT else None
        out.append(
            {
                "campaign": m.campaign_id,
                "text": m.campaign.banner_text,
                "coupon_code": coupon.code if coupon is not None and coupon.is_active else "",
                "coupon_label": coupon.label if coupon is not None else "",
            }
        )
    return out


def campaign_report(*, campaign: Campaign) -> dict[str, Any]:
    """Per group (treatment, no-coupon when the coupon is split, hold-out):
    members, sent, opened, clicked, coupon used, orders and revenue since
    launch (revenue at the lines' prices, the coupon discounts given), net
    revenue (revenue − discounts) per member with its 95% interval; the
    treatment's conversion against the hold-out (two-proportion z test); and,
    for a coupon split, the coupon against none: coupon use, conversion
    (two-proportion z) and net revenue per member (Welch and a bootstrap
    interval): does the coupon pay for its discount?"""
    members = list(
        CampaignMember.objects.filter(campaign=campaign).values(
            "customer_id", "group", "status", "opened_at", "clicked_at"
        )
    )
    since = campaign.launched_at or campaign.created_at
    until = campaign.ends_at or timezone.now()
    events = profiles_selectors.events_of_shoppers(
        customer_ids=[m["customer_id"] for m in members],
        session_keys=[],
        kinds=["purchase", "coupon_used"],
        since=since,
        until=until,
    )
    orders: dict[int, set[str]] = {}
    revenue: dict[int, float] = {}
    discount: dict[int, float] = {}  # coupon discounts given (any coupon), taken off for the net revenue
    for e in events:
        if e["kind"] == "coupon_used":
            discount[e["customer_id"]] = discount.get(e["customer_id"], 0.0) + float(e["price"] or 0)
            continue
        orders.setdefault(e["customer_id"], set()).add(e["order_number"] or str(e["created_at"]))
        revenue[e["customer_id"]] = revenue.get(e["customer_id"], 0.0) + float(e["price"] or 0) * float(
            e["quantity"] or 1
        )
    coupon_users = (
        checkout_selectors.coupon_redeemers(coupon_id=campaign.coupon_id, since=since) if campaign.coupon_id else set()
    )
    names = [CampaignMember.Group.TREATMENT, CampaignMember.Group.HOLDOUT]
    if campaign.coupon_split:
        names.insert(1, CampaignMember.Group.NO_COUPON)
    groups, per_member = {}, {}
    for group in names:
        mine = [m for m in members if m["group"] == group]
        ids = [m["customer_id"] for m in mine]
        per_member[group.value] = [revenue.get(cid, 0.0) - discount.get(cid, 0.0) for cid in ids]
        groups[group.value] = {
            "label": group.label,
            "members": len(mine),
            "sent": sum(m["status"] == CampaignMember.Status.SENT for m in mine),
            "opened": sum(m["opened_at"] is not None for m in mine),
            "clicked": sum(m["clicked_at"] is not None for m in mine),
            "coupon_used": sum(cid in coupon_users for cid in ids),
            "buyers": sum(cid in orders for cid in ids),
            "orders": sum(len(orders.get(cid, ())) for cid in ids),
            "revenue": round(sum(revenue.get(cid, 0.0) for cid in ids), 2),
            "discount": round(sum(discount.get(cid, 0.0) for cid in ids), 2),
            "net_per_member": stats.mean_interval(per_member[group.value]),
        }
    t, h = groups["treatment"], groups["holdout"]
    lift = None
    if t["members"] and h["members"]:
        lift = stats.two_proportion_ztest(h["buyers"], h["members"], t["buyers"], t["members"])
    coupon_vs_none = None
    if campaign.coupon_split and t["members"] and groups["no_coupon"]["members"]:
        n = groups["no_coupon"]
        coupon_vs_none = {
            "coupon_used": stats.two_proportion_ztest(n["coupon_used"], n["members"], t["coupon_used"], t["members"]),
            "conversion": stats.two_proportion_ztest(n["buyers"], n["members"], t["buyers"], t["members"]),
            "net_revenue": None,
            "net_revenue_bootstrap": None,
        }
        if t["members"] >= 2 and n["members"] >= 2:
            without, with_coupon = per_member["no_coupon"], per_member["treatment"]
            coupon_vs_none["net_revenue"] = stats.welch_ttest(without, with_coupon)
            coupon_vs_none["net_revenue_bootstrap"] = stats.bootstrap_diff(without, with_coupon)
    return {"groups": groups, "conversion_lift": lift, "coupon_vs_none": coupon_vs_none}

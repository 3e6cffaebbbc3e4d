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
from django.utils import timezone

from checkout import selectors as checkout_selectors
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
            holdout = in_holdout(campaign_id=campaign.pk, customer_id=cid, share=campaign.holdout_share)
            rows.append(
                CampaignMember(
                    campaign=campaign,
                    customer_id=cid,
                    group=CampaignMember.Group.HOLDOUT if holdout else CampaignMember.Group.TREATMENT,
                    status=CampaignMember.Status.NO_EMAIL
                    if holdout or not campaign.has_email
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
    """The campaign message for this customer. Templates only today: the place
    where a configured language model may rephrase it per segment (the text is
    prose only: products, prices and the coupon code are added from the
    database by the e-mail template, never taken from this text)."""
    return campaign.email_message.strip()


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
        "coupon": campaign.coupon,
        "shop_url": _absolute(reverse("marketing:click", args=[token]) + "?next=/"),
        "unsubscribe_url": _absolute(reverse("marketing:unsubscribe", args=[token])),
        "pixel_url": _absolute(reverse("marketing:open", args=[token])),
    }


def email_build(*, member: CampaignMember) -> EmailMultiAlternatives:
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
    """Home banners of launched campaigns this customer is a treatment member of."""
    if customer_id is None:
        return []
    now = timezone.now()
    rows = (
        CampaignMember.objects.filter(
            customer_id=customer_id,
            group=CampaignMember.Group.TREATMENT,
            campaign__status=Campaign.Status.LAUNCHED,
        )
        .filter(Q(campaign__ends_at__isnull=True) | Q(campaign__ends_at__gt=now))
        .exclude(campaign__banner_text="")
        .select_related("campaign__coupon")
        .order_by("-campaign__launched_at")
    )
    return [
        {
            "campaign": m.campaign_id,
            "text": m.campaign.banner_text,
            "coupon_code": m.campaign.coupon.code if m.campaign.coupon_id and m.campaign.coupon.is_active else "",
            "coupon_label": m.campaign.coupon.label if m.campaign.coupon_id else "",
        }
        for m in rows
    ]


def campaign_report(*, campaign: Campaign) -> dict[str, Any]:
    """Per group (treatment, hold-out): members, sent, opened, clicked, coupon
    used, orders and revenue since launch, conversion; and the treatment's
    conversion against the hold-out (two-proportion z test)."""
    members = list(
        CampaignMember.objects.filter(campaign=campaign).values(
            "customer_id", "group", "status", "opened_at", "clicked_at"
        )
    )
    since = campaign.launched_at or campaign.created_at
    until = campaign.ends_at or timezone.now()
    events = profiles_selectors.events_of_shoppers(
        customer_ids=[m["customer_id"] for m in members], session_keys=[], kinds=["purchase"], since=since, until=until
    )
    orders: dict[int, set[str]] = {}
    revenue: dict[int, float] = {}
    for e in events:
        orders.setdefault(e["customer_id"], set()).add(e["order_number"] or str(e["created_at"]))
        revenue[e["customer_id"]] = revenue.get(e["customer_id"], 0.0) + float(e["price"] or 0) * float(
            e["quantity"] or 1
        )
    coupon_users = (
        checkout_selectors.coupon_redeemers(coupon_id=campaign.coupon_id, since=since) if campaign.coupon_id else set()
    )
    groups = {}
    for group in (CampaignMember.Group.TREATMENT, CampaignMember.Group.HOLDOUT):
        mine = [m for m in members if m["group"] == group]
        ids = [m["customer_id"] for m in mine]
        groups[group.value] = {
            "members": len(mine),
            "sent": sum(m["status"] == CampaignMember.Status.SENT for m in mine),
            "opened": sum(m["opened_at"] is not None for m in mine),
            "clicked": sum(m["clicked_at"] is not None for m in mine),
            "coupon_used": sum(cid in coupon_users for cid in ids),
            "buyers": sum(cid in orders for cid in ids),
            "orders": sum(len(orders.get(cid, ())) for cid in ids),
            "revenue": round(sum(revenue.get(cid, 0.0) for cid in ids), 2),
        }
    t, h = groups["treatment"], groups["holdout"]
    lift = None
    if t["members"] and h["members"]:
        lift = stats.two_proportion_ztest(h["buyers"], h["members"], t["buyers"], t["members"])
    return {"groups": groups, "conversion_lift": lift}

"""Abandoned-cart recovery (docs/marketing.md, "Abandoned carts").

- **Settings** (`reminder_config`, checked at start-up by a system check):
  CART_REMINDER_SCHEDULE (delays after the cart's last change, default
  1h, 1d, 5d), CART_REMINDER_HOLDOUT_SHARE (0 to 0.5, default 0.15),
  CART_REMINDER_MAX_IDLE (a cart idle longer than this when first seen is not
  reminded, default 7d), CART_REMINDER_REPORT_DAYS (default 7).
- **Scan** (`reminders_scan`): a customer's cart with lines, unchanged for the
  first delay, whose customer can be e-mailed (an address, an active account,
  not unsubscribed), becomes a CartAbandonment; its group is the customer's
  hash (a hold-out customer is never reminded); a treatment abandonment gets
  one CartReminder per step, due at last change + delay. Open abandonments
  whose cart was ordered, emptied or changed are ended (their pending steps
  stopped); a changed cart starts a new abandonment from the change.
- **Send** (`reminders_send`): the due reminders, claimed one at a time
  through marketing/sending.py (the campaigns' machinery: at most once, even
  after a killed batch). The cart is checked again after the claim: ordered,
  emptied or changed → stopped, nothing sent. Only the latest due step of an
  abandonment goes out (a batch that did not run for a day sends one mail,
  not two).
- **E-mail**: the cart's lines with quantities and today's prices from the
  database, a tracked link back to the cart, four products that complete it
  (recommend's "cart" slot, with reasons), open pixel, List-Unsubscribe.
- **Report** (`recovery_report`): per group, recovered carts (an order within
  N days of being found), orders and revenue, and the incremental recovery
  rate and revenue per cart (treatment − hold-out) with 95% intervals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import checks, signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from checkout import selectors as checkout_selectors
from core.languages import language_of
from profiles import selectors as profiles_selectors
from recommend import selectors as recommend_selectors

from . import sending, stats
from .assignment import unit_point
from .errors import MarketingError
from .models import CartAbandonment, CartReminder

TOKEN_SALT = "marketing.cart_reminder"
HASH_KEY = "cart-reminders"
RECOMMENDED = 4
SUBJECTS = (
    gettext_lazy("You left something in your cart"),
    gettext_lazy("Your cart is still waiting"),
    gettext_lazy("Last reminder: your cart"),
)
DEFAULTS = {
    "CART_REMINDER_SCHEDULE": ["1h", "1d", "5d"],
    "CART_REMINDER_HOLDOUT_SHARE": 0.15,
    "CART_REMINDER_MAX_IDLE": "7d",
    "CART_REMINDER_REPORT_DAYS": 7,
}
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
STOPS = (CartAbandonment.End.ORDERED, CartAbandonment.End.EMPTIED, CartAbandonment.End.CHANGED)


class ReminderSettingsInvalid(MarketingError):
    """A CART_REMINDER_* setting that cannot be used; the message names it."""


# --- settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderConfig:
    delays: tuple[dt.timedelta, ...]
    holdout_share: float
    max_idle: dt.timedelta
    report_days: int


def _setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def parse_duration(value: Any, *, name: str) -> dt.timedelta:
    """'30m', '1h', '1d', '2w' (or a timedelta) → timedelta; anything else is refused."""
    if isinstance(value, dt.timedelta):
        delta = value
    else:
        match = _DURATION.match(str(value)) if isinstance(value, str) else None
        if match is None:
            raise ReminderSettingsInvalid(
                f"{name}: {value!r} is not a duration; write a whole number and a unit, e.g. 30m, 1h, 1d, 2w"
            )
        delta = dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    if delta <= dt.timedelta(0):
        raise ReminderSettingsInvalid(f"{name}: {value!r} must be longer than zero")
    return delta


def reminder_config() -> ReminderConfig:
    """The CART_REMINDER_* settings, checked; ReminderSettingsInvalid names the bad one."""
    raw = _setting("CART_REMINDER_SCHEDULE")
    if isinstance(raw, str) or not isinstance(raw, list | tuple) or not raw:
        raise ReminderSettingsInvalid(
            f"CART_REMINDER_SCHEDULE: {raw!r} must be a non-empty list of delays, e.g. ['1h', '1d', '5d']"
        )
    if len(raw) > 10:
        raise ReminderSettingsInvalid(f"CART_REMINDER_SCHEDULE: {len(raw)} steps; at most 10")
    delays = tuple(parse_duration(v, name="CART_REMINDER_SCHEDULE") for v in raw)
    if any(b <= a for a, b in zip(delays, delays[1:], strict=False)):
        raise ReminderSettingsInvalid(
            f"CART_REMINDER_SCHEDULE: {list(raw)!r}: each delay must be longer than the one before"
        )
    share = _setting("CART_REMINDER_HOLDOUT_SHARE")
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 0.5:
        raise ReminderSettingsInvalid(f"CART_REMINDER_HOLDOUT_SHARE: {share!r} must be a number from 0 to 0.5")
    max_idle = parse_duration(_setting("CART_REMINDER_MAX_IDLE"), name="CART_REMINDER_MAX_IDLE")
    if max_idle <= delays[0]:
        raise ReminderSettingsInvalid(
            f"CART_REMINDER_MAX_IDLE must be longer than the first delay ({raw[0]}), or no cart is ever reminded"
        )
    days = _setting("CART_REMINDER_REPORT_DAYS")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ReminderSettingsInvalid(
            f"CART_REMINDER_REPORT_DAYS: {days!r} must be a whole number of days from 1 to 365"
        )
    return ReminderConfig(delays, float(share), max_idle, days)


def settings_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check (manage.py check, runserver, the worker): bad settings refused at start-up."""
    try:
        reminder_config()
    except ReminderSettingsInvalid as exc:
        return [checks.Error(exc.message, id="marketing.E001")]
    return []


# --- who, and which group ---------------------------------------------------------


def in_holdout(*, customer_id: int, share: float) -> bool:
    """The customer's hash against the hold-out share: the same answer on every
    run and for every cart of theirs (raising the share only moves customers
    from treatment to hold-out)."""
    return unit_point(HASH_KEY, f"c:{customer_id}", "holdout") < share


def can_be_emailed(customer) -> bool:
    user = customer.user
    return bool(user.email) and user.is_active and not sending.is_unsubscribed(customer.pk)


# --- scan ---------------------------------------------------------------------------


def _stop_reason(abandonment: CartAbandonment, cart=None) -> str:
    """Why this abandonment is over (ordered, emptied, changed), or "" while the cart still waits."""
    ordered = [
        o
        for o in checkout_selectors.orders_placed_by(
            customer_ids=[abandonment.customer_id], since=abandonment.cart_changed_at, kept_only=False
        )
        if o["status"] != "placed"  # placed and unpaid: a checkout still at the payment step
    ]
    if ordered:
        return CartAbandonment.End.ORDERED
    cart = cart or checkout_selectors.cart_of_customer(customer_id=abandonment.customer_id)
    if cart is None or not checkout_selectors.cart_item_count(cart=cart):
        return CartAbandonment.End.EMPTIED
    if cart.updated_at != abandonment.cart_changed_at:
        return CartAbandonment.End.CHANGED
    return ""


def _end(abandonment: CartAbandonment, reason: str, now: dt.datetime) -> None:
    with transaction.atomic():
        CartAbandonment.objects.filter(pk=abandonment.pk, end_reason="").update(end_reason=reason, ended_at=now)
        CartReminder.objects.filter(abandonment=abandonment, status=CartReminder.Status.PENDING).update(
            status=CartReminder.Status.STOPPED
        )
    abandonment.end_reason, abandonment.ended_at = reason, now


def reminders_scan(*, now: dt.datetime | None = None) -> dict[str, int]:
    """End the open abandonments that are over, then record the newly idle
    carts (treatment with their steps, or hold-out). Safe to run twice: an
    abandonment is unique per customer and cart change."""
    config = reminder_config()
    now = now or timezone.now()
    done = {"found": 0, "treatment": 0, "holdout": 0, "not_emailable": 0, "ended": 0}
    for abandonment in CartAbandonment.objects.filter(end_reason="").order_by("id"):
        reason = _stop_reason(abandonment)
        if not reason and now >= abandonment.cart_changed_at + config.delays[-1]:
            still = CartReminder.objects.filter(
                abandonment=abandonment, status__in=[CartReminder.Status.PENDING, CartReminder.Status.SENDING]
            )
            reason = "" if still.exists() else CartAbandonment.End.DONE
        if reason:
            _end(abandonment, reason, now)
            done["ended"] += 1
    carts = checkout_selectors.carts_idle(changed_before=now - config.delays[0], changed_after=now - config.max_idle)
    carts = list(carts)
    known = set(
        CartAbandonment.objects.filter(
            customer_id__in=[c.customer_id for c in carts], cart_changed_at__gte=now - config.max_idle
        ).values_list("customer_id", "cart_changed_at")
    )
    for cart in carts:
        if (cart.customer_id, cart.updated_at) in known:
            continue
        if not can_be_emailed(cart.customer):
            done["not_emailable"] += 1
            continue
        holdout = in_holdout(customer_id=cart.customer_id, share=config.holdout_share)
        totals = checkout_selectors.cart_totals(cart=cart)
        try:
            with transaction.atomic():
                abandonment = CartAbandonment.objects.create(
                    customer_id=cart.customer_id,
                    cart=cart,
                    cart_changed_at=cart.updated_at,
                    group=CartAbandonment.Group.HOLDOUT if holdout else CartAbandonment.Group.TREATMENT,
                    found_at=now,
                    units=totals.item_count,
                    value=totals.subtotal,
                )
                if not holdout:
                    CartReminder.objects.bulk_create(
                        [
                            CartReminder(
                                abandonment=abandonment,
                                customer_id=cart.customer_id,
                                step=i,
                                due_at=cart.updated_at + delay,
                            )
                            for i, delay in enumerate(config.delays, start=1)
                        ]
                    )
        except IntegrityError:  # a parallel scan recorded it first
            continue
        done["found"] += 1
        done["holdout" if holdout else "treatment"] += 1
    return done


# --- the e-mail ---------------------------------------------------------------------


def reminder_token(reminder_id: int) -> str:
    return signing.dumps(reminder_id, salt=TOKEN_SALT)


def reminder_from_token(token: str) -> CartReminder | None:
    try:
        reminder_id = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    return CartReminder.objects.select_related("customer__user").filter(pk=reminder_id).first()


def email_context(*, reminder: CartReminder, cart) -> dict[str, Any]:
    """Everything the reminder shows, from the database: the cart's lines at
    today's prices, tracked links (the cart, each product), four products that
    complete the cart with their reasons, unsubscribe and the open pixel."""
    token = reminder_token(reminder.pk)
    click = reverse("marketing:click", args=[token])

    def tracked(path: str) -> str:
        return sending.absolute(f"{click}?{urlencode({'next': path})}")

    totals = checkout_selectors.cart_totals(cart=cart)
    lines = [
        {
            "name": pl.product.display_name,
            "quantity": pl.quantity,
            "unit_price": pl.unit_price,
            "line_total": pl.line_total,
            "url": tracked(pl.product.get_absolute_url()),
        }
        for pl in totals.lines
    ]
    customer = reminder.customer
    served = recommend_selectors.recommendations_for(
        slot="cart",
        shopper=profiles_selectors.Shopper(customer=customer),
        context={"products": [pl.product for pl in totals.lines], "n": RECOMMENDED},
    )
    products = [
        {
            "name": item.product.display_name,
            "price": item.product.price,
            "reason": item.reason,
            "url": tracked(item.product.get_absolute_url()),
        }
        for item in (served.items if served is not None else [])
    ]
    user = customer.user
    return {
        "name": user.first_name or user.get_username(),
        "step": reminder.step,
        "lines": lines,
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "coupon": totals.coupon if totals.discount else None,
        "products": products,
        "cart_url": tracked(reverse("checkout:cart")),
        "unsubscribe_url": sending.absolute(reverse("marketing:unsubscribe", args=[token])),
        "pixel_url": sending.absolute(reverse("marketing:open", args=[token])),
    }


def email_subject(step: int) -> str:
    return str(SUBJECTS[min(step, len(SUBJECTS)) - 1])


def email_build(*, reminder: CartReminder, cart) -> EmailMultiAlternatives:
    # in the language the shopper chose (Customer.language; English when none)
    with translation.override(language_of(reminder.customer.language)):
        context = email_context(reminder=reminder, cart=cart)
        message = EmailMultiAlternatives(
            subject=email_subject(reminder.step),
            body=render_to_string("emails/cart_reminder.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[reminder.customer.user.email],
            headers={**sending.unsubscribe_headers(context["unsubscribe_url"]), "X-Cart-Reminder": str(reminder.step)},
        )
        message.attach_alternative(render_to_string("emails/cart_reminder.html", context), "text/html")
    return message


# --- sending ------------------------------------------------------------------------


def _due(now: dt.datetime):
    return CartReminder.objects.filter(due_at__lte=now).order_by("due_at", "id")


def reminders_send(*, now: dt.datetime | None = None, limit: int | None = None, progress: bool = False) -> dict:
    """Send the due reminders, one claimed row at a time (marketing/sending.py:
    a row is SENDING, committed, before its mail goes out; a killed batch
    leaves that one row SENDING and a restart never sends it again). After the
    claim the cart is checked again: ordered, emptied or changed → STOPPED;
    a later step of the same abandonment already due → this one SKIPPED."""
    reminder_config()
    now = now or timezone.now()

    def handle(row: CartReminder) -> str:
        reminder = CartReminder.objects.select_related("abandonment", "customer__user").get(pk=row.pk)
        abandonment = reminder.abandonment
        cart = checkout_selectors.cart_of_customer(customer_id=reminder.customer_id)
        reason = abandonment.end_reason if abandonment.end_reason in STOPS else _stop_reason(abandonment, cart)
        if reason:
            _end(abandonment, reason, now)
            status = CartReminder.Status.STOPPED
        elif CartReminder.objects.filter(abandonment=abandonment, step__gt=reminder.step, due_at__lte=now).exists():
            status = CartReminder.Status.SKIPPED
        else:
            return sending.send_claimed(
                row=reminder, build=lambda: email_build(reminder=reminder, cart=cart), label="cart reminder"
            )
        CartReminder.objects.filter(pk=reminder.pk).update(status=status)
        return status

    total = _due(now).filter(status=CartReminder.Status.PENDING).count() if progress else None
    return sending.send_batch(
        claim=lambda: sending.claim_next(_due(now)),
        handle=handle,
        limit=limit,
        total=total,
        progress=progress,
        desc="cart reminders",
    )


def reminders_run(*, now: dt.datetime | None = None, limit: int | None = None, progress: bool = False) -> dict:
    """One pass of the periodic job: scan, then send what is due."""
    now = now or timezone.now()
    scanned = reminders_scan(now=now)
    sent = reminders_send(now=now, limit=limit, progress=progress)
    return {"scan": scanned, "send": sent}


# --- report -------------------------------------------------------------------------


@dataclass
class GroupResult:
    carts: int = 0
    reminded: int = 0  # carts with at least one reminder sent
    sent: int = 0  # reminders sent
    opened: int = 0  # carts whose reminder was opened
    clicked: int = 0
    recovered: int = 0  # carts followed by an order within the window
    orders: int = 0
    revenue: Decimal = Decimal("0.00")
    open_windows: int = 0  # carts whose window has not ended yet
    per_cart: list[float] = field(default_factory=list)  # revenue of each cart, for the interval

    @property
    def rate(self) -> float:
        return self.recovered / self.carts if self.carts else 0.0

    @property
    def revenue_per_cart(self) -> float:
        return float(self.revenue) / self.carts if self.carts else 0.0


@dataclass
class RecoveryReport:
    since: dt.datetime
    until: dt.datetime
    days: int
    treatment: GroupResult
    holdout: GroupResult
    rate: stats.Comparison | None  # recovery rate, treatment − hold-out (two-proportion z)
    revenue: stats.Comparison | None  # revenue per cart, treatment − hold-out (Welch)
    revenue_bootstrap: tuple[float, float] | None
    note: str = ""

    @property
    def groups(self) -> list[tuple[str, GroupResult]]:
        return [("treatment", self.treatment), ("holdout", self.holdout)]

    @property
    def incremental_orders(self) -> float | None:
        """Recovered carts the reminders added: rate difference × treated carts."""
        return None if self.rate is None else self.rate.diff * self.treatment.carts

    @property
    def incremental_revenue(self) -> float | None:
        return None if self.revenue is None else self.revenue.diff * self.treatment.carts


def recovery_report(
    *, since: dt.datetime, until: dt.datetime, days: int | None = None, now: dt.datetime | None = None
) -> RecoveryReport:
    """The carts found in [since, until), per group. A cart is *recovered* when
    its customer placed an order (paid, not cancelled or refunded) within `days`
    after it was found; an order counts once, for the customer's latest
    abandonment found before it. Revenue is the orders' totals. Incremental =
    treatment − hold-out, with 95% intervals (two-proportion z for the rate;
    Welch and a percentile bootstrap for revenue per cart)."""
    days = days or reminder_config().report_days
    now = now or timezone.now()
    window = dt.timedelta(days=days)
    rows = list(
        CartAbandonment.objects.filter(found_at__gte=since, found_at__lt=until).values(
            "id", "customer_id", "group", "found_at"
        )
    )
    customer_ids = sorted({r["customer_id"] for r in rows})
    # every abandonment of these customers that could own an order in a window
    owners: dict[int, list[tuple[dt.datetime, int]]] = {}
    for r in CartAbandonment.objects.filter(
        customer_id__in=customer_ids, found_at__gte=since, found_at__lt=until + window
    ).values("id", "customer_id", "found_at"):
        owners.setdefault(r["customer_id"], []).append((r["found_at"], r["id"]))
    revenue: dict[int, Decimal] = {}
    orders: dict[int, int] = {}
    for o in checkout_selectors.orders_placed_by(customer_ids=customer_ids, since=since, until=until + window):
        earlier = [(f, a) for f, a in owners.get(o["customer_id"], []) if f < o["placed_at"] <= f + window]
        if earlier:
            owner = max(earlier)[1]
            orders[owner] = orders.get(owner, 0) + 1
            revenue[owner] = revenue.get(owner, Decimal("0.00")) + o["total"]
    reminders: dict[int, list[dict]] = {}
    for r in CartReminder.objects.filter(abandonment_id__in=[r["id"] for r in rows]).values(
        "abandonment_id", "status", "opened_at", "clicked_at"
    ):
        reminders.setdefault(r["abandonment_id"], []).append(r)
    groups = {"treatment": GroupResult(), "holdout": GroupResult()}
    for r in rows:
        g = groups[r["group"]]
        mine = reminders.get(r["id"], [])
        sent = sum(m["status"] == CartReminder.Status.SENT for m in mine)
        g.carts += 1
        g.sent += sent
        g.reminded += sent > 0
        g.opened += any(m["opened_at"] for m in mine)
        g.clicked += any(m["clicked_at"] for m in mine)
        g.recovered += r["id"] in orders
        g.orders += orders.get(r["id"], 0)
        g.revenue += revenue.get(r["id"], Decimal("0.00"))
        g.open_windows += r["found_at"] + window > now
        g.per_cart.append(float(revenue.get(r["id"], 0)))
    t, h = groups["treatment"], groups["holdout"]
    rate = revenue_cmp = boot = None
    note = ""
    if t.carts and h.carts:
        rate = stats.two_proportion_ztest(h.recovered, h.carts, t.recovered, t.carts)
    else:
        note = "No interval: both groups need carts (is CART_REMINDER_HOLDOUT_SHARE above 0?)."
    if t.carts >= 2 and h.carts >= 2:
        revenue_cmp = stats.welch_ttest(h.per_cart, t.per_cart)
        boot = stats.bootstrap_diff(h.per_cart, t.per_cart)
    return RecoveryReport(since, until, days, t, h, rate, revenue_cmp, boot, note)

"""The one sending machinery of marketing e-mail, shared by campaigns
(campaigns.py) and cart reminders (recovery.py):

- claim then send, at most once: a PENDING row is claimed (SENDING, committed,
  `SELECT … FOR UPDATE SKIP LOCKED`, so two workers never take the same row),
  then mailed, then marked. A batch killed in between leaves that one row
  SENDING; a restart claims only PENDING rows, so nobody is mailed twice.
- one-click unsubscribe headers (RFC 8058) and the skip of unsubscribed
  customers and missing addresses;
- the tracked recipient of a link (a campaign member or a cart reminder):
  open pixel, click, unsubscribe.

A row is any model with `status`, `claimed_at`, `sent_at`, `error`, `customer`,
`opened_at` and `clicked_at` whose statuses use the values below."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Unsubscribe

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
UNSUBSCRIBED, NO_ADDRESS = "unsubscribed", "no_address"
OUTCOMES = (SENT, FAILED, UNSUBSCRIBED, NO_ADDRESS)


def absolute(path: str) -> str:
    """An absolute link for an e-mail (MARKETING_SITE_URL + path)."""
    return settings.MARKETING_SITE_URL.rstrip("/") + path


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def claim_next(queryset: QuerySet) -> Any | None:
    """Take the first PENDING row of `queryset` (its own ordering) and mark it
    SENDING, committed before any mail goes out; None when there is none."""
    with transaction.atomic():
        row = queryset.select_for_update(skip_locked=True).filter(status=PENDING).first()
        if row is None:
            return None
        row.status = SENDING
        row.claimed_at = timezone.now()
        row.save(update_fields=["status", "claimed_at"])
    return row


def is_unsubscribed(customer_id: int) -> bool:
    return Unsubscribe.objects.filter(customer_id=customer_id).exists()


def send_claimed(*, row, build: Callable[[], EmailMultiAlternatives], label: str) -> str:
    """Mail one claimed row (its customer's address), or skip it when they
    unsubscribed or have no address; mark the row and return its new status."""
    address = row.customer.user.email
    if is_unsubscribed(row.customer_id):
        status = UNSUBSCRIBED
    elif not address:
        status = NO_ADDRESS
    else:
        try:
            build().send()
            status = SENT
        except Exception as exc:  # noqa: BLE001 - one bad address must not stop the batch
            log.warning("%s: mail to row %s failed: %s", label, row.pk, exc)
            row.error = str(exc)[:255]
            status = FAILED
    row.status = status
    row.sent_at = timezone.now() if status == SENT else None
    row.save(update_fields=["status", "sent_at", "error"])
    return status


def send_batch(
    *,
    claim: Callable[[], Any | None],
    handle: Callable[[Any], str],
    limit: int | None = None,
    total: int | None = None,
    progress: bool = False,
    desc: str = "sending",
) -> dict[str, int]:
    """Claim rows one at a time with `claim()` and pass each to `handle(row)`,
    which sends or skips it and returns the row's new status; counts per status
    (the four OUTCOMES always present). MARKETING_SEND_DELAY seconds between two rows."""
    done: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    delay = float(getattr(settings, "MARKETING_SEND_DELAY", 0) or 0)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=desc, unit="mail")
    while limit is None or sum(done.values()) < limit:
        row = claim()
        if row is None:
            break
        key = handle(row)
        done[key] = done.get(key, 0) + 1
        if bar is not None:
            bar.update(1)
        if delay:
            time.sleep(delay)
    if bar is not None:
        bar.close()
    return done


# --- the recipient of a tracked link ------------------------------------------------


def recipient_from_token(token: str):
    """The campaign member or cart reminder a signed token names, or None (forged)."""
    from .campaigns import member_from_token
    from .recovery import reminder_from_token

    return member_from_token(token) or reminder_from_token(token)


def recipient_opened(*, row) -> None:
    type(row).objects.filter(pk=row.pk, opened_at__isnull=True).update(opened_at=timezone.now())


def recipient_clicked(*, row) -> None:
    now = timezone.now()
    manager = type(row).objects
    manager.filter(pk=row.pk, clicked_at__isnull=True).update(clicked_at=now)
    manager.filter(pk=row.pk, opened_at__isnull=True).update(opened_at=now)  # a click is an open


def recipient_unsubscribe(*, row) -> bool:
    """True when this call unsubscribed the row's customer (False: they were already)."""
    _, created = Unsubscribe.objects.get_or_create(
        customer_id=row.customer_id, defaults={"campaign": getattr(row, "campaign", None)}
    )
    return created

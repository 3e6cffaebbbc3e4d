"""The transactional outbox: Celery work that must not be lost to a broker outage.

`outbox_enqueue` writes an OutboxMessage inside the caller's transaction (the
order's), so the work exists exactly when the change committed, and
publishes it after commit as `transaction.on_commit` did before (the fast
path; with eager Celery the task runs there, in-process, as before). A
publish the broker refuses is recorded on the row (`attempts`,
`last_error`) and never fails the request. `outbox_sweep` (Celery beat every
minute, and `manage.py outbox_sweep` for cron) publishes again every message
not done by its `next_attempt_at`:

- never accepted by the broker: OUTBOX_RETRY_SECONDS after the last try;
- accepted but not run (a Redis killed without persistence loses its
  queues, a worker killed mid-task): OUTBOX_REDELIVER_SECONDS after it.

A message is done when its task has run (`task_success`, matched by the
task id `outbox-<pk>-<attempt>`). Tasks published through the outbox must be
idempotent: a message can be delivered twice (the order's e-mail and events
are, by `confirmation_sent_at` / `events_recorded_at` under a row lock)."""

from __future__ import annotations

import logging
from datetime import timedelta
from importlib import import_module

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)

TASK_ID_PREFIX = "outbox-"
# The fast path tries the broker twice at most: a checkout during an outage
# waits a fraction of a second, not Celery's default retries per task.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _retry_seconds() -> float:
    return float(getattr(settings, "OUTBOX_RETRY_SECONDS", 30))


def _redeliver_seconds() -> float:
    return float(getattr(settings, "OUTBOX_REDELIVER_SECONDS", 600))


def _task(name: str):
    """The registered Celery task `name` ("app.tasks.function"); its module is
    imported first (a web process has not autodiscovered tasks)."""
    if name not in current_app.tasks:
        import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def outbox_enqueue(*, task: str, args: list, dedupe_key: str) -> OutboxMessage:
    """Record `task(*args)` in the current transaction and publish it after
    commit. The same `dedupe_key` twice gives the first message (nothing is
    queued twice)."""
    message, created = OutboxMessage.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "task": task,
            "args": list(args),
            "next_attempt_at": timezone.now() + timedelta(seconds=_retry_seconds()),
        },
    )
    if created:
        transaction.on_commit(lambda: outbox_publish(message_id=message.pk), robust=True)
    return message


def outbox_publish(*, message_id: int) -> bool:
    """Hand one message to the broker; True when it accepted it. A refusal
    is written on the row and logged, never raised."""
    message = OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).first()
    if message is None:
        return False
    attempt = message.attempts + 1
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=F("attempts") + 1,
        next_attempt_at=timezone.now() + timedelta(seconds=_retry_seconds()),
    )
    try:
        _task(message.task).apply_async(
            args=message.args,
            task_id=f"{TASK_ID_PREFIX}{message.pk}-{attempt}",
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # noqa: BLE001 - the broker's errors vary by transport; the row keeps it
        error = f"{type(exc).__name__}: {exc}"[:2000]
        OutboxMessage.objects.filter(pk=message.pk).update(last_error=error)
        log.warning("outbox: %s (%s) not published, the sweeper retries: %s", message.dedupe_key, message.task, error)
        return False
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk, done_at__isnull=True).update(
        sent_at=now, last_error="", next_attempt_at=now + timedelta(seconds=_redeliver_seconds())
    )
    return True


def outbox_mark_done(*, task_id: str | None) -> None:
    """The task of `task_id` ran: its message is done (tasks not from the outbox are ignored)."""
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return
    pk = task_id[len(TASK_ID_PREFIX) :].split("-", 1)[0]
    if pk.isdigit():
        OutboxMessage.objects.filter(pk=int(pk), done_at__isnull=True).update(done_at=timezone.now())


def outbox_sweep(*, limit: int = 500, due_only: bool = True) -> dict[str, int]:
    """Publish every message not done whose `next_attempt_at` has come
    (`due_only=False`: every message not done). Rows are claimed with SKIP
    LOCKED, so two sweepers never publish the same message at once. Returns
    counts: found, published, failed."""
    max_attempts = int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", 50))
    pending = OutboxMessage.objects.filter(done_at__isnull=True, attempts__lt=max_attempts)
    if due_only:
        pending = pending.filter(next_attempt_at__lte=timezone.now())
    published = failed = found = 0
    with transaction.atomic():
        claimed = pending.order_by("next_attempt_at").select_for_update(skip_locked=True)
        ids = list(claimed.values_list("pk", flat=True)[:limit])
        found = len(ids)
        for message_id in ids:
            if outbox_publish(message_id=message_id):
                published += 1
            else:
                failed += 1
    if found:
        log.info("outbox sweep: %d due, %d published, %d failed", found, published, failed)
    return {"found": found, "published": published, "failed": failed}

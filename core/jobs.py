"""Queue a Celery task to run a while from now.

With a broker, `apply_async(countdown=...)` does it. With eager Celery (the
embedded default: no broker, tasks in-process) Celery ignores the countdown
and runs the task at once, inside the request that queued it: a debounced
portrait update would cost every product page of a logged-in shopper a
portrait rebuild. Where `JOBS_DEFER_EAGER` is on (dev settings), such a task
runs instead on a timer thread in this process after its countdown, as a
worker would run it. A process stopped before the timer fires loses that run
(dev only; the nightly rebuild redoes every portrait)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)


def run_later(task, *, countdown: float, args: tuple = (), kwargs: dict[str, Any] | None = None) -> None:
    """Run the Celery `task` with `args`/`kwargs` in `countdown` seconds."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) and getattr(settings, "JOBS_DEFER_EAGER", False):
        timer = threading.Timer(countdown, _run, args=(task, args, kwargs or {}))
        timer.daemon = True
        timer.start()
    else:
        task.apply_async(args=args, kwargs=kwargs, countdown=countdown)


def _run(task, args: tuple, kwargs: dict[str, Any]) -> None:
    try:
        task.apply(args=args, kwargs=kwargs)
    except Exception:  # noqa: BLE001 - a thread has nobody to raise to: log it as a worker would
        log.exception("deferred task %s failed", task.name)
    finally:
        connections.close_all()  # this thread's own database connections

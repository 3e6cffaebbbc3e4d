"""manage.py outbox_sweep [--all] [--limit N]

Publish again the outbox's messages (order confirmation e-mails, purchase
events) that the broker never accepted or no worker ran, as the Celery beat
entry `checkout-outbox-sweep` does every minute; for cron where beat does not
run. Safe to run any time and twice: the tasks are idempotent. Exit status 1
when the broker refused a message (it stays pending). See docs/reliability.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from checkout.outbox import outbox_sweep


class Command(BaseCommand):
    help = "Publish the outbox messages that are due (never accepted by the broker, or accepted and never run)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every message not done, due or not")
        parser.add_argument("--limit", type=int, default=500, help="at most this many messages (default 500)")

    def handle(self, *args, **options):
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        counts = outbox_sweep(limit=options["limit"], due_only=not options["all"])
        self.stdout.write(f"outbox: {counts['found']} due, {counts['published']} published, {counts['failed']} failed")
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} message(s) not accepted by the broker; they stay pending")

"""Find abandoned carts and send the due reminders here (what the periodic
Celery task does), with a progress bar. In the embedded default (no beat)
run it from cron or by hand. Safe to run again after a kill: nobody is
mailed twice."""

from django.core.management.base import BaseCommand, CommandError

from marketing.errors import MarketingError
from marketing.recovery import reminders_scan, reminders_send


class Command(BaseCommand):
    help = "Find carts left past a step of CART_REMINDER_SCHEDULE and send the due reminders (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--scan-only", action="store_true", help="record abandoned carts, send nothing")
        parser.add_argument("--limit", type=int, default=None, help="stop after this many reminders")

    def handle(self, *args, scan_only: bool, limit: int | None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        try:
            scanned = reminders_scan()
            self.stdout.write("scan: " + ", ".join(f"{k}: {v}" for k, v in scanned.items()))
            if scan_only:
                return
            done = reminders_send(limit=limit, progress=True)
        except MarketingError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write("send: " + ", ".join(f"{k}: {v}" for k, v in done.items()))

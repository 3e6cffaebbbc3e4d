"""Send a launched campaign's pending e-mails here (what the Celery task does),
with a progress bar. Safe to run again after a kill: nobody is mailed twice."""

from django.core.management.base import BaseCommand, CommandError

from marketing.models import Campaign
from marketing.services import campaign_send


class Command(BaseCommand):
    help = "Send the pending e-mails of a launched campaign (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, required=True, help="campaign id")
        parser.add_argument("--limit", type=int, default=None, help="stop after this many members")

    def handle(self, *args, campaign: int, limit: int | None, **options):
        row = Campaign.objects.filter(pk=campaign).first()
        if row is None:
            raise CommandError(f"no campaign {campaign}")
        if row.status != Campaign.Status.LAUNCHED:
            raise CommandError(f"campaign {campaign} is not launched (status {row.status})")
        done = campaign_send(campaign_id=campaign, limit=limit, progress=True)
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in done.items()))

"""python manage.py export_interactions --out DIR: the store's purchases in the generic CSV form."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from recommend.evaluation import online_retail_to_generic, write_interactions_csv

from .evaluate import parse_date


class Command(BaseCommand):
    help = (
        "Write interactions.csv (user_id,item_id,timestamp,quantity) and items.csv (item_id,title,category,"
        "price) from the store's purchase events, or from the raw UCI Online Retail file with --online-retail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="output folder")
        parser.add_argument("--until", help="only purchases before this ISO date")
        parser.add_argument(
            "--online-retail",
            metavar="PATH",
            help="convert the raw public file (e.g. data/online_retail.csv.gz) instead of the store",
        )

    def handle(self, *args, **opts):
        if opts["online_retail"]:
            try:
                paths = online_retail_to_generic(opts["online_retail"], opts["out"])
            except (OSError, KeyError, ValueError) as exc:
                raise CommandError(f"{opts['online_retail']}: cannot convert: {exc}") from exc
        else:
            from datetime import UTC, datetime

            from recommend.snapshot import store_interactions

            until = datetime.fromtimestamp(parse_date(opts["until"]), tz=UTC) if opts["until"] else None
            data = store_interactions(until=until)
            if data.n_interactions == 0:
                raise CommandError("the store has no purchase events to export")
            paths = write_interactions_csv(data, opts["out"])
        for p in paths:
            if p is not None:
                self.stdout.write(f"wrote {p}")

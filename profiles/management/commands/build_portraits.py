"""Build every customer's portrait from the event log (batch, with progress)."""

from django.core.management.base import BaseCommand

from profiles import selectors, services


class Command(BaseCommand):
    help = "Rebuild all customer portraits and the scoring baseline from the event log."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-embeddings",
            action="store_true",
            help="skip the interest embeddings (no MiniLM encoding of new products)",
        )
        parser.add_argument("--clusters", type=int, default=None, help="number of behaviour clusters (default 6)")
        parser.add_argument("--quiet", action="store_true", help="no progress bars")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when every customer already has a portrait (used by scripts/run.sh)",
        )

    def handle(self, *args, **opts):
        if opts["if_missing"] and not selectors.customers_without_portrait_exist():
            self.stdout.write("every customer has a portrait: skipping (run without --if-missing to rebuild)")
            return
        stats = services.portraits_build_all(
            progress=not opts["quiet"], embeddings=not opts["no_embeddings"], n_clusters=opts["clusters"]
        )
        t = stats["timings"]
        self.stdout.write(
            self.style.SUCCESS(
                f"built {stats['portraits']} portraits from {stats['events']} events in {sum(t.values()):.1f} s "
                f"(read {t['read']:.1f} s, embeddings {t['embeddings']:.1f} s, compute {t['compute']:.1f} s, "
                f"save {t['save']:.1f} s)"
            )
        )

"""manage.py train_serving_models [--if-missing] [--device auto|cpu|cuda]

Trains the models the pages serve (SERVING_MODELS in recommend/serving.py:
popularity, trending, repeat purchase, item-kNN, basket co-occurrence, the
two content models and the hybrid) in this process, with progress bars. `--if-missing` trains only
those without an active version, and nothing when all have one: what the
first run of scripts/run.sh uses so that a newcomer's shop is personal. The
full `manage.py retrain` (every model) stays the documented command."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from recommend import selectors, services
from recommend.serving import SERVING_MODELS


class Command(BaseCommand):
    help = "Train the models the shop's pages serve (only the missing ones with --if-missing)."

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true", help="skip models that have an active version")
        parser.add_argument("--device", default="auto", choices=services.DEVICES)

    def handle(self, *args, if_missing: bool, device: str, **options):
        names = list(SERVING_MODELS)
        if if_missing:
            active = set(selectors.active_versions().values_list("name", flat=True))
            names = [n for n in names if n not in active]
            if not names:
                self.stdout.write("every serving model has an active version: nothing to train")
                return
        self.stdout.write(f"training {', '.join(names)} (a few minutes on two cores; the hybrid takes longest)")
        started = time.monotonic()
        try:
            versions = services.model_version_train(models=names, device=device, force=True, progress=True)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for v in versions:
            self.stdout.write(f"  {v.name:<12} {v.version:<24} {v.status}")
        failed = [v.name for v in versions if v.status == "failed"]
        self.stdout.write(f"trained in {time.monotonic() - started:.0f} s")
        if failed:
            raise CommandError(f"these models failed to train: {', '.join(failed)} (pages fall back to popularity)")

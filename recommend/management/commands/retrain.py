"""manage.py retrain [--models a,b] [--device auto|cpu|cuda] [--sync] [--force]

Without --sync the run is queued on the Celery "ml" queue and the command
prints its run id; with --sync it trains here, with progress bars per model
and per epoch, and prints a table of the versions it made."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from recommend import services
from recommend.ml.device import DEFAULT_DEVICE, DEVICES


class Command(BaseCommand):
    help = "Snapshot the interactions, train and evaluate models, record and promote versions."

    def add_arguments(self, parser):
        parser.add_argument("--models", default="", help="comma-separated registry names (default: all)")
        parser.add_argument(
            "--device",
            default=DEFAULT_DEVICE,
            choices=DEVICES,
            help="torch device of the models that train on one (SASRec); auto: CUDA when present",
        )
        parser.add_argument("--sync", action="store_true", help="train in this process instead of queueing")
        parser.add_argument("--force", action="store_true", help="promote even if validation NDCG@10 regresses")

    def handle(self, *args, models: str, device: str, sync: bool, force: bool, **options):
        names = [m.strip() for m in models.split(",") if m.strip()] or None
        try:
            if not sync:
                run_id = services.model_version_train_request(models=names, device=device, force=force)
                self.stdout.write(
                    f"queued training run {run_id} on the 'ml' queue "
                    f"({', '.join(names) if names else 'all models'}, device {device})"
                )
                return
            versions = services.model_version_train(models=names, device=device, force=force, progress=True)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        failed = 0
        self.stdout.write(f"{'model':<12} {'version':<24} {'status':<9} {'ndcg@10':>8} {'seconds':>8}  notes")
        for v in versions:
            ndcg = "" if v.ndcg10 is None else f"{v.ndcg10:.4f}"
            secs = "" if v.duration_seconds is None else f"{v.duration_seconds:.1f}"
            text = v.error.strip() if v.status == "failed" else v.notes
            note = (text.splitlines() or [""])[-1]
            self.stdout.write(f"{v.name:<12} {v.version:<24} {v.status:<9} {ndcg:>8} {secs:>8}  {note}")
            failed += v.status == "failed"
        if failed:
            raise CommandError(f"{failed} of {len(versions)} models failed to train (see the table above)")

"""The registry of trained model versions that serving reads.

One row per trained artifact. A model family ("ease", "sasrec", ...) has at
most one active version at a time: the database enforces it with a partial
unique constraint, so two promotions racing each other cannot both win.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        TRAINING = "training", "training"
        READY = "ready", "ready (trained, not serving)"
        ACTIVE = "active", "active (serving)"
        FAILED = "failed", "failed"
        RETIRED = "retired", "retired (served before)"

    name = models.CharField(max_length=64, db_index=True, help_text='Model family (registry name) or "bundle".')
    version = models.CharField(max_length=64, unique=True, help_text="Version id, also the artifact folder name.")
    run_id = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="The training run that made it (a Celery task id); a rerun of the same id does not train twice.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING, db_index=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="Validation metrics from the evaluation harness.")
    config = models.JSONField(default=dict, blank=True, help_text="The resolved model config.")
    snapshot = models.JSONField(default=dict, blank=True, help_text="Summary of the training data snapshot.")
    device = models.CharField(max_length=16, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    artifact_path = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True, help_text="Promotion decision and other remarks.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True, help_text="When it first started serving.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=Q(status="active"), name="one_active_version_per_model"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.status})"

    @property
    def ndcg10(self) -> float | None:
        value = (self.metrics or {}).get("ndcg@10")
        return None if value is None else float(value)

    @property
    def hr10(self) -> float | None:
        value = (self.metrics or {}).get("hr@10")
        return None if value is None else float(value)

    @property
    def ndcg10_half_width(self) -> float:
        """Half the width of the 95% bootstrap CI of validation NDCG@10 (0 when unknown)."""
        ci = (self.metrics or {}).get("ndcg@10_ci")
        if not ci or len(ci) != 2:
            return 0.0
        return abs(float(ci[1]) - float(ci[0])) / 2.0

"""Celery tasks of the recommend app: thin wrappers around services, each named
like the service it runs, routed to the "ml" queue (shop/celery.py routes
`recommend.tasks.*` there).

acks_late is on globally: a task whose worker dies is delivered again, and the
run id (the task id) makes the redelivery finish the work instead of doubling it.
"""

from __future__ import annotations

from celery import shared_task

from recommend.ml.device import DEFAULT_DEVICE

from . import services

_SOFT, _HARD = services.train_time_limits()


@shared_task(bind=True, acks_late=True, soft_time_limit=_SOFT, time_limit=_HARD)
def model_version_train(
    self,
    *,
    models: list[str] | None = None,
    device: str = DEFAULT_DEVICE,
    force: bool = False,
    run_id: str | None = None,
    config: dict | None = None,
) -> list[str]:
    """Train, evaluate and promote models; returns the version ids of the run."""
    versions = services.model_version_train(
        models=models, device=device, force=force, run_id=run_id or self.request.id, config=config
    )
    return [v.version for v in versions]


@shared_task(bind=True, acks_late=True, soft_time_limit=10 * 60, time_limit=15 * 60)
def trending_refresh(self) -> str:
    """Refit and serve the time-decayed popularity model; returns its version id."""
    return services.trending_refresh(run_id=self.request.id).version

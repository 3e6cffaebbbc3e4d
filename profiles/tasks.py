"""Celery tasks of the profiles app: thin wrappers named like their services, taking ids."""

from celery import shared_task

from core.db import exclusive_run

from . import services


@shared_task(
    name="profiles.tasks.portrait_build",
    queue="default",
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
)
def portrait_build(customer_id: int) -> int:
    """Recompute one customer's portrait (queued, debounced, by
    services.portrait_update_schedule after their events commit)."""
    return services.portrait_build(customer_id=customer_id).pk


@shared_task(
    name="profiles.tasks.portraits_build_all", queue="default", acks_late=True, soft_time_limit=1800, time_limit=2000
)
def portraits_build_all() -> int:
    """Nightly rebuild of every portrait and of the baseline (beat schedule in shop/celery.py).
    A lock keeps two rebuilds from overlapping; on PostgreSQL it dies with its
    holder's connection, so a rebuild killed mid-run does not block the next
    for 2000 s (it did with a cache key: the fault drill found it)."""
    with exclusive_run("profiles:portraits-build-all", timeout=2000) as acquired:
        if not acquired:
            return 0
        return services.portraits_build_all(embeddings=True)["portraits"]

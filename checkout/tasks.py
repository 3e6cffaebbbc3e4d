"""checkout tasks: thin wrappers named like their services, taking ids,
idempotent, queued with transaction.on_commit by the services."""

from celery import shared_task

from . import outbox, services


@shared_task(
    name="checkout.tasks.order_confirmation_send",
    queue="default",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
)
def order_confirmation_send(order_id: int) -> bool:
    return services.order_confirmation_send(order_id=order_id)


@shared_task(name="checkout.tasks.order_events_record", queue="default", max_retries=3, time_limit=60)
def order_events_record(order_id: int) -> bool:
    return services.order_events_record(order_id=order_id)


# Every minute (shop/celery.py): publish again what the broker never accepted or a worker never ran.
@shared_task(name="checkout.tasks.outbox_sweep", queue="default", time_limit=120)
def outbox_sweep() -> dict[str, int]:
    return outbox.outbox_sweep()

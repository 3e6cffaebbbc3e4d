"""checkout tasks: thin wrappers named like their services, taking ids,
idempotent, queued with transaction.on_commit by the services."""

from celery import shared_task

from . import services


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

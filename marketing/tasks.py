"""marketing tasks: thin wrappers named like their services, taking ids."""

from celery import shared_task

from . import campaigns, recovery


@shared_task(name="marketing.tasks.campaign_send", queue="default", time_limit=3600, max_retries=0)
def campaign_send(campaign_id: int) -> dict:
    """Safe to run twice or after a kill: only PENDING members are mailed."""
    return campaigns.campaign_send(campaign_id=campaign_id)


@shared_task(name="marketing.tasks.cart_reminders_run", queue="default", time_limit=1800, max_retries=0)
def cart_reminders_run() -> dict:
    """Periodic (beat, every 10 minutes): find abandoned carts, send the due
    reminders. Safe to overlap or rerun: claimed rows are never sent twice."""
    return recovery.reminders_run()

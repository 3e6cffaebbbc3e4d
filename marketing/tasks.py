"""marketing tasks: thin wrappers named like their services, taking ids."""

from celery import shared_task

from . import campaigns


@shared_task(name="marketing.tasks.campaign_send", queue="default", time_limit=3600, max_retries=0)
def campaign_send(campaign_id: int) -> dict:
    """Safe to run twice or after a kill: only PENDING members are mailed."""
    return campaigns.campaign_send(campaign_id=campaign_id)

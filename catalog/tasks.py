"""Celery tasks of the catalog: thin wrappers around services, taking ids."""

from celery import shared_task

from . import services


@shared_task(name="catalog.tasks.product_restock", acks_late=True, max_retries=3, time_limit=60)
def product_restock(product_id: int, quantity: int) -> int:
    """Add stock to a product (a supplier delivery). Returns the new stock level."""
    return services.product_restock(product_id=product_id, quantity=quantity).stock

"""Receivers of the checkout app: they only call a service (no logic here)."""

from celery.signals import task_success
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from profiles import selectors as profiles_selectors

from . import outbox, selectors, services
from .cart_session import CART_SESSION_KEY


@receiver(user_logged_in, dispatch_uid="checkout_cart_merge")
def cart_merge_on_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    customer = profiles_selectors.customer_for_user(user)
    cart_id = request.session.get(CART_SESSION_KEY)
    if customer is None or not cart_id:
        return
    services.cart_merge(session_cart=selectors.cart_find(customer=None, cart_id=cart_id), customer=customer)
    request.session.pop(CART_SESSION_KEY, None)


@task_success.connect(dispatch_uid="checkout_outbox_done")
def outbox_message_done(sender=None, **kwargs):
    """A task published by the outbox ran: its message is done (in the worker, or in-process when eager)."""
    request = getattr(sender, "request", None)
    outbox.outbox_mark_done(task_id=getattr(request, "id", None))

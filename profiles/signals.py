"""Receivers of the profiles app: they only call services."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import selectors, services


@receiver(user_logged_in, dispatch_uid="profiles.attach_session_events")
def attach_session_events(sender, request, user, **kwargs):
    """At login Django gives the session a new key, so the anonymous key is
    read from the cookie the browser sent with the login request."""
    customer = selectors.customer_for_user(user)
    if customer is None or request is None:
        return
    old_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    for key in {old_key, getattr(request.session, "session_key", None) or ""} - {""}:
        services.events_attach_session(session_key=key, customer=customer)

"""Receivers of the marketing app (connected in MarketingConfig.ready)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from profiles import selectors as profiles_selectors

from . import services


@receiver(user_logged_in, dispatch_uid="marketing.attach_session_assignments")
def attach_session_assignments(sender, request, user, **kwargs):
    """Django gives the session a new key at login: the anonymous key comes from
    the cookie the login request carried (as profiles does for events)."""
    customer = profiles_selectors.customer_for_user(user)
    if customer is None or request is None:
        return
    old_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    for key in {old_key, getattr(request.session, "session_key", None) or ""} - {""}:
        services.assignments_attach_session(session_key=key, customer=customer)

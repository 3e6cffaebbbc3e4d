"""Receivers of the profiles app: what other apps announce becomes a call to a
profiles service (no logic here). Connected in ProfilesConfig.ready()."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog import signals as catalog_signals

from . import selectors, services
from .models import MutedCategory


@receiver(catalog_signals.product_viewed, dispatch_uid="profiles.record_product_view")
def record_product_view(sender, request, product, **kwargs):
    """A product page was shown: a `view` event for the shopper, stored before the page renders."""
    owner = selectors.shopper_from_request(request).event_owner()
    services.event_record(kind="view", product=product, **owner)


@receiver(catalog_signals.search_made, dispatch_uid="profiles.record_search")
def record_search(sender, request, query, result_count, **kwargs):
    """A search was run: a `search` event with the query and how many products it found."""
    owner = selectors.shopper_from_request(request).event_owner()
    services.event_record(kind="search", query=query, result_count=result_count, **owner)


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


@receiver(post_save, sender=MutedCategory, dispatch_uid="profiles.muted_saved")
@receiver(post_delete, sender=MutedCategory, dispatch_uid="profiles.muted_deleted")
def forget_cached_activity_on_mute(sender, instance, **kwargs):
    """The cached activity (selectors.shopper_activity) carries the muted
    categories: any write of one (the profile page, the admin, a script)
    drops that customer's cache."""
    services.activity_cache_forget(customer_id=instance.customer_id)

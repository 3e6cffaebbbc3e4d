"""The cart a request belongs to: the customer's, or the anonymous cart whose
id the browser session keeps. Shared by the pages, the API, the header's
mini-cart and the login receiver. Parsing only; writes go through services."""

from __future__ import annotations

from profiles import selectors as profiles_selectors

from . import selectors, services
from .models import Cart

CART_SESSION_KEY = "checkout_cart_id"


def request_cart(request, *, create: bool = False) -> Cart | None:
    """The request's cart: the customer's, or the anonymous one whose id the
    session keeps (the id survives the session key change at login)."""
    customer = profiles_selectors.customer_for_user(getattr(request, "user", None))
    session = getattr(request, "session", None)
    cart_id = session.get(CART_SESSION_KEY) if session is not None else None
    if not create:
        return selectors.cart_find(customer=customer, cart_id=cart_id)
    session_key = ""
    if session is not None:
        if not session.session_key:
            session.save()
        session_key = session.session_key or ""
    cart = services.cart_get_or_create(customer=customer, cart_id=cart_id, session_key=session_key)
    if customer is None and session is not None:
        session[CART_SESSION_KEY] = cart.pk
    return cart

from . import selectors
from .cart_session import request_cart


def cart_summary(request):
    """The mini-cart in the header: how many units are in this shopper's cart."""
    try:
        cart = request_cart(request)
    except Exception:  # noqa: BLE001 - the header must never break a page (e.g. the 500 page)
        return {"cart_count": 0}
    return {"cart_count": selectors.cart_item_count(cart=cart)}

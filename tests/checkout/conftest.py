import pytest

from checkout import services
from checkout.parsing import address_parse
from checkout.payment import CARD_SUCCEEDS

from .factories import CustomerFactory, ProductFactory

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Mill Lane",
    "line2": "",
    "city": "Leeds",
    "postcode": "LS1 4AB",
    "country": "United Kingdom",
    "email": "",
}


@pytest.fixture
def customer(db):
    return CustomerFactory()


@pytest.fixture
def product(db):
    return ProductFactory(price="2.55", stock=10)


@pytest.fixture
def cart(customer):
    return services.cart_get_or_create(customer=customer)


@pytest.fixture
def place(cart):
    """Place an order from `cart` with good defaults; keyword arguments override."""
    counter = {"n": 0}

    def go(**overrides):
        counter["n"] += 1
        kwargs = {
            "cart": cart,
            "address": dict(ADDRESS),
            "shipping_method": "standard",
            "payment_token": CARD_SUCCEEDS,
            "coupon_code": "",
            "idempotency_key": f"key-{counter['n']:08d}",
        }
        kwargs.update(overrides)
        if isinstance(kwargs["address"], dict):  # parsed as the page and the API parse it
            kwargs["address"] = address_parse(data=kwargs["address"])
        return services.order_place(**kwargs)

    return go

"""The real path: the order commits, then a real Celery worker (Redis broker)
sends the confirmation and records the purchase events."""

import pytest

from checkout import services
from checkout.models import Order
from checkout.parsing import address_parse
from checkout.payment import CARD_SUCCEEDS
from profiles.models import Event
from tests.conftest import wait_for

from .conftest import ADDRESS
from .factories import CustomerFactory, ProductFactory


@pytest.mark.worker
@pytest.mark.slow
def test_worker_sends_the_confirmation_after_commit(celery_worker_proc):
    product = ProductFactory(stock=5)
    cart = services.cart_get_or_create(customer=CustomerFactory())
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    order = services.order_place(
        cart=cart,
        address=address_parse(data=ADDRESS),
        shipping_method="standard",
        payment_token=CARD_SUCCEEDS,
        coupon_code="",
        idempotency_key="worker-test-1",
    )
    wait_for(lambda: Order.objects.get(pk=order.pk).confirmation_sent_at, timeout=60)
    wait_for(lambda: Event.objects.filter(kind="purchase", order_number=order.number).exists(), timeout=60)
    assert "order_confirmation_send" in celery_worker_proc.log_path.read_text()

"""Operators act on orders from the admin."""

import pytest

from catalog.models import Product
from checkout import services
from checkout.models import Order

pytestmark = pytest.mark.django_db


def test_admin_actions_ship_refund_and_cancel(admin_client, customer, product, place):
    cart = services.cart_get_or_create(customer=customer)
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    shipped = place()
    services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    cancelled = place()
    assert admin_client.get("/admin/checkout/order/").status_code == 200
    assert admin_client.get(f"/admin/checkout/order/{shipped.pk}/change/").status_code == 200
    assert admin_client.get("/admin/checkout/coupon/").status_code == 200

    def act(action, *orders):
        return admin_client.post(
            "/admin/checkout/order/", {"action": action, "_selected_action": [o.pk for o in orders]}, follow=True
        )

    act("mark_shipped", shipped)
    act("cancel", cancelled)
    response = act("cancel", shipped)
    assert "can no longer be cancelled" in response.content.decode()
    act("refund", shipped)
    assert Order.objects.get(pk=shipped.pk).status == Order.Status.REFUNDED
    assert Order.objects.get(pk=cancelled.pk).status == Order.Status.CANCELLED
    assert Product.objects.get(pk=product.pk).stock == 8  # the cancelled 3 came back, the shipped 2 did not

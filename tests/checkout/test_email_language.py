"""The confirmation e-mail is written in the language the order was placed in
(Order.language, issue 17), whatever language is active when the task runs."""

from django.core import mail
from django.utils import translation

from checkout import services
from checkout.models import Order

from .conftest import ADDRESS
from .factories import ProductFactory


def test_an_order_placed_in_chinese_gets_its_confirmation_in_chinese(cart, place, django_capture_on_commit_callbacks):
    product = ProductFactory(name="RED RETROSPOT MUG", price="2.50", stock=5)
    services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = place(address={**ADDRESS, "email": "ada@example.com"})
    assert Order.objects.get(pk=order.pk).language == "zh-hans"
    with translation.override("en"):  # the worker's language is not the order's
        for callback in callbacks:
            callback()
    message = mail.outbox[-1]
    assert message.subject == f"您的礼品店订单 {order.number}"
    assert f"感谢您的订购，订单号 {order.number}。" in message.body
    assert "实付金额：" in message.body and "小计：" in message.body and "Red Retrospot Mug" in message.body
    assert "Thank you" not in message.body and "Total paid" not in message.body
    html = message.alternatives[0][0]
    assert "实付金额" in html and "收货信息" in html


def test_an_order_placed_in_english_gets_its_confirmation_in_english(cart, place, django_capture_on_commit_callbacks):
    product = ProductFactory(price="2.50", stock=5)
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(address={**ADDRESS, "email": "ada@example.com"})
    assert order.language == "en"
    message = mail.outbox[-1]
    assert message.subject == f"Your Gift Shop order {order.number}"
    assert f"Thank you for your order {order.number}." in message.body and "Total paid: £" in message.body

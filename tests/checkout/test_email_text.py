"""Defect 9 of issue 13: the plain-text confirmation e-mail was HTML-escaped
(O&#x27;Brien, &amp;)."""

from django.core import mail

from checkout import services

from .conftest import ADDRESS
from .factories import ProductFactory


def test_plain_text_confirmation_is_not_html_escaped(cart, place, django_capture_on_commit_callbacks):
    product = ProductFactory(name='O\'BRIEN & SONS "BEST" <MUG>', price="3.00", stock=5)
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        place(address={**ADDRESS, "name": "Ada O'Brien", "email": "ada@example.com"})
    message = mail.outbox[-1]
    assert 'O\'Brien & Sons "Best" <Mug>' in message.body and "Ada O'Brien" in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body
    html = message.alternatives[0][0]
    assert "O&#x27;Brien &amp; Sons" in html  # the HTML part stays escaped

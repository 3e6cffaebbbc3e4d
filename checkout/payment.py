"""The payment gateway: a test gateway with documented test cards.

The shop charges through `get_gateway()`. Only the test gateway exists; a real
one would implement the same two methods (`charge`, `refund`).

Test cards (spaces and dashes are ignored):

| card number           | result                                               |
|-----------------------|------------------------------------------------------|
| 4242 4242 4242 4242   | succeeds                                             |
| 4000 0000 0000 0002   | declined (`PaymentDeclined`: "Your card was declined.") |
| 4000 0000 0000 0119   | the gateway errors (`PaymentGatewayError` is raised) |

Any other number is declined as an unknown card.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_ERRORS = "4000000000000119"

TEST_CARDS = [
    (CARD_SUCCEEDS, "4242 4242 4242 4242", gettext_lazy("succeeds")),
    (CARD_DECLINED, "4000 0000 0000 0002", gettext_lazy("is declined")),
    (CARD_ERRORS, "4000 0000 0000 0119", gettext_lazy("makes the gateway fail")),
]


def test_cards_help():
    """ "Test cards: 4242 … succeeds; …", in the language of the page that shows it."""
    return format_lazy(
        "{}{}",
        gettext_lazy("Test cards: "),
        lazy(lambda: "; ".join(f"{shown} {what}" for _n, shown, what in TEST_CARDS), str)(),
    )


class PaymentDeclined(Exception):
    """The card was refused: a normal answer, shown to the shopper."""


class PaymentGatewayError(Exception):
    """The gateway failed (timeout, outage): nobody knows whether it would have paid."""


@dataclass(frozen=True)
class Charge:
    reference: str
    amount: Decimal


def normalise_token(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "")


class TestGateway:
    """Deterministic gateway for development and tests. No network."""

    __test__ = False  # not a pytest test class

    def charge(self, *, amount: Decimal, token: str, reference: str, idempotency_key: str) -> Charge:
        card = normalise_token(token)
        if card == CARD_ERRORS:
            raise PaymentGatewayError(_("The payment service did not answer."))
        if card == CARD_DECLINED:
            raise PaymentDeclined(_("Your card was declined."))
        if card != CARD_SUCCEEDS:
            raise PaymentDeclined(_("Unknown card: use one of the test cards."))
        return Charge(reference=f"ch_test_{secrets.token_hex(8)}", amount=amount)

    def refund(self, *, reference: str, amount: Decimal) -> str:
        if not reference:
            raise PaymentGatewayError(_("Nothing to refund: no payment reference."))
        return f"re_test_{secrets.token_hex(8)}"


def get_gateway() -> TestGateway:
    return TestGateway()

"""Errors of the checkout services. Each carries the input field it is about
and a machine-readable code, so pages show the message next to the field and
the API answers a 4xx with `{field: [{"code": ..., "message": ...}]}`."""

from __future__ import annotations


class CheckoutError(Exception):
    field = "non_field_errors"
    code = "invalid"
    status = 400

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, errors: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.message = message
        if field:
            self.field = field
        if code:
            self.code = code
        # several field errors at once (an address form)
        self.errors = errors or {self.field: message}

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        return {f: [{"code": self.code, "message": m}] for f, m in self.errors.items()}


class InvalidQuantity(CheckoutError):
    field = "quantity"
    code = "invalid_quantity"


class UnknownProduct(CheckoutError):
    field = "product"
    code = "unknown_product"


class OutOfStock(CheckoutError):
    field = "quantity"
    code = "out_of_stock"
    status = 409


class CouponInvalid(CheckoutError):
    field = "coupon"
    code = "coupon_invalid"


class EmptyCart(CheckoutError):
    code = "empty_cart"


class InvalidAddress(CheckoutError):
    code = "invalid_address"


class PaymentFailed(CheckoutError):
    field = "payment_token"
    code = "payment_declined"
    status = 402


class IdempotencyConflict(CheckoutError):
    """An idempotency key sent again with another customer's or another cart's checkout."""

    field = "idempotency_key"
    code = "idempotency_conflict"
    status = 409


class OrderStateError(CheckoutError):
    code = "invalid_state"
    status = 409

"""Writes of the checkout app: carts, orders, payments, returns."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Product
from profiles.models import Customer
from profiles.services import event_record, purchase_events_cancel

from . import selectors
from .errors import (
    CheckoutError,
    CouponInvalid,
    EmptyCart,
    InvalidAddress,
    InvalidQuantity,
    OrderStateError,
    OutOfStock,
    PaymentFailed,
    UnknownProduct,
)
from .models import Cart, CartLine, Coupon, CouponRedemption, Order, OrderLine, PaymentStatus
from .payment import PaymentDeclined, PaymentGatewayError, get_gateway, normalise_token
from .pricing import price_lines
from .shipping import SHIPPING_METHODS

# =============================================================================
# Carts, orders, payments
# =============================================================================
# --- cart, checkout, orders ---------------------------------------------------------
# Everything below is the cart/checkout/order work. Writes only; reads live in
# selectors.py. Every service is keyword-only; errors are CheckoutError
# subclasses (checkout/errors.py) carrying a field and a machine-readable code.

logger = logging.getLogger(__name__)

MAX_LINE_QUANTITY = 10_000  # wholesalers buy in the hundreds; anything above is a typo or an attack
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
POSTCODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")


def _after_commit(func, *args, **kwargs) -> None:
    """Run func after the surrounding transaction commits; a failure there is logged,
    never turned into a failed cart or order that already committed."""
    transaction.on_commit(lambda: func(*args, **kwargs), robust=True)


def quantity_parse(value, *, allow_zero: bool = False) -> int:
    """A quantity from user input: a whole number between 1 (or 0) and MAX_LINE_QUANTITY."""
    if isinstance(value, bool):
        raise InvalidQuantity("Quantity must be a whole number.")
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not re.fullmatch(r"[+-]?\d{1,12}", text):
            raise InvalidQuantity("Quantity must be a whole number.")
        number = int(text)
    low = 0 if allow_zero else 1
    if number < low:
        raise InvalidQuantity(f"Quantity must be at least {low}.")
    if number > MAX_LINE_QUANTITY:
        raise InvalidQuantity(f"Quantity must be at most {MAX_LINE_QUANTITY:,}.")
    return number


def _product_for_cart(product_id) -> Product:
    try:
        pk = int(str(product_id).strip())
    except (TypeError, ValueError):
        raise UnknownProduct("There is no such product.") from None
    product = Product.objects.filter(pk=pk, is_active=True).first()
    if product is None:
        raise UnknownProduct("There is no such product.")
    return product


def _stock_check(product: Product, quantity: int) -> None:
    if not product.is_active:
        raise UnknownProduct(f"{product.display_name} is no longer sold.")
    if product.stock < quantity:
        raise OutOfStock(f"Only {product.stock} left of {product.display_name}.")


def _cart_event(cart: Cart, kind: str, product: Product, quantity: int) -> None:
    if cart.customer_id is None and not cart.session_key:
        return
    _after_commit(event_record, kind=kind, customer=cart.customer, session_key=cart.session_key,
                  product=product, quantity=quantity, price=product.price)


# --- carts -----------------------------------------------------------------------------


def cart_get_or_create(*, customer: Customer | None, cart_id: int | None = None, session_key: str = "") -> Cart:
    """The customer's cart, or the anonymous cart the session points at (created when missing)."""
    cart = selectors.cart_find(customer=customer, cart_id=cart_id)
    if cart is not None:
        if customer is None and session_key and cart.session_key != session_key:
            cart.session_key = session_key
            cart.save(update_fields=["session_key", "updated_at"])
        return cart
    if customer is not None:
        cart, _ = Cart.objects.get_or_create(customer=customer)
        return cart
    return Cart.objects.create(session_key=session_key)


@transaction.atomic
def cart_add(*, cart: Cart, product_id, quantity) -> CartLine:
    """Add units of a product; the line's new quantity must be in stock."""
    quantity = quantity_parse(quantity)
    product = _product_for_cart(product_id)
    Cart.objects.select_for_update().filter(pk=cart.pk).first()  # one writer per cart
    line = CartLine.objects.filter(cart=cart, product=product).first()
    new_quantity = quantity + (line.quantity if line else 0)
    if new_quantity > MAX_LINE_QUANTITY:
        raise InvalidQuantity(f"Quantity must be at most {MAX_LINE_QUANTITY:,}.")
    _stock_check(product, new_quantity)
    if line is None:
        line = CartLine.objects.create(cart=cart, product=product, quantity=new_quantity)
    else:
        line.quantity = new_quantity
        line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    _cart_event(cart, "add_to_cart", product, quantity)
    return line


def _cart_line(cart: Cart, line_id) -> CartLine:
    try:
        pk = int(str(line_id))
    except (TypeError, ValueError):
        raise CheckoutError("There is no such line in your cart.", field="line", code="unknown_line") from None
    line = CartLine.objects.select_related("product").filter(cart=cart, pk=pk).first()
    if line is None:
        raise CheckoutError("There is no such line in your cart.", field="line", code="unknown_line")
    return line


@transaction.atomic
def cart_update_line(*, cart: Cart, line_id, quantity) -> CartLine | None:
    """Set a line's quantity; 0 removes the line (returns None)."""
    quantity = quantity_parse(quantity, allow_zero=True)
    line = _cart_line(cart, line_id)
    if quantity == 0:
        cart_remove_line(cart=cart, line_id=line.pk)
        return None
    _stock_check(line.product, quantity)
    delta = quantity - line.quantity
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    if delta:
        _cart_event(cart, "add_to_cart" if delta > 0 else "remove_from_cart", line.product, abs(delta))
    return line


@transaction.atomic
def cart_remove_line(*, cart: Cart, line_id) -> None:
    line = _cart_line(cart, line_id)
    line.delete()
    cart.save(update_fields=["updated_at"])
    _cart_event(cart, "remove_from_cart", line.product, line.quantity)


@transaction.atomic
def cart_apply_coupon(*, cart: Cart, code: str) -> Coupon:
    code = (code or "").strip()
    if not code:
        raise CouponInvalid("Enter a coupon code.", code="coupon_blank")
    if len(code) > 40:
        raise CouponInvalid("There is no such coupon.", code="coupon_unknown")
    totals = selectors.cart_totals(cart=cart)
    coupon = selectors.coupon_check(coupon=selectors.coupon_find(code=code), customer=cart.customer,
                                    subtotal=totals.subtotal, code=code)
    cart.coupon = coupon
    cart.save(update_fields=["coupon", "updated_at"])
    return coupon


def cart_remove_coupon(*, cart: Cart) -> None:
    cart.coupon = None
    cart.save(update_fields=["coupon", "updated_at"])


@transaction.atomic
def cart_merge(*, session_cart: Cart | None, customer: Customer) -> Cart:
    """At login, move the anonymous cart's lines into the customer's cart.
    A product in both keeps the larger quantity (never the sum: adding the same
    thing on two devices must not double it), capped at the stock. The session
    cart is deleted, so merging twice changes nothing."""
    cart = cart_get_or_create(customer=customer)
    if session_cart is None or session_cart.pk == cart.pk or session_cart.customer_id is not None:
        return cart
    Cart.objects.select_for_update().filter(pk__in=sorted([cart.pk, session_cart.pk])).order_by("pk").count()
    existing = {line.product_id: line for line in cart.lines.all()}
    for line in session_cart.lines.select_related("product"):
        if not line.product.is_active:
            continue
        mine = existing.get(line.product_id)
        if mine is None:
            CartLine.objects.create(cart=cart, product=line.product, quantity=line.quantity)
        elif line.quantity > mine.quantity:
            mine.quantity = line.quantity
            mine.save(update_fields=["quantity"])
    if session_cart.coupon_id and not cart.coupon_id:
        cart.coupon_id = session_cart.coupon_id
    cart.save()
    session_cart.delete()
    return cart


# --- addresses and coupons ---------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postcode: str
    country: str
    line2: str = ""
    email: str = ""


def address_validate(*, data: dict) -> Address:
    """Clean and check a shipping address; InvalidAddress lists every bad field."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    clean = {k: str(data.get(k) or "").strip() for k in ("name", "line1", "line2", "city", "postcode", "country",
                                                          "email")}
    errors: dict[str, str] = {}
    limits = {"name": 120, "line1": 200, "line2": 200, "city": 100}
    for key, label in (("name", "Name"), ("line1", "Address"), ("city", "Town or city")):
        if len(clean[key]) < 2:
            errors[key] = f"{label} is required."
    for key, limit in limits.items():
        if len(clean[key]) > limit:
            errors[key] = f"At most {limit} characters."
    if not POSTCODE_RE.fullmatch(clean["postcode"]):
        errors["postcode"] = "Enter a valid postcode (letters, digits, spaces, dashes)."
    if clean["country"] not in selectors.country_choices():
        errors["country"] = "Choose a country from the list."
    if clean["email"]:
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors["email"] = "Enter a valid e-mail address."
    if errors:
        raise InvalidAddress("Please correct the address.", errors=errors)
    return Address(**clean)


def coupon_validate(*, code: str, customer: Customer | None, subtotal: Decimal) -> Coupon:
    """The coupon for a code if this customer may use it on this subtotal; CouponInvalid otherwise."""
    return selectors.coupon_check(coupon=selectors.coupon_find(code=code), customer=customer,
                                  subtotal=subtotal, code=code)


# --- placing an order ----------------------------------------------------------------------


def _order_number() -> str:
    # Historical invoices are six digits (C-prefixed for cancellations): web orders start with W.
    return f"W{timezone.now():%y%m%d}-{secrets.token_hex(3).upper()}"


def order_place(
    *,
    cart: Cart,
    address: Address | dict,
    shipping_method: str,
    payment_token: str,
    coupon_code: str = "",
    idempotency_key: str,
) -> Order:
    """Turn the cart into a paid order, or change nothing.

    One transaction: lock the cart, lock the products (sorted by id, so two
    checkouts never deadlock), check and decrement stock, record the coupon use,
    charge the card, empty the cart. The charge happens inside the transaction,
    after the stock is held: a declined or failing payment raises and rolls
    everything back. Only after commit are the e-mail and events queued.
    The same idempotency key again returns the order it created."""
    key = (idempotency_key or "").strip()
    if not IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise CheckoutError("A checkout key of 8–64 letters, digits, - or _ is required.",
                            field="idempotency_key", code="invalid_idempotency_key")
    existing = _order_for_key(key, cart)
    if existing is not None:
        return existing
    if cart.customer_id is None:
        raise CheckoutError("Log in to check out.", code="login_required")
    if not isinstance(address, Address):
        address = address_validate(data=address)
    else:
        address = address_validate(data=asdict(address))
    if shipping_method not in SHIPPING_METHODS:
        raise CheckoutError("Choose a shipping method.", field="shipping_method", code="invalid_shipping_method")
    if not normalise_token(payment_token).isdigit():
        raise PaymentFailed("Enter a card number (digits only).", code="invalid_payment_token")
    try:
        with transaction.atomic():
            order = _order_place_locked(cart=cart, address=address, shipping_method=shipping_method,
                                        payment_token=payment_token, coupon_code=coupon_code, key=key)
    except IntegrityError:
        # a concurrent request with the same key committed first: that is the order
        existing = _order_for_key(key, cart)
        if existing is None:
            raise
        return existing
    return order


def _order_for_key(key: str, cart: Cart) -> Order | None:
    existing = Order.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.customer_id != cart.customer_id:
        raise CheckoutError("This checkout key was used for another order.", field="idempotency_key",
                            code="idempotency_conflict")
    return existing


def _order_place_locked(*, cart: Cart, address: Address, shipping_method: str, payment_token: str,
                        coupon_code: str, key: str) -> Order:
    cart = Cart.objects.select_for_update(of=("self",)).select_related("customer__user").get(pk=cart.pk)
    # A double submit waits here for the first one; once it has committed, its order is the answer.
    existing = _order_for_key(key, cart)
    if existing is not None:
        return existing
    lines = list(cart.lines.order_by("product_id"))
    if not lines:
        raise EmptyCart("Your cart is empty.")
    products = {p.pk: p for p in Product.objects.select_for_update().filter(
        pk__in=[line.product_id for line in lines]).order_by("pk")}
    for line in lines:
        _stock_check(products[line.product_id], line.quantity)
    customer = cart.customer
    subtotal = price_lines(lines=[(products[line.product_id], line.quantity) for line in lines]).subtotal
    coupon = None
    code = (coupon_code or "").strip() or (cart.coupon.code if cart.coupon_id else "")
    if code:
        coupon = Coupon.objects.select_for_update().filter(code=code.upper()).first()
        selectors.coupon_check(coupon=coupon, customer=customer, subtotal=subtotal, code=code)
    totals = price_lines(lines=[(products[line.product_id], line.quantity) for line in lines],
                         coupon=coupon, shipping_method=shipping_method)
    email = address.email or customer.user.email
    if not email:
        raise InvalidAddress("An e-mail address is needed for the confirmation.", field="email")
    now = timezone.now()
    order = Order.objects.create(
        number=_order_number(), idempotency_key=key, customer=customer, status=Order.Status.PLACED,
        country=address.country, subtotal=totals.subtotal, discount=totals.discount, shipping=totals.shipping,
        total=totals.total, placed_at=now, email=email, shipping_method=shipping_method,
        ship_name=address.name, ship_line1=address.line1, ship_line2=address.line2, ship_city=address.city,
        ship_postcode=address.postcode, coupon_code=coupon.code if coupon else "",
    )
    OrderLine.objects.bulk_create([
        OrderLine(order=order, product=pl.product, product_name=pl.product.display_name, quantity=pl.quantity,
                  unit_price=pl.unit_price, line_total=pl.line_total)
        for pl in totals.lines
    ])
    for line in lines:
        product = products[line.product_id]
        product.stock -= line.quantity
        product.units_sold += line.quantity
        product.save(update_fields=["stock", "units_sold", "updated_at"])
    if coupon is not None:
        CouponRedemption.objects.create(coupon=coupon, order=order, customer=customer, amount=totals.discount)
    gateway = get_gateway()
    try:
        charge = gateway.charge(amount=totals.total, token=payment_token, reference=order.number,
                                idempotency_key=key)
    except PaymentDeclined as exc:
        raise PaymentFailed(str(exc), code="payment_declined") from exc
    except PaymentGatewayError as exc:
        raise PaymentFailed("The payment service failed; you have not been charged. Please try again.",
                            code="payment_error") from exc
    try:
        order.status = Order.Status.PAID
        order.payment_status = PaymentStatus.CAPTURED
        order.payment_reference = charge.reference
        order.save(update_fields=["status", "payment_status", "payment_reference"])
        cart.lines.all().delete()
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])
    except Exception:
        gateway.refund(reference=charge.reference, amount=charge.amount)
        raise
    from . import tasks

    _after_commit(tasks.order_send_confirmation.delay, order.pk)
    _after_commit(tasks.order_record_events.delay, order.pk)
    return order


# --- after the order ------------------------------------------------------------------------


def order_confirmation_send(*, order_id: int) -> bool:
    """Send the confirmation e-mail once; True when sent by this call."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.confirmation_sent_at or not order.email:
            return False
        context = {"order": order, "lines": list(order.lines.all()),
                   "shipping": SHIPPING_METHODS.get(order.shipping_method)}
        send_mail(
            subject=f"Your Gift Shop order {order.number}",
            message=render_to_string("emails/order_confirmation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.email],
            html_message=render_to_string("emails/order_confirmation.html", context),
        )
        order.confirmation_sent_at = timezone.now()
        order.save(update_fields=["confirmation_sent_at"])
    return True


def order_events_record(*, order_id: int) -> bool:
    """Purchase events (one per line) and a coupon_used event, once per order."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("customer").filter(pk=order_id).first()
        if order is None or order.events_recorded_at or order.customer_id is None:
            return False
        if order.status == Order.Status.CANCELLED:  # cancelled before the job ran: never a purchase
            return False
        for line in order.lines.select_related("product"):
            event_record(kind="purchase", customer=order.customer, product=line.product, quantity=line.quantity,
                         price=line.unit_price, order_number=order.number, created_at=order.placed_at)
        if order.coupon_code:
            event_record(kind="coupon_used", customer=order.customer, order_number=order.number,
                         price=order.discount, data={"coupon": order.coupon_code}, created_at=order.placed_at)
        order.events_recorded_at = timezone.now()
        order.save(update_fields=["events_recorded_at"])
    return True


def _restock(order: Order) -> None:
    lines = list(order.lines.all())
    products = {p.pk: p for p in Product.objects.select_for_update().filter(
        pk__in=[line.product_id for line in lines]).order_by("pk")}
    for line in lines:
        product = products[line.product_id]
        product.stock += line.quantity
        product.units_sold = max(0, product.units_sold - line.quantity)
        product.save(update_fields=["stock", "units_sold", "updated_at"])


def _refund_payment(order: Order) -> None:
    if order.payment_status == PaymentStatus.CAPTURED:
        try:
            get_gateway().refund(reference=order.payment_reference, amount=order.total)
        except PaymentGatewayError as exc:
            raise OrderStateError("The refund failed at the payment service; nothing was changed.",
                                  code="refund_failed") from exc
        order.payment_status = PaymentStatus.REFUNDED
        order.refunded_at = timezone.now()


@transaction.atomic
def order_cancel(*, order: Order, customer: Customer | None = None) -> Order:
    """Cancel an order that has not shipped: stock returns, the coupon use is
    released, the payment is refunded. `customer`, when given, must own it."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if customer is not None and order.customer_id != customer.pk:
        raise Order.DoesNotExist
    if not order.can_cancel:
        raise OrderStateError(f"Order {order.number} can no longer be cancelled ({order.get_status_display()}).")
    _restock(order)
    purchase_events_cancel(order_number=order.number)  # sold counts, portraits and training stay net
    CouponRedemption.objects.filter(order=order).delete()
    _refund_payment(order)
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "payment_status", "refunded_at"])
    return order


@transaction.atomic
def order_mark_shipped(*, order: Order) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.is_historical or order.status not in (Order.Status.PLACED, Order.Status.PAID):
        raise OrderStateError(f"Order {order.number} cannot be shipped ({order.get_status_display()}).")
    order.status = Order.Status.SHIPPED
    order.shipped_at = timezone.now()
    order.save(update_fields=["status", "shipped_at"])
    return order


@transaction.atomic
def order_refund(*, order: Order) -> Order:
    """Refund a paid order (shipped or not). Stock does not return: the goods
    may be with the customer; returns are booked separately."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.payment_status != PaymentStatus.CAPTURED or order.status not in (
        Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED
    ):
        raise OrderStateError(f"Order {order.number} has no payment to refund.")
    _refund_payment(order)
    order.status = Order.Status.REFUNDED
    order.save(update_fields=["status", "payment_status", "refunded_at"])
    return order

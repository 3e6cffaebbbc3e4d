"""Writes of the checkout app: carts, orders, payments, returns."""

from __future__ import annotations

import logging
import re
import secrets
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog import errors as catalog_errors
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from core.languages import language_of
from profiles.services import event_record, purchase_events_cancel

from . import selectors
from .errors import (
    CheckoutError,
    CouponInvalid,
    EmptyCart,
    IdempotencyConflict,
    InvalidAddress,
    InvalidQuantity,
    OrderStateError,
    OutOfStock,
    PaymentFailed,
    UnknownProduct,
)
from .models import Cart, CartLine, Coupon, CouponRedemption, Order, OrderLine, PaymentStatus
from .outbox import outbox_enqueue
from .parsing import Address
from .payment import PaymentDeclined, PaymentGatewayError, get_gateway, normalise_token
from .pricing import price_lines
from .shipping import SHIPPING_METHODS

if TYPE_CHECKING:
    from catalog.models import Product
    from profiles.models import Customer

# =============================================================================
# Carts, orders, payments
# =============================================================================
# Writes only; reads live in selectors.py. Every service is keyword-only;
# errors are CheckoutError subclasses (checkout/errors.py) carrying a field and
# a machine-readable code.

logger = logging.getLogger(__name__)

MAX_LINE_QUANTITY = 10_000  # wholesalers buy in the hundreds; anything above is a typo or an attack
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# PostgreSQL advisory lock keys of carts being checked out: CHECKOUT_LOCK_BASE + cart id (a bigint)
CHECKOUT_LOCK_BASE = 7_301 << 40
# Queued through the outbox in the transaction that marks an order paid: (task in checkout.tasks, dedupe prefix)
AFTER_PAYMENT_TASKS = (("order_confirmation_send", "order-confirmation"), ("order_events_record", "order-events"))


def _after_commit(func, *args, **kwargs) -> None:
    """Run func after the surrounding transaction commits; a failure there is logged,
    never turned into a failed cart or order that already committed."""
    transaction.on_commit(lambda: func(*args, **kwargs), robust=True)


def _quantity_check(quantity: int, *, allow_zero: bool = False) -> int:
    """A line quantity must be from 1 (or 0, which removes a line) to MAX_LINE_QUANTITY."""
    low = 0 if allow_zero else 1
    if quantity < low:
        raise InvalidQuantity(_("Quantity must be at least %(low)s.") % {"low": low})
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidQuantity(_("Quantity must be at most %(max)s.") % {"max": f"{MAX_LINE_QUANTITY:,}"})
    return quantity


def _product_for_cart(product_id: int) -> Product:
    product = catalog_selectors.product_find(product_id=product_id)
    if product is None:
        raise UnknownProduct(_("There is no such product."))
    return product


def _stock_check(product: Product, quantity: int) -> None:
    if not product.is_active:
        raise UnknownProduct(_("%(display_name)s is no longer sold.") % {"display_name": product.display_name})
    if product.stock < quantity:
        raise OutOfStock(
            _("Only %(stock)s left of %(display_name)s.")
            % {"stock": product.stock, "display_name": product.display_name}
        )


def _cart_event(cart: Cart, kind: str, product: Product, quantity: int) -> None:
    if cart.customer_id is None and not cart.session_key:
        return
    _after_commit(
        event_record,
        kind=kind,
        customer=cart.customer,
        session_key=cart.session_key,
        product=product,
        quantity=quantity,
        price=product.price,
    )


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


def checkout_start(*, cart: Cart, customer: Customer) -> bool:
    """Record that this customer opened checkout with this cart (a
    `checkout_started` event, the funnel's fourth step), with the cart's line
    and unit counts. False, recording nothing, for an empty cart or a cart
    that is not the customer's."""
    lines = list(cart.lines.all())
    if not lines or (cart.customer_id is not None and cart.customer_id != customer.pk):
        return False
    _after_commit(
        event_record,
        kind="checkout_started",
        customer=customer,
        session_key=cart.session_key,
        data={"cart": cart.pk, "lines": len(lines), "units": sum(line.quantity for line in lines)},
    )
    return True


@transaction.atomic
def cart_add(*, cart: Cart, product_id: int, quantity: int) -> CartLine:
    """Add units of a product; the line's new quantity must be in stock."""
    _quantity_check(quantity)
    product = _product_for_cart(product_id)
    Cart.objects.select_for_update().filter(pk=cart.pk).first()  # one writer per cart
    line = CartLine.objects.filter(cart=cart, product=product).first()
    new_quantity = quantity + (line.quantity if line else 0)
    if new_quantity > MAX_LINE_QUANTITY:
        raise InvalidQuantity(_("Quantity must be at most %(max)s.") % {"max": f"{MAX_LINE_QUANTITY:,}"})
    _stock_check(product, new_quantity)
    if line is None:
        line = CartLine.objects.create(cart=cart, product=product, quantity=new_quantity)
    else:
        line.quantity = new_quantity
        line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    _cart_event(cart, "add_to_cart", product, quantity)
    return line


def _cart_line(cart: Cart, line_id: int) -> CartLine:
    line = CartLine.objects.select_related("product").filter(cart=cart, pk=line_id).first()
    if line is None:
        raise CheckoutError(_("There is no such line in your cart."), field="line", code="unknown_line")
    return line


@transaction.atomic
def cart_update_line(*, cart: Cart, line_id: int, quantity: int) -> CartLine | None:
    """Set a line's quantity; 0 removes the line (returns None)."""
    _quantity_check(quantity, allow_zero=True)
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
def cart_remove_line(*, cart: Cart, line_id: int) -> None:
    line = _cart_line(cart, line_id)
    line.delete()
    cart.save(update_fields=["updated_at"])
    _cart_event(cart, "remove_from_cart", line.product, line.quantity)


@transaction.atomic
def cart_apply_coupon(*, cart: Cart, code: str) -> Coupon:
    code = (code or "").strip()
    if not code:
        raise CouponInvalid(_("Enter a coupon code."), code="coupon_blank")
    if len(code) > 40:
        raise CouponInvalid(_("There is no such coupon."), code="coupon_unknown")
    totals = selectors.cart_totals(cart=cart)
    coupon = selectors.coupon_check(
        coupon=selectors.coupon_find(code=code), customer=cart.customer, subtotal=totals.subtotal, code=code
    )
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


# --- placing an order ----------------------------------------------------------------------


def _order_number() -> str:
    # Historical invoices are six digits (C-prefixed for cancellations): web orders start with W.
    return f"W{timezone.now():%y%m%d}-{secrets.token_hex(3).upper()}"


def order_place(
    *,
    cart: Cart,
    address: Address,
    shipping_method: str,
    payment_token: str,
    coupon_code: str = "",
    idempotency_key: str,
) -> Order:
    """Turn the cart into a paid order, or change nothing.

    Reserve, pay, then confirm or release (as django-oscar does), so no stock
    row is locked while the payment gateway answers:

    1. reserve, one transaction: lock the cart, take the stock through
       `catalog.services.stock_reserve` (product rows locked in id order, so
       two checkouts never deadlock), check the coupon (row locked), write the
       order (placed, not paid), its lines and the coupon use; commit.
    2. pay, outside any transaction, with the idempotency key.
    3. confirm (order paid, cart emptied; the e-mail and the purchase events
       queued after commit), or, on a decline or gateway error, release: the
       stock goes back and the order and coupon use are deleted, so the cart,
       stock and coupon are as they were and the same key can be tried again.
       A failure after a successful charge refunds the charge, then releases.

    One checkout per cart runs at a time (`_cart_checkout_lock`): a double
    submit waits for the first and gets its order; the same idempotency key
    again returns the order it made. Call it outside a transaction (views do:
    ATOMIC_REQUESTS is off); inside one, step 1 cannot commit and the product
    locks last until the caller's commit."""
    key = (idempotency_key or "").strip()
    if not IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise CheckoutError(
            _("A checkout key of 8–64 letters, digits, - or _ is required."),
            field="idempotency_key",
            code="invalid_idempotency_key",
        )
    existing = _order_for_key(key, cart, shipping_method=shipping_method, coupon_code=coupon_code)
    if existing is not None and not _awaiting_payment(existing):
        return existing
    if cart.customer_id is None:
        raise CheckoutError(_("Log in to check out."), code="login_required")
    if shipping_method not in SHIPPING_METHODS:
        raise CheckoutError(_("Choose a shipping method."), field="shipping_method", code="invalid_shipping_method")
    if not normalise_token(payment_token).isdigit():
        raise PaymentFailed(_("Enter a card number (digits only)."), code="invalid_payment_token")
    with _cart_checkout_lock(cart.pk):
        try:
            with transaction.atomic():
                order = _order_reserve(
                    cart=cart, address=address, shipping_method=shipping_method, coupon_code=coupon_code, key=key
                )
        except IntegrityError:
            # a concurrent request with the same key committed first: that is the order
            existing = _order_for_key(key, cart, shipping_method=shipping_method, coupon_code=coupon_code)
            if existing is None:
                raise
            return existing
        if not _awaiting_payment(order):
            return order  # made by an earlier request with this key
        return _order_pay(order=order, cart=cart, payment_token=payment_token, key=key)


def _order_for_key(key: str, cart: Cart, *, shipping_method: str, coupon_code: str) -> Order | None:
    """The order this key already made, when this checkout is the same one
    again; IdempotencyConflict (409) when the key was used by another
    customer or for another cart. The same cart is: empty (the order's own
    confirmation emptied it: a resubmit after success), or the same products
    and quantities with the same shipping method and coupon as the order (a
    double submit, or a retry of an order still waiting for its payment).
    Anything else would pay for one cart and answer with another's order."""
    existing = Order.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.customer_id != cart.customer_id:
        raise IdempotencyConflict(_("This checkout key was used for another order."))
    quantities: dict[int, int] = {}
    for product_id, quantity in cart.lines.values_list("product_id", "quantity"):
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    if not quantities and not _awaiting_payment(existing):
        return existing
    coupon = ((coupon_code or "").strip() or (cart.coupon.code if cart.coupon_id else "")).upper()
    same = (
        quantities == _order_lines_quantities(existing)
        and shipping_method == existing.shipping_method
        and coupon == (existing.coupon_code or "").upper()
    )
    if not same:
        raise IdempotencyConflict(
            _(
                "This checkout key was already used for order %(number)s, with a different cart "
                "(other products, quantities, shipping or coupon). Start a new checkout for this cart."
            )
            % {"number": existing.number}
        )
    return existing


def _awaiting_payment(order: Order) -> bool:
    """Reserved but not paid yet: step 1 of order_place done, step 3 not."""
    return (
        not order.is_historical and order.status == Order.Status.PLACED and order.payment_status == PaymentStatus.NONE
    )


_local_checkout_lock = threading.Lock()


@contextmanager
def _cart_checkout_lock(cart_id: int):
    """One checkout of this cart at a time, from reservation to confirmation.

    On PostgreSQL a session-level advisory lock on the cart id: it outlives
    the reservation's transaction (unlike a row lock) and locks no stock. Other
    databases (SQLite, the single-process embedded default) use a process lock."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        with _local_checkout_lock:
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s::bigint)", [CHECKOUT_LOCK_BASE + cart_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s::bigint)", [CHECKOUT_LOCK_BASE + cart_id])


def _order_reserve(*, cart: Cart, address: Address, shipping_method: str, coupon_code: str, key: str) -> Order:
    """Step 1 of order_place, inside its transaction: the order, placed and
    unpaid, with the stock taken and the coupon use recorded. An order this
    key already made (paid, or reserved by an attempt that never finished) is
    returned as it is."""
    cart = Cart.objects.select_for_update(of=("self",)).select_related("customer__user").get(pk=cart.pk)
    existing = _order_for_key(key, cart, shipping_method=shipping_method, coupon_code=coupon_code)
    if existing is not None:
        return existing
    lines = list(cart.lines.order_by("product_id"))
    if not lines:
        raise EmptyCart(_("Your cart is empty."))
    try:
        products = catalog_services.stock_reserve(quantities={line.product_id: line.quantity for line in lines})
    except catalog_errors.InsufficientStock as exc:
        raise OutOfStock(str(exc)) from exc
    except catalog_errors.ProductUnavailable as exc:
        raise UnknownProduct(str(exc)) from exc
    customer = cart.customer
    priced = [(products[line.product_id], line.quantity) for line in lines]
    subtotal = price_lines(lines=priced).subtotal
    coupon = None
    code = (coupon_code or "").strip() or (cart.coupon.code if cart.coupon_id else "")
    if code:
        coupon = Coupon.objects.select_for_update().filter(code=code.upper()).first()
        selectors.coupon_check(coupon=coupon, customer=customer, subtotal=subtotal, code=code)
    totals = price_lines(lines=priced, coupon=coupon, shipping_method=shipping_method)
    email = address.email or customer.user.email
    if not email:
        raise InvalidAddress(_("An e-mail address is needed for the confirmation."), field="email")
    order = Order.objects.create(
        number=_order_number(),
        idempotency_key=key,
        customer=customer,
        status=Order.Status.PLACED,
        country=address.country,
        subtotal=totals.subtotal,
        discount=totals.discount,
        shipping=totals.shipping,
        total=totals.total,
        placed_at=timezone.now(),
        email=email,
        shipping_method=shipping_method,
        ship_name=address.name,
        ship_line1=address.line1,
        ship_line2=address.line2,
        ship_city=address.city,
        ship_postcode=address.postcode,
        coupon_code=coupon.code if coupon else "",
        language=language_of(translation.get_language()),
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=pl.product,
                product_name=pl.product.display_name,
                quantity=pl.quantity,
                unit_price=pl.unit_price,
                line_total=pl.line_total,
            )
            for pl in totals.lines
        ]
    )
    if coupon is not None:
        CouponRedemption.objects.create(coupon=coupon, order=order, customer=customer, amount=totals.discount)
    return order


def _order_pay(*, order: Order, cart: Cart, payment_token: str, key: str) -> Order:
    """Steps 2 and 3 of order_place: charge, then confirm or release."""
    gateway = get_gateway()
    try:
        charge = gateway.charge(amount=order.total, token=payment_token, reference=order.number, idempotency_key=key)
    except (PaymentDeclined, PaymentGatewayError) as exc:
        _order_release(order=order)
        if isinstance(exc, PaymentDeclined):
            raise PaymentFailed(str(exc), code="payment_declined") from exc
        raise PaymentFailed(
            _("The payment service failed; you have not been charged. Please try again."), code="payment_error"
        ) from exc
    try:
        with transaction.atomic():
            Order.objects.filter(pk=order.pk).update(
                status=Order.Status.PAID, payment_status=PaymentStatus.CAPTURED, payment_reference=charge.reference
            )
            cart.lines.all().delete()
            Cart.objects.filter(pk=cart.pk).update(coupon=None, updated_at=timezone.now())
            # in this transaction, so a broker outage cannot lose them (checkout/outbox.py)
            for task, dedupe in AFTER_PAYMENT_TASKS:
                outbox_enqueue(task=f"checkout.tasks.{task}", args=[order.pk], dedupe_key=f"{dedupe}:{order.pk}")
    except Exception:
        gateway.refund(reference=charge.reference, amount=charge.amount)
        _order_release(order=order)
        raise
    order.refresh_from_db()
    return order


def _order_lines_quantities(order: Order) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for product_id, quantity in order.lines.values_list("product_id", "quantity"):
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    return quantities


def _order_release(*, order: Order) -> None:
    """Undo a reservation whose payment failed: the stock goes back, and the
    order, its lines and its coupon use are deleted (it was never paid)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        quantities = _order_lines_quantities(order)
        if quantities:
            catalog_services.stock_release(quantities=quantities)
        CouponRedemption.objects.filter(order=order).delete()
        order.delete()


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
        context = {
            "order": order,
            "lines": list(order.lines.all()),
            "shipping": SHIPPING_METHODS.get(order.shipping_method),
        }
        with translation.override(language_of(order.language)):  # the language it was placed in
            send_mail(
                subject=_("Your Gift Shop order %(number)s") % {"number": order.number},
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
            event_record(
                kind="purchase",
                customer=order.customer,
                product=line.product,
                quantity=line.quantity,
                price=line.unit_price,
                order_number=order.number,
                created_at=order.placed_at,
            )
        if order.coupon_code:
            event_record(
                kind="coupon_used",
                customer=order.customer,
                order_number=order.number,
                price=order.discount,
                data={"coupon": order.coupon_code},
                created_at=order.placed_at,
            )
        order.events_recorded_at = timezone.now()
        order.save(update_fields=["events_recorded_at"])
    return True


def _refund_payment(order: Order) -> None:
    if order.payment_status == PaymentStatus.CAPTURED:
        try:
            get_gateway().refund(reference=order.payment_reference, amount=order.total)
        except PaymentGatewayError as exc:
            raise OrderStateError(
                _("The refund failed at the payment service; nothing was changed."), code="refund_failed"
            ) from exc
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
        raise OrderStateError(
            _("Order %(number)s can no longer be cancelled (%(status)s).")
            % {"number": order.number, "status": order.get_status_display()}
        )
    quantities = _order_lines_quantities(order)
    if quantities:
        catalog_services.stock_release(quantities=quantities)
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
        raise OrderStateError(
            _("Order %(number)s cannot be shipped (%(status)s).")
            % {"number": order.number, "status": order.get_status_display()}
        )
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
        Order.Status.PAID,
        Order.Status.SHIPPED,
        Order.Status.COMPLETED,
    ):
        raise OrderStateError(_("Order %(number)s has no payment to refund.") % {"number": order.number})
    _refund_payment(order)
    order.status = Order.Status.REFUNDED
    order.save(update_fields=["status", "payment_status", "refunded_at"])
    return order


def cart_for_request(*, request, create: bool = True) -> Cart | None:
    """The request's own cart (the customer's, or the anonymous one the session keeps),
    created when missing with `create`: for apps above checkout that act on it (the assistant)."""
    from .cart_session import request_cart

    return request_cart(request, create=create)

"""Reads of the checkout app: carts, totals, orders, countries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles import selectors as profiles_selectors

from .errors import CouponInvalid
from .models import Cart, CartLine, Coupon, CouponRedemption, Order, OrderLine
from .pricing import Totals, price_lines

if TYPE_CHECKING:
    from profiles.models import Customer


def cart_find(*, customer: Customer | None, cart_id: int | None) -> Cart | None:
    """A customer's cart, or the anonymous cart whose id the session holds."""
    if customer is not None:
        return Cart.objects.filter(customer=customer).first()
    if cart_id:
        return Cart.objects.filter(pk=cart_id, customer__isnull=True).first()
    return None


def cart_lines(*, cart: Cart | None) -> list[CartLine]:
    if cart is None or cart.pk is None:
        return []
    return list(cart.lines.select_related("product").order_by("added_at", "id"))


def cart_item_count(*, cart: Cart | None) -> int:
    if cart is None:
        return 0
    return cart.lines.aggregate(n=Sum("quantity"))["n"] or 0


def cart_totals(*, cart: Cart | None, shipping_method: str | None = None) -> Totals:
    """Totals from today's database prices. A coupon on the cart that no longer
    applies (expired, below the minimum spend) gives no discount."""
    lines = cart_lines(cart=cart)
    coupon = cart.coupon if cart is not None and cart.coupon_id else None
    totals = price_lines(
        lines=[(line.product, line.quantity, line.pk) for line in lines], shipping_method=shipping_method
    )
    if coupon is not None and lines:
        try:
            coupon_check(coupon=coupon, customer=cart.customer, subtotal=totals.subtotal)
        except CouponInvalid:
            coupon = None
        totals = price_lines(
            lines=[(line.product, line.quantity, line.pk) for line in lines],
            coupon=coupon,
            shipping_method=shipping_method,
        )
    return totals


def country_choices() -> list[str]:
    """Countries of the data set: distinct countries of customers and orders."""
    countries = set(Order.objects.exclude(country="").values_list("country", flat=True).distinct())
    countries |= profiles_selectors.customer_countries()
    if not countries:
        countries = {"United Kingdom"}
    return sorted(countries)


def order_list_for_customer(*, customer: Customer) -> QuerySet[Order]:
    return Order.objects.filter(customer=customer).order_by("-placed_at", "-id")


def order_get_for_customer(*, customer: Customer | None, number: str | None = None, pk: int | None = None) -> Order:
    """One of the customer's own orders with its lines; Order.DoesNotExist otherwise
    (another customer's order does not exist for this one)."""
    if customer is None:
        raise Order.DoesNotExist
    qs = Order.objects.filter(customer=customer).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    )
    if number is not None:
        return qs.get(number=number)
    return qs.get(pk=pk)


def coupon_check(
    *, coupon: Coupon | None, customer: Customer | None, subtotal: Decimal, now: datetime | None = None, code: str = ""
) -> Coupon:
    """Raise CouponInvalid with the reason a shopper would need, or return the coupon."""
    now = now or timezone.now()
    if coupon is None or not coupon.is_active:
        shown = code.strip().upper()
        raise CouponInvalid(
            _("There is no coupon %(shown)s.") % {"shown": shown} if shown else _("There is no such coupon."),
            code="coupon_unknown",
        )
    if coupon.valid_from and now < coupon.valid_from:
        raise CouponInvalid(_("Coupon %(code)s is not valid yet.") % {"code": coupon.code}, code="coupon_not_started")
    if coupon.valid_until and now > coupon.valid_until:
        raise CouponInvalid(_("Coupon %(code)s has expired.") % {"code": coupon.code}, code="coupon_expired")
    if coupon.usage_limit is not None and coupon.redemptions.count() >= coupon.usage_limit:
        raise CouponInvalid(_("Coupon %(code)s has been used up.") % {"code": coupon.code}, code="coupon_used_up")
    customer_id = customer.pk if customer is not None else None
    if coupon.segment_id and not profiles_selectors.customer_in_segment(
        customer_id=customer_id, segment_id=coupon.segment_id
    ):
        raise CouponInvalid(
            _("Coupon %(code)s is not available for your account.") % {"code": coupon.code}, code="coupon_wrong_segment"
        )
    if (
        coupon.once_per_customer
        and customer is not None
        and CouponRedemption.objects.filter(coupon=coupon, customer=customer).exists()
    ):
        raise CouponInvalid(
            _("You have already used coupon %(code)s.") % {"code": coupon.code}, code="coupon_already_used"
        )
    if subtotal < coupon.min_spend:
        raise CouponInvalid(
            _("Coupon %(code)s needs a minimum spend of £%(min_spend)s.")
            % {"code": coupon.code, "min_spend": coupon.min_spend},
            code="coupon_min_spend",
        )
    return coupon


def coupon_find(*, code: str) -> Coupon | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return Coupon.objects.filter(code=code).first()


def cart_products_for(*, customer: Customer | None, session) -> list:
    """The products in the shopper's cart (the customer's, or the anonymous cart
    whose id `session` keeps), in the order they were added."""
    from .cart_session import CART_SESSION_KEY

    cart_id = session.get(CART_SESSION_KEY) if session is not None else None
    return [line.product for line in cart_lines(cart=cart_find(customer=customer, cart_id=cart_id))]


def order_products(*, order: Order) -> list:
    """The products of an order's lines."""
    return [line.product for line in order.lines.select_related("product__category")]


def coupon_redeemers(*, coupon_id: int, since: datetime | None = None) -> set[int]:
    """Ids of the customers who used this coupon on an order (since `since`)."""
    qs = CouponRedemption.objects.filter(coupon_id=coupon_id, customer__isnull=False)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return set(qs.values_list("customer_id", flat=True))


def carts_idle(*, changed_before: datetime, changed_after: datetime) -> QuerySet[Cart]:
    """Customers' carts with at least one line whose last change (`updated_at`:
    every add, quantity change, removal, coupon and merge moves it) lies in
    [changed_after, changed_before]: the candidates for a cart reminder."""
    return (
        Cart.objects.filter(
            customer__isnull=False, updated_at__lte=changed_before, updated_at__gte=changed_after, lines__isnull=False
        )
        .distinct()
        .select_related("customer__user")
        .order_by("updated_at", "id")
    )


def cart_of_customer(*, customer_id: int) -> Cart | None:
    """The customer's cart (None when they have none)."""
    return Cart.objects.filter(customer_id=customer_id).select_related("customer__user").first()


# orders that count as bought: paid and not taken back (a cancelled or refunded order is not revenue)
ORDER_KEPT_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED)


def orders_placed_by(
    *, customer_ids: list[int], since: datetime, until: datetime | None = None, kept_only: bool = True
) -> list[dict]:
    """The shop's (not imported) orders of these customers placed in [since,
    until): customer_id, number, status, placed_at, total; oldest first.
    `kept_only`: paid, shipped or completed only (not cancelled, refunded or
    still awaiting payment)."""
    qs = Order.objects.filter(customer_id__in=customer_ids, is_historical=False, placed_at__gte=since)
    if until is not None:
        qs = qs.filter(placed_at__lt=until)
    if kept_only:
        qs = qs.filter(status__in=ORDER_KEPT_STATUSES)
    return list(qs.order_by("placed_at", "id").values("customer_id", "number", "status", "placed_at", "total"))

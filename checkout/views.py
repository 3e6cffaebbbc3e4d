"""checkout views: parse the request, call a service or selector, render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from profiles.selectors import customer_for_user

from . import parsing, selectors, services
from .cart_session import request_cart
from .errors import CheckoutError
from .forms import CheckoutForm
from .models import Order
from .payment import TEST_CARDS
from .shipping import SHIPPING_METHODS


def _back(request, default: str = "/cart/"):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or default
    # a path or an address of this site; anything else (another host, "0", which redirect() would
    # try to reverse as a view name: a 500 found by tests/shop/test_properties_forms.py) goes to the default
    if not (target.startswith("/") or "://" in target) or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return HttpResponseRedirect(target)


@require_POST
def cart_add(request):
    """POST product=<id>, quantity=<n> (default 1), next=<url> (optional)."""
    try:
        product_id = parsing.product_id_parse(request.POST.get("product"))
        quantity = parsing.quantity_parse(request.POST.get("quantity", "1"))
        cart = request_cart(request, create=True)
        line = services.cart_add(cart=cart, product_id=product_id, quantity=quantity)
    except CheckoutError as exc:
        messages.error(request, exc.message)
        return _back(request)
    messages.success(
        request,
        _("Added to your cart: %(display_name)s (now %(quantity)s).")
        % {"display_name": line.product.display_name, "quantity": line.quantity},
    )
    return _back(request)


@ensure_csrf_cookie  # scripts and minimal pages can post to /cart/add/ from here
def cart_detail(request):
    cart = request_cart(request)
    totals = selectors.cart_totals(cart=cart)
    coupon_dropped = bool(cart and cart.coupon_id and totals.coupon is None and totals.lines)
    return render(
        request,
        "checkout/cart.html",
        {
            "cart": cart,
            "totals": totals,
            "coupon_dropped": coupon_dropped,
            "max_quantity": services.MAX_LINE_QUANTITY,
        },
    )


@require_POST
def cart_line_update(request, line_id: int):
    cart = request_cart(request)
    if cart is None:
        raise Http404
    try:
        quantity = parsing.quantity_parse(request.POST.get("quantity"))
        services.cart_update_line(cart=cart, line_id=line_id, quantity=quantity)
    except CheckoutError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Cart updated."))
    return redirect("checkout:cart")


@require_POST
def cart_line_remove(request, line_id: int):
    cart = request_cart(request)
    if cart is None:
        raise Http404
    try:
        services.cart_remove_line(cart=cart, line_id=line_id)
    except CheckoutError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from your cart."))
    return redirect("checkout:cart")


@require_POST
def cart_coupon(request):
    cart = request_cart(request, create=True)
    if request.POST.get("remove"):
        services.cart_remove_coupon(cart=cart)
        messages.success(request, _("Coupon removed."))
        return redirect("checkout:cart")
    try:
        coupon = services.cart_apply_coupon(cart=cart, code=request.POST.get("code", ""))
    except CheckoutError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Coupon %(code)s applied: %(label)s.") % {"code": coupon.code, "label": coupon.label}
        )
    return redirect("checkout:cart")


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request):
    """Step 1: address, shipping and card (POST step=review shows the review);
    step 2: POST step=place places the order."""
    customer = customer_for_user(request.user)
    if customer is None:
        messages.error(request, _("This account has no customer profile, so it cannot place orders."))
        return redirect("checkout:cart")
    cart = request_cart(request)
    if request.method == "GET":
        if not selectors.cart_lines(cart=cart):
            messages.error(request, _("Your cart is empty."))
            return redirect("checkout:cart")
        services.checkout_start(cart=cart, customer=customer)
        form = CheckoutForm(
            initial={
                "email": request.user.email,
                "country": customer.country or "United Kingdom",
                "name": request.user.get_full_name(),
            }
        )
        return _checkout_page(request, form, cart)
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        return _checkout_page(request, form, cart, status=400)
    address = form.address
    data = form.cleaned_data
    if request.POST.get("step") == "edit":
        return _checkout_page(request, form, cart)
    if request.POST.get("step") != "place":
        if not selectors.cart_lines(cart=cart):
            form.add_error(None, _("Your cart is empty."))
            return _checkout_page(request, form, cart, status=400)
        return render(
            request,
            "checkout/review.html",
            {
                "form": form,
                "address": address,
                "cart": cart,
                "totals": selectors.cart_totals(cart=cart, shipping_method=data["shipping_method"]),
                "shipping": SHIPPING_METHODS[data["shipping_method"]],
                "card_last4": data["payment_token"].replace(" ", "")[-4:],
            },
        )
    if cart is None:
        cart = request_cart(request, create=True)
    try:
        order = services.order_place(
            cart=cart,
            address=address,
            shipping_method=data["shipping_method"],
            payment_token=data["payment_token"],
            coupon_code="",
            idempotency_key=data["idempotency_key"],
        )
    except CheckoutError as exc:
        if exc.code == "idempotency_conflict":
            # the key belongs to another checkout: say so above the form, which carries a fresh key
            form = CheckoutForm({**request.POST.dict(), "idempotency_key": uuid.uuid4().hex})
            form.is_valid()
            form.add_error(None, exc.message)
            return _checkout_page(request, form, cart, status=exc.status)
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields and field != "idempotency_key" else None, message)
        return _checkout_page(request, form, cart, status=exc.status if exc.status < 500 else 400)
    return redirect("checkout:confirmation", number=order.number)


def _checkout_page(request, form, cart, status: int = 200) -> HttpResponse:
    # shipping is added on the review step, once the method is chosen
    return render(
        request,
        "checkout/checkout.html",
        {
            "form": form,
            "cart": cart,
            "test_cards": TEST_CARDS,
            "totals": selectors.cart_totals(cart=cart),
        },
        status=status,
    )


@login_required
def confirmation(request, number: str):
    try:
        order = selectors.order_get_for_customer(customer=customer_for_user(request.user), number=number)
    except Order.DoesNotExist:
        raise Http404 from None
    return render(
        request, "checkout/confirmation.html", {"order": order, "shipping": SHIPPING_METHODS.get(order.shipping_method)}
    )


@login_required
def order_list(request):
    customer = customer_for_user(request.user)
    orders = selectors.order_list_for_customer(customer=customer) if customer else Order.objects.none()
    from django.core.paginator import Paginator

    page = Paginator(orders, 20).get_page(request.GET.get("page"))
    return render(request, "checkout/order_list.html", {"page": page, "orders": page.object_list})


@login_required
def order_detail(request, number: str):
    try:
        order = selectors.order_get_for_customer(customer=customer_for_user(request.user), number=number)
    except Order.DoesNotExist:
        raise Http404 from None
    return render(
        request, "checkout/order_detail.html", {"order": order, "shipping": SHIPPING_METHODS.get(order.shipping_method)}
    )


@login_required
@require_POST
def order_cancel(request, number: str):
    customer = customer_for_user(request.user)
    try:
        order = selectors.order_get_for_customer(customer=customer, number=number)
        services.order_cancel(order=order, customer=customer)
    except Order.DoesNotExist:
        raise Http404 from None
    except CheckoutError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Order %(number)s is cancelled; the payment has been refunded.") % {"number": number}
        )
    return redirect("checkout:order_detail", number=number)

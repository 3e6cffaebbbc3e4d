"""REST API of the cart, checkout and orders. Serializers parse and render;
the services do the work. Errors: 4xx with `{field: [{"code", "message"}]}`."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.selectors import customer_for_user

from . import parsing, selectors, services
from .cart_session import request_cart
from .errors import CheckoutError
from .models import Order, OrderLine
from .payment import test_cards_help
from .shipping import SHIPPING_METHODS

ERROR_SCHEMA = inline_serializer(
    "CheckoutErrorResponse",
    fields={
        "field_name": serializers.ListField(
            child=inline_serializer(
                "CheckoutErrorItem", fields={"code": serializers.CharField(), "message": serializers.CharField()}
            )
        )
    },
)


def _error(exc: CheckoutError) -> Response:
    return Response(exc.as_dict(), status=exc.status if 400 <= exc.status < 500 else 400)


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="line_id")
    product = serializers.IntegerField(source="product.pk")
    product_name = serializers.CharField(source="product.display_name")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)


class CartSerializer(serializers.Serializer):
    lines = CartLineSerializer(many=True)
    item_count = serializers.IntegerField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    coupon = serializers.SerializerMethodField()
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=gettext_lazy("Before shipping, which is chosen at checkout")
    )

    def get_coupon(self, totals) -> str | None:
        return totals.coupon.code if totals.coupon else None


def _parsed(parse, value):
    """Run a checkout parser inside a serializer: its coded error becomes a field error with that code."""
    try:
        return parse(value)
    except CheckoutError as exc:
        raise serializers.ValidationError(exc.message, code=exc.code) from exc


def _error_response(ser: serializers.Serializer) -> Response:
    """A serializer's errors in the checkout API's shape, `{field: [{"code", "message"}]}`."""
    return Response(
        {
            f: [{"code": getattr(e, "code", "invalid"), "message": str(e)} for e in errs]
            for f, errs in ser.errors.items()
        },
        status=400,
    )


@extend_schema_field(OpenApiTypes.INT)
class _RawValueField(serializers.Field):
    """A value as the client sent it (JSON or form), parsed by checkout.parsing
    in the serializer's validate_<field>, so a page and the API give the same coded errors."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class CartItemInSerializer(serializers.Serializer):
    product = _RawValueField(help_text=gettext_lazy("Product id"), required=False, allow_null=True, default=None)
    quantity = _RawValueField(
        help_text=gettext_lazy("Whole number, 1–10,000"), required=False, allow_null=True, default=1
    )

    def validate_product(self, value) -> int:
        return _parsed(parsing.product_id_parse, value)

    def validate_quantity(self, value) -> int:
        return _parsed(parsing.quantity_parse, value)


class CartItemPatchSerializer(serializers.Serializer):
    quantity = _RawValueField(
        help_text=gettext_lazy("Whole number, 0 (removes the line) to 10,000"),
        required=False,
        allow_null=True,
        default=None,
    )

    def validate_quantity(self, value) -> int:
        return _parsed(parsing.quantity_parse, value)


def _cart_response(request, code=status.HTTP_200_OK) -> Response:
    totals = selectors.cart_totals(cart=request_cart(request))
    return Response(CartSerializer(totals).data, status=code)


class CartView(APIView):
    @extend_schema(responses=CartSerializer, summary="The shopper's cart with server-computed totals")
    def get(self, request):
        return _cart_response(request)


class CartItemsView(APIView):
    @extend_schema(
        request=CartItemInSerializer,
        responses={201: CartSerializer, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA},
        summary="Add units of a product to the cart (prices sent by the client are ignored)",
    )
    def post(self, request):
        ser = CartItemInSerializer(data=request.data if hasattr(request.data, "get") else {})
        if not ser.is_valid():
            return _error_response(ser)
        try:
            cart = request_cart(request, create=True)
            services.cart_add(
                cart=cart, product_id=ser.validated_data["product"], quantity=ser.validated_data["quantity"]
            )
        except CheckoutError as exc:
            return _error(exc)
        return _cart_response(request, status.HTTP_201_CREATED)


class CartItemView(APIView):
    def _cart(self, request):
        cart = request_cart(request)
        if cart is None:
            raise Http404
        return cart

    @extend_schema(
        request=CartItemPatchSerializer,
        responses={200: CartSerializer, 400: ERROR_SCHEMA, 404: OpenApiResponse(description="No such line")},
        summary="Change a line's quantity (0 removes it)",
    )
    def patch(self, request, pk: int):
        cart = self._cart(request)
        ser = CartItemPatchSerializer(data=request.data if hasattr(request.data, "get") else {})
        if not ser.is_valid():
            return _error_response(ser)
        try:
            services.cart_update_line(cart=cart, line_id=pk, quantity=ser.validated_data["quantity"])
        except CheckoutError as exc:
            if exc.code == "unknown_line":
                raise Http404 from None
            return _error(exc)
        return _cart_response(request)

    @extend_schema(
        responses={200: CartSerializer, 404: OpenApiResponse(description="No such line")}, summary="Remove a line"
    )
    def delete(self, request, pk: int):
        try:
            services.cart_remove_line(cart=self._cart(request), line_id=pk)
        except CheckoutError:
            raise Http404 from None
        return _cart_response(request)


class CheckoutInSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    line1 = serializers.CharField(required=False, allow_blank=True, default="")
    line2 = serializers.CharField(required=False, allow_blank=True, default="")
    city = serializers.CharField(required=False, allow_blank=True, default="")
    postcode = serializers.CharField(required=False, allow_blank=True, default="")
    country = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("One of the data set's countries")
    )
    email = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("Defaults to the account's e-mail")
    )
    shipping_method = serializers.ChoiceField(choices=list(SHIPPING_METHODS))
    payment_token = serializers.CharField(help_text=test_cards_help())
    coupon = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("Overrides the coupon applied to the cart")
    )
    idempotency_key = serializers.CharField(
        help_text=gettext_lazy(
            "One per checkout attempt (8–64 of A-Z a-z 0-9 - _): sending it again returns the same order"
        )
    )

    def validate(self, data):
        """The address, parsed once into `data["address"]` (an Address)."""
        try:
            data["address"] = parsing.address_parse(data={k: data.get(k, "") for k in parsing.ADDRESS_FIELDS})
        except CheckoutError as exc:
            raise serializers.ValidationError(
                {f: [serializers.ErrorDetail(m, code=exc.code)] for f, m in exc.errors.items()}
            ) from exc
        return data


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["product", "product_name", "quantity", "unit_price", "line_total"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "placed_at",
            "is_historical",
            "country",
            "currency",
            "subtotal",
            "discount",
            "shipping",
            "total",
            "coupon_code",
            "shipping_method",
            "payment_status",
            "ship_name",
            "ship_line1",
            "ship_line2",
            "ship_city",
            "ship_postcode",
            "email",
            "lines",
        ]


class OrderSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "number", "status", "placed_at", "is_historical", "total", "currency"]


class CheckoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CheckoutInSerializer,
        responses={201: OrderSerializer, 400: ERROR_SCHEMA, 402: ERROR_SCHEMA, 409: ERROR_SCHEMA},
        summary="Place an order from the cart; the same idempotency_key returns the same order",
    )
    def post(self, request):
        ser = CheckoutInSerializer(data=request.data)
        if not ser.is_valid():
            return _error_response(ser)
        data = ser.validated_data
        customer = customer_for_user(request.user)
        if customer is None:
            return _error(CheckoutError(_("This account has no customer profile."), code="no_customer"))
        cart = request_cart(request, create=True)
        try:
            order = services.order_place(
                cart=cart,
                address=data["address"],
                shipping_method=data["shipping_method"],
                payment_token=data["payment_token"],
                coupon_code=data["coupon"],
                idempotency_key=data["idempotency_key"],
            )
        except CheckoutError as exc:
            return _error(exc)
        order = selectors.order_get_for_customer(customer=customer, pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderListView(generics.ListAPIView):
    """A ListAPIView so the schema shows the page it answers ({count, next,
    previous, results}), not a bare list (issue 13, defect 8)."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSummarySerializer
    pagination_class = PageNumberPagination
    filter_backends: list = []

    def get_queryset(self):
        customer = customer_for_user(self.request.user)
        return selectors.order_list_for_customer(customer=customer) if customer else Order.objects.none()

    @extend_schema(summary="The customer's own orders, newest first, a page at a time")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: OrderSerializer, 404: OpenApiResponse(description="Not one of your orders")},
        summary="One of the customer's own orders (another customer's is a 404)",
    )
    def get(self, request, pk: int):
        try:
            order = selectors.order_get_for_customer(customer=customer_for_user(request.user), pk=pk)
        except Order.DoesNotExist:
            raise Http404 from None
        return Response(OrderSerializer(order).data)

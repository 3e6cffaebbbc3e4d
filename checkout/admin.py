"""checkout admin: orders (mark shipped, refund, cancel), coupons, carts.
Actions call the services; stock changes happen there, never here."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from . import outbox, services
from .errors import CheckoutError
from .models import Cart, CartLine, Coupon, CouponRedemption, Order, OrderLine, OutboxMessage


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["product", "product_name", "quantity", "unit_price", "line_total"]
    readonly_fields = fields
    raw_id_fields = ["product"]

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, service, done: str):
    ok = 0
    for order in queryset:
        try:
            service(order=order)
            ok += 1
        except CheckoutError as exc:
            modeladmin.message_user(
                request,
                _("%(number)s: %(message)s") % {"number": order.number, "message": exc.message},
                level=messages.WARNING,
            )
    if ok:
        modeladmin.message_user(
            request, _("%(ok)s order(s) %(done)s.") % {"ok": ok, "done": done}, level=messages.SUCCESS
        )


@admin.action(description=_("Mark selected orders as shipped"))
def mark_shipped(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.order_mark_shipped, _("marked shipped"))


@admin.action(description=_("Refund selected orders (payment back; stock stays)"))
def refund(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.order_refund, _("refunded"))


@admin.action(description=_("Cancel selected orders (not shipped; stock returns)"))
def cancel(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.order_cancel, _("cancelled"))


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "placed_at", "customer", "status", "payment_status", "total", "country", "is_historical"]
    list_filter = ["status", "payment_status", "is_historical", "shipping_method"]
    search_fields = ["number", "email", "customer__external_id", "customer__user__username", "idempotency_key"]
    date_hierarchy = "placed_at"
    raw_id_fields = ["customer"]
    inlines = [OrderLineInline]
    actions = [mark_shipped, refund, cancel]
    readonly_fields = [
        "number",
        "customer",
        "status",
        "subtotal",
        "discount",
        "shipping",
        "total",
        "currency",
        "placed_at",
        "idempotency_key",
        "payment_status",
        "payment_reference",
        "coupon_code",
        "confirmation_sent_at",
        "events_recorded_at",
        "shipped_at",
        "cancelled_at",
        "refunded_at",
        "is_historical",
    ]

    def has_add_permission(self, request):
        return False  # orders come from checkout or the import


class RedemptionInline(admin.TabularInline):
    model = CouponRedemption
    extra = 0
    can_delete = False
    readonly_fields = ["order", "customer", "amount", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "kind",
        "value",
        "min_spend",
        "valid_from",
        "valid_until",
        "usage_limit",
        "used",
        "once_per_customer",
        "segment",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "segment"]
    search_fields = ["code"]
    inlines = [RedemptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_used=Count("redemptions"))

    @admin.display(ordering="n_used", description=_("used"))
    def used(self, obj):
        return obj.n_used


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "session_key", "coupon", "updated_at"]
    raw_id_fields = ["customer", "coupon"]
    inlines = [CartLineInline]


@admin.action(description="Publish again now")
def outbox_publish_again(modeladmin, request, queryset):
    published = failed = 0
    for message in queryset.filter(done_at__isnull=True):
        OutboxMessage.objects.filter(pk=message.pk).update(attempts=0)  # an operator's retry starts a fresh count
        if outbox.outbox_publish(message_id=message.pk):
            published += 1
        else:
            failed += 1
    if published:
        modeladmin.message_user(request, f"{published} message(s) published.", level=messages.SUCCESS)
    if failed:
        modeladmin.message_user(
            request, f"{failed} message(s) not accepted by the broker (see Last error).", level=messages.WARNING
        )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The transactional outbox (checkout/outbox.py): what is pending, sent or done, and why not."""

    list_display = ["dedupe_key", "task", "state", "attempts", "created_at", "sent_at", "done_at", "last_error_short"]
    list_filter = [("done_at", admin.EmptyFieldListFilter), ("sent_at", admin.EmptyFieldListFilter), "task"]
    search_fields = ["dedupe_key", "task", "last_error"]
    readonly_fields = [
        "task",
        "args",
        "dedupe_key",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "done_at",
        "attempts",
        "last_error",
    ]
    actions = [outbox_publish_again]
    date_hierarchy = "created_at"

    @admin.display(description="last error")
    def last_error_short(self, obj):
        return obj.last_error[:80]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

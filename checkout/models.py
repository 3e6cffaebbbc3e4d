from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    NONE = "", _("None (imported)")
    CAPTURED = "captured", _("Captured")
    REFUNDED = "refunded", _("Refunded")


class Order(models.Model):
    """An order: imported from the history or placed in the shop."""

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(
        "profiles.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLACED, db_index=True)
    country = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    is_historical = models.BooleanField(default=False, help_text="Imported from the Online Retail history")
    placed_at = models.DateTimeField(db_index=True)
    # an imported order's time in the 2010-2011 file; placed_at is that time
    # moved onto the shop's timeline (docs/import.md, "One clock")
    original_placed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # --- placed in the shop (empty on imported orders) ---
    # One checkout attempt = one key: a double click or a retry finds the same order.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    email = models.EmailField(blank=True)
    shipping_method = models.CharField(max_length=20, blank=True)
    ship_name = models.CharField(max_length=120, blank=True)
    ship_line1 = models.CharField(max_length=200, blank=True)
    ship_line2 = models.CharField(max_length=200, blank=True)
    ship_city = models.CharField(max_length=100, blank=True)
    ship_postcode = models.CharField(max_length=20, blank=True)
    coupon_code = models.CharField(max_length=40, blank=True)
    # the interface language the order was placed in: its confirmation e-mail is written in it
    language = models.CharField(max_length=16, blank=True, default="")
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.NONE, blank=True
    )
    payment_reference = models.CharField(max_length=64, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    events_recorded_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer", "placed_at"])]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def can_cancel(self) -> bool:
        return not self.is_historical and self.status in (self.Status.PLACED, self.Status.PAID)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_lines")
    product_name = models.CharField(max_length=255)
    quantity = models.IntegerField()
    # units of this line that a cancellation took back (imported history; see
    # docs/returns.md): the line's net purchase is quantity - quantity_returned
    quantity_returned = models.PositiveIntegerField(default=0)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class Return(models.Model):
    """A cancellation line from the history (invoice number starting with C),
    or a return recorded by an operator. Never counted as a purchase."""

    number = models.CharField(max_length=32, db_index=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="returns")
    customer = models.ForeignKey(
        "profiles.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="returns"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="returns")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    is_historical = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Return {self.number}: {self.quantity} × {self.product_id}"


# --- cart, checkout, orders -------------------------------------------------------


class Cart(models.Model):
    """A shopper's cart: a customer's (one per customer) or an anonymous
    session's (found through the id kept in the session, which survives the
    session key change at login)."""

    customer = models.OneToOneField(
        "profiles.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    coupon = models.ForeignKey("Coupon", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Cart {self.pk} ({self.customer or self.session_key or 'anonymous'})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cartline_one_per_product"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class Coupon(models.Model):
    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage off the subtotal"
        FIXED = "fixed", "Fixed amount off the subtotal"

    code = models.CharField(max_length=40, unique=True, help_text="Stored upper-case; matched case-insensitively")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Percent (e.g. 10.00) or an amount in GBP",
    )
    min_spend = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Total uses; empty = unlimited")
    once_per_customer = models.BooleanField(default=True)
    segment = models.ForeignKey(
        "profiles.Segment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupons",
        help_text="Only customers of this segment (a rule over portraits) may use it; empty = everyone",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gt=0), name="coupon_value_positive"),
            models.CheckConstraint(
                condition=~models.Q(kind="percentage") | models.Q(value__lte=100), name="coupon_percent_max_100"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        if self.kind == self.Kind.PERCENTAGE:
            return _("%(percent)s%% off") % {"percent": f"{self.value.normalize():f}"}
        return _("£%(amount)s off") % {"amount": self.value}


class CouponRedemption(models.Model):
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="coupon_redemption")
    customer = models.ForeignKey(
        "profiles.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="coupon_redemptions"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.coupon} on {self.order}"


class OutboxMessage(models.Model):
    """A Celery task to run once, written in the transaction of the change
    that calls for it (the transactional outbox): the order's confirmation
    e-mail and purchase events survive a broker outage. Published after
    commit (the fast path); `outbox_sweep` publishes again what is not done
    by `next_attempt_at`. `done_at` is set when the task has run (the
    tasks are idempotent, so publishing twice is harmless)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)  # the broker last accepted it
    done_at = models.DateTimeField(null=True, blank=True)  # the task ran
    attempts = models.PositiveIntegerField(default=0)  # publishes tried
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_pending", condition=models.Q(done_at__isnull=True))
        ]

    def __str__(self) -> str:
        return self.dedupe_key

    @property
    def state(self) -> str:
        if self.done_at:
            return "done"
        return "sent" if self.sent_at else "pending"

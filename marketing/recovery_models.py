"""The models of abandoned-cart recovery (marketing/recovery.py; imported by
marketing/models.py so Django registers them in this app)."""

from django.db import models


class CartAbandonment(models.Model):
    """One abandonment of a customer's cart: the cart as it stood at its last
    change (`cart_changed_at`), found idle past the schedule's first delay by a
    customer who could be e-mailed. Its group comes from the customer's hash
    (a hold-out customer is never reminded); the treatment's steps are its
    CartReminder rows. A change of the cart ends it (a new one starts from
    that change), an order or an emptied cart ends it for good."""

    class Group(models.TextChoices):
        TREATMENT = "treatment", "Treatment (reminded)"
        HOLDOUT = "holdout", "Hold-out (no reminder)"

    class End(models.TextChoices):
        OPEN = "", "Open"
        ORDERED = "ordered", "Ordered"
        EMPTIED = "emptied", "Cart emptied"
        CHANGED = "changed", "Cart changed (a new abandonment starts from the change)"
        DONE = "done", "Every step done"

    customer = models.ForeignKey("profiles.Customer", on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey("checkout.Cart", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cart_changed_at = models.DateTimeField(help_text="the cart's last change: the schedule counts from here")
    group = models.CharField(max_length=10, choices=Group.choices)
    found_at = models.DateTimeField(db_index=True, help_text="when the scan found it; recovery is counted from here")
    units = models.PositiveIntegerField(default=0)
    value = models.DecimalField(max_digits=12, decimal_places=2, default=0, help_text="the cart's subtotal when found")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=End.choices, default=End.OPEN, blank=True, db_index=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "cart_changed_at"], name="cart_abandonment_once"),
        ]

    def __str__(self) -> str:
        return f"cart of {self.customer_id} left {self.cart_changed_at:%Y-%m-%d %H:%M} ({self.group})"


class CartReminder(models.Model):
    """One step of a treatment abandonment: due `due_at`, sent at most once
    (claimed SENDING, committed, before the mail goes out: marketing/sending.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Claimed (sending)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        UNSUBSCRIBED = "unsubscribed", "Skipped: unsubscribed"
        NO_ADDRESS = "no_address", "Skipped: no e-mail address"
        STOPPED = "stopped", "Stopped: ordered, emptied or changed the cart"
        SKIPPED = "skipped", "Skipped: a later step was already due"

    abandonment = models.ForeignKey(CartAbandonment, on_delete=models.CASCADE, related_name="reminders")
    customer = models.ForeignKey("profiles.Customer", on_delete=models.CASCADE, related_name="+")
    step = models.PositiveSmallIntegerField(help_text="1 = the first delay of the schedule")
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PENDING, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["abandonment", "step"], name="cart_reminder_step_once")]

    def __str__(self) -> str:
        return f"reminder {self.step} of {self.abandonment_id} ({self.status})"

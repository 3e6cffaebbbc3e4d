from django.conf import settings
from django.db import models


class Customer(models.Model):
    """A shopper with an account. Imported customers keep their data-set id."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer")
    external_id = models.PositiveIntegerField(
        null=True, blank=True, unique=True, help_text="CustomerID in the data set"
    )
    country = models.CharField(max_length=64, blank=True)
    is_imported = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        if self.external_id:
            return f"Customer {self.external_id}"
        return self.user.get_username()


class Event(models.Model):
    """One shopper action. Logged-in customers and anonymous sessions alike;
    an anonymous session's events get their customer at login."""

    class Kind(models.TextChoices):
        VIEW = "view", "Product view"
        SEARCH = "search", "Search"
        ADD_TO_CART = "add_to_cart", "Add to cart"
        REMOVE_FROM_CART = "remove_from_cart", "Remove from cart"
        PURCHASE = "purchase", "Purchase"
        REC_IMPRESSION = "rec_impression", "Recommendation shown"
        REC_CLICK = "rec_click", "Recommendation clicked"
        COUPON_USED = "coupon_used", "Coupon used"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    quantity = models.IntegerField(null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    order_number = models.CharField(max_length=32, blank=True)
    query = models.CharField(max_length=255, blank=True)
    result_count = models.PositiveIntegerField(null=True, blank=True)
    slot = models.CharField(max_length=40, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["customer", "kind", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["product", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id or self.query} at {self.created_at:%Y-%m-%d %H:%M}"

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
    # the interface language the shopper chose with the header's switcher ("" = not chosen)
    language = models.CharField(max_length=16, blank=True, default="", choices=settings.LANGUAGES)
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
        EXPOSURE = "exposure", "Experiment exposure"
        CHECKOUT_STARTED = "checkout_started", "Checkout started"

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


class MutedCategory(models.Model):
    """A category the shopper asked us to stop using: the portrait leaves it out
    of affinities, interests and the embedding, and recommenders read the list
    through `profiles.selectors.muted_category_ids`."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="muted_categories")
    category = models.ForeignKey("catalog.Category", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["customer", "category"], name="muted_category_unique")]

    def __str__(self) -> str:
        return f"{self.customer} mutes {self.category_id}"


class Portrait(models.Model):
    """Everything we derive about one customer from their events (see
    docs/portraits.md for each dimension). Rebuilt, never edited by hand."""

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", "Champions"
        LOYAL = "loyal", "Loyal"
        POTENTIAL = "potential", "Potential"
        NEW = "new", "New"
        AT_RISK = "at_risk", "At risk"
        HIBERNATING = "hibernating", "Hibernating"
        LOST = "lost", "Lost"

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="portrait")
    computed_at = models.DateTimeField(auto_now=True)
    reference_time = models.DateTimeField(help_text="'now' for recency: the wall clock when the portrait was computed")
    has_purchases = models.BooleanField(default=False)
    # RFM
    recency_days = models.PositiveIntegerField(null=True, blank=True)
    frequency = models.PositiveIntegerField(default=0, help_text="distinct orders")
    monetary = models.DecimalField(max_digits=12, decimal_places=2, default=0, db_index=True)
    r_score = models.PositiveSmallIntegerField(default=0)
    f_score = models.PositiveSmallIntegerField(default=0)
    m_score = models.PositiveSmallIntegerField(default=0)
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.NEW, db_index=True)
    # value and risk
    clv_12m = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    churn_risk = models.FloatField(default=0, db_index=True)
    # interests
    category_affinities = models.JSONField(default=list, blank=True)
    top_interests = models.JSONField(default=list, blank=True)
    # price
    price_band = models.CharField(max_length=10, blank=True)
    price_position = models.FloatField(null=True, blank=True, help_text="mean price percentile within category")
    price_sensitivity = models.FloatField(default=0, help_text="share of lines bought cheap or under discount")
    is_price_sensitive = models.BooleanField(default=False, db_index=True)
    # baskets
    avg_basket_units = models.FloatField(default=0)
    avg_basket_lines = models.FloatField(default=0)
    avg_basket_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    median_line_units = models.FloatField(default=0)
    is_bulk_buyer = models.BooleanField(default=False, db_index=True)
    # time habits
    month_histogram = models.JSONField(default=list, blank=True)
    weekday_histogram = models.JSONField(default=list, blank=True)
    hour_histogram = models.JSONField(default=list, blank=True)
    preferred_months = models.JSONField(default=list, blank=True)
    preferred_weekdays = models.JSONField(default=list, blank=True)
    preferred_hours = models.JSONField(default=list, blank=True)
    seasonality = models.CharField(max_length=16, blank=True)
    autumn_share = models.FloatField(default=0, help_text="share of spend in September to December")
    christmas_share = models.FloatField(default=0, help_text="share of spend on Christmas products")
    spend_by_month = models.JSONField(default=dict, blank=True)
    # who and when
    country = models.CharField(max_length=64, blank=True, db_index=True)
    tenure_days = models.PositiveIntegerField(default=0)
    first_activity = models.DateTimeField(null=True, blank=True)
    last_activity = models.DateTimeField(null=True, blank=True)
    last_purchase = models.DateTimeField(null=True, blank=True)
    event_counts = models.JSONField(default=dict, blank=True)
    # for models
    embedding = models.BinaryField(null=True, blank=True, help_text="float32 interest embedding")
    cluster = models.SmallIntegerField(null=True, blank=True, db_index=True)
    cluster_name = models.CharField(max_length=80, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["customer_id"]

    def __str__(self) -> str:
        return f"Portrait of {self.customer_id}"

    @property
    def embedding_vector(self):
        import numpy as np

        if not self.embedding:
            return None
        return np.frombuffer(bytes(self.embedding), dtype=np.float32)


class PortraitBaseline(models.Model):
    """What the last batch build learnt over all customers (RFM quintile edges,
    scaler, cluster centroids and names, category price deciles), so that one
    customer's incremental update is scored on the same scale."""

    built_at = models.DateTimeField(auto_now=True)
    customers = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict)

    class Meta:
        get_latest_by = "built_at"

    def __str__(self) -> str:
        return f"Portrait baseline of {self.built_at:%Y-%m-%d %H:%M}"


class Segment(models.Model):
    """A named group of customers: a rule over portrait fields (docs/marketing.md,
    "Segments"), evaluated into an ORM query by `profiles.selectors.segment_members`.
    It lives here, not in `marketing`, because it is a view over portraits and
    checkout's coupons (below marketing) point at it."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=255, blank=True)
    rule = models.JSONField(
        help_text='{"match": "all" | "any", "conditions": [{"field": "churn_risk", "op": "gt", "value": 0.7}, ...]}'
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .segments import SegmentRuleInvalid, rule_parse

        try:
            self.rule = rule_parse(self.rule)
        except SegmentRuleInvalid as exc:
            raise ValidationError({"rule": exc.message}) from None

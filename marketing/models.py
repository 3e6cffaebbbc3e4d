from django.db import models

from .recovery_models import CartAbandonment, CartReminder  # noqa: F401  (abandoned carts: marketing/recovery.py)


class Experiment(models.Model):
    """An A/B test: shoppers are hashed into weighted variants (docs/marketing.md,
    "Experiments"). A slot experiment changes the model or the number of items
    behind one recommendation slot; a page experiment changes how many
    recommendation slots a page shows."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    key = models.SlugField(max_length=60, unique=True, help_text="hashed with the shopper: keep it once running")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    slot = models.CharField(max_length=40, blank=True, help_text="recommendation slot under test, e.g. home_for_you")
    page = models.CharField(
        max_length=20,
        blank=True,
        help_text="page whose number of recommendation slots is under test, e.g. home (instead of a slot)",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    traffic = models.FloatField(default=1.0, help_text="share of shoppers in the experiment, 0 < share ≤ 1")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    planned_units = models.PositiveIntegerField(
        null=True, blank=True, help_text="fixed horizon: shoppers per variant before the result may be read"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    key = models.SlugField(max_length=40)
    weight = models.FloatField(help_text="share of the experiment's shoppers; the variants' weights sum to 1")
    is_control = models.BooleanField(default=False)
    model = models.CharField(max_length=40, blank=True, help_text='model family behind the slot, or "popularity"')
    n = models.PositiveSmallIntegerField(null=True, blank=True, help_text="number of items in the slot")
    slots = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="page experiment: how many recommendation slots the page shows (0 = none)"
    )

    class Meta:
        ordering = ["experiment", "-is_control", "key"]
        constraints = [models.UniqueConstraint(fields=["experiment", "key"], name="variant_key_unique")]

    def __str__(self) -> str:
        return f"{self.experiment.key}/{self.key}"

    @property
    def config(self) -> dict:
        out = {}
        if self.model:
            out["model"] = self.model
        if self.n:
            out["n"] = self.n
        if self.slots is not None:
            out["slots"] = self.slots
        return out


class Assignment(models.Model):
    """A shopper's first exposure to an experiment and the variant they got. The
    variant comes from the hash; the row keeps it sticky when the shopper logs
    in (their session's row moves to the customer) and feeds the statistics."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="assignments")
    customer = models.ForeignKey("profiles.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64, blank=True)
    first_exposed_at = models.DateTimeField()

    class Meta:
        ordering = ["first_exposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "customer"],
                condition=models.Q(customer__isnull=False),
                name="assignment_customer",
            ),
            models.UniqueConstraint(
                fields=["experiment", "session_key"],
                condition=models.Q(customer__isnull=True),
                name="assignment_session",
            ),
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False) | ~models.Q(session_key=""), name="assignment_has_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.experiment.key}: {self.customer_id or self.session_key} → {self.variant.key}"


class Campaign(models.Model):
    """A segment targeted with one or more of: a coupon restricted to the segment,
    a home-page banner, a personalised e-mail. A hold-out share of the members
    gets none of it, so the campaign's effect can be measured against them; with
    `coupon_split`, half of the others get the message without the coupon
    (group NO_COUPON), so the coupon's effect can be measured too."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LAUNCHED = "launched", "Launched"
        ENDED = "ended", "Ended"

    name = models.CharField(max_length=120)
    segment = models.ForeignKey("profiles.Segment", on_delete=models.PROTECT, related_name="campaigns")
    coupon = models.ForeignKey(
        "checkout.Coupon",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="restricted to the same segment",
    )
    banner_text = models.CharField(max_length=200, blank=True, help_text="home banner for members; empty = none")
    email_subject = models.CharField(max_length=150, blank=True)
    email_message = models.TextField(blank=True, help_text="the message of the e-mail; empty = no e-mail")
    holdout_share = models.FloatField(default=0.1, help_text="share of members kept as a control group, 0 to 0.5")
    coupon_split = models.BooleanField(
        default=False,
        help_text="coupon versus none: half of the treated members (by hash) get the same banner and e-mail "
        "without the coupon, so the coupon's own effect can be measured",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_email(self) -> bool:
        return bool(self.email_message.strip())


class CampaignMember(models.Model):
    """One member of a launched campaign: their group and, for the e-mail, the
    send log. A row is claimed (status SENDING, committed) before its mail goes
    out and marked SENT after, so a killed batch never mails anyone twice: a
    restart sends only PENDING rows (docs/marketing.md, "Sending")."""

    class Group(models.TextChoices):
        TREATMENT = "treatment", "Treatment"
        NO_COUPON = "no_coupon", "Treatment without the coupon"
        HOLDOUT = "holdout", "Hold-out"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Claimed (sending)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        UNSUBSCRIBED = "unsubscribed", "Skipped: unsubscribed"
        NO_ADDRESS = "no_address", "Skipped: no e-mail address"
        NO_EMAIL = "no_email", "No e-mail in this campaign / hold-out"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey("profiles.Customer", on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=10, choices=Group.choices)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PENDING, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_member_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.customer_id} ({self.group}, {self.status})"


class Unsubscribe(models.Model):
    """A customer who asked for no more marketing e-mail (one click)."""

    customer = models.OneToOneField("profiles.Customer", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.customer_id} unsubscribed"

"""Conversations with the shopping assistant, and the store's policy pages it answers from."""

from django.db import models
from django.urls import reverse


class Conversation(models.Model):
    """One shopper's chat: a customer's, or an anonymous browser session's."""

    customer = models.ForeignKey(
        "profiles.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="assistant_conversations"
    )
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    language = models.CharField(max_length=8, default="en")
    # what follow-ups refine: the last request's constraints and the products shown
    state = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        who = f"customer {self.customer_id}" if self.customer_id else f"session {self.session_key[:8]}…"
        return f"Conversation {self.pk} ({who})"


class Message(models.Model):
    class Role(models.TextChoices):
        SHOPPER = "shopper", "Shopper"
        ASSISTANT = "assistant", "Assistant"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    kind = models.CharField(max_length=20, blank=True, help_text="What the reply was: products, store, dont_carry, ...")
    product_ids = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)
    backend = models.CharField(max_length=20, blank=True, help_text="embedded, or llm")
    dropped_references = models.PositiveIntegerField(
        default=0, help_text="Products, prices or orders the generator named that did not resolve and were dropped"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"


class PolicyPage(models.Model):
    """A store policy (shipping, returns, payment, wholesale) that operators edit in the admin."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    body = models.TextField()
    body_zh = models.TextField(
        "body in Chinese (zh-Hans)", blank=True, help_text="Shown to shoppers who ask in Chinese"
    )
    is_published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("assistant:policy", args=[self.slug])

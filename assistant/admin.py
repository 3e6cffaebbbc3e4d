from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Conversation, Message, PolicyPage


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "role", "text", "kind", "product_ids", "sources", "backend", "dropped_references")
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "session_key", "language", "message_count", "updated_at")
    list_filter = ("language",)
    search_fields = ("customer__user__username", "session_key", "messages__text")
    raw_id_fields = ("customer",)
    readonly_fields = ("customer", "session_key", "language", "state", "created_at", "updated_at")
    inlines = [MessageInline]

    @admin.display(description=_("messages"))
    def message_count(self, obj):
        return obj.messages.count()


@admin.register(PolicyPage)
class PolicyPageAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_published", "updated_at")
    list_filter = ("is_published",)
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}

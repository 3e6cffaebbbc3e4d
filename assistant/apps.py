from django.apps import AppConfig


class AssistantConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assistant"
    verbose_name = "Shopping assistant"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (the shopper's data export and deletion)

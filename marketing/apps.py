from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Marketing and experiments"

    def ready(self):
        from django.core import checks

        from recommend import services as recommend_services

        from . import receivers  # noqa: F401  (login: a session's assignments follow the customer)
        from .recovery import settings_check
        from .services import slot_variant

        checks.register(settings_check)  # bad CART_REMINDER_* settings refused at start-up

        recommend_services.slot_variant_resolver_set(resolver=slot_variant)

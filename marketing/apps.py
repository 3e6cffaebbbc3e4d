from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Marketing and experiments"

    def ready(self):
        from recommend import services as recommend_services

        from . import receivers  # noqa: F401  (login: a session's assignments follow the customer)
        from .services import slot_variant

        recommend_services.slot_variant_resolver_set(resolver=slot_variant)

from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Customers and portraits"

    def ready(self):
        from . import signals  # noqa: F401  (connects the login receiver)

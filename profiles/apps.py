from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Customers and portraits"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the catalog and login receivers)

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RecommendConfig(AppConfig):
    name = "recommend"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from . import serving
        from .models import ModelVersion

        # an activation, retirement or new version is served at once in this process
        post_save.connect(serving.versions_changed, sender=ModelVersion, dispatch_uid="recommend.versions_saved")
        post_delete.connect(serving.versions_changed, sender=ModelVersion, dispatch_uid="recommend.versions_deleted")

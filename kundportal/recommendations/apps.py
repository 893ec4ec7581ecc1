from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "kundportal.recommendations"
    verbose_name = _("Recommendations")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from kundportal.recommendations import receivers

        post_save.connect(
            receivers.order_saved, sender="commerce.Order", dispatch_uid="recommendations.order_saved"
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kundportal.privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        # Every app's personal_data module registers its exporter and eraser (privacy.registry).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("personal_data")

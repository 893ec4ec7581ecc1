from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kundportal.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Security events raised inside Django and allauth are recorded in the audit trail.
        from kundportal.accounts import receivers  # noqa: F401

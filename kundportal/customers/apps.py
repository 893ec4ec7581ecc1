from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kundportal.customers"
    verbose_name = _("Customer data")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from kundportal.customers import receivers

        post_save.connect(
            receivers.order_saved, sender="commerce.Order", dispatch_uid="customers.order_saved"
        )

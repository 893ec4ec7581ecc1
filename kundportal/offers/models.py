"""Offers the provider makes to its customers: content the customer is glad to see, targeted only on a lawful
basis, always explained, dismissible, and never shown again once dismissed."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundportal.commerce.models import CURRENCIES, Product, ProductCategory
from kundportal.core.models import UUIDModel
from kundportal.organisations.models import Organisation


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ENDED = "ended", _("Ended")


class OfferQuerySet(models.QuerySet["Offer"]):
    def live(self, day: object = None) -> OfferQuerySet:
        """Published and within its validity period today (the portal's local date)."""
        today = day or timezone.localdate()
        return self.filter(status=OfferStatus.PUBLISHED, starts_on__lte=today, ends_on__gte=today)


class Offer(UUIDModel):
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=4000)
    starts_on = models.DateField(_("valid from"))
    ends_on = models.DateField(_("valid until"))
    # A price in one currency, or a discount in per cent, or neither (an offer can be an invitation).
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, blank=True)
    discount_percent = models.PositiveSmallIntegerField(_("discount (%)"), null=True, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="offers", verbose_name=_("products"))
    categories = models.ManyToManyField(
        ProductCategory, blank=True, related_name="offers", verbose_name=_("product categories")
    )
    # Who it is for: offers.targeting.Target as JSON ({} = every customer).
    target = models.JSONField(_("target"), default=dict, blank=True)
    # Targeted on personal data (anything beyond every customer, country or customer type): shown only to
    # users who opted in to personalised offers. Derived from `target` whenever it is saved.
    personal = models.BooleanField(default=False, editable=False)
    # An account manager's offers reach only the organisations they look after; a provider admin's reach all.
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for the customers of"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # How many customers (organisations) the target matched when last counted (publishing, the nightly task).
    reach = models.PositiveIntegerField(_("reach"), default=0)
    reach_counted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[OfferQuerySet] = OfferQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "starts_on", "ends_on"], name="offer_live")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="offer_period"),
            models.CheckConstraint(
                condition=Q(discount_percent__isnull=True)
                | Q(discount_percent__gte=1, discount_percent__lte=95),
                name="offer_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OfferImage(UUIDModel):
    """The offer's picture, stored encrypted like every file (core.crypto.blob format v1, its own data key
    wrapped by the keyring), and served only to those who may see the offer."""

    offer = models.OneToOneField(Offer, on_delete=models.CASCADE, related_name="image")
    blob_name = models.CharField(max_length=80, unique=True, editable=False)
    kek_id = models.CharField(max_length=64, editable=False)
    wrapped_key = models.BinaryField(editable=False)
    content_type = models.CharField(max_length=40)  # image/png, image/jpeg, image/webp only
    plaintext_size = models.PositiveIntegerField()
    ciphertext_size = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt_text = models.CharField(_("image description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("offer image")
        verbose_name_plural = _("offer images")


class OfferResponse(UUIDModel):
    """One user's dealings with one offer: first seen, dismissed (never shown again), accepted (a request for
    the account managers, who handle it)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offer_responses"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="offer_responses")
    seen_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(_("message"), max_length=1000, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("offer response")
        verbose_name_plural = _("offer responses")
        constraints = [models.UniqueConstraint(fields=["offer", "user"], name="one_response_per_user")]
        indexes = [
            models.Index(fields=["user", "offer"], name="offer_response_by_user"),
            models.Index(fields=["organisation", "accepted_at"], name="offer_acceptances"),
        ]

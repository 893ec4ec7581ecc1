"""The provider's catalogue and its customers' orders: what they bought, how often, and the invoices.

Amounts are Decimals in the order's own currency (ISO 4217), never floats and never converted."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kundportal.core.models import UUIDModel
from kundportal.customers.models import InterestCategory
from kundportal.organisations.models import Organisation

CURRENCIES = [
    ("SEK", "SEK"),
    ("EUR", "EUR"),
    ("CHF", "CHF"),
    ("NOK", "NOK"),
    ("DKK", "DKK"),
    ("GBP", "GBP"),
    ("USD", "USD"),
]


class ProductCategory(UUIDModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    interest_categories = models.ManyToManyField(
        InterestCategory, blank=True, related_name="product_categories", verbose_name=_("interest categories")
    )

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(UUIDModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        ProductCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("category"),
    )
    # Interests of the product itself, on top of its category's.
    interest_categories = models.ManyToManyField(
        InterestCategory, blank=True, related_name="products", verbose_name=_("interest categories")
    )
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="SEK")
    active = models.BooleanField(_("active"), default=True)
    one_off = models.BooleanField(
        _("bought once"),
        default=False,
        help_text=_("A customer who has it is never recommended it again (a licence, a machine)."),
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class OrderStatus(models.TextChoices):
    # In a context of their own: "Requested" also heads the change requests' "requested value" column.
    REQUESTED = "requested", pgettext_lazy("order status", "Requested")
    CONFIRMED = "confirmed", pgettext_lazy("order status", "Confirmed")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    INVOICED = "invoiced", pgettext_lazy("order status", "Invoiced")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")


# Which status may follow which: anything else is refused by Order.transition().
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.REQUESTED: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {OrderStatus.SHIPPED, OrderStatus.INVOICED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
    OrderStatus.DELIVERED: {OrderStatus.INVOICED},
    OrderStatus.INVOICED: {OrderStatus.PAID},
    OrderStatus.PAID: set(),
    OrderStatus.CANCELLED: set(),
}


class OrderQuerySet(models.QuerySet["Order"]):
    def visible_to(self, user: object) -> OrderQuerySet:
        from kundportal.commerce.access import visible_orders

        return visible_orders(self, user)


class Order(UUIDModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=40, unique=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("placed by"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    placed_at = models.DateTimeField(_("order date"), default=timezone.now)
    # The invoice PDF, stored encrypted like every file (documents.Document in the organisation's invoice folder).
    invoice = models.ForeignKey(
        "documents.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)

    objects: ClassVar[OrderQuerySet] = OrderQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at"]
        constraints = [
            # Invoice numbers are a legal series: never two invoices with one number.
            models.UniqueConstraint(
                fields=["invoice_number"], condition=~Q(invoice_number=""), name="unique_invoice_number"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "-placed_at"]),
            models.Index(fields=["organisation", "status", "-placed_at"]),
            models.Index(fields=["placed_by", "-placed_at"]),
            # The staff customer list's revenue filter and sort read it from the index alone.
            models.Index(fields=["organisation", "currency", "status", "total"], name="order_revenue"),
        ]

    def __str__(self) -> str:
        return self.number

    def can_become(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, set())

    def transition(self, status: str, *, actor: object | None = None, note: str = "") -> OrderStatusChange:
        """Move to `status` and record it; an impossible step (paid → requested, anything after cancelled)
        raises ValidationError and changes nothing. The caller saves inside its transaction."""
        if not self.can_become(status):
            raise ValidationError(
                _("An order that is %(current)s cannot become %(next)s.")
                % {"current": self.get_status_display(), "next": OrderStatus(status).label},
                code="transition",
            )
        change = OrderStatusChange(
            order=self, from_status=self.status, to_status=status, actor=actor, note=note
        )
        self.status = status
        return change


class OrderLine(UUIDModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=255)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    line_total = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["product", "order"])]


class OrderStatusChange(UUIDModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at"]


class ReorderRequest(UUIDModel):
    """ "Buy again": a customer asks their account manager to repeat an order."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reorder_requests")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reorder_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.CharField(_("message"), max_length=1000, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("re-order request")
        verbose_name_plural = _("re-order requests")
        ordering = ["-created_at"]


class PurchaseSummary(models.Model):
    """One organisation's purchases at a glance (orders that were not cancelled), kept current by
    commerce.stats.refresh_purchases() in the same transaction as every change to its orders."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="purchases",
        verbose_name=_("organisation"),
    )
    order_count = models.PositiveIntegerField(_("number of orders"), default=0)
    first_purchase = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase = models.DateTimeField(_("last purchase"), null=True, blank=True)
    # RFM scores 1-5 (quintiles) and the named segment; filled by the insights app's task (issue 5), blank
    # until then. refresh_purchases() never writes them.
    recency_score = models.PositiveSmallIntegerField(_("recency score"), null=True, blank=True)
    frequency_score = models.PositiveSmallIntegerField(_("frequency score"), null=True, blank=True)
    monetary_score = models.PositiveSmallIntegerField(_("monetary score"), null=True, blank=True)
    segment = models.CharField(_("segment"), max_length=20, blank=True, db_index=True)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase summary")
        verbose_name_plural = _("purchase summaries")
        indexes = [
            # The staff customer list filters and sorts on these.
            models.Index(fields=["order_count"], name="purchases_order_count"),
            models.Index(fields=["last_purchase"], name="purchases_last_purchase"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.order_count}"


class PurchaseTotal(models.Model):
    """One organisation's purchases in one currency (amounts are never converted).

    Derived data that nothing outside names, hence the plain numeric key rather than a UUIDModel's."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="purchase_totals", verbose_name=_("organisation")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    order_count = models.PositiveIntegerField(_("number of orders"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("purchase total")
        verbose_name_plural = _("purchase totals")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "currency"], name="unique_purchase_total_currency"
            )
        ]
        indexes = [
            # The staff customer list's revenue sort and filter in one currency.
            models.Index(fields=["currency", "revenue"], name="purchase_total_revenue"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.revenue} {self.currency}"

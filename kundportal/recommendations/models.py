"""What the recommender keeps between its runs: which products customers buy together, which products are
popular where, and each customer organisation's current list.

All of it is derived from the orders (recommendations.engine) and rebuilt whole by the full recompute, hence
plain numeric keys rather than UUIDModel's: nothing outside names these rows. Whether a list is shown
personalised is decided when it is shown (recommendations.showing), never here."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kundportal.commerce.models import Product
from kundportal.customers.models import InterestCategory
from kundportal.organisations.models import Organisation


class ProductAffinity(models.Model):
    """Customers who bought `product` also bought `other`: one row per ordered pair, kept only with enough
    customers behind it (`together`) and a lift above 1, and only the strongest few per product."""

    # Only the unique (product, other) index: the full recompute rewrites every row, and each further index
    # costs on every row written; deleting a product, which needs `other` found without one, is rare.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    together = models.PositiveIntegerField(_("customers who bought both"))
    support = models.FloatField(_("support"))  # together / customers with purchases
    confidence = models.FloatField(_("confidence"))  # together / customers who bought `product`
    lift = models.FloatField(_("lift"))  # confidence / share of customers who bought `other`

    class Meta:
        verbose_name = _("product affinity")
        verbose_name_plural = _("product affinities")
        constraints = [models.UniqueConstraint(fields=["product", "other"], name="unique_product_affinity")]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.other_id}: {self.lift:.2f}"


class Scope(models.TextChoices):
    ALL = "all", _("All customers")
    INTEREST = "interest", _("Customers with an interest")
    SEGMENT = "segment", _("Customers in a segment")


class Popularity(models.Model):
    """How many customers bought a product: among all of them (the bestsellers), among those with an interest
    (products of that interest only), among those in an RFM segment. The top few per scope."""

    scope = models.CharField(max_length=16, choices=Scope.choices)
    interest = models.ForeignKey(
        InterestCategory, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    segment = models.CharField(max_length=20, blank=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    share = models.FloatField(_("share of the customers who bought it"))
    rank = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("popular product")
        verbose_name_plural = _("popular products")
        ordering = ["scope", "interest", "segment", "rank"]
        indexes = [models.Index(fields=["scope", "rank"], name="popularity_rank")]

    def __str__(self) -> str:
        return f"{self.scope} {self.interest_id or self.segment} #{self.rank}: {self.product_id}"


class ReasonKind(models.TextChoices):
    BOUGHT_WITH = "bought_with", _("Often bought with a product the customer bought")
    POPULAR_IN_SEGMENT = "popular_in_segment", _("Popular with similar customers")
    POPULAR_IN_INTEREST = "popular_in_interest", _("Popular in one of the customer's interests")
    BESTSELLER = "bestseller", _("Bestseller")


class Recommendation(models.Model):
    """One product on one customer organisation's personalised list (the top few, `rank` 1 first), with why.

    Computed for every organisation; shown only to users who consented to personalised recommendations."""

    # Only the unique (organisation, rank) index, for the reason ProductAffinity gives.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="recommendations", db_index=False
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    score = models.FloatField(_("score"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    reason = models.CharField(_("reason"), max_length=24, choices=ReasonKind.choices)
    # What the reason names: the product it is often bought with, or the interest it is popular in.
    source_product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    interest = models.ForeignKey(
        InterestCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["organisation", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "rank"], name="unique_recommendation_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} #{self.rank}: {self.product_id}"

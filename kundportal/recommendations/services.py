"""What a customer is shown, and the provider's on-demand recompute: the one place the pages, the API and the
offers page go through.

Personalised lists are computed for every customer organisation, but shown only to a user who, at the
moment of showing, consents to personalised offers and recommendations (privacy.PERSONALISED_OFFERS):
consent is checked on every call, never cached and never looked at by the background tasks, so a user who
withdraws it sees no personalised product from their next page on, whatever a running recompute writes.
Everyone else sees the bestsellers, which are the same for every customer. Neither list ever holds an
inactive product, or a one-off product (a licence, a machine) the customer has already.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from kundportal.commerce.models import Order, OrderLine, OrderStatus, Product
from kundportal.customers.models import InterestCategory
from kundportal.organisations.access import is_provider_staff, require_provider_admin
from kundportal.organisations.models import Organisation
from kundportal.privacy.purposes import PERSONALISED_OFFERS
from kundportal.privacy.services import has_consent
from kundportal.recommendations import progress
from kundportal.recommendations.models import (
    Popularity,
    ProductAffinity,
    ReasonKind,
    Recommendation,
    Scope,
)

if TYPE_CHECKING:
    from kundportal.accounts.models import User

MAX_LIMIT = 10  # a list holds engine.LIST_SIZE products
HISTORY_LIMIT = 4  # "You might also need" under the purchase history: a few, not a shop window


@dataclass(frozen=True)
class RecommendedProduct:
    product: Product
    kind: str  # ReasonKind
    reason: str  # in the reader's language
    source_product: Product | None = None
    interest: InterestCategory | None = None


@dataclass(frozen=True)
class Recommendations:
    """A list to show, and whether it is personal (the consented kind) or the bestsellers everyone sees."""

    items: list[RecommendedProduct]
    personalised: bool

    def __iter__(self) -> Iterator[RecommendedProduct]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _owned_once(organisation: Organisation) -> Q:
    """For querysets with a `product`: one-off products on the organisation's orders (not cancelled).

    Asked per row, and only of one-off products, through the lines' (product, order) index: a list holds a
    few products, while a big customer's orders have thousands of lines."""
    owned = OrderLine.objects.filter(product=OuterRef("product"), order__organisation=organisation).exclude(
        order__status=OrderStatus.CANCELLED
    )
    return Q(product__one_off=True) & Q(Exists(owned))


def _shown(rows: QuerySet[Any], organisation: Organisation) -> QuerySet[Any]:
    return rows.filter(product__active=True).exclude(_owned_once(organisation))


def _seen_sources(user: User, organisation: Organisation, products: set[Any]) -> set[Any]:
    """Of these products, the ones on an order of the organisation the user sees: "you bought" names only
    what the reader could look up in their own order history (a member who sees only their own orders is not
    told what colleagues bought)."""
    if not products:
        return set()
    orders = Order.objects.visible_to(user).filter(organisation=organisation)
    return set(
        OrderLine.objects.filter(order__in=orders, product_id__in=products)
        .order_by()
        .values_list("product_id", flat=True)
        .distinct()
    )


def _reason(row: Recommendation, seen: set[Any], language: str) -> str:
    match row.reason:
        case ReasonKind.BOUGHT_WITH if row.source_product is not None and row.source_product_id in seen:
            return _("Often bought with %(product)s you bought") % {"product": row.source_product.name}
        case ReasonKind.BOUGHT_WITH:
            return _("Often bought with products you bought")
        case ReasonKind.POPULAR_IN_INTEREST if row.interest is not None:
            return _("Popular in %(interest)s") % {"interest": row.interest.name_in(language)}
        case ReasonKind.POPULAR_IN_SEGMENT | ReasonKind.POPULAR_IN_INTEREST:
            return _("Popular with customers like you")
        case _:
            return _("Bestseller")


def _personalised(user: User, organisation: Organisation, *, limit: int) -> list[RecommendedProduct]:
    """The organisation's stored list as shown to `user`, without asking about consent (the caller did)."""
    rows = list(
        _shown(Recommendation.objects.filter(organisation=organisation), organisation)
        .select_related("product", "source_product", "interest")
        .order_by("rank")[:limit]
    )
    sources = {row.source_product_id for row in rows if row.reason == ReasonKind.BOUGHT_WITH}
    seen = _seen_sources(user, organisation, sources - {None})
    language = translation.get_language() or "en"
    return [
        RecommendedProduct(
            product=row.product,
            kind=row.reason,
            reason=_reason(row, seen, language),
            source_product=row.source_product if row.source_product_id in seen else None,
            interest=row.interest,
        )
        for row in rows
    ]


def bestsellers_for(organisation: Organisation, *, limit: int) -> list[RecommendedProduct]:
    """The overall bestsellers, without the one-off products the organisation has: nothing personal."""
    rows = (
        _shown(Popularity.objects.filter(scope=Scope.ALL), organisation)
        .select_related("product")
        .order_by("rank")[:limit]
    )
    return [
        RecommendedProduct(product=row.product, kind=ReasonKind.BESTSELLER, reason=_("Bestseller"))
        for row in rows
    ]


def recommendations_for(user: User, organisation: Organisation, *, limit: int = 5) -> Recommendations:
    """What `user` is shown for `organisation` (one they can see: the caller checked): the personalised list
    if they consent to personalised recommendations now and the list exists, else the bestsellers."""
    limit = max(1, min(limit, MAX_LIMIT))
    if has_consent(user, PERSONALISED_OFFERS):
        items = _personalised(user, organisation, limit=limit)
        if items:
            return Recommendations(items=items, personalised=True)
    return Recommendations(items=bestsellers_for(organisation, limit=limit), personalised=False)


def history_recommendations(user: User, organisation: Organisation | None) -> Recommendations | None:
    """ "You might also need" under a customer's purchase history: for the organisation on the page, or on
    the all-orders page the only organisation the customer belongs to. None for staff (they look at the
    customer's history, not for suggestions of their own) and for customers of several organisations."""
    if is_provider_staff(user):
        return None
    if organisation is None:
        visible = list(Organisation.objects.visible_to(user).order_by("pk")[:2])
        if len(visible) != 1:
            return None
        organisation = visible[0]
    return recommendations_for(user, organisation, limit=HISTORY_LIMIT)


# ---------------------------------------------------------------------------------------------------------
# The provider's recompute


def start_recompute(*, actor: User) -> bool:
    """Queue a full recompute (provider admins; 404 for everyone else). False if one is queued or running:
    the page and the API then show its progress instead."""
    require_provider_admin(actor)
    from kundportal.recommendations.tasks import recompute_all

    if not progress.mark_queued():
        return False
    try:
        recompute_all.enqueue()
    except Exception:
        progress.clear()
        raise
    return True


@dataclass(frozen=True)
class Overview:
    """What the provider's recommendations page shows: how far the last recompute got, and what it found."""

    organisations_with_list: int
    affinities: int
    computed_at: Any  # datetime | None
    strongest: list[ProductAffinity]  # the pairs most customers bought together
    progress: dict[str, Any]


def recommendations_overview(*, actor: User, strongest: int = 10) -> Overview:
    require_provider_admin(actor)
    latest = Recommendation.objects.aggregate(
        at=Max("computed_at"), organisations=Count("organisation", distinct=True)
    )
    pairs: dict[frozenset[Any], ProductAffinity] = {}
    # Stored both ways (a → b and b → a, each with its own confidence): each pair once, from twice as many.
    for affinity in ProductAffinity.objects.select_related("product", "other").order_by(
        "-together", "-lift", "product_id"
    )[: strongest * 2]:
        pairs.setdefault(frozenset((affinity.product_id, affinity.other_id)), affinity)
    return Overview(
        organisations_with_list=latest["organisations"],
        affinities=ProductAffinity.objects.count(),
        computed_at=latest["at"],
        strongest=list(pairs.values())[:strongest],
        progress=progress.read_progress(),
    )

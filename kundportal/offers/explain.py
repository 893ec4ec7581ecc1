""" "Why am I seeing this?": the facts about the customer that each criterion of an offer's target matched,
addressed to the reader in their language ("You chose the interest Drawing software").

Each kind of fact (interests, purchases, the purchase summary, the billing country, the age) is read at most
once for a whole list of offers, and only when some offer asks about it: explaining one offer or twenty
costs the same few queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from uuid import UUID

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django_countries import countries

from kundportal.accounts.models import User
from kundportal.commerce.models import OrderLine, OrderStatus, ProductCategory, PurchaseSummary
from kundportal.customers.models import Address, AddressPurpose, CustomerInterest, CustomerProfile
from kundportal.insights.segments import Segment
from kundportal.offers.models import Offer
from kundportal.offers.targeting import AGE_BANDS, Target
from kundportal.organisations.models import Organisation, OrganisationKind


@dataclass(frozen=True)
class Fact:
    criterion: str  # a Target field, "manager", or "everyone"
    text: str


class CustomerFacts:
    """What the portal knows about one customer, each part loaded on first use."""

    def __init__(self, organisation: Organisation, targets: Iterable[Target], managers: Iterable[object]):
        self.organisation = organisation
        targets = list(targets)
        self._interest_ids = {pk for t in targets for pk in (*t.declared_interests, *t.inferred_interests)}
        self._category_ids = {pk for t in targets for pk in t.purchased_categories}
        self._manager_ids = {pk for pk in managers if pk is not None}
        self.language = get_language() or "en"

    @cached_property
    def interests(self) -> dict[UUID, CustomerInterest]:
        rows = CustomerInterest.objects.filter(
            organisation=self.organisation, category__in=self._interest_ids
        ).select_related("category")
        return {row.category_id: row for row in rows}

    @cached_property
    def bought_categories(self) -> dict[UUID, ProductCategory]:
        lines = OrderLine.objects.filter(
            order__organisation=self.organisation, product__category=OuterRef("pk")
        ).exclude(order__status=OrderStatus.CANCELLED)
        found = ProductCategory.objects.filter(pk__in=self._category_ids).filter(Exists(lines))
        return {category.pk: category for category in found}

    @cached_property
    def summary(self) -> PurchaseSummary | None:
        return PurchaseSummary.objects.filter(organisation=self.organisation).first()

    @cached_property
    def country(self) -> str:
        # The address targeting reads: the default billing address.
        return (
            Address.objects.filter(
                organisation=self.organisation, purpose=AddressPurpose.BILLING, is_default=True
            )
            .values_list("country", flat=True)
            .first()
            or ""
        )

    @cached_property
    def age(self) -> int | None:
        from kundportal.customers.services import profile_age

        if self.organisation.kind != OrganisationKind.PRIVATE:
            return None
        profile = CustomerProfile.objects.filter(organisation=self.organisation).first()
        return profile_age(profile, today=timezone.localdate()) if profile else None

    @cached_property
    def managers(self) -> dict[UUID, str]:
        users = User.objects.filter(pk__in=self._manager_ids, managed_organisations=self.organisation)
        return {user.pk: user.display_name for user in users}

    # -----------------------------------------------------------------------------------------------------

    def interest_facts(self, target: Target) -> list[Fact]:
        facts = []
        for pk in target.declared_interests:
            row = self.interests.get(pk)
            if row is not None and row.declared:
                facts.append(
                    Fact(
                        "declared_interests",
                        _("You chose the interest %(interest)s.")
                        % {"interest": row.category.name_in(self.language)},
                    )
                )
        for pk in target.inferred_interests:
            row = self.interests.get(pk)
            if row is not None and row.inferred_items > 0 and not row.suppressed:
                facts.append(
                    Fact(
                        "inferred_interests",
                        ngettext(
                            "You bought %(count)d item in %(category)s.",
                            "You bought %(count)d items in %(category)s.",
                            row.inferred_items,
                        )
                        % {"count": row.inferred_items, "category": row.category.name_in(self.language)},
                    )
                )
        return facts

    def purchase_facts(self, target: Target) -> list[Fact]:
        facts = [
            Fact(
                "purchased_categories",
                _("You have bought from the category %(category)s.") % {"category": category.name},
            )
            for pk in target.purchased_categories
            if (category := self.bought_categories.get(pk)) is not None
        ]
        summary = self.summary
        if target.segments and summary is not None and summary.segment in target.segments:
            facts.append(
                Fact(
                    "segments",
                    _("Your segment: %(segment)s (how recently and how often you buy).")
                    % {"segment": Segment(summary.segment).label},
                )
            )
        if target.days_since_purchase_min is not None or target.days_since_purchase_max is not None:
            last = summary.last_purchase if summary else None
            if last is not None:
                facts.append(Fact("days_since_purchase", _days_since(last)))
        if target.orders_min is not None or target.orders_max is not None:
            count = summary.order_count if summary else 0
            text = (
                ngettext("You have placed %(count)d order.", "You have placed %(count)d orders.", count)
                % {"count": count}
                if count
                else _("You have not placed an order yet.")
            )
            facts.append(Fact("orders", text))
        return facts

    def profile_facts(self, target: Target) -> list[Fact]:
        facts = []
        if target.countries and self.country in target.countries:
            facts.append(
                Fact(
                    "countries",
                    _("Your billing address is in %(country)s.")
                    % {"country": countries.name(self.country) or self.country},
                )
            )
        if target.kinds and self.organisation.kind in target.kinds:
            text = (
                _("You are a company customer.")
                if self.organisation.kind == OrganisationKind.COMPANY
                else _("You are a private customer.")
            )
            facts.append(Fact("kinds", text))
        if target.age_bands and self.age is not None:
            for key, label, low, high in AGE_BANDS:
                if key in target.age_bands and low <= self.age <= high:
                    facts.append(Fact("age_bands", _("Your age band is %(band)s.") % {"band": label}))
        return facts

    def facts_for(self, offer: Offer) -> list[Fact]:
        target = Target.from_json(offer.target)
        facts: list[Fact] = []
        if target.everyone:
            facts.append(Fact("everyone", _("This offer is for every customer.")))
        facts += self.interest_facts(target) + self.purchase_facts(target) + self.profile_facts(target)
        if offer.manager_id is not None and offer.manager_id in self.managers:
            facts.append(
                Fact(
                    "manager",
                    _("Your account manager %(name)s made this offer for the customers they look after.")
                    % {"name": self.managers[offer.manager_id]},
                )
            )
        return facts


def _days_since(last: datetime) -> str:
    days = max((timezone.now() - last).days, 0)
    if days == 0:
        return _("Your last purchase was today.")
    return ngettext(
        "Your last purchase was %(days)d day ago.", "Your last purchase was %(days)d days ago.", days
    ) % {"days": days}


def explain_offers(offers: Iterable[Offer], organisation: Organisation) -> dict[UUID, list[Fact]]:
    """The facts behind each offer, for one customer: a query per kind of fact asked about, at most six."""
    offers = list(offers)
    targets = [Target.from_json(offer.target) for offer in offers]
    known = CustomerFacts(organisation, targets, (offer.manager_id for offer in offers))
    return {offer.pk: known.facts_for(offer) for offer in offers}


def explain(offer: Offer, organisation: Organisation) -> list[Fact]:
    return explain_offers([offer], organisation)[offer.pk]

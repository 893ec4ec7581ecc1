"""Who an offer is for: a rule over what the portal knows about a customer, as SQL over organisations.

A Target is stored as JSON on the offer. Criteria combine with AND; the values inside one criterion with OR
("interested in A or B, and in Sweden"). An empty Target is every customer. Anything beyond every customer,
country and customer type is personal data, and such offers are shown only to users who opted in to
personalised offers (privacy.purposes.PERSONALISED_OFFERS) — checked when the offer is shown, so a
withdrawal takes effect on the next page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from kundportal.commerce.models import OrderLine, OrderStatus, ProductCategory, PurchaseSummary
from kundportal.customers.models import (
    Address,
    AddressPurpose,
    CustomerInterest,
    CustomerProfile,
    InterestCategory,
)
from kundportal.insights.segments import Segment
from kundportal.organisations.models import Organisation, OrganisationKind, StaffAssignment

# (key, label, youngest, oldest)
AGE_BANDS = [
    ("18-29", gettext_lazy("18-29"), 18, 29),
    ("30-44", gettext_lazy("30-44"), 30, 44),
    ("45-59", gettext_lazy("45-59"), 45, 59),
    ("60+", gettext_lazy("60 and over"), 60, 200),
]
AGE_BAND_KEYS = [key for key, *_rest in AGE_BANDS]
LIST_FIELDS = (
    "declared_interests",
    "inferred_interests",
    "purchased_categories",
    "segments",
    "countries",
    "kinds",
    "age_bands",
)
NUMBER_FIELDS = ("days_since_purchase_min", "days_since_purchase_max", "orders_min", "orders_max")
NOT_PERSONAL = {"countries", "kinds"}


@dataclass(frozen=True)
class Target:
    declared_interests: tuple[UUID, ...] = ()  # interest categories the customer chose
    inferred_interests: tuple[UUID, ...] = ()  # interest categories inferred from purchases (not turned off)
    purchased_categories: tuple[UUID, ...] = ()  # product categories bought from (not cancelled)
    segments: tuple[str, ...] = ()  # insights.segments.Segment values
    days_since_purchase_min: int | None = None  # last purchase at least this many days ago
    days_since_purchase_max: int | None = None  # ... and at most this many
    orders_min: int | None = None  # orders (not cancelled), at least
    orders_max: int | None = None  # ... and at most
    countries: tuple[str, ...] = ()  # country of the default billing address
    kinds: tuple[str, ...] = ()  # company / private
    age_bands: tuple[str, ...] = ()  # AGE_BANDS keys, private customers with a birth date only

    @property
    def set_fields(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) not in ((), None)]

    @property
    def personal(self) -> bool:
        return any(name not in NOT_PERSONAL for name in self.set_fields)

    @property
    def everyone(self) -> bool:
        return not self.set_fields

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            name: [str(value) for value in data[name]] if name in LIST_FIELDS else data[name]
            for name in self.set_fields
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Target:
        """A stored target (already cleaned when it was saved)."""
        data = data or {}
        values: dict[str, Any] = {}
        for name in LIST_FIELDS:
            items = data.get(name) or ()
            if name in ("declared_interests", "inferred_interests", "purchased_categories"):
                values[name] = tuple(UUID(str(item)) for item in items)
            else:
                values[name] = tuple(str(item) for item in items)
        for name in NUMBER_FIELDS:
            value = data.get(name)
            values[name] = None if value in (None, "") else int(value)
        return cls(**values)


def _ids(raw: Iterable[Any], name: str, errors: dict[str, list[str]]) -> tuple[UUID, ...]:
    found: list[UUID] = []
    for item in raw or ():
        try:
            found.append(UUID(str(item)))
        except ValueError:
            errors.setdefault(name, []).append(_("Choose from the list."))
            return ()
    return tuple(dict.fromkeys(found))


def clean_target(data: Mapping[str, Any]) -> Target:
    """A Target from a form or the API, or a ValidationError per field. Unknown ids, countries, segments and
    bands, negative numbers and ranges whose minimum is above their maximum are refused."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, model in (
        ("declared_interests", InterestCategory),
        ("inferred_interests", InterestCategory),
        ("purchased_categories", ProductCategory),
    ):
        ids = _ids(data.get(name) or (), name, errors)
        if ids and model.objects.filter(pk__in=ids).count() != len(ids):
            errors.setdefault(name, []).append(_("Some of the chosen categories do not exist."))
        values[name] = ids
    choices = {
        "segments": set(Segment.values),
        "countries": set(dict(countries)),
        "kinds": set(OrganisationKind.values),
        "age_bands": set(AGE_BAND_KEYS),
    }
    for name, allowed in choices.items():
        items = tuple(dict.fromkeys(str(item).strip() for item in data.get(name) or ()))
        if name == "countries":
            items = tuple(item.upper() for item in items)
        if any(item not in allowed for item in items):
            errors.setdefault(name, []).append(_("Choose from the list."))
        values[name] = items
    for name in NUMBER_FIELDS:
        raw = data.get(name)
        if raw in (None, ""):
            values[name] = None
            continue
        try:
            number = int(raw)
        except (TypeError, ValueError):
            errors.setdefault(name, []).append(_("Enter a whole number."))
            continue
        if not 0 <= number <= 100_000:
            errors.setdefault(name, []).append(_("Enter a number from 0 to 100,000."))
            continue
        values[name] = number
    for low, high in (("days_since_purchase_min", "days_since_purchase_max"), ("orders_min", "orders_max")):
        if values.get(low) is not None and values.get(high) is not None and values[low] > values[high]:
            errors.setdefault(high, []).append(_("The maximum is below the minimum."))
    if errors:
        raise ValidationError(errors)
    return Target(**values)


# ---------------------------------------------------------------------------------------------------------
# As SQL


def _age_ids(bands: Iterable[str], *, organisation: Organisation | None, today: date) -> list[UUID]:
    """Private customers whose age (birth dates are encrypted: decrypted here, never queried) is in a band."""
    from kundportal.customers.services import profile_age

    wanted = [(low, high) for key, _label, low, high in AGE_BANDS if key in set(bands)]
    profiles = CustomerProfile.objects.filter(
        organisation__kind=OrganisationKind.PRIVATE, birth_date_encrypted__gt=""
    ).only("pk", "organisation_id", "birth_date_encrypted")
    if organisation is not None:
        profiles = profiles.filter(organisation=organisation)
    matched = []
    for profile in profiles:
        age = profile_age(profile, today=today)
        if age is not None and any(low <= age <= high for low, high in wanted):
            matched.append(profile.organisation_id)
    return matched


def conditions(
    target: Target, *, manager_id: Any = None, organisation: Organisation | None = None
) -> list[Q]:
    """One condition on Organisation per criterion that is set (each an EXISTS or a column test, so they
    combine in filters and in annotations alike). `organisation` narrows the age lookup to one customer."""
    now = timezone.now()
    outer = OuterRef("pk")
    found: list[Q] = []
    if manager_id is not None:
        found.append(Q(Exists(StaffAssignment.objects.filter(organisation=outer, user_id=manager_id))))
    if target.declared_interests:
        found.append(
            Q(
                Exists(
                    CustomerInterest.objects.filter(
                        organisation=outer, category__in=target.declared_interests, declared=True
                    )
                )
            )
        )
    if target.inferred_interests:
        found.append(
            Q(
                Exists(
                    CustomerInterest.objects.filter(
                        organisation=outer,
                        category__in=target.inferred_interests,
                        inferred_items__gt=0,
                        suppressed=False,
                    )
                )
            )
        )
    if target.purchased_categories:
        lines = OrderLine.objects.filter(
            order__organisation=outer, product__category__in=target.purchased_categories
        ).exclude(order__status=OrderStatus.CANCELLED)
        found.append(Q(Exists(lines)))
    summary = PurchaseSummary.objects.filter(organisation=outer)
    if target.segments:
        found.append(Q(Exists(summary.filter(segment__in=target.segments))))
    if target.days_since_purchase_min is not None or target.days_since_purchase_max is not None:
        bought = summary.filter(last_purchase__isnull=False)
        if target.days_since_purchase_min is not None:
            bought = bought.filter(last_purchase__lte=now - timedelta(days=target.days_since_purchase_min))
        if target.days_since_purchase_max is not None:
            bought = bought.filter(last_purchase__gte=now - timedelta(days=target.days_since_purchase_max))
        found.append(Q(Exists(bought)))
    if target.orders_min is not None or target.orders_max is not None:
        counted = summary
        if target.orders_min is not None:
            counted = counted.filter(order_count__gte=target.orders_min)
        if target.orders_max is not None:
            counted = counted.filter(order_count__lte=target.orders_max)
        condition = Q(Exists(counted))
        if not target.orders_min:  # no summary row (never bought) is zero orders
            condition |= ~Q(Exists(summary.filter(order_count__gt=0)))
        found.append(condition)
    if target.countries:
        billing = Address.objects.filter(
            organisation=outer, purpose=AddressPurpose.BILLING, is_default=True, country__in=target.countries
        )
        found.append(Q(Exists(billing)))
    if target.kinds:
        found.append(Q(kind__in=target.kinds))
    if target.age_bands:
        ids = _age_ids(target.age_bands, organisation=organisation, today=timezone.localdate())
        found.append(Q(pk__in=ids))
    return found


def matching_customers(target: Target, *, manager_id: Any = None) -> QuerySet[Organisation]:
    """Every customer organisation the target (and the manager's scope) matches."""
    query = Organisation.objects.all()
    for condition in conditions(target, manager_id=manager_id):
        query = query.filter(condition)
    return query.order_by()


def matches_of(organisation: Organisation, targets: list[tuple[Target, Any]]) -> list[bool]:
    """Which of these (target, manager_id) pairs match one organisation: one query for all of them."""
    if not targets:
        return []
    annotations = {}
    for index, (target, manager_id) in enumerate(targets):
        found = conditions(target, manager_id=manager_id, organisation=organisation)
        combined = Q()
        for condition in found:
            combined &= condition
        annotations[f"m{index}"] = (
            ExpressionWrapper(combined, output_field=BooleanField()) if found else Value(True)
        )
    row = Organisation.objects.filter(pk=organisation.pk).order_by().values(**annotations).first() or {}
    return [bool(row.get(f"m{index}")) for index in range(len(targets))]

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
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries

from kundportal.commerce.models import OrderLine, OrderStatus, Product, ProductCategory, PurchaseSummary
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
        items = tuple(str(item).strip() for item in data.get(name) or ())
        if name == "countries":
            items = tuple(item.upper() for item in items)
        items = tuple(dict.fromkeys(items))
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
# In words


@dataclass(frozen=True)
class TargetNames:
    """The names a description needs, loaded once for a whole page of targets."""

    interests: dict[UUID, str]
    categories: dict[UUID, str]


def names_for(targets: Iterable[Target], *, language: str) -> TargetNames:
    """Two queries at most, however many targets."""
    interest_ids: set[UUID] = set()
    category_ids: set[UUID] = set()
    for target in targets:
        interest_ids.update(target.declared_interests, target.inferred_interests)
        category_ids.update(target.purchased_categories)
    interests = (
        {item.pk: item.name_in(language) for item in InterestCategory.objects.filter(pk__in=interest_ids)}
        if interest_ids
        else {}
    )
    categories = (
        dict(ProductCategory.objects.filter(pk__in=category_ids).values_list("pk", "name"))
        if category_ids
        else {}
    )
    return TargetNames(interests=interests, categories=categories)


def _either(items: Iterable[str]) -> str:
    return str(get_text_list([str(item) for item in items]))  # "A, B or C", in the page's language


def _range(low: int | None, high: int | None, *, both: str, at_least: str, at_most: str) -> str:
    if low is not None and high is not None:
        return both % {"low": low, "high": high}
    if low is not None:
        return at_least % {"low": low}
    return at_most % {"high": high}


def describe(target: Target, names: TargetNames) -> list[str]:
    """The target as short phrases staff read at a glance ("Bought from Hardware or Printing"); every phrase
    must hold (AND), and each phrase's values are alternatives (OR)."""
    if target.everyone:
        return [_("Every customer")]
    phrases: list[str] = []
    if target.declared_interests:
        found = [names.interests[i] for i in target.declared_interests if i in names.interests]
        phrases.append(_("Declared interest in %(names)s") % {"names": _either(found)})
    if target.inferred_interests:
        found = [names.interests[i] for i in target.inferred_interests if i in names.interests]
        phrases.append(_("Interest inferred from purchases in %(names)s") % {"names": _either(found)})
    if target.purchased_categories:
        found = [names.categories[i] for i in target.purchased_categories if i in names.categories]
        phrases.append(_("Bought from %(names)s") % {"names": _either(found)})
    if target.segments:
        labels = dict(Segment.choices)
        phrases.append(
            _("Segment: %(names)s") % {"names": _either(labels.get(s, s) for s in target.segments)}
        )
    low, high = target.days_since_purchase_min, target.days_since_purchase_max
    if low is not None or high is not None:
        phrases.append(
            _range(
                low,
                high,
                both=ngettext(
                    "Last purchase %(low)d to %(high)d day ago",
                    "Last purchase %(low)d to %(high)d days ago",
                    high or 0,
                ),
                at_least=ngettext(
                    "Last purchase at least %(low)d day ago",
                    "Last purchase at least %(low)d days ago",
                    low or 0,
                ),
                at_most=ngettext(
                    "Last purchase at most %(high)d day ago",
                    "Last purchase at most %(high)d days ago",
                    high or 0,
                ),
            )
        )
    low, high = target.orders_min, target.orders_max
    if low is not None or high is not None:
        phrases.append(
            _range(
                low,
                high,
                both=ngettext("%(low)d to %(high)d order", "%(low)d to %(high)d orders", high or 0),
                at_least=ngettext("At least %(low)d order", "At least %(low)d orders", low or 0),
                at_most=ngettext("At most %(high)d order", "At most %(high)d orders", high or 0),
            )
        )
    if target.countries:
        phrases.append(
            _("Customers in %(names)s") % {"names": _either(countries.name(c) or c for c in target.countries)}
        )
    if target.kinds:
        labels = dict(OrganisationKind.choices)
        phrases.append(
            _("Customer type: %(names)s") % {"names": _either(labels.get(k, k) for k in target.kinds)}
        )
    if target.age_bands:
        labels = {key: label for key, label, *_rest in AGE_BANDS}
        phrases.append(_("Age %(names)s") % {"names": _either(labels.get(b, b) for b in target.age_bands)})
    return phrases


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


# Below this share of the catalogue, "bought from these categories" is asked as one set of buyers (IN, from the
# few order lines of those products) rather than customer by customer (EXISTS, which stops at a customer's
# first matching line and so wins when the categories are a large part of what is sold). Measured on the
# generated data (10,000 customers, 250,000 order lines; bench/offers.py): 1 category of 30 takes 41 ms as a
# set and 348 ms per customer; 10 categories 404 ms as a set and 124 ms per customer.
SET_SHARE = 0.15


def _bought_from(categories: tuple[UUID, ...], *, one: bool) -> Q:
    lines = OrderLine.objects.filter(product__category__in=categories).exclude(
        order__status=OrderStatus.CANCELLED
    )
    if not one:  # every customer: see SET_SHARE
        share = Product.objects.aggregate(
            everything=Count("pk"), chosen=Count("pk", filter=Q(category__in=categories))
        )
        if share["chosen"] <= SET_SHARE * share["everything"]:
            return Q(pk__in=lines.values("order__organisation_id"))
    return Q(Exists(lines.filter(order__organisation=OuterRef("pk"))))


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
        found.append(_bought_from(target.purchased_categories, one=organisation is not None))
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
    """Which of these (target, manager_id) pairs match one organisation: one query for all of them, and one
    more when any of them asks for an age band (the birth date is decrypted once, not once per target)."""
    import dataclasses

    if not targets:
        return []
    bands: set[str] = set()
    if any(target.age_bands for target, _manager in targets):
        # _age_ids per target would read and decrypt the profile once for every target.
        from kundportal.customers.services import profile_age

        today = timezone.localdate()
        profile = (
            CustomerProfile.objects.filter(
                organisation=organisation, organisation__kind=OrganisationKind.PRIVATE
            )
            .only("pk", "organisation_id", "birth_date_encrypted")
            .first()
        )
        age = profile_age(profile, today=today) if profile is not None else None
        if age is not None:
            bands = {key for key, _label, low, high in AGE_BANDS if low <= age <= high}
    annotations = {}
    for index, (target, manager_id) in enumerate(targets):
        found = conditions(
            dataclasses.replace(target, age_bands=()), manager_id=manager_id, organisation=organisation
        )
        if target.age_bands:
            found.append(Q(pk__isnull=not bands & set(target.age_bands)))  # never null: true or false
        combined = Q()
        for condition in found:
            combined &= condition
        annotations[f"m{index}"] = (
            ExpressionWrapper(combined, output_field=BooleanField()) if found else Value(True)
        )
    row = Organisation.objects.filter(pk=organisation.pk).order_by().values(**annotations).first() or {}
    return [bool(row.get(f"m{index}")) for index in range(len(targets))]

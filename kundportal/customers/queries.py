"""The provider's view of its customers: the filtered customer list (page, CSV and API) and the 360° view.

Both read many tables for many organisations, so both are built to cost a fixed number of queries however
many organisations, orders and documents there are: the list filters and sorts on each organisation's purchase
figures as commerce.stats keeps them (PurchaseSummary, PurchaseTotal per currency; one row each, joined, never
an aggregate over the orders), and the 360° view runs one query per section.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import (
    Count,
    DecimalField,
    F,
    FilteredRelation,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone
from django_countries import countries

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce.models import CURRENCIES, Order, OrderStatus, Product, PurchaseSummary
from kundportal.customers.interests import Interest, customer_interests, has_active_interest
from kundportal.customers.models import (
    Address,
    AddressPurpose,
    ChangeRecord,
    ChangeRequest,
    CustomerProfile,
    PaymentMethod,
    RequestStatus,
)
from kundportal.customers.services import profile_age, profile_of
from kundportal.customers.summary import ChangeRow, change_rows, current_label, request_label
from kundportal.documents.access import visible_documents
from kundportal.documents.models import Document
from kundportal.organisations.access import get_organisation_for_user, is_provider_staff
from kundportal.organisations.models import Organisation

CURRENCY_CODES = [code for code, _label in CURRENCIES]
# Amounts are never converted between currencies: the revenue filter and sort use one currency, this one
# unless the user picks another (the catalogue's default currency).
DEFAULT_CURRENCY = str(Product._meta.get_field("currency").default)

# The purchase figures, from commerce.stats' tables through LEFT JOINs: an organisation without a summary row
# (it never ordered) has 0 orders and no last purchase; one without a total in the list's currency (the
# PurchaseTotal joined as REVENUE_TOTAL by customer_rows) has 0 revenue. In SORTS as expressions rather than
# aliases, so that counting the rows joins only what the filters need.
REVENUE_TOTAL = "revenue_total"
LAST_PURCHASE = F("purchases__last_purchase")
ORDER_COUNT = Coalesce("purchases__order_count", 0)
REVENUE = Coalesce(
    f"{REVENUE_TOTAL}__revenue",
    Value(Decimal("0")),
    output_field=DecimalField(max_digits=16, decimal_places=2),
)

SORTS = {
    "name": ["name", "pk"],
    "-name": ["-name", "pk"],
    "last_purchase": [LAST_PURCHASE.asc(nulls_first=True), "name", "pk"],
    "-last_purchase": [LAST_PURCHASE.desc(nulls_last=True), "name", "pk"],
    "order_count": [ORDER_COUNT.asc(), "name", "pk"],
    "-order_count": [ORDER_COUNT.desc(), "name", "pk"],
    "revenue": [REVENUE.asc(), "name", "pk"],
    "-revenue": [REVENUE.desc(), "name", "pk"],
    "country": [F("country").asc(nulls_last=True), "name", "pk"],
    "-country": [F("country").desc(nulls_last=True), "name", "pk"],
    "created": ["created_at", "pk"],
    "-created": ["-created_at", "pk"],
}

LATEST = 10  # orders, documents and changes shown in the 360° view


@dataclass(frozen=True)
class CustomerFilters:
    """What the staff customer list is narrowed to; every field optional. Parsed by a form (page, CSV) or a
    schema (API), both of which refuse what does not fit before it gets here."""

    q: str = ""
    country: str = ""
    kind: str = ""
    interest: UUID | None = None
    purchased_after: date | None = None
    purchased_before: date | None = None
    min_orders: int | None = None
    min_revenue: Decimal | None = None
    currency: str = DEFAULT_CURRENCY
    sort: str = "name"

    def as_audit_data(self) -> dict[str, str]:
        """The filters an export used, for its audit event (only the ones set)."""
        return {
            name: str(value)
            for name, value in self.__dict__.items()
            if value not in ("", None) and name not in ("sort", "currency")
        } | ({"currency": self.currency} if self.min_revenue is not None else {})


def customer_rows(user: Any, filters: CustomerFilters) -> QuerySet[Organisation]:
    """Every organisation the user sees (account managers: theirs), filtered and sorted, with its profile and
    `country` (of the default billing address).

    The purchase figures are joined only where the filters or the sort need them, and never selected: a page of
    rows gets them from with_figures(), one query for all of its organisations."""
    organisations = (
        Organisation.objects.visible_to(user)
        .select_related("profile")
        .annotate(
            country=Subquery(
                Address.objects.filter(
                    organisation=OuterRef("pk"), purpose=AddressPurpose.BILLING, is_default=True
                )
                .order_by()  # one default per purpose (a unique index): nothing to sort
                .values("country")[:1]
            )
        )
        # Joined only where the revenue sort or filter reads it: one row or none per organisation.
        .alias(
            **{
                REVENUE_TOTAL: FilteredRelation(
                    "purchase_totals", condition=Q(purchase_totals__currency=filters.currency)
                )
            }
        )
    )
    if filters.q:
        q = filters.q
        organisations = organisations.filter(
            Q(name__icontains=q)
            | Q(profile__external_id__icontains=q)
            | Q(profile__vat_number__icontains=q)
            | Q(profile__email__icontains=q)
        )
    if filters.country:
        organisations = organisations.filter(country=filters.country)
    if filters.kind:
        organisations = organisations.filter(kind=filters.kind)
    if filters.interest:
        organisations = organisations.filter(has_active_interest(filters.interest))
    # "Purchased on or after X" is a last purchase on or after X, and "before X" is purchases, none since X: a
    # last purchase before X (never having bought, no summary row or a NULL one, matches neither).
    if filters.purchased_after:
        organisations = organisations.filter(purchases__last_purchase__gte=_start_of(filters.purchased_after))
    if filters.purchased_before:
        organisations = organisations.filter(purchases__last_purchase__lt=_start_of(filters.purchased_before))
    if filters.min_orders:
        # At least 1 here, so that organisations without a summary row (no orders) rightly drop out: the column
        # itself rather than ORDER_COUNT's COALESCE, which no index serves.
        organisations = organisations.filter(purchases__order_count__gte=filters.min_orders)
    if filters.min_revenue is not None:
        organisations = organisations.alias(revenue=REVENUE).filter(revenue__gte=filters.min_revenue)
    return organisations.order_by(*SORTS.get(filters.sort, SORTS["name"]))


# Filter dates outside these are moved to them: no order is that old or that new, and the ends of the
# calendar (year 1, year 9999) would overflow once moved to UTC.
EARLIEST, LATEST_DAY = date(1900, 1, 1), date(9000, 1, 1)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(min(max(day, EARLIEST), LATEST_DAY), time.min))


CENT = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    currency: str
    amount: Decimal

    @classmethod
    def of(cls, currency: str, amount: Decimal | None) -> Money:
        """SQLite sums decimals without their scale (300, not 300.00): always two decimals."""
        return cls(currency, (amount or Decimal(0)).quantize(CENT))


@dataclass
class Figures:
    """One organisation's purchases: orders that were not cancelled, and their totals per currency."""

    order_count: int = 0
    last_purchase: datetime | None = None
    revenue: list[Money] = field(default_factory=list)


def purchase_figures(organisation_ids: Collection[UUID]) -> dict[UUID, Figures]:
    """The figures of these organisations as commerce.stats keeps them, in one query (each summary with its
    totals per currency); revenue largest first. Organisations that never ordered are left out."""
    rows = (
        PurchaseSummary.objects.filter(organisation_id__in=organisation_ids, order_count__gt=0)
        .order_by()
        .values_list(
            "organisation_id",
            "order_count",
            "last_purchase",
            "organisation__purchase_totals__currency",
            "organisation__purchase_totals__revenue",
        )
    )
    figures: dict[UUID, Figures] = {}
    for organisation_id, count, last, currency, amount in rows:
        found = figures.setdefault(organisation_id, Figures(order_count=count, last_purchase=last))
        if currency:
            found.revenue.append(Money.of(currency, amount))
    for found in figures.values():
        found.revenue.sort(key=lambda money: (-money.amount, money.currency))
    return figures


def with_figures(organisations: list[Organisation], *, currency: str) -> list[Organisation]:
    """Rows of customer_rows() as the list shows them: `order_count`, `last_purchase`, `revenues` (every
    currency), `revenue` (in `currency`) and `country_name` (in the reader's language). One query."""
    figures = purchase_figures([organisation.pk for organisation in organisations])
    for organisation in organisations:
        found = figures.get(organisation.pk) or Figures()
        organisation.order_count = found.order_count  # type: ignore[attr-defined]
        organisation.last_purchase = found.last_purchase  # type: ignore[attr-defined]
        organisation.revenues = found.revenue  # type: ignore[attr-defined]
        amounts = {money.currency: money.amount for money in found.revenue}
        organisation.revenue = amounts.get(currency, Decimal("0.00"))  # type: ignore[attr-defined]
        code = organisation.country  # type: ignore[attr-defined]
        organisation.country_name = countries.name(code) if code else ""  # type: ignore[attr-defined]
    return organisations


class CustomerPage:
    """The customer list for a paginator (the page's Paginator, ninja's limit/offset pagination): counted and
    sliced in the database, and a slice gets its purchase figures in one more query."""

    def __init__(self, user: Any, filters: CustomerFilters) -> None:
        self.filters = filters
        self.rows = customer_rows(user, filters)

    def count(self) -> int:
        return self.rows.count()

    def all(self) -> CustomerPage:
        return self

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Organisation]:
        return with_figures(list(self.rows[index]), currency=self.filters.currency)


def selected_profile(organisation: Organisation) -> CustomerProfile | None:
    """The profile selected with the organisation (select_related), None if it has none yet."""
    try:
        return organisation.profile
    except CustomerProfile.DoesNotExist:
        return None


# ---------------------------------------------------------------------------------------------------------
# CSV export

CSV_HEADER = [
    "id",
    "name",
    "kind",
    "external_id",
    "vat_number",
    "email",
    "phone",
    "country",
    "order_count",
    "last_purchase",
    *(f"revenue_{code}" for code in CURRENCY_CODES),
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return first) is prefixed
    with a quote, so that a customer named "=HYPERLINK(...)" stays a name when the export is opened."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def csv_rows(rows: QuerySet[Organisation], *, chunk: int = 500) -> Iterator[list[str | int]]:
    """The export, row by row: organisations streamed from the database, their purchase figures fetched per
    chunk (a few queries per 500 customers, nothing held in memory)."""
    yield CSV_HEADER
    batch: list[Organisation] = []
    for organisation in rows.iterator(chunk_size=chunk):
        batch.append(organisation)
        if len(batch) == chunk:
            yield from _csv_batch(batch)
            batch = []
    yield from _csv_batch(batch)


def _csv_batch(batch: list[Organisation]) -> Iterator[list[str | int]]:
    figures = purchase_figures([organisation.pk for organisation in batch])
    for organisation in batch:
        profile = selected_profile(organisation)
        found = figures.get(organisation.pk) or Figures()
        amounts = {money.currency: money.amount for money in found.revenue}
        text = [
            organisation.name,
            organisation.kind,
            (profile.external_id or "") if profile else "",
            profile.vat_number if profile else "",
            profile.email if profile else "",
            profile.phone if profile else "",
            organisation.country or "",  # type: ignore[attr-defined]
        ]
        yield [
            str(organisation.pk),
            *(spreadsheet_safe(value) for value in text),
            found.order_count,
            timezone.localtime(found.last_purchase).isoformat() if found.last_purchase else "",
            *(str(amounts[code]) if code in amounts else "" for code in CURRENCY_CODES),
        ]


def record_export(*, actor: Any, filters: CustomerFilters, count: int, request: HttpRequest | None) -> None:
    record_event(
        Action.CUSTOMERS_EXPORTED, actor=actor, request=request, count=count, filters=filters.as_audit_data()
    )


# ---------------------------------------------------------------------------------------------------------
# The 360° view


@dataclass(frozen=True)
class OrderSummary:
    count: int
    revenue: list[Money]
    first: datetime | None
    last: datetime | None

    @property
    def average_days_between(self) -> float | None:
        """How often they buy: the days from the first to the last order, over the gaps between orders."""
        if self.count < 2 or self.first is None or self.last is None:
            return None
        return round((self.last - self.first).total_seconds() / 86400 / (self.count - 1), 1)

    @property
    def average_days(self) -> int | None:
        average = self.average_days_between
        return None if average is None else round(average)


@dataclass
class CustomerSummary:
    organisation: Organisation
    profile: CustomerProfile  # unsaved (all defaults) while the customer has none
    age: int | None
    addresses: list[Address]
    payment_methods: list[PaymentMethod]
    orders: OrderSummary
    latest_orders: list[Order]
    interests: list[Interest]
    documents: list[Document]
    change_requests: list[ChangeRequest]
    changes: list[ChangeRow]
    managers: list[Any] = field(default_factory=list)

    @property
    def has_profile(self) -> bool:
        return not self.profile._state.adding

    @property
    def declared_interests(self) -> list[Interest]:
        return [interest for interest in self.interests if interest.declared]

    @property
    def inferred_interests(self) -> list[Interest]:
        return [interest for interest in self.interests if interest.inferred]


def get_customer_for_staff(user: Any, organisation_id: UUID | str) -> Organisation:
    """The customer for the 360° view: provider staff only (customers are not told it exists), account
    managers only for their own organisations; 404 otherwise."""
    if not is_provider_staff(user):
        raise Http404
    return get_organisation_for_user(user, organisation_id).organisation


def _order_summary(orders: QuerySet[Order]) -> OrderSummary:
    live = orders.exclude(status=OrderStatus.CANCELLED).order_by()
    figures = live.aggregate(count=Count("pk"), first=Min("placed_at"), last=Max("placed_at"))
    revenue = [
        Money.of(currency, amount)
        for currency, amount in live.values_list("currency")
        .annotate(amount=Sum("total"))
        .order_by("currency")
    ]
    return OrderSummary(count=figures["count"], revenue=revenue, first=figures["first"], last=figures["last"])


def customer_summary(user: Any, organisation: Organisation, *, language: str) -> CustomerSummary:
    """Everything staff see about one customer, one query per section."""
    profile = profile_of(organisation)
    orders = Order.objects.visible_to(user).filter(organisation=organisation)
    change_requests = list(
        ChangeRequest.objects.filter(organisation=organisation, status=RequestStatus.PENDING)
        .select_related("requested_by")
        .order_by("created_at")
    )
    for change_request in change_requests:
        change_request.current_label = current_label(change_request)  # type: ignore[attr-defined]
        change_request.requested_label = request_label(change_request)  # type: ignore[attr-defined]
    changes = ChangeRecord.objects.filter(organisation=organisation).select_related("actor")
    return CustomerSummary(
        organisation=organisation,
        profile=profile,
        age=profile_age(profile),
        addresses=list(Address.objects.filter(organisation=organisation)),
        payment_methods=list(PaymentMethod.objects.filter(organisation=organisation)),
        orders=_order_summary(orders),
        latest_orders=list(orders.select_related("placed_by").order_by("-placed_at")[:LATEST]),
        interests=customer_interests(organisation, language=language),
        documents=list(
            visible_documents(user)
            .filter(organisation=organisation)
            .select_related("folder")
            .order_by("-updated_at")[:LATEST]
        ),
        change_requests=change_requests,
        changes=change_rows(changes.order_by("-created_at")[:LATEST]),
        managers=list(organisation.account_managers.all()),
    )


def view_customer(
    *, actor: Any, organisation_id: UUID | str, language: str, request: HttpRequest | None = None
) -> CustomerSummary:
    """The 360° view of one customer, recorded as staff access to that customer's data (for the customer's
    "who accessed my data" and the privacy centre)."""
    organisation = get_customer_for_staff(actor, organisation_id)
    summary = customer_summary(actor, organisation, language=language)
    record_event(Action.CUSTOMER_VIEWED, actor=actor, organisation=organisation, request=request)
    return summary

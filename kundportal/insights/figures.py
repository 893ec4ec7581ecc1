"""The insight figures of a scope (every customer, or an account manager's): plain numbers as JSON-ready data,
in no language (the dashboard, the CSV files and the API present them).

A fixed handful of aggregate queries whatever the data size; none returns more rows than there are months,
weeks, currencies, segments, interest categories or offers. For the whole provider the nightly task stores
the result (insights.snapshots); for an account manager with a few hundred customers they are computed live,
on indexes that start with the organisation (bench/insights.py measures both).

- Customers by segment: commerce.PurchaseSummary as insights.rfm last scored it; customers who bought since
  the last scoring are counted as "not scored yet" ("" below), those who never bought separately.
- Interests: per active interest category, the customers who declared it and those with an inferred one they
  did not turn off (a customer can be both).
- Sales: orders and revenue per month and currency over the last MONTHS months (cancelled orders left out;
  amounts never converted).
- Purchase frequency: customers by their number of orders, in FREQUENCY_BUCKETS.
- Offers: the live and recently ended offers the scope sees, with views, acceptances and dismissals by the
  scope's customers.
- Activity: per week over the last WEEKS weeks, logins of customers' users and the documents they uploaded
  and downloaded (from the audit log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from django.db.models import Case, CharField, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import Order, OrderStatus, PurchaseSummary
from kundportal.customers.models import CustomerInterest, InterestCategory
from kundportal.offers.models import Offer, OfferResponse, OfferStatus
from kundportal.organisations.models import Membership, Organisation

VERSION = 1
MONTHS = 24
WEEKS = 12
RECENT_OFFER_DAYS = 90
MAX_OFFERS = 12
# (label, fewest orders, most orders or None for no limit)
FREQUENCY_BUCKETS: list[tuple[str, int, int | None]] = [
    ("1", 1, 1),
    ("2-3", 2, 3),
    ("4-7", 4, 7),
    ("8-15", 8, 15),
    ("16+", 16, None),
]
UPLOADS = [Action.DOCUMENT_UPLOADED]
DOWNLOADS = [Action.DOCUMENT_DOWNLOADED, Action.FOLDER_DOWNLOADED]
CENT = Decimal("0.01")


class InterestFigure(TypedDict):
    slug: str
    names: dict[str, str]  # language code → name (empty: use the English one)
    declared: int
    inferred: int


class SalesFigure(TypedDict):
    month: str  # "2026-03"
    currency: str
    orders: int
    revenue: str  # a decimal with two places, as text (exact in JSON)


class FrequencyFigure(TypedDict):
    bucket: str  # "2-3"
    fewest: int
    most: int | None
    customers: int


class OfferFigure(TypedDict):
    id: str
    title: str
    status: str
    starts_on: str
    ends_on: str
    reach: int | None  # the offer's last counted reach; None in an account manager's figures
    views: int
    acceptances: int
    dismissals: int


class ActivityFigure(TypedDict):
    week: str  # the week's Monday, "2026-03-02"
    logins: int
    uploads: int
    downloads: int


class Figures(TypedDict):
    version: int
    computed_at: str  # ISO 8601
    scored_at: str | None  # when insights.rfm last scored these customers
    customers: int
    buyers: int
    segments: dict[str, int]  # segment → customers who bought; "" = bought since the last scoring
    interests: list[InterestFigure]
    months: list[str]  # the MONTHS months, oldest first
    sales: list[SalesFigure]  # months and currencies with orders only
    frequency: list[FrequencyFigure]
    offers: list[OfferFigure]
    activity: list[ActivityFigure]  # the WEEKS weeks, oldest first


@dataclass(frozen=True)
class Scope:
    """Whose figures: `organisations` None is every customer, else the ids of those counted; `offers` the
    offers counted."""

    organisations: list[UUID] | None
    offers: QuerySet[Offer]
    manager: bool = False

    @classmethod
    def provider(cls) -> Scope:
        return cls(organisations=None, offers=Offer.objects.all())

    @classmethod
    def for_manager(cls, user: Any, organisation_ids: list[UUID] | None = None) -> Scope:
        """An account manager's customers (their ids, if the caller has them already), and the offers that can
        reach them: everyone's and their own.

        The ids go into the queries as a list rather than as a subquery: a few hundred ids are cheaper to
        send than the nested subqueries of the access policy are to build, on every one of the queries."""
        if organisation_ids is None:
            organisation_ids = list(Organisation.objects.visible_to(user).values_list("pk", flat=True))
        return cls(
            organisations=organisation_ids,
            offers=Offer.objects.filter(Q(manager__isnull=True) | Q(manager=user)),
            manager=True,
        )

    def filter(self, queryset: QuerySet[Any], field: str = "organisation") -> QuerySet[Any]:
        return queryset.filter(self.condition(field))

    def condition(self, field: str) -> Q:
        return Q() if self.organisations is None else Q(**{f"{field}__in": self.organisations})


def month_starts(now: datetime, count: int = MONTHS) -> list[datetime]:
    """The first moments (local time) of the last `count` months, the current one last."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    starts = []
    for _ in range(count):
        starts.append(timezone.make_aware(datetime(year, month, 1)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def week_starts(now: datetime, count: int = WEEKS) -> list[datetime]:
    """The first moments (local time) of the last `count` weeks (Monday to Sunday), the current one last."""
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    days = [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    return [timezone.make_aware(datetime(day.year, day.month, day.day)) for day in days]


def _period(field: str, starts: list[datetime]) -> Case:
    """The index of the period a timestamp falls in (a CASE the database evaluates, in any time zone)."""
    return Case(
        *(
            When(**{f"{field}__gte": start}, then=Value(index))
            for index, start in reversed(list(enumerate(starts)))
        ),
        default=Value(-1),
        output_field=IntegerField(),
    )


def compute_figures(scope: Scope, *, now: datetime | None = None) -> Figures:
    now = now or timezone.now()
    customers = scope.filter(Organisation.objects.all(), "pk").count()
    purchases = scope.filter(PurchaseSummary.objects.filter(order_count__gt=0))
    overview = purchases.aggregate(
        buyers=Count("pk"),
        scored_at=Max("scored_at"),
        **{
            f"bucket_{index}": Count("pk", filter=Q(order_count__gte=fewest, **_most(most)))
            for index, (_label, fewest, most) in enumerate(FREQUENCY_BUCKETS)
        },
    )
    segments = {
        row["segment"]: row["customers"]
        for row in purchases.order_by().values("segment").annotate(customers=Count("pk"))
    }
    scored_at = overview["scored_at"]
    return Figures(
        version=VERSION,
        computed_at=now.isoformat(),
        scored_at=scored_at.isoformat() if scored_at else None,
        customers=customers,
        buyers=overview["buyers"],
        segments=segments,
        interests=_interests(scope),
        months=[start.strftime("%Y-%m") for start in month_starts(now)],
        sales=_sales(scope, now),
        frequency=[
            FrequencyFigure(bucket=label, fewest=fewest, most=most, customers=overview[f"bucket_{index}"])
            for index, (label, fewest, most) in enumerate(FREQUENCY_BUCKETS)
        ],
        offers=_offers(scope, now),
        activity=_activity(scope, now),
    )


def _most(most: int | None) -> dict[str, int]:
    return {} if most is None else {"order_count__lte": most}


def _interests(scope: Scope) -> list[InterestFigure]:
    # Counted from the customers' side (the index on organisation and category), then put on the categories:
    # an account manager's few hundred customers are read, not every customer's interests.
    counts = {
        category_id: (declared, inferred)
        for category_id, declared, inferred in scope.filter(CustomerInterest.objects.all())
        .order_by()
        .values_list("category_id")
        .annotate(
            declared=Count("pk", filter=Q(declared=True)),
            inferred=Count("pk", filter=Q(inferred_items__gt=0, suppressed=False)),
        )
    }
    categories = InterestCategory.objects.filter(active=True).order_by("name_en")
    return [
        InterestFigure(
            slug=slug,
            names={"en": en, "sv": sv, "de": de},
            declared=counts.get(pk, (0, 0))[0],
            inferred=counts.get(pk, (0, 0))[1],
        )
        for pk, slug, en, sv, de in categories.values_list("pk", "slug", "name_en", "name_sv", "name_de")
    ]


def _sales(scope: Scope, now: datetime) -> list[SalesFigure]:
    starts = month_starts(now)
    rows = (
        scope.filter(Order.objects.filter(placed_at__gte=starts[0]).exclude(status=OrderStatus.CANCELLED))
        .annotate(period=_period("placed_at", starts))
        .order_by()
        .values("period", "currency")
        .annotate(orders=Count("pk"), revenue=Sum("total"))
    )
    sales = [
        SalesFigure(
            month=starts[row["period"]].strftime("%Y-%m"),
            currency=row["currency"],
            orders=row["orders"],
            # SQLite sums decimals without their scale (300, not 300.00).
            revenue=str(Decimal(row["revenue"] or 0).quantize(CENT)),
        )
        for row in rows
        if row["period"] >= 0
    ]
    return sorted(sales, key=lambda sale: (sale["month"], sale["currency"]))


def recent_offers(offers: QuerySet[Offer], today: date) -> QuerySet[Offer]:
    """Live offers and those that ended (or ran out) within RECENT_OFFER_DAYS; drafts never."""
    cutoff = today - timedelta(days=RECENT_OFFER_DAYS)
    ended_since = timezone.make_aware(datetime(cutoff.year, cutoff.month, cutoff.day))
    return offers.filter(
        Q(status=OfferStatus.PUBLISHED, ends_on__gte=cutoff, starts_on__lte=today)
        | Q(status=OfferStatus.ENDED, ended_at__gte=ended_since)
        | Q(status=OfferStatus.ENDED, ended_at__isnull=True, ends_on__gte=cutoff)
    )


def _offers(scope: Scope, now: datetime) -> list[OfferFigure]:
    offers = list(
        recent_offers(scope.offers, timezone.localtime(now).date())
        .order_by("-starts_on", "title", "pk")
        .values_list("pk", "title", "status", "starts_on", "ends_on", "reach")[:MAX_OFFERS]
    )
    # Counted from the responses' side: an account manager's are found by organisation, not by reading every
    # response to every offer.
    counts = {
        offer_id: (views, acceptances, dismissals)
        for offer_id, views, acceptances, dismissals in scope.filter(
            OfferResponse.objects.filter(offer_id__in=[offer[0] for offer in offers])
        )
        .order_by()
        .values_list("offer_id")
        .annotate(
            views=Count("pk", filter=Q(seen_at__isnull=False)),
            acceptances=Count("pk", filter=Q(accepted_at__isnull=False)),
            dismissals=Count("pk", filter=Q(dismissed_at__isnull=False)),
        )
    }
    figures = []
    for pk, title, status, starts_on, ends_on, reach in offers:
        views, acceptances, dismissals = counts.get(pk, (0, 0, 0))
        figures.append(
            OfferFigure(
                id=str(pk),
                title=title,
                status=status,
                starts_on=starts_on.isoformat(),
                ends_on=ends_on.isoformat(),
                # The reach is counted over every customer: not an account manager's figure.
                reach=None if scope.manager else reach,
                views=views,
                acceptances=acceptances,
                dismissals=dismissals,
            )
        )
    return figures


def _activity(scope: Scope, now: datetime) -> list[ActivityFigure]:
    starts = week_starts(now)
    customers_users = scope.filter(Membership.objects.all()).values("user_id")
    events = AuditEvent.objects.all()
    action = "action"
    if scope.organisations is not None:
        # For a few hundred customers the events are best found by their users (the index on actor and time).
        # Without statistics (no ANALYZE) SQLite takes the index on the action instead and reads every login
        # of the period; comparing action || '' keeps that index out of the choice (3-4 times faster).
        events = events.annotate(action_text=Concat("action", Value(""), output_field=CharField()))
        action = "action_text"
    documents = Q(**{f"{action}__in": [*UPLOADS, *DOWNLOADS]}) & scope.condition("organisation_id")
    rows = (
        events.filter(at__gte=starts[0], actor_id__in=customers_users)
        .filter(Q(**{action: Action.LOGIN}) | documents)
        .annotate(period=_period("at", starts))
        .order_by()
        .values_list("period", "action")
        .annotate(events=Count("pk"))
    )
    weeks = [
        ActivityFigure(week=start.date().isoformat(), logins=0, uploads=0, downloads=0) for start in starts
    ]
    for period, action, events in rows:
        if period < 0:
            continue
        key = "logins" if action == Action.LOGIN else "uploads" if action in UPLOADS else "downloads"
        weeks[period][key] += events
    return weeks

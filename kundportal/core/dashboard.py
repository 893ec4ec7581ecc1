"""The overview every user lands on: what is new, and what needs doing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kundportal.accounts.models import User
from kundportal.audit.models import Action, AuditEvent
from kundportal.documents.news import news_by_organisation, recent_versions
from kundportal.messaging.listing import unread_threads
from kundportal.offers.access import offers_for
from kundportal.offers.models import Offer
from kundportal.offers.responses import mark_seen
from kundportal.organisations.access import is_provider_staff
from kundportal.organisations.models import Invitation, Membership, Organisation

VISIT_PRECISION = timedelta(minutes=5)
DASHBOARD_OFFERS = 3  # a few, calm: the rest are on the offers page
DASHBOARD_THREADS = 5

# Team events a customer sees about their own organisation.
TEAM_ACTIONS = [
    Action.INVITATION_SENT,
    Action.INVITATION_ACCEPTED,
    Action.ROLE_CHANGED,
    Action.MEMBER_REMOVED,
]


def _count(queryset: QuerySet[Any]) -> Subquery:
    """A correlated COUNT per organisation; two joins in one query would multiply members by invitations."""
    counted = queryset.filter(organisation=OuterRef("pk")).order_by().values("organisation")
    return Subquery(counted.annotate(n=Count("pk")).values("n")[:1])


def _organisations(user: User) -> list[Organisation]:
    return list(
        Organisation.objects.visible_to(user)
        .annotate(
            member_count=Coalesce(_count(Membership.objects.all()), 0),
            pending_count=Coalesce(_count(Invitation.objects.pending()), 0),
        )
        .order_by("name")[:12]
    )


def _activity(user: User) -> list[AuditEvent]:
    events = AuditEvent.objects.select_related("organisation")
    if user.is_provider_admin:
        # Everything about customers, newest first: walks the index on `at` instead of sorting the whole log.
        events = events.filter(organisation__isnull=False)
    else:
        # A short list of ids lets the database use the (organisation, at) index per organisation.
        ids = list(Organisation.objects.visible_to(user).values_list("pk", flat=True)[:500])
        events = events.filter(organisation_id__in=ids)
    if not is_provider_staff(user):
        events = events.filter(action__in=TEAM_ACTIONS)
    return list(events[:10])


def _previous_visit(request: HttpRequest) -> datetime | None:
    """When the user last looked at the dashboard before this session, so "new" stays new while they work.

    The visit is written at most every few minutes rather than on every view.
    """
    user: User = request.user
    session = request.session
    if "kp_previous_visit" not in session:
        last = user.last_dashboard_visit
        session["kp_previous_visit"] = last.isoformat() if last else ""
    now = timezone.now()
    if user.last_dashboard_visit is None or now - user.last_dashboard_visit > VISIT_PRECISION:
        User.objects.filter(pk=user.pk).update(last_dashboard_visit=now)
    stored = session["kp_previous_visit"]
    return datetime.fromisoformat(stored) if stored else None


def _offers(user: User, organisations: list[Organisation]) -> tuple[list[Offer], Organisation | None]:
    """A customer's few matching offers (of their first organisation): three queries, a fourth the first
    time an offer is shown (it is then recorded as seen)."""
    if is_provider_staff(user) or not organisations:
        return [], None
    organisation = organisations[0]
    offers = offers_for(user, organisation, limit=DASHBOARD_OFFERS)
    mark_seen(user=user, organisation=organisation, offers=offers)
    return offers, organisation


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    previous_visit = _previous_visit(request)
    organisations = _organisations(user)
    news = news_by_organisation(user, previous_visit, (o.pk for o in organisations))
    for organisation in organisations:
        organisation.new_documents, organisation.new_versions = news.get(organisation.pk, (0, 0))
    offers, offers_organisation = _offers(user, organisations)
    context = {
        "offers": offers,
        "offers_organisation": offers_organisation,
        "organisations": organisations,
        "recent_versions": recent_versions(user, previous_visit),
        "organisation_total": Organisation.objects.visible_to(user).count(),
        "activity": _activity(user),
        "unread_threads": unread_threads(user, limit=DASHBOARD_THREADS),
        "previous_visit": previous_visit,
        "mfa_enabled": Authenticator.objects.filter(user=user).exists(),
        "last_login": AuditEvent.objects.filter(actor=user, action=Action.LOGIN)
        .values_list("at", flat=True)[1:2]
        .first(),
        "staff_invitations": Invitation.objects.pending().filter(organisation__isnull=True).count()
        if user.is_provider_admin
        else 0,
    }
    return render(request, "dashboard.html", context)

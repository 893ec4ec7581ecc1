"""The overview every user lands on: what is new, and what needs doing."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kundportal.accounts.models import User
from kundportal.audit.models import Action, AuditEvent
from kundportal.organisations.access import is_provider_staff
from kundportal.organisations.models import Invitation, Organisation

# Team events a customer sees about their own organisation.
TEAM_ACTIONS = [
    Action.INVITATION_SENT,
    Action.INVITATION_ACCEPTED,
    Action.ROLE_CHANGED,
    Action.MEMBER_REMOVED,
]


def _organisations(user: User) -> list[Organisation]:
    now = timezone.now()
    pending = Q(
        invitations__accepted_at__isnull=True,
        invitations__revoked_at__isnull=True,
        invitations__expires_at__gt=now,
    )
    return list(
        Organisation.objects.visible_to(user)
        .annotate(
            member_count=Count("memberships", distinct=True),
            pending_count=Count("invitations", filter=pending, distinct=True),
        )
        .order_by("name")[:12]
    )


def _activity(user: User, since: object) -> list[AuditEvent]:
    organisations = Organisation.objects.visible_to(user)
    events = AuditEvent.objects.filter(organisation__in=organisations).select_related("organisation")
    if not is_provider_staff(user):
        events = events.filter(action__in=TEAM_ACTIONS)
    return list(events[:10])


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    previous_visit = user.last_dashboard_visit
    context = {
        "organisations": _organisations(user),
        "organisation_total": Organisation.objects.visible_to(user).count(),
        "activity": _activity(user, previous_visit),
        "previous_visit": previous_visit,
        "mfa_enabled": Authenticator.objects.filter(user=user).exists(),
        "last_login": AuditEvent.objects.filter(actor=user, action=Action.LOGIN)
        .values_list("at", flat=True)[1:2]
        .first(),
        "staff_invitations": Invitation.objects.pending().filter(organisation__isnull=True).count()
        if user.is_provider_admin
        else 0,
    }
    User.objects.filter(pk=user.pk).update(last_dashboard_visit=timezone.now())
    return render(request, "dashboard.html", context)

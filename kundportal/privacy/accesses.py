"""Who accessed my data: provider staff's views and downloads of a person's organisations' data (the customer
profile, documents, folders, orders and invoices), and exports of the person's data that a provider admin
asked for on their behalf, read from the audit log.

Only provider staff's actions are listed: a customer sees what the provider did with their data, never what
other customers (their colleagues) did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from kundportal.audit.models import Action, AuditEvent
from kundportal.organisations.models import Membership

if TYPE_CHECKING:
    from kundportal.accounts.models import User

# Staff access to an organisation's data, recorded with the organisation.
STAFF_ACCESS = (
    Action.CUSTOMER_VIEWED,
    Action.DOCUMENT_DOWNLOADED,
    Action.FOLDER_DOWNLOADED,
    Action.ORDER_VIEWED,
)
# A provider admin exporting the person's data on their behalf, recorded with the person's id.
ON_BEHALF = (Action.DATA_EXPORT_REQUESTED, Action.DATA_EXPORT_DOWNLOADED)


def accesses_for(user: User) -> QuerySet[AuditEvent]:
    """Newest first; the actor and organisation come with it (constant queries per page)."""
    from kundportal.accounts.models import User as UserModel

    organisations = Membership.objects.filter(user=user).values("organisation_id")
    staff = UserModel.objects.exclude(provider_role="").values("pk")
    return (
        AuditEvent.objects.filter(
            Q(organisation_id__in=organisations, action__in=STAFF_ACCESS)
            | Q(action__in=ON_BEHALF, target_type="privacy.dataexport", data__user=str(user.pk)),
            actor_id__in=staff,
        )
        .exclude(actor_id=user.pk)
        .select_related("actor", "organisation")
        .order_by("-at", "-id")
    )


@dataclass(frozen=True)
class Access:
    """One line of the list: who (staff name), when, what."""

    at: datetime
    who: str
    action: str
    what: str
    organisation: str

    @classmethod
    def of(cls, event: AuditEvent) -> Access:
        actor = event.actor
        who = (actor.display_name if actor is not None else event.actor_label) or "—"
        return cls(
            at=event.at,
            who=who,
            action=str(Action(event.action).label) if event.action in Action.values else event.action,
            what=event.target_label,
            organisation=event.organisation.name if event.organisation_id and event.organisation else "",
        )

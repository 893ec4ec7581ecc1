"""The audit log: what the portal recorded about a person's own actions (logins, uploads, changes…), and
staff's access to their data. Entries are part of a hash chain and are never deleted for an erasure: their
personal fields (who, what, IP address, details) are redacted by audit.services, which keeps the chain
verifiable. The chain's head and the verification runs hold no personal data.

Exported for a person: the entries where they are the actor (time, action, what, IP address, details). "Who
accessed my data" is shown by the privacy centre from the same log.

Erased: a person's entries (as actor, as target, or naming their email) and an organisation's entries are
redacted.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import ErasureReport, ExportWriter, Source, Subject, not_personal, register
from kundportal.privacy.subjects import rows


def export(subject: Subject, writer: ExportWriter) -> None:
    from kundportal.audit.models import AuditEvent

    if subject.user is None:
        return
    writer.records(
        "audit.my_actions",
        rows(
            AuditEvent.objects.filter(actor_id=subject.user.pk).order_by("at"),
            "at",
            "action",
            "target_type",
            "target_label",
            "ip",
            "data",
        ),
    )


def erase(subject: Subject, report: ErasureReport) -> None:
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    from kundportal.audit.models import AuditEvent
    from kundportal.audit.services import redact_events, redact_for_organisation, redact_for_user

    if subject.organisation is not None:
        report.count("audit.events", redact_for_organisation(subject.organisation), anonymised=True)
    if subject.user is None:
        return
    report.count("audit.events", redact_for_user(subject.user), anonymised=True)
    # Entries that name the person without their email (a membership's label is "name (role, organisation)").
    name = subject.user.full_name.strip()
    if len(name) >= 4:
        named = AuditEvent.objects.annotate(data_text=Cast("data", TextField())).filter(
            Q(actor_label__icontains=name) | Q(target_label__icontains=name) | Q(data_text__icontains=name)
        )
        report.count("audit.events", redact_events(named, reason="erasure"), anonymised=True)


register(
    Source(
        key="audit",
        models=("audit.auditevent",),
        export=export,
        erase=erase,
        categories=_("Security and data events: who did what, when, from which IP address"),
        purpose=_("Security, accountability and proving who accessed personal data"),
        retention=_("The configured audit retention period; redacted at once after an erasure"),
        recipients=_("Provider admins"),
        order=950,
    )
)

not_personal("audit.auditchain", "the hash chain's head and retention anchor")
not_personal("audit.auditverification", "runs of the chain check; `requested_by` is provider staff")

"""Organisations, memberships, invitations and account-manager assignments.

What is personal: a private customer's organisation is the person (its name is their name); a company's name
is not personal data of its members. A membership (who belongs where, in which role) and an invitation (an
email address and a name) are personal data of the person invited or belonging.

Exported for a person: their memberships (organisation, role, since), the invitations sent to their email
address, and the private customers they belong to. For an organisation: the organisation, its members'
memberships and its invitations.

Erased for a person: their memberships (the last-admin rule is checked by privacy.erasure before anything
runs) and every invitation to their address. For an organisation: its memberships, invitations, account-manager
assignments and folder-template links; then the organisation itself is deleted, unless orders must be kept by
law (they PROTECT it): then it stays under a neutral pseudonym ("Erased customer 1a2b3c4d") with nothing else.
"""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import ErasureReport, ExportWriter, Source, Subject, register
from kundportal.privacy.subjects import erased_organisation_name, exported_organisations, rows


def export(subject: Subject, writer: ExportWriter) -> None:
    from kundportal.organisations.models import Invitation, Membership

    organisations = exported_organisations(subject)
    writer.records("organisations.organisations", rows(organisations, "id", "name", "kind", "created_at"))
    if subject.user is not None:
        memberships = Membership.objects.filter(user=subject.user)
        invitations = Invitation.objects.filter(email__iexact=subject.user.email)
    else:
        memberships = Membership.objects.filter(organisation__in=organisations)
        invitations = Invitation.objects.filter(organisation__in=organisations)
    writer.records(
        "organisations.memberships",
        rows(memberships, "role", "created_at", organisation_name=F("organisation__name")),
    )
    writer.records(
        "organisations.invitations",
        rows(
            invitations,
            "email",
            "full_name",
            "role",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
            organisation_name=F("organisation__name"),
        ),
    )


def erase(subject: Subject, report: ErasureReport) -> None:
    from kundportal.commerce.models import Order
    from kundportal.organisations.models import Invitation, Membership, Organisation, StaffAssignment

    if subject.user is not None:
        report.count("organisations.memberships", Membership.objects.filter(user=subject.user).delete()[0])
        invitations = Invitation.objects.filter(email__iexact=subject.user.email)
        report.count("organisations.invitations", invitations.delete()[0])
    organisation = subject.organisation
    if organisation is None:
        return
    report.count(
        "organisations.memberships", Membership.objects.filter(organisation=organisation).delete()[0]
    )
    report.count(
        "organisations.invitations", Invitation.objects.filter(organisation=organisation).delete()[0]
    )
    StaffAssignment.objects.filter(organisation=organisation).delete()
    organisation.folder_templates.clear()
    if Order.objects.filter(organisation=organisation).exists():
        Organisation.objects.filter(pk=organisation.pk).update(
            name=erased_organisation_name(organisation), require_mfa=False
        )
        report.count("organisations.organisation", 1, anonymised=True)
        report.kept["organisations.organisation"] = (
            "The organisation row stays under a neutral pseudonym because its orders are kept by law."
        )
    else:
        Organisation.objects.filter(pk=organisation.pk).delete()
        report.count("organisations.organisation", 1)


register(
    Source(
        key="organisations",
        models=(
            "organisations.organisation",
            "organisations.membership",
            "organisations.invitation",
            "organisations.staffassignment",
        ),
        export=export,
        erase=erase,
        categories=_(
            "Memberships and roles; invitations (email address, name); a private customer's name as their "
            "organisation"
        ),
        purpose=_("Giving customers' people access to their organisation in the portal"),
        retention=_(
            "While the membership exists; invitations until they expire or are used, then as the record of who "
            "was invited"
        ),
        recipients=_("Provider staff; the organisation's admins"),
        order=800,
    )
)

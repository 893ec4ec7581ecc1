"""Erasure (GDPR Art. 17, DSG Art. 32): a person deletes their account, a customer admin their organisation, or a
provider admin does either on someone's behalf.

Every registered source (privacy.registry, each app's `personal_data` module) erases its part for each subject,
in one transaction, in `sources()` order; the encrypted objects they name are deleted from storage once it has
committed. What the law makes the provider keep (orders, their lines and invoices) stays with the person
anonymised, and the ErasureRecord says so; the record itself holds counts, never an erased value, and the audit
entries about the erasure carry the record's id and counts only.

Who is erased with what (privacy.subjects explains what is whose):

- A person: their account and everything tied to them. A private customer whose only member they are is the
  person too, so it is erased with them (as an organisation, below). The last admin of an organisation that has
  other members is refused: another admin must be appointed first, or the organisation erased.
- An organisation: all its data, and every member who belongs to no other organisation; members of several
  organisations lose only this membership. An organisation with open orders (requested, confirmed, shipped)
  waits for a provider admin's approval (`decide_organisation_erasure`), unless a provider admin asked.

The account row is deleted, not blanked: every reference to it is SET_NULL, cascades with it, or is the audit
log's bare id (kept without a constraint, redacted), so nothing of the person stays.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce.models import Order, OrderStatus
from kundportal.documents import blobstore
from kundportal.organisations.access import is_provider_admin
from kundportal.organisations.models import CustomerRole, Membership, Organisation, OrganisationKind
from kundportal.privacy.models import DoNotContact, ErasureKind, ErasureRecord, ErasureStatus
from kundportal.privacy.registry import ErasureReport, Subject, sources

if TYPE_CHECKING:
    from kundportal.accounts.models import User

log = logging.getLogger("kundportal.privacy")

OPEN_ORDER_STATUSES = (OrderStatus.REQUESTED, OrderStatus.CONFIRMED, OrderStatus.SHIPPED)

# ErasureRecord.requested_by_role: stored values (the record is read by staff through its labels).
THE_PERSON = "the person"
CUSTOMER_ADMIN = "customer admin"
PROVIDER_ADMIN = "provider admin"


class ErasureRefused(Exception):
    """The erasure cannot be done as asked; `message` says why and what to do instead (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------------------------------------
# The do-not-contact list
# ------------------------------------------------------------------------------------------------------


def email_hmac(email: str) -> str:
    """HMAC-SHA256 of the normalised address, keyed from SECRET_KEY: the list never holds an address."""
    normalised = email.strip().lower()
    return salted_hmac("kundportal.privacy.do-not-contact", normalised, algorithm="sha256").hexdigest()


def is_do_not_contact(email: str) -> bool:
    return bool(email.strip()) and DoNotContact.objects.filter(email_hmac=email_hmac(email)).exists()


def do_not_contact_among(emails: Iterable[str]) -> set[str]:
    """Which of `emails` are on the list (one query), as given."""
    by_hmac = {email_hmac(email): email for email in emails if email and email.strip()}
    found = DoNotContact.objects.filter(email_hmac__in=list(by_hmac)).values_list("email_hmac", flat=True)
    return {by_hmac[value] for value in found}


def _add_do_not_contact(emails: Iterable[str]) -> int:
    added = 0
    for email in {email.strip().lower() for email in emails if email and email.strip()}:
        _entry, created = DoNotContact.objects.get_or_create(email_hmac=email_hmac(email))
        added += created
    return added


# ------------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------------


def _refuse_staff(user: User) -> None:
    if user.provider_role:
        raise ErasureRefused(
            _(
                "Provider staff accounts are not erased here. Remove the person's provider role first; their "
                "work records stay with the provider."
            )
        )


def _refuse_last_admin(user: User) -> None:
    """The last admin of an organisation with other members would leave it without anyone to manage it."""
    for membership in Membership.objects.filter(user=user, role=CustomerRole.ADMIN).select_related(
        "organisation"
    ):
        others = Membership.objects.filter(organisation=membership.organisation).exclude(user=user)
        if others.exists() and not others.filter(role=CustomerRole.ADMIN).exists():
            raise ErasureRefused(
                _(
                    "You are the last admin of %(organisation)s, which has other members. Appoint another "
                    "admin first, or erase the organisation."
                )
                % {"organisation": membership.organisation.name}
            )


def _sole_private_organisations(user: User) -> list[Organisation]:
    """Private customers whose only member is `user`: they are the person, and go with them."""
    organisations = Organisation.objects.filter(kind=OrganisationKind.PRIVATE, memberships__user=user)
    return [
        organisation
        for organisation in organisations
        if not Membership.objects.filter(organisation=organisation).exclude(user=user).exists()
    ]


def has_open_orders(organisation: Organisation) -> bool:
    return Order.objects.filter(organisation=organisation, status__in=OPEN_ORDER_STATUSES).exists()


def _role(actor: User, *, person: User | None = None) -> str:
    if person is not None and actor.pk == person.pk:
        return THE_PERSON
    if is_provider_admin(actor):
        return PROVIDER_ADMIN
    return CUSTOMER_ADMIN


def _audit_actor(actor: User, erased: Iterable[User]) -> dict[str, Any]:
    """Who to record as the actor: a person erasing themself is recorded without their name or email."""
    if any(actor.pk == user.pk for user in erased):
        return {"actor": None, "actor_label": "privacy"}
    return {"actor": actor}


# ------------------------------------------------------------------------------------------------------
# Running the sources
# ------------------------------------------------------------------------------------------------------


def _overwrite_deleted_data() -> None:
    """SQLite keeps deleted rows in free pages (and old page images in the write-ahead log) until they are
    reused: with secure_delete it overwrites them with zeros, and a checkpoint after the commit empties the log.
    (PostgreSQL reuses dead rows' space after VACUUM; the database's storage is the operator's to protect.)"""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = ON")

    def checkpoint() -> None:
        if not connection.is_in_memory_db():
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    transaction.on_commit(checkpoint)


def _run(subjects: list[Subject], report: ErasureReport) -> None:
    _overwrite_deleted_data()
    for source in sources():
        for subject in subjects:
            source.erase(subject, report)


def _delete_blobs(names: list[str]) -> None:
    for name in names:
        try:
            blobstore.delete(name)
        except Exception:  # the orphan sweep removes it later; the erasure itself is done
            log.exception("could not delete object %s after an erasure", name)


def _finish(
    record: ErasureRecord,
    report: ErasureReport,
    *,
    consents: int,
    do_not_contact: bool,
    members: int,
) -> None:
    record.status = ErasureStatus.DONE
    record.done_at = timezone.now()
    record.organisation = None
    record.report = {
        "erased": report.erased,
        "anonymised": report.anonymised,
        "kept": report.kept,
        "files_deleted": len(report.blobs),
        "consents_withdrawn": consents,
        "do_not_contact": do_not_contact,
        "people_erased": members,
    }
    record.save()
    blobs = list(report.blobs)
    transaction.on_commit(lambda: _delete_blobs(blobs))


def _erase(
    *,
    record: ErasureRecord,
    organisations: list[Organisation],
    people: list[User],
    do_not_contact: bool,
    extra_emails: Iterable[str] = (),
) -> ErasureReport:
    """Erase `organisations` and `people` for `record`, inside the caller's transaction."""
    from kundportal.privacy.models import Consent

    emails = [user.email for user in people] + list(extra_emails)
    consents = (
        Consent.objects.filter(user__in=people, granted=True).values("user", "purpose").distinct().count()
    )
    report = ErasureReport()
    subjects = [Subject(organisation=organisation) for organisation in organisations]
    subjects += [Subject(user=user) for user in people]
    _run(subjects, report)
    if do_not_contact:
        _add_do_not_contact(emails)
    _finish(record, report, consents=consents, do_not_contact=do_not_contact, members=len(people))
    return report


# ------------------------------------------------------------------------------------------------------
# A person
# ------------------------------------------------------------------------------------------------------


def erase_user(
    *, actor: User, user: User, do_not_contact: bool, request: HttpRequest | None = None
) -> ErasureRecord:
    """Erase `user`: by themself (the page has re-authenticated them) or by a provider admin on their behalf.

    Raises ErasureRefused (provider staff; the last admin of an organisation with other members). A private
    customer with open orders whose only member they are waits for the provider's approval: the returned record
    is then AWAITING_APPROVAL (an organisation erasure, which erases the person with it when approved)."""
    if actor.pk != user.pk and not is_provider_admin(actor):
        raise PermissionDenied
    _refuse_staff(user)
    _refuse_last_admin(user)
    private = _sole_private_organisations(user)
    for organisation in private:
        if has_open_orders(organisation) and not is_provider_admin(actor):
            return _request_approval(
                actor=actor,
                organisation=organisation,
                role=_role(actor, person=user),
                do_not_contact=do_not_contact,
                request=request,
            )
    with transaction.atomic():
        record = ErasureRecord.objects.create(
            kind=ErasureKind.USER, requested_by_role=_role(actor, person=user)
        )
        audit_actor = _audit_actor(actor, [user])
        report = _erase(record=record, organisations=private, people=[user], do_not_contact=do_not_contact)
        record_event(
            Action.ERASURE_DONE,
            target=record,
            request=None if actor.pk == user.pk else request,
            kind=record.kind,
            role=record.requested_by_role,
            erased=sum(report.erased.values()),
            anonymised=sum(report.anonymised.values()),
            **audit_actor,
        )
    return record


# ------------------------------------------------------------------------------------------------------
# An organisation
# ------------------------------------------------------------------------------------------------------


def _require_organisation_admin(actor: User, organisation: Organisation) -> None:
    if is_provider_admin(actor):
        return
    if not Membership.objects.filter(organisation=organisation, user=actor, role=CustomerRole.ADMIN).exists():
        raise PermissionDenied


def _request_approval(
    *, actor: User, organisation: Organisation, role: str, do_not_contact: bool, request: HttpRequest | None
) -> ErasureRecord:
    with transaction.atomic():
        waiting = ErasureRecord.objects.filter(
            organisation=organisation, status=ErasureStatus.AWAITING_APPROVAL
        ).first()
        if waiting is not None:  # asked twice: one request
            return waiting
        record = ErasureRecord.objects.create(
            kind=ErasureKind.ORGANISATION,
            status=ErasureStatus.AWAITING_APPROVAL,
            organisation=organisation,
            requested_by_role=role,
            report={"do_not_contact": do_not_contact},
        )
        record_event(
            Action.ERASURE_REQUESTED,
            actor=actor,
            organisation=organisation,
            target=record,
            request=request,
            kind=record.kind,
            role=role,
        )
    return record


def _members_to_erase(organisation: Organisation) -> list[User]:
    """Members who belong to no other organisation (and are not provider staff): they go with it."""
    from kundportal.accounts.models import User

    members = User.objects.filter(memberships__organisation=organisation, provider_role="")
    return [
        user
        for user in members
        if not Membership.objects.filter(user=user).exclude(organisation=organisation).exists()
    ]


def _erase_organisation_now(
    *,
    actor: User,
    organisation: Organisation,
    record: ErasureRecord,
    do_not_contact: bool,
    request: HttpRequest | None,
) -> ErasureRecord:
    from kundportal.customers.models import CustomerProfile

    people = _members_to_erase(organisation)
    profile_email = (
        CustomerProfile.objects.filter(organisation=organisation).values_list("email", flat=True).first()
        or ""
    )
    audit_actor = _audit_actor(actor, people)
    report = _erase(
        record=record,
        organisations=[organisation],
        people=people,
        do_not_contact=do_not_contact,
        extra_emails=[profile_email],
    )
    record_event(
        Action.ERASURE_DONE,
        target=record,
        request=request if audit_actor.get("actor") is not None else None,
        kind=record.kind,
        role=record.requested_by_role,
        people=len(people),
        erased=sum(report.erased.values()),
        anonymised=sum(report.anonymised.values()),
        **audit_actor,
    )
    return record


def erase_organisation(
    *, actor: User, organisation: Organisation, do_not_contact: bool, request: HttpRequest | None = None
) -> ErasureRecord:
    """Erase `organisation` for a customer admin of it, or a provider admin. With open orders, a customer
    admin's request waits for a provider admin (the record returned is AWAITING_APPROVAL)."""
    _require_organisation_admin(actor, organisation)
    role = _role(actor)
    if has_open_orders(organisation) and not is_provider_admin(actor):
        return _request_approval(
            actor=actor, organisation=organisation, role=role, do_not_contact=do_not_contact, request=request
        )
    with transaction.atomic():
        record = ErasureRecord.objects.create(kind=ErasureKind.ORGANISATION, requested_by_role=role)
        return _erase_organisation_now(
            actor=actor,
            organisation=organisation,
            record=record,
            do_not_contact=do_not_contact,
            request=request,
        )


def decide_organisation_erasure(
    *, actor: User, record: ErasureRecord, approve: bool, request: HttpRequest | None = None
) -> ErasureRecord:
    """A provider admin approves (the organisation is erased now) or rejects a waiting erasure."""
    if not is_provider_admin(actor):
        raise PermissionDenied
    with transaction.atomic():
        record = ErasureRecord.objects.select_for_update().get(pk=record.pk)
        if record.status != ErasureStatus.AWAITING_APPROVAL:
            raise ValidationError(_("This erasure has been decided already."))
        record.decided_by = actor
        organisation = record.organisation
        if approve and organisation is None:
            raise ValidationError(_("The organisation no longer exists."))
        if not approve:
            record.status = ErasureStatus.REJECTED
            record.done_at = timezone.now()
            record.save(update_fields=["status", "decided_by", "done_at"])
            record_event(
                Action.ERASURE_REJECTED,
                actor=actor,
                organisation_id=record.organisation_id,
                target=record,
                request=request,
                kind=record.kind,
            )
            return record
        assert organisation is not None
        return _erase_organisation_now(
            actor=actor,
            organisation=organisation,
            record=record,
            do_not_contact=bool(record.report.get("do_not_contact")),
            request=request,
        )

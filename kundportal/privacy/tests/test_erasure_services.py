"""Erasure services: who may erase what, the refusals, approval of organisations with open orders, a running
export cancelled, a company member's erasure keeping the company's data, and the do-not-contact list."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import make_user
from kundportal.accounts.models import User
from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import Order, OrderStatus
from kundportal.commerce.tests.factories import make_order, make_product
from kundportal.customers.models import CustomerProfile
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import DocumentVersion, Folder
from kundportal.documents.services import upload_document_version
from kundportal.imports.tests.conftest import customers_csv
from kundportal.messaging.models import Message, Thread
from kundportal.organisations.access import organisation_access
from kundportal.organisations.models import Invitation, Membership, Organisation, OrganisationKind
from kundportal.organisations.services import invite_member
from kundportal.privacy.erasure import (
    ErasureRefused,
    decide_organisation_erasure,
    email_hmac,
    erase_organisation,
    erase_user,
    is_do_not_contact,
)
from kundportal.privacy.models import DataExport, DoNotContact, ErasureRecord, ErasureStatus, ExportStatus

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "organisations": Organisation.objects.count(),
        "records": ErasureRecord.objects.count(),
        "events": AuditEvent.objects.count(),
    }


# ---- who may erase ---------------------------------------------------------------------------------------


def test_a_person_cannot_erase_someone_else(customer_admin: Any, customer_member: Any) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        erase_user(actor=customer_admin, user=customer_member, do_not_contact=False)
    assert counts() == before


def test_an_outsider_or_a_member_cannot_erase_the_organisation(
    organisation: Any, outsider: Any, customer_admin: Any, customer_member: Any
) -> None:
    before = counts()
    for actor in (outsider, customer_member):
        with pytest.raises(PermissionDenied):
            erase_organisation(actor=actor, organisation=organisation, do_not_contact=False)
    assert counts() == before


def test_provider_staff_are_not_erased_here(provider_admin: Any, account_manager: Any) -> None:
    with pytest.raises(ErasureRefused, match="provider role"):
        erase_user(actor=provider_admin, user=account_manager, do_not_contact=False)
    assert User.objects.filter(pk=account_manager.pk).exists()


# ---- the last admin ----------------------------------------------------------------------------------------


def test_the_last_admin_of_an_organisation_with_other_members_is_refused(
    customer_admin: Any, customer_member: Any, provider_admin: Any
) -> None:
    before = counts()
    for actor in (customer_admin, provider_admin):
        with pytest.raises(ErasureRefused) as refused:
            erase_user(actor=actor, user=customer_admin, do_not_contact=True)
        assert "Appoint another admin first, or erase the organisation" in refused.value.message
    assert counts() == before
    assert not DoNotContact.objects.exists()


def test_a_member_is_erased_and_the_company_keeps_its_documents(
    organisation: Any, customer_admin: Any, customer_member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    folder = Folder.objects.create(organisation=organisation, name="Shared")
    version = upload_document_version(
        actor=customer_member,
        folder=get_folder_for_user(customer_member, folder.pk, write=True),
        name="report.pdf",
        stream=io.BytesIO(b"company data"),
        note="from Mia Member",
    )
    thread = Thread.objects.create(organisation=organisation, subject="Question", created_by=customer_member)
    written = Message.objects.create(
        thread=thread, author=customer_member, body="mine", body_html="<p>mine</p>"
    )
    reply = Message.objects.create(
        thread=thread, author=customer_admin, body="Thanks Mia Member", body_html="<p>Thanks Mia Member</p>"
    )
    CustomerProfile.objects.create(organisation=organisation, email="mia@acme.example")
    email = customer_member.email

    with django_capture_on_commit_callbacks(execute=True):
        record = erase_user(actor=customer_member, user=customer_member, do_not_contact=False)

    assert record.status == ErasureStatus.DONE and record.kind == "user"
    assert not User.objects.filter(pk=customer_member.pk).exists()
    assert Organisation.objects.filter(pk=organisation.pk, name="Acme AB").exists()
    version.refresh_from_db()
    assert version.uploaded_by is None and version.note == "from Erased person"
    assert DocumentVersion.objects.filter(pk=version.pk).exists()  # the company's document stays
    written.refresh_from_db()
    reply.refresh_from_db()
    assert (written.body, written.body_html, written.author) == ("", "", None)  # the placeholder
    assert reply.body == "Thanks Erased person"
    assert Thread.objects.filter(pk=thread.pk).exists()  # the other side keeps the conversation
    assert CustomerProfile.objects.get(organisation=organisation).email == ""
    assert not is_do_not_contact(email)
    assert Membership.objects.filter(user=customer_admin).exists()


# ---- organisations -------------------------------------------------------------------------------------------


def test_an_organisation_with_open_orders_waits_for_approval(
    organisation: Any,
    customer_admin: Any,
    customer_member: Any,
    outsider: Any,
    provider_admin: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = make_product("SKU-9")
    open_order = make_order(
        organisation, (product, 1), placed_by=customer_member, status=OrderStatus.CONFIRMED
    )
    Membership.objects.create(organisation=outsider.memberships.get().organisation, user=customer_member)

    record = erase_organisation(actor=customer_admin, organisation=organisation, do_not_contact=True)
    assert record.status == ErasureStatus.AWAITING_APPROVAL and record.organisation_id == organisation.pk
    assert erase_organisation(actor=customer_admin, organisation=organisation, do_not_contact=True) == record
    assert User.objects.filter(pk=customer_admin.pk).exists()
    assert AuditEvent.objects.filter(action=Action.ERASURE_REQUESTED, target_id=str(record.pk)).count() == 1

    with pytest.raises(PermissionDenied):
        decide_organisation_erasure(actor=customer_admin, record=record, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        record = decide_organisation_erasure(actor=provider_admin, record=record, approve=True)

    assert record.status == ErasureStatus.DONE and record.decided_by == provider_admin
    assert record.organisation is None
    # Members of this organisation only are erased; a member of another keeps that membership.
    assert not User.objects.filter(pk=customer_admin.pk).exists()
    assert Membership.objects.filter(user=customer_member).count() == 1
    assert record.report["people_erased"] == 1
    # The order is kept by law, anonymised; the organisation stays under a pseudonym for it.
    open_order.refresh_from_db()
    assert open_order.placed_by is None
    assert Organisation.objects.get(pk=organisation.pk).name.startswith("Erased customer")
    assert is_do_not_contact("carl@acme.example")
    assert not is_do_not_contact(customer_member.email)
    with pytest.raises(ValidationError):
        decide_organisation_erasure(actor=provider_admin, record=record, approve=False)


def test_a_waiting_erasure_can_be_rejected(
    organisation: Any, customer_admin: Any, provider_admin: Any
) -> None:
    make_order(organisation, (make_product("SKU-8"), 1), status=OrderStatus.REQUESTED)
    record = erase_organisation(actor=customer_admin, organisation=organisation, do_not_contact=False)
    record = decide_organisation_erasure(actor=provider_admin, record=record, approve=False)
    assert record.status == ErasureStatus.REJECTED
    assert Organisation.objects.filter(pk=organisation.pk, name="Acme AB").exists()
    assert User.objects.filter(pk=customer_admin.pk).exists()
    assert AuditEvent.objects.filter(action=Action.ERASURE_REJECTED).exists()


def test_an_organisation_without_orders_is_deleted_outright(
    organisation: Any, customer_admin: Any, customer_viewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = erase_organisation(actor=customer_admin, organisation=organisation, do_not_contact=False)
    assert record.status == ErasureStatus.DONE
    assert not Organisation.objects.filter(pk=organisation.pk).exists()
    assert not User.objects.filter(pk__in=[customer_admin.pk, customer_viewer.pk]).exists()
    done = AuditEvent.objects.get(action=Action.ERASURE_DONE)
    assert done.actor_id is None and "carl" not in str(done.data) + done.actor_label


def test_a_private_customer_with_open_orders_waits_for_approval(provider_admin: Any) -> None:
    person = make_user("pia@home.example", full_name="Pia Private")
    home = Organisation.objects.create(name="Pia Private", kind=OrganisationKind.PRIVATE)
    Membership.objects.create(organisation=home, user=person, role="admin")
    make_order(home, (make_product("SKU-7"), 1), placed_by=person, status=OrderStatus.SHIPPED)

    record = erase_user(actor=person, user=person, do_not_contact=False)

    assert record.status == ErasureStatus.AWAITING_APPROVAL and record.organisation_id == home.pk
    assert User.objects.filter(pk=person.pk).exists()
    assert Order.objects.filter(organisation=home, placed_by=person).exists()


# ---- a running export --------------------------------------------------------------------------------------


def test_erasure_while_an_export_runs_cancels_it(
    customer_member: Any, customer_admin: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    running = DataExport.objects.create(user=customer_member, status=ExportStatus.RUNNING)
    cancelled: list[str] = []
    from kundportal.privacy import exports

    original = exports.cancel_for

    def spy(user: Any) -> int:
        result = original(user)
        cancelled.append(DataExport.objects.get(pk=running.pk).status)
        return result

    monkeypatch.setattr(exports, "cancel_for", spy)
    with django_capture_on_commit_callbacks(execute=True):
        erase_user(actor=customer_member, user=customer_member, do_not_contact=False)
    assert cancelled == [ExportStatus.CANCELLED]
    assert not DataExport.objects.filter(pk=running.pk).exists()


# ---- the do-not-contact list --------------------------------------------------------------------------------


def test_do_not_contact_is_a_keyed_hash_of_the_normalised_address(
    customer_member: Any, customer_admin: Any
) -> None:
    erase_user(actor=customer_member, user=customer_member, do_not_contact=True)
    entry = DoNotContact.objects.get()
    assert entry.email_hmac == email_hmac(" MIA@acme.example ") and "mia" not in entry.email_hmac
    assert is_do_not_contact("Mia@Acme.Example")
    assert not is_do_not_contact("someone@acme.example")
    assert not is_do_not_contact("")


def test_an_invitation_to_a_do_not_contact_address_is_refused(
    organisation: Any, customer_admin: Any, customer_member: Any
) -> None:
    erase_user(actor=customer_member, user=customer_member, do_not_contact=True)
    with pytest.raises(ValidationError) as refused:
        invite_member(
            actor=customer_admin,
            access=organisation_access(customer_admin, organisation),
            email="Mia@acme.example",
            role="member",
        )
    assert "do-not-contact" in str(refused.value)
    assert not Invitation.objects.filter(email="mia@acme.example").exists()


def test_a_customer_import_leaves_out_do_not_contact_addresses(provider_admin: Any) -> None:
    from kundportal.imports.parsers import decode, read_csv
    from kundportal.imports.services import run_import

    DoNotContact.objects.create(email_hmac=email_hmac("info2@kund.example"))
    text, encoding = decode(customers_csv(2), "customers")
    report = run_import(
        actor=provider_admin,
        table=read_csv(text, "customers", encoding=encoding),
        dry_run=False,
        source="test",
    )
    assert report.ok
    assert CustomerProfile.objects.get(external_id="K-00002").email == ""
    assert CustomerProfile.objects.get(external_id="K-00001").email == "info1@kund.example"
    assert [(n.row, n.column, n.code) for n in report.notices] == [(3, "email", "do_not_contact")]

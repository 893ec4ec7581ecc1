"""Issue 7's end-to-end test: a private customer with profile, IBAN, orders, uploads, messages, consents and
notifications, each carrying a unique marker. Their export contains every marker; after their erasure no marker
remains in any table, in the database file's bytes or in storage (raw and decrypted), the invoices still exist
anonymised, and the audit chain verifies."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import make_user
from kundportal.audit.chain import seal_pending
from kundportal.audit.models import Action, AuditEvent
from kundportal.audit.services import record_event
from kundportal.commerce.invoices import issue_invoice
from kundportal.commerce.models import Order, OrderStatus, ReorderRequest
from kundportal.commerce.tests.factories import make_order, make_product
from kundportal.customers.addresses import create_address
from kundportal.customers.payment_methods import add_payment_method
from kundportal.customers.services import update_profile
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Document, DocumentVersion, Folder
from kundportal.documents.services import read_version, upload_document_version
from kundportal.messaging.models import Category, Message, MessageAttachment, Thread
from kundportal.messaging.notifications import notify
from kundportal.offers.models import OfferResponse
from kundportal.offers.tests.customer_offers import make_offer
from kundportal.organisations.access import organisation_access
from kundportal.organisations.models import Membership, Organisation, OrganisationKind, StaffAssignment
from kundportal.privacy.erasure import erase_user, is_do_not_contact
from kundportal.privacy.exports import read_export, request_export
from kundportal.privacy.models import Consent, DataExport, ErasureRecord, ErasureStatus
from kundportal.privacy.purposes import MARKETING_EMAIL, PERSONALISED_OFFERS
from kundportal.privacy.services import record_consent

pytestmark = pytest.mark.django_db

MARK = "zq7marker"
IBAN = "DE89 3704 0044 0532 0130 00"


def marker(n: int) -> str:
    return f"{MARK}{n:02d}"


class Customer:
    """Everything the private customer puts into the portal; `markers` lists what must be exported and erased."""

    def __init__(self, staff: Any, manager: Any) -> None:
        self.markers: list[str] = []
        self.user = make_user(f"{self.mark()}@example.com", full_name=f"Zoe {self.mark()}")
        self.organisation = Organisation.objects.create(
            name=f"Zoe {self.mark()}", kind=OrganisationKind.PRIVATE
        )
        StaffAssignment.objects.create(organisation=self.organisation, user=manager)
        Membership.objects.create(organisation=self.organisation, user=self.user, role="admin")
        access = organisation_access(self.user, self.organisation)
        update_profile(actor=self.user, access=access, data={"email": f"{self.mark()}@example.org"})
        create_address(
            actor=self.user,
            access=access,
            purpose="billing",
            data={
                "name": f"Zoe {self.mark()}",
                "street_address": f"{self.mark()}gatan 1",
                "postal_code": "114 55",
                "city": "Stockholm",
                "country": "SE",
            },
        )
        add_payment_method(
            actor=self.user,
            access=access,
            kind="sepa",
            data={"kind": "sepa", "account_holder": f"Zoe {self.mark()}", "iban": IBAN},
        )
        # Orders: one invoiced (kept by law, with its PDF), one delivered, placed by the person.
        product = make_product("SKU-1", "Widget")
        self.invoiced = make_order(
            self.organisation, (product, 2), placed_by=self.user, status=OrderStatus.CONFIRMED
        )
        issue_invoice(actor=staff, order=self.invoiced)
        self.delivered = make_order(
            self.organisation, (product, 1), placed_by=self.user, status=OrderStatus.DELIVERED
        )
        ReorderRequest.objects.create(
            organisation=self.organisation, order=self.delivered, requested_by=self.user, message=self.mark()
        )
        # An upload with a marker in its name, its note and its content.
        folder = Folder.objects.create(organisation=self.organisation, name="Shared")
        folder_access = get_folder_for_user(self.user, folder.pk, write=True)
        self.upload = upload_document_version(
            actor=self.user,
            folder=folder_access,
            name=f"{self.mark()}.txt",
            stream=io.BytesIO(f"my secret {self.mark()}".encode()),
            note=self.mark(),
        )
        # A conversation: their message with the upload attached, and staff's answer naming them.
        thread = Thread.objects.create(
            organisation=self.organisation, subject=self.mark(), created_by=self.user
        )
        body = f"Hello {self.mark()}"
        message = Message.objects.create(
            thread=thread, author=self.user, body=body, body_html=f"<p>{body}</p>"
        )
        MessageAttachment.objects.create(message=message, document=self.upload.document, version=self.upload)
        answer = f"Dear {self.user.full_name}, {self.mark()}"
        Message.objects.create(thread=thread, author=staff, body=answer, body_html=f"<p>{answer}</p>")
        # Consents, a notification for them and one about them for staff, an offer response.
        record_consent(actor=self.user, user=self.user, purpose=PERSONALISED_OFFERS, granted=True)
        record_consent(actor=self.user, user=self.user, purpose=MARKETING_EMAIL, granted=True)
        notify(
            recipients=[self.user],
            category=Category.MESSAGE,
            organisation=self.organisation,
            params={"subject": self.mark()},
            url="/messages/",
        )
        notify(
            recipients=[manager],
            category=Category.MESSAGE,
            organisation=None,
            params={"author": self.user.full_name},
            url="/messages/",
            actor=self.user,
        )
        OfferResponse.objects.create(
            offer=make_offer(), user=self.user, organisation=self.organisation, message=self.mark()
        )
        # What the audit log recorded: their own login, and staff viewing their data.
        record_event(Action.LOGIN, actor=self.user, ip="203.0.113.9", note=self.mark())
        record_event(
            Action.CUSTOMER_VIEWED, actor=staff, organisation=self.organisation, target=self.organisation
        )

    def mark(self) -> str:
        value = marker(len(self.markers) + 1)
        self.markers.append(value)
        return value


# ----------------------------------------------------------------------------------------------------------
# Searching every byte
# ----------------------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("latin-1")
    return str(value)


def markers_in_tables() -> list[str]:
    """Every table of the database, every column of every row."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor, include_views=False):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if value is not None and MARK in _cell_text(value).lower():
                        found.append(f"{table}: {_cell_text(value)[:120]}")
    return found


def markers_in_database_file(tmp_path: Path) -> list[str]:
    """The database's pages as bytes: free pages and unused space inside pages included (deleted rows linger
    there unless overwritten)."""
    if connection.vendor != "sqlite":
        pytest.skip("reading the database file's bytes is done on SQLite")
    connection.ensure_connection()
    if not connection.is_in_memory_db():
        with connection.cursor() as cursor:  # what the write-ahead log holds goes into the file first
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target_path = tmp_path / "copy.sqlite3"
    # serialize() hands over the database's pages as they are, from this connection (whose test transaction
    # holds the lock a second connection's backup would wait for).
    target_path.write_bytes(connection.connection.serialize())
    raw = target_path.read_bytes().lower()
    found = []
    for encoded in (MARK.encode(), MARK.encode("utf-16-le")):
        position = raw.find(encoded)
        if position >= 0:
            found.append(raw[max(0, position - 40) : position + 40].decode("latin-1"))
    return found


def markers_in_storage(files_root: Path, kept_invoice_blobs: set[str]) -> list[str]:
    """Every stored object, raw; and every version still in the database, decrypted (the invoice PDFs kept by
    law are the exception: they stay as issued, with the customer's name and address)."""
    found = []
    for path in files_root.rglob("*"):
        if path.is_file() and MARK.encode() in path.read_bytes().lower():
            found.append(str(path))
    for version in DocumentVersion.objects.select_related("document"):
        if version.blob_name in kept_invoice_blobs:
            continue
        plaintext = b"".join(read_version(version)).lower()
        if MARK.encode() in plaintext:
            found.append(f"decrypted {version.document.name} v{version.number}")
    return found


# ----------------------------------------------------------------------------------------------------------
# The test
# ----------------------------------------------------------------------------------------------------------


def test_export_has_every_marker_and_erasure_leaves_none(
    provider_admin: Any,
    account_manager: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        customer = Customer(provider_admin, account_manager)
    user = customer.user

    # Export: every marker is in the ZIP (data.json or the files).
    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(actor=user, user=user)
    export.refresh_from_db()
    assert export.status == "ready", export.error
    archive = zipfile.ZipFile(io.BytesIO(b"".join(read_export(export))))
    everything = "\n".join(
        archive.read(name).decode("utf-8", "replace")
        for name in archive.namelist()
        if not name.endswith(".pdf")
    )
    missing = [value for value in customer.markers if value not in everything]
    assert not missing, f"markers missing from the export: {missing}"
    assert any(name.endswith(".pdf") for name in archive.namelist())  # the invoice, decrypted
    data = json.loads(archive.read("data.json"))
    assert any(
        row.get("iban", "").replace(" ", "") == IBAN.replace(" ", "")
        for row in data["sections"]["customers.payment_methods"]
    )

    seal_pending()
    invoice_document = Order.objects.get(pk=customer.invoiced.pk).invoice
    assert invoice_document is not None
    invoice_blobs = set(
        DocumentVersion.objects.filter(document=invoice_document).values_list("blob_name", flat=True)
    )
    consents = Consent.objects.filter(user=user).count()
    assert consents == 2

    # The byte search finds what is there; and erasure overwrites deleted rows even where SQLite would not.
    assert markers_in_database_file(tmp_path)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = OFF")

    with django_capture_on_commit_callbacks(execute=True):
        record = erase_user(actor=user, user=user, do_not_contact=True)
    seal_pending()

    assert record.status == ErasureStatus.DONE
    assert record.report["consents_withdrawn"] == 2
    assert "commerce.orders" in record.report["kept"]
    assert MARK not in json.dumps(record.report).lower()

    # No marker anywhere: every table, the database's bytes, every stored object (raw and decrypted).
    assert markers_in_tables() == []
    assert markers_in_database_file(tmp_path) == []
    assert markers_in_storage(tmp_path / "files", invoice_blobs) == []

    # The invoice and its order remain, anonymised; the rest of the person's things are gone.
    orders = Order.objects.filter(pk__in=[customer.invoiced.pk, customer.delivered.pk])
    assert orders.count() == 2
    assert not orders.filter(placed_by__isnull=False).exists()
    invoiced = Order.objects.select_related("organisation", "invoice").get(pk=customer.invoiced.pk)
    assert invoiced.invoice_number and invoiced.invoice_id == invoice_document.pk
    assert invoiced.organisation.name.startswith("Erased customer")
    assert not invoiced.organisation.memberships.exists()
    assert DocumentVersion.objects.filter(document=invoice_document).exists()
    assert not Document.objects.filter(pk=customer.upload.document_id).exists()
    assert all((tmp_path / "files" / name).exists() for name in invoice_blobs)
    assert not (tmp_path / "files" / customer.upload.blob_name).exists()
    assert not DataExport.objects.exists()
    assert not (tmp_path / "files" / export.blob_name).exists()
    from kundportal.accounts.models import User

    assert not User.objects.filter(pk=user.pk).exists()
    assert ErasureRecord.objects.filter(pk=record.pk).exists()
    assert is_do_not_contact(user.email)
    # The erasure is in the audit log without the erased data.
    done = AuditEvent.objects.get(action=Action.ERASURE_DONE)
    assert done.target_id == str(record.pk) and done.actor_id is None

    # The chain still verifies (exit status 0; a broken chain exits with 1).
    call_command("audit", "verify")

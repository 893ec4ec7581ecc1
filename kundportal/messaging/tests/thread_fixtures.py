"""Shared objects for the conversation tests (imported by the test modules: the tests folder is shared with
the notification tests, which keep their own fixtures)."""

from __future__ import annotations

import io

import pytest

from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Folder, FolderAccess
from kundportal.documents.services import upload_document_version
from kundportal.messaging import threads
from kundportal.messaging.attachments import IncomingFile

MARKER = "ZQX-INTERNAL-7731"


def stored(user, folder, name, data=b"data"):
    access = get_folder_for_user(user, folder.pk, write=True)
    return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data))


def incoming(name="notes.txt", data=b"hello"):
    return IncomingFile(name=name, stream=io.BytesIO(data), content_type="text/plain")


@pytest.fixture
def drawings(organisation):
    return Folder.objects.create(organisation=organisation, name="Drawings", access=FolderAccess.READ_WRITE)


@pytest.fixture
def drawing(drawings, customer_member):
    return stored(customer_member, drawings, "plan.pdf", b"%PDF-1.4 plan").document


@pytest.fixture
def thread(organisation, customer_member, customer_admin, customer_viewer, account_manager):
    """A conversation Mia started, everyone of Acme taking part."""
    return threads.start_thread(
        actor=customer_member,
        organisation=organisation,
        subject="Delivery date",
        body="When will it *arrive*?",
    )


@pytest.fixture
def other_thread(outsider, other_organisation):
    return threads.start_thread(
        actor=outsider, organisation=other_organisation, subject="Other customer's question", body="Hello"
    )


@pytest.fixture
def noted_thread(thread, account_manager):
    """The thread with an internal note (and its file) that only staff may ever see."""
    threads.post_message(
        actor=account_manager,
        thread=thread,
        body=f"Customer pays late. {MARKER}",
        internal=True,
        files=[incoming(f"{MARKER}.txt", MARKER.encode())],
    )
    return thread

"""No customer-facing path ever returns an internal note: a note with a unique marker (in its text and the
name of its file) is looked for on every page and API route a customer can reach, in every customer role."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from kundportal.documents.models import FolderAccess
from kundportal.messaging import threads
from kundportal.messaging.models import Message, MessageAttachment, Notification
from kundportal.messaging.tests.thread_fixtures import *  # noqa: F403
from kundportal.messaging.tests.thread_fixtures import MARKER, incoming

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def long_noted_thread(
    organisation, customer_member, customer_admin, customer_viewer, account_manager, drawing
):
    """A thread about a drawing, two pages long, with notes on both pages (one with a file)."""
    thread = threads.start_thread(
        actor=customer_member,
        organisation=organisation,
        subject="Drawing question",
        body="Is this right?",
        document=drawing,
    )
    threads.post_message(
        actor=account_manager,
        thread=thread,
        body=f"First note {MARKER}",
        internal=True,
        files=[incoming(f"{MARKER}.txt", MARKER.encode())],
    )
    Message.objects.bulk_create(
        Message(thread=thread, author=customer_member, body=f"reply {n}", body_html=f"<p>reply {n}</p>")
        for n in range(60)
    )
    threads.post_message(actor=account_manager, thread=thread, body=f"Later note {MARKER}", internal=True)
    threads.post_message(actor=account_manager, thread=thread, body="A visible answer")
    return thread


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _page_urls(thread, drawing) -> list[str]:
    detail = reverse("thread_detail", args=[thread.pk])
    return [
        reverse("thread_list"),
        reverse("thread_list") + "?status=all",
        reverse("thread_list") + "?q=note&status=all",
        detail,
        detail + "?page=1",
        detail + "?page=2",
        reverse("thread_export", args=[thread.pk]),
        reverse("document_detail", args=[drawing.pk]),
        reverse("folder_detail", args=[drawing.folder_id]),
        reverse("organisation_documents", args=[thread.organisation_id]),
        reverse("dashboard"),
        reverse("notification_list"),
        reverse("notification_badge"),
    ]


def _api_urls(thread) -> list[str]:
    return [
        f"{API}/threads?status=all",
        f"{API}/threads/{thread.pk}",
        f"{API}/threads/{thread.pk}/messages?limit=100",
        f"{API}/threads/{thread.pk}/messages?limit=100&offset=50",
        f"{API}/notifications",
        f"{API}/notifications/count",
        f"{API}/organisations/{thread.organisation_id}/folders",
    ]


def test_staff_see_the_marker_so_the_walk_can_find_it(login, long_noted_thread, account_manager, drawing):
    client = login(account_manager)
    detail = reverse("thread_detail", args=[long_noted_thread.pk])
    assert MARKER in _text(client.get(detail + "?page=1"))
    assert MARKER in _text(client.get(reverse("thread_export", args=[long_noted_thread.pk])))
    assert long_noted_thread.pk in {t.pk for t in threads.search_threads(account_manager, MARKER)}


@pytest.mark.parametrize("role", ["customer_admin", "customer_member", "customer_viewer"])
def test_no_customer_facing_path_ever_returns_an_internal_note(
    request, role, login, api_client, long_noted_thread, drawing
):
    user = request.getfixturevalue(role)
    client = login(user)
    for url in _page_urls(long_noted_thread, drawing):
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text(response)
        assert MARKER not in text, url
        assert "Internal note" not in text and "internal-note" not in text, url
    api = api_client(user)
    for url in _api_urls(long_noted_thread):
        response = api.get(url)
        assert response.status_code == 200, url
        assert MARKER not in response.content.decode(), url
        assert '"internal": true' not in response.content.decode(), url
    assert api.get(f"{API}/threads/{long_noted_thread.pk}/notes").status_code == 404
    # Searching for the marker (which the search form repeats back) finds nothing.
    found = _text(client.get(reverse("thread_list"), {"q": MARKER, "status": "all"}))
    assert "Drawing question" not in found and "No conversation matches" in found
    assert api.get(f"{API}/threads", {"q": MARKER, "status": "all"}).json()["count"] == 0
    # What they were told: no notification about a note, no email with the marker.
    assert not Notification.objects.filter(recipient=user, params__internal=True).exists()
    assert all(MARKER not in message.body and MARKER not in message.subject for message in mail.outbox)


@pytest.mark.parametrize("role", ["customer_admin", "customer_member", "customer_viewer"])
def test_the_file_of_a_note_is_in_an_internal_folder_no_customer_can_open(
    request, role, login, api_client, long_noted_thread
):
    user = request.getfixturevalue(role)
    attachment = MessageAttachment.objects.select_related("document__folder").get(message__internal=True)
    assert attachment.document.folder.access == FolderAccess.INTERNAL
    client, api = login(user), api_client(user)
    folder, document = attachment.document.folder, attachment.document
    assert client.get(reverse("folder_detail", args=[folder.pk])).status_code == 404
    assert client.get(reverse("document_detail", args=[document.pk])).status_code == 404
    assert client.get(reverse("document_download", args=[document.pk])).status_code == 404
    assert api.get(f"{API}/documents/{document.pk}").status_code == 404
    assert api.get(f"{API}/folders/{folder.pk}/documents").status_code == 404


def test_customers_are_not_counted_unread_for_notes(long_noted_thread, customer_admin):
    from kundportal.messaging.models import ThreadInbox

    # the first message, 60 replies and the visible answer: the notes are not among them
    assert ThreadInbox.objects.get(user=customer_admin, thread=long_noted_thread).unread == 2

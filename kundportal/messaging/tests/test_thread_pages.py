"""The conversation pages: list, new conversation, thread page with replies and notes, close, export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kundportal.messaging import threads
from kundportal.messaging.models import Message, Thread, ThreadInbox
from kundportal.messaging.tests.thread_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def detail(thread):
    return reverse("thread_detail", args=[thread.pk])


def test_the_list_shows_unread_threads_marked(login, thread, customer_admin):
    response = login(customer_admin).get(reverse("thread_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Delivery date</strong>" in html
    assert "1 unread" in html
    assert "1 conversation with unread messages" in html


def test_the_list_has_a_clear_empty_state(login, customer_admin):
    html = login(customer_admin).get(reverse("thread_list")).content.decode()
    assert "No conversations yet" in html


def test_the_list_filters_by_search_and_status(login, thread, customer_admin, account_manager):
    client = login(customer_admin)
    assert "Delivery date" in client.get(reverse("thread_list"), {"q": "arrive"}).content.decode()
    assert (
        "No conversation matches"
        in client.get(reverse("thread_list"), {"q": "nothing-like-it"}).content.decode()
    )
    threads.close_thread(actor=account_manager, thread=thread)
    assert "Delivery date" not in client.get(reverse("thread_list")).content.decode()
    assert "Delivery date" in client.get(reverse("thread_list"), {"status": "closed"}).content.decode()


def test_staff_filter_the_list_by_organisation(login, thread, other_thread, provider_admin, organisation):
    html = (
        login(provider_admin).get(reverse("thread_list"), {"organisation": organisation.pk}).content.decode()
    )
    assert "Delivery date" in html and "Other customer" not in html


def test_staff_filtering_on_an_invisible_organisation_get_404(login, account_manager, other_organisation):
    response = login(account_manager).get(reverse("thread_list"), {"organisation": other_organisation.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_has_constant_queries(
    login, organisation, customer_member, customer_admin, count, django_assert_max_num_queries
):
    for number in range(count):
        threads.start_thread(
            actor=customer_member, organisation=organisation, subject=f"Question {number}", body="b"
        )
    client = login(customer_admin)
    client.get(reverse("thread_list"))  # the first request of a session writes settings and the session
    with django_assert_max_num_queries(8):
        assert client.get(reverse("thread_list")).status_code == 200


def test_opening_a_thread_shows_it_and_marks_it_read(login, thread, customer_admin):
    response = login(customer_admin).get(detail(thread))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<em>arrive</em>" in html
    assert "Send reply" in html
    assert "Add an internal note" not in html
    assert ThreadInbox.objects.get(user=customer_admin, thread=thread).unread == 0


def test_staff_see_the_note_form_and_notes_unmistakably(login, noted_thread, account_manager):
    html = login(account_manager).get(detail(noted_thread)).content.decode()
    assert "Add an internal note" in html
    assert 'class="thread-message internal-note"' in html
    assert "Internal note — customers cannot see this" in html


def test_a_viewer_reads_but_gets_no_forms_and_403_for_writes(login, thread, customer_viewer):
    client = login(customer_viewer)
    html = client.get(detail(thread)).content.decode()
    assert "Send reply" not in html and "Close the conversation" not in html
    for name in ("thread_reply", "thread_note", "thread_close", "thread_reopen"):
        assert client.post(reverse(name, args=[thread.pk]), {"body": "x"}).status_code == 403
    assert client.get(reverse("thread_create")).status_code == 403
    assert thread.messages.count() == 1


def test_a_customer_posting_a_note_gets_403(login, thread, customer_admin):
    response = login(customer_admin).post(reverse("thread_note", args=[thread.pk]), {"note-body": "x"})
    assert response.status_code == 403
    assert not Message.objects.filter(internal=True).exists()


def test_replying_sends_and_redirects_to_the_message(login, thread, customer_admin):
    response = login(customer_admin).post(
        reverse("thread_reply", args=[thread.pk]), {"body": "Thanks **a lot**"}
    )
    message = thread.messages.latest("created_at")
    assert response.status_code == 302
    assert response["Location"] == f"{detail(thread)}#message-{message.pk}"
    assert message.body_html == "<p>Thanks <strong>a lot</strong></p>"


def test_staff_add_notes(login, thread, account_manager):
    response = login(account_manager).post(
        reverse("thread_note", args=[thread.pk]), {"note-body": "Call them"}
    )
    assert response.status_code == 302
    assert thread.messages.get(internal=True).body == "Call them"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "This field is required."),
        ("a" * 100_000, "at most 20000 characters"),
        ("<script>alert(1)</script>\u0007", "control characters"),
    ],
)
def test_bad_replies_are_refused_with_the_page_again(login, thread, customer_admin, body, error):
    response = login(customer_admin).post(reverse("thread_reply", args=[thread.pk]), {"body": body})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert thread.messages.count() == 1


def test_script_tags_and_javascript_links_are_shown_as_harmless_text(login, thread, customer_admin):
    client = login(customer_admin)
    client.post(
        reverse("thread_reply", args=[thread.pk]),
        {"body": "<script>alert(1)</script> [x](javascript:alert(1))"},
    )
    html = client.get(detail(thread)).content.decode()
    assert "<script>alert(1)" not in html
    assert 'href="javascript:' not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_reply_to_a_closed_thread_reopens_it_and_says_so(login, thread, customer_admin, account_manager):
    threads.close_thread(actor=account_manager, thread=thread)
    client = login(customer_admin)
    assert "Sending a reply opens it again" in client.get(detail(thread)).content.decode()
    response = client.post(reverse("thread_reply", args=[thread.pk]), {"body": "Still waiting"}, follow=True)
    assert "the conversation is open again" in response.content.decode()
    thread.refresh_from_db()
    assert not thread.is_closed


def test_close_and_reopen(login, thread, customer_member):
    client = login(customer_member)
    assert client.post(reverse("thread_close", args=[thread.pk])).status_code == 302
    thread.refresh_from_db()
    assert thread.is_closed
    assert client.post(reverse("thread_reopen", args=[thread.pk])).status_code == 302
    thread.refresh_from_db()
    assert not thread.is_closed


def test_the_thread_page_shows_the_last_page_first_with_links_to_earlier_ones(
    login, thread, customer_member, customer_admin
):
    Message.objects.bulk_create(
        Message(thread=thread, author=customer_member, body=f"m{n}", body_html=f"<p>message number {n}</p>")
        for n in range(60)
    )
    client = login(customer_admin)
    html = client.get(detail(thread)).content.decode()
    assert "message number 59" in html and "message number 5<" not in html
    assert "Earlier messages" in html and "Page 2 of 2" in html
    assert "message number 5<" in client.get(detail(thread), {"page": 1}).content.decode()


@pytest.mark.parametrize("count", [10, 200])
def test_the_thread_page_has_constant_queries(
    login, thread, customer_member, account_manager, count, django_assert_max_num_queries
):
    Message.objects.bulk_create(
        Message(
            thread=thread,
            author=customer_member if n % 2 else account_manager,
            body="m",
            body_html="<p>m</p>",
            internal=n % 5 == 0,
        )
        for n in range(count)
    )
    client = login(account_manager)
    client.get(detail(thread))  # the first request of a session writes settings and the session
    with django_assert_max_num_queries(8):
        assert client.get(detail(thread)).status_code == 200


def test_new_thread_for_a_customer_in_one_organisation(login, customer_member, organisation):
    client = login(customer_member)
    html = client.get(reverse("thread_create")).content.decode()
    assert "With your account manager" in html and "Which customer" not in html
    response = client.post(reverse("thread_create"), {"subject": "Hello", "body": "A question"})
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(thread)
    assert thread.organisation == organisation


def test_new_thread_about_a_document_and_version(login, customer_member, drawing):
    client = login(customer_member)
    url = reverse("thread_create") + f"?document={drawing.pk}&version=1"
    html = client.get(url).content.decode()
    assert "plan.pdf" in html
    client.post(url, {"subject": "This drawing", "body": "Looks wrong"})
    thread = Thread.objects.get()
    assert thread.document == drawing and thread.version.number == 1


def test_new_thread_with_an_empty_subject_is_refused(login, customer_member):
    response = login(customer_member).post(reverse("thread_create"), {"subject": "", "body": "x"})
    assert response.status_code == 400
    assert not Thread.objects.exists()


def test_staff_choose_the_customer_first(login, account_manager, organisation):
    client = login(account_manager)
    html = client.get(reverse("thread_create")).content.decode()
    assert "Which customer is it for?" in html and "Acme AB" in html
    url = reverse("thread_create") + f"?organisation={organisation.pk}"
    client.post(url, {"subject": "News", "body": "We moved"})
    assert Thread.objects.get().organisation == organisation


@pytest.mark.parametrize("param", ["organisation", "document", "order", "offer"])
def test_new_thread_about_anything_unseen_is_404(
    login, outsider, customer_admin, param, drawing, organisation
):
    import uuid

    client = login(outsider)
    value = (
        organisation.pk if param == "organisation" else drawing.pk if param == "document" else uuid.uuid4()
    )
    assert client.get(reverse("thread_create"), {param: value}).status_code == 404
    assert (
        client.post(reverse("thread_create") + f"?{param}={value}", {"subject": "s", "body": "b"}).status_code
        == 404
    )
    assert not Thread.objects.exists()


def test_forged_version_numbers_are_404(login, customer_member, drawing):
    client = login(customer_member)
    assert client.get(reverse("thread_create"), {"document": drawing.pk, "version": "9"}).status_code == 404
    assert client.get(reverse("thread_create"), {"document": drawing.pk, "version": "x"}).status_code == 404


def test_an_outsider_gets_404_on_every_thread_route(login, thread, outsider):
    client = login(outsider)
    for name in ("thread_detail", "thread_export"):
        assert client.get(reverse(name, args=[thread.pk])).status_code == 404
    for name in ("thread_reply", "thread_note", "thread_close", "thread_reopen"):
        assert (
            client.post(reverse(name, args=[thread.pk]), {"body": "x", "note-body": "x"}).status_code == 404
        )
    assert thread.messages.count() == 1


def test_the_export_is_plain_text(login, thread, customer_admin):
    response = login(customer_admin).get(reverse("thread_export", args=[thread.pk]))
    text = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Delivery date" in text and "When will it *arrive*?" in text


def test_object_pages_list_their_threads(login, customer_member, drawing, organisation):
    threads.start_thread(
        actor=customer_member, organisation=organisation, subject="About the plan", body="b", document=drawing
    )
    html = login(customer_member).get(reverse("document_detail", args=[drawing.pk])).content.decode()
    assert "About the plan" in html
    assert "Start a conversation about this" in html
    assert f"?document={drawing.pk}" in html


def test_the_dashboard_shows_unread_threads(login, thread, customer_admin):
    html = login(customer_admin).get(reverse("dashboard")).content.decode()
    assert "Unread messages" in html and "Delivery date" in html


def test_a_customer_in_several_organisations_chooses_first(login, customer_admin, other_organisation):
    from kundportal.organisations.models import Membership

    Membership.objects.create(organisation=other_organisation, user=customer_admin, role="admin")
    html = login(customer_admin).get(reverse("thread_create")).content.decode()
    assert "Which organisation is it for?" in html and "Other GmbH" in html and "Acme AB" in html


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the first request of a session writes settings and the session
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_object_pages_keep_constant_queries(login, customer_member, drawing, organisation):
    client = login(customer_member)
    url = reverse("document_detail", args=[drawing.pk])
    threads.start_thread(
        actor=customer_member, organisation=organisation, subject="T", body="b", document=drawing
    )
    few = _queries(client, url)
    for number in range(12):
        threads.start_thread(
            actor=customer_member, organisation=organisation, subject=f"T{number}", body="b", document=drawing
        )
    assert _queries(client, url) == few


def test_the_dashboard_card_keeps_constant_queries(login, customer_member, customer_admin, organisation):
    client = login(customer_admin)
    threads.start_thread(actor=customer_member, organisation=organisation, subject="T", body="b")
    few = _queries(client, reverse("dashboard"))
    for number in range(12):
        threads.start_thread(actor=customer_member, organisation=organisation, subject=f"T{number}", body="b")
    assert _queries(client, reverse("dashboard")) == few
    html = client.get(reverse("dashboard")).content.decode()
    assert html.count('class="badge brand">1 unread') == 5


def test_a_message_erased_with_its_author_shows_as_deleted_on_the_page_and_in_the_export(
    login, thread, customer_admin
):
    Message.objects.filter(thread=thread).update(body="", body_html="", author=None)
    client = login(customer_admin)
    page = client.get(reverse("thread_detail", args=[thread.pk])).content.decode()
    assert "This message was deleted when its author" in page
    export = b"".join(client.get(reverse("thread_export", args=[thread.pk])).streaming_content).decode()
    assert "This message was deleted when its author's account was erased." in export

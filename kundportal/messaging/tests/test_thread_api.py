"""The conversations API: the same rules as the pages."""

from __future__ import annotations

import uuid

import pytest

from kundportal.messaging import threads
from kundportal.messaging.models import Message, Thread, ThreadInbox
from kundportal.messaging.tests.thread_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_it_lists_threads_with_unread_counts(api_client, thread, customer_admin):
    response = api_client(customer_admin).get(f"{API}/threads")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["subject"] == "Delivery date" and item["unread"] == 1
    assert item["url"] == f"/messages/{thread.pk}/"


def test_it_filters_the_list(api_client, thread, customer_admin, account_manager):
    client = api_client(customer_admin)
    assert client.get(f"{API}/threads", {"q": "arrive"}).json()["count"] == 1
    assert client.get(f"{API}/threads", {"q": "nope"}).json()["count"] == 0
    assert client.get(f"{API}/threads", {"unread": "true"}).json()["count"] == 1
    threads.close_thread(actor=account_manager, thread=thread)
    assert client.get(f"{API}/threads", {"status": "open"}).json()["count"] == 0
    assert client.get(f"{API}/threads", {"status": "closed"}).json()["count"] == 1
    assert client.get(f"{API}/threads", {"status": "bogus"}).status_code == 422


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_has_constant_queries(
    api_client, organisation, customer_member, customer_admin, count, django_assert_max_num_queries
):
    for number in range(count):
        threads.start_thread(actor=customer_member, organisation=organisation, subject=f"Q{number}", body="b")
    client = api_client(customer_admin)
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/threads").status_code == 200


def test_it_starts_a_thread(api_client, customer_member, organisation, drawing):
    response = api_client(customer_member).post(
        f"{API}/threads",
        {
            "organisation_id": str(organisation.pk),
            "subject": "Plan",
            "body": "See *this*",
            "document_id": str(drawing.pk),
            "version": 1,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    thread = Thread.objects.get()
    assert response.json()["document_id"] == str(drawing.pk) and response.json()["version"] == 1
    assert thread.messages.get().body_html == "<p>See <em>this</em></p>"


@pytest.mark.parametrize(
    "change",
    [
        {"subject": ""},
        {"body": ""},
        {"body": "a" * 100_000},
        {"subject": "a\x00b"},
        {"document_id": str(uuid.uuid4())},
        {"order_id": str(uuid.uuid4())},
        {"offer_id": str(uuid.uuid4())},
        {"organisation_id": str(uuid.uuid4())},
    ],
)
def test_bad_new_threads_are_refused(api_client, customer_member, organisation, change):
    payload = {"organisation_id": str(organisation.pk), "subject": "S", "body": "B", **change}
    response = api_client(customer_member).post(f"{API}/threads", payload, content_type="application/json")
    assert response.status_code == 422
    assert not Thread.objects.exists()


def test_outsiders_cannot_start_threads_in_other_organisations(api_client, outsider, organisation):
    payload = {"organisation_id": str(organisation.pk), "subject": "S", "body": "B"}
    assert (
        api_client(outsider).post(f"{API}/threads", payload, content_type="application/json").status_code
        == 422
    )
    assert not Thread.objects.exists()


def test_viewers_cannot_start_threads(api_client, customer_viewer, organisation):
    payload = {"organisation_id": str(organisation.pk), "subject": "S", "body": "B"}
    assert (
        api_client(customer_viewer)
        .post(f"{API}/threads", payload, content_type="application/json")
        .status_code
        == 403
    )


def test_it_shows_and_replies(api_client, thread, customer_admin):
    client = api_client(customer_admin)
    assert client.get(f"{API}/threads/{thread.pk}").json()["subject"] == "Delivery date"
    response = client.post(
        f"{API}/threads/{thread.pk}/messages", {"body": "<script>x</script>"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["body_html"] == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    messages = client.get(f"{API}/threads/{thread.pk}/messages").json()
    assert messages["count"] == 2


def test_bad_replies_are_422_and_change_nothing(api_client, thread, customer_admin):
    client = api_client(customer_admin)
    for body in ("", "a" * 100_000, "x\x00"):
        assert (
            client.post(
                f"{API}/threads/{thread.pk}/messages", {"body": body}, content_type="application/json"
            ).status_code
            == 422
        )
    assert (
        client.post(f"{API}/threads/{thread.pk}/messages", {}, content_type="application/json").status_code
        == 422
    )
    assert thread.messages.count() == 1


@pytest.mark.parametrize("count", [5, 60])
def test_messages_have_constant_queries(
    api_client, thread, customer_member, customer_admin, count, django_assert_max_num_queries
):
    Message.objects.bulk_create(
        Message(thread=thread, author=customer_member, body="m", body_html="<p>m</p>") for _ in range(count)
    )
    client = api_client(customer_admin)
    with django_assert_max_num_queries(7):
        assert client.get(f"{API}/threads/{thread.pk}/messages").status_code == 200


def test_staff_post_and_list_notes(api_client, thread, account_manager):
    client = api_client(account_manager)
    response = client.post(
        f"{API}/threads/{thread.pk}/notes", {"body": "internal"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["internal"] is True
    notes = client.get(f"{API}/threads/{thread.pk}/notes").json()
    assert [note["body"] for note in notes["items"]] == ["internal"]
    every = client.get(f"{API}/threads/{thread.pk}/messages").json()["items"]
    assert [message["internal"] for message in every] == [False, True]


def test_customers_get_403_posting_notes_and_404_reading_them(api_client, thread, customer_admin):
    client = api_client(customer_admin)
    assert (
        client.post(
            f"{API}/threads/{thread.pk}/notes", {"body": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.get(f"{API}/threads/{thread.pk}/notes").status_code == 404
    assert not Message.objects.filter(internal=True).exists()


def test_read_close_reopen(api_client, thread, customer_admin):
    client = api_client(customer_admin)
    assert client.post(f"{API}/threads/{thread.pk}/read").json()["unread"] == 0
    assert ThreadInbox.objects.get(user=customer_admin, thread=thread).unread == 0
    assert client.post(f"{API}/threads/{thread.pk}/close").json()["closed_at"] is not None
    assert client.post(f"{API}/threads/{thread.pk}/reopen").json()["closed_at"] is None


def test_viewers_read_but_do_not_write(api_client, thread, customer_viewer):
    client = api_client(customer_viewer)
    assert client.get(f"{API}/threads/{thread.pk}/messages").status_code == 200
    assert client.post(f"{API}/threads/{thread.pk}/read").status_code == 200
    for path in ("messages", "notes"):
        assert (
            client.post(
                f"{API}/threads/{thread.pk}/{path}", {"body": "x"}, content_type="application/json"
            ).status_code
            == 403
        )
    for path in ("close", "reopen"):
        assert client.post(f"{API}/threads/{thread.pk}/{path}").status_code == 403
    assert thread.messages.count() == 1


def test_outsiders_get_404_everywhere(api_client, thread, outsider):
    client = api_client(outsider)
    for path in ("", "/messages", "/notes"):
        assert client.get(f"{API}/threads/{thread.pk}{path}").status_code == 404
    for path in ("/messages", "/notes", "/read", "/close", "/reopen"):
        assert (
            client.post(
                f"{API}/threads/{thread.pk}{path}", {"body": "x"}, content_type="application/json"
            ).status_code
            == 404
        )
    assert client.get(f"{API}/threads/not-a-uuid").status_code in (404, 422)
    assert thread.messages.count() == 1
    assert client.get(f"{API}/threads").json()["count"] == 0

"""The navigation's counts: a fragment htmx polls, and the count endpoint of the API."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kundportal.messaging.models import Thread, ThreadInbox
from kundportal.messaging.tests.notif_fixtures import *  # noqa: F403
from kundportal.messaging.tests.test_notif_pages import make_notifications


def unread_threads(user, organisation, count):
    for i in range(count):
        thread = Thread.objects.create(organisation=organisation, subject=f"Question {i}")
        ThreadInbox.objects.create(thread=thread, user=user, unread=2)


def test_the_badge_shows_both_counts_with_text_for_screen_readers(login, customer_member, organisation):
    make_notifications(customer_member, organisation, 3)
    unread_threads(customer_member, organisation, 2)
    thread = Thread.objects.create(organisation=organisation, subject="All read")
    ThreadInbox.objects.create(thread=thread, user=customer_member, unread=0)
    html = login(customer_member).get("/notifications/badge/").content.decode()
    assert '<span class="count" aria-hidden="true">3</span>' in html
    assert "3 unread notifications" in html and "2 unread conversations" in html
    assert 'id="nav-thread-count" hx-swap-oob="innerHTML"' in html
    assert 'id="badge-seen" type="hidden" name="seen" value="3.2"' in html
    assert "badge-announce" not in html  # the first load of a page announces nothing


def test_the_badge_answers_204_when_nothing_changed_and_announces_changes(
    login, customer_member, organisation
):
    client = login(customer_member)
    make_notifications(customer_member, organisation, 1)
    assert client.get("/notifications/badge/", {"seen": "1.0"}).status_code == 204
    make_notifications(customer_member, organisation, 1)
    response = client.get("/notifications/badge/", {"seen": "1.0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        'id="badge-announce" hx-swap-oob="innerHTML"' in html and "You have 2 unread notifications." in html
    )


def test_the_badge_counts_only_ones_own_and_visible_threads(
    login, customer_member, outsider, organisation, other_organisation
):
    make_notifications(outsider, other_organisation, 4)
    unread_threads(outsider, other_organisation, 1)
    # A thread of an organisation mia no longer belongs to is not counted, even with an inbox row left over.
    unread_threads(customer_member, other_organisation, 1)
    html = login(customer_member).get("/notifications/badge/").content.decode()
    assert 'value="0.0"' in html and "0 unread notifications" in html


def test_the_badge_needs_a_login_and_answers_401_for_htmx_to_ignore(client):
    assert client.get("/notifications/badge/").status_code == 401


def test_polling_does_not_keep_an_idle_session_alive(login, customer_member, settings):
    import time

    client = login(customer_member)
    client.get("/notifications/")
    session = client.session
    session["kp_seen"] = int(time.time()) - 120
    session.save()
    client.get("/notifications/badge/", headers={"X-Background-Poll": "1"})
    assert client.session["kp_seen"] <= int(time.time()) - 120  # the poll was not activity
    session = client.session
    session["kp_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    assert client.get("/notifications/badge/", headers={"X-Background-Poll": "1"}).status_code == 401


def test_the_badge_costs_the_same_queries_for_many(
    login, customer_member, organisation, django_assert_max_num_queries
):
    client = login(customer_member)
    client.get("/notifications/badge/")
    make_notifications(customer_member, organisation, 1)
    with django_assert_max_num_queries(4) as few:
        client.get("/notifications/badge/")
    make_notifications(customer_member, organisation, 60)
    unread_threads(customer_member, organisation, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "61 unread notifications" in client.get("/notifications/badge/").content.decode()


def test_pages_load_the_counts_by_htmx_without_querying_them(login, customer_member, organisation):
    make_notifications(customer_member, organisation, 2)
    client = login(customer_member)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/account/settings/").content.decode()
    assert 'hx-get="/notifications/badge/"' in html and 'hx-trigger="load, every 20s"' in html
    assert "X-Background-Poll" in html
    assert (
        'id="nav-thread-count"' in html
        and 'id="badge-announce" class="visually-hidden" aria-live="polite"' in html
    )
    assert not any("messaging_" in query["sql"] for query in queries.captured_queries)


def test_the_count_endpoint(api_client, customer_member, organisation, django_assert_max_num_queries):
    make_notifications(customer_member, organisation, 5)
    unread_threads(customer_member, organisation, 3)
    client = api_client(customer_member)
    assert client.get("/api/v1/notifications/count").json() == {"notifications": 5, "threads": 3}
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/notifications/count").json() == {"notifications": 5, "threads": 3}


def test_the_count_endpoint_for_staff_and_outsiders(api_client, account_manager, outsider, organisation):
    unread_threads(account_manager, organisation, 2)
    make_notifications(account_manager, organisation, 1)
    assert api_client(account_manager).get("/api/v1/notifications/count").json() == {
        "notifications": 1,
        "threads": 2,
    }
    assert api_client(outsider).get("/api/v1/notifications/count").json() == {
        "notifications": 0,
        "threads": 0,
    }

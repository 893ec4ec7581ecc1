"""The notifications API: list, read, preferences, watched folders; the same rules as the pages."""

from kundportal.messaging.models import Category, FolderWatch, Notification, NotificationPreference
from kundportal.messaging.tests.notif_fixtures import *  # noqa: F403
from kundportal.messaging.tests.notif_fixtures import watch
from kundportal.messaging.tests.test_notif_pages import make_notifications


def test_the_list_is_paginated_and_filters_unread(api_client, customer_member, organisation):
    made = make_notifications(customer_member, organisation, 5)
    Notification.objects.filter(pk=made[0].pk).update(read_at=made[0].created_at)
    client = api_client(customer_member)
    body = client.get("/api/v1/notifications?limit=2").json()
    assert body["count"] == 5 and len(body["items"]) == 2
    item = body["items"][0]
    assert item["category"] == "document" and item["text"].startswith("New version 2 of “file-")
    assert item["url"] == "/documents/" and item["organisation_id"] == str(organisation.pk)
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 4


def test_the_list_costs_the_same_queries_for_many(
    api_client, customer_member, organisation, django_assert_max_num_queries
):
    client = api_client(customer_member)
    make_notifications(customer_member, organisation, 2)
    client.get("/api/v1/notifications")
    with django_assert_max_num_queries(4) as few:
        client.get("/api/v1/notifications")
    make_notifications(customer_member, organisation, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/notifications?limit=100").json()["items"]) == 62


def test_the_list_shows_only_ones_own(api_client, customer_member, outsider, other_organisation):
    make_notifications(outsider, other_organisation, 2)
    assert api_client(customer_member).get("/api/v1/notifications").json()["count"] == 0


def test_internal_note_notifications_are_never_listed_for_customers(
    api_client, customer_member, organisation
):
    Notification.objects.create(
        recipient=customer_member,
        organisation=organisation,
        category=Category.MESSAGE,
        params={"subject": "Secret pricing", "author": "Mads", "internal": True},
        url="/messages/",
    )
    body = api_client(customer_member).get("/api/v1/notifications").json()
    assert body["count"] == 0 and "Secret pricing" not in str(body)


def test_mark_read_by_ids_or_all(api_client, customer_member, outsider, organisation, other_organisation):
    mine = make_notifications(customer_member, organisation, 3)
    [theirs] = make_notifications(outsider, other_organisation, 1)
    client = api_client(customer_member)
    response = client.post(
        "/api/v1/notifications/read",
        {"ids": [str(mine[0].pk), str(theirs.pk)]},
        content_type="application/json",
    )
    assert response.json() == {"marked": 1}  # the other person's id is simply not found
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(
        "/api/v1/notifications/read", {"all": True}, content_type="application/json"
    ).json() == {"marked": 2}


def test_mark_read_needs_ids_or_all(api_client, customer_member, organisation):
    make_notifications(customer_member, organisation, 1)
    client = api_client(customer_member)
    for body in (
        {},
        {"ids": []},
        {"ids": ["nope"]},
        {"ids": ["00000000-0000-0000-0000-000000000000"], "all": True},
    ):
        assert (
            client.post("/api/v1/notifications/read", body, content_type="application/json").status_code
            == 422
        )
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_preferences(api_client, customer_member):
    client = api_client(customer_member)
    assert client.get("/api/v1/me/notification-preferences").json() == {
        "document": "immediately",
        "message": "immediately",
        "offer_accepted": "immediately",
        "invitation_accepted": "immediately",
        "job_finished": "immediately",
    }
    response = client.put(
        "/api/v1/me/notification-preferences",
        {"message": "daily", "document": "off"},
        content_type="application/json",
    )
    assert (
        response.status_code == 200
        and response.json()["message"] == "daily"
        and response.json()["document"] == "off"
    )
    assert NotificationPreference.objects.filter(user=customer_member).count() == 2


def test_bad_preferences_are_refused(api_client, customer_member):
    client = api_client(customer_member)
    for body in ({"message": "hourly"}, {}, {"message": "daily\x00"}):
        response = client.put("/api/v1/me/notification-preferences", body, content_type="application/json")
        assert response.status_code == 422
    assert not NotificationPreference.objects.exists()


def test_watch_and_unwatch(api_client, customer_member, drawings):
    client = api_client(customer_member)
    assert client.get("/api/v1/me/watched-folders").json()["count"] == 0
    response = client.put(f"/api/v1/folders/{drawings.pk}/watch")
    assert response.json() == {"folder_id": str(drawings.pk), "watching": True}
    [folder] = client.get("/api/v1/me/watched-folders").json()["items"]
    assert folder["name"] == "Drawings" and folder["organisation_name"] == "Acme AB"
    assert client.delete(f"/api/v1/folders/{drawings.pk}/watch").json()["watching"] is False
    assert client.get("/api/v1/me/watched-folders").json()["count"] == 0


def test_watching_is_for_what_one_can_see(api_client, customer_member, outsider, drawings, internal_folder):
    for user, folder in ((outsider, drawings), (customer_member, internal_folder)):
        client = api_client(user)
        assert client.put(f"/api/v1/folders/{folder.pk}/watch").status_code == 404
        assert client.delete(f"/api/v1/folders/{folder.pk}/watch").status_code == 404
    assert api_client(customer_member).put("/api/v1/folders/not-a-uuid/watch").status_code == 404
    assert not FolderWatch.objects.exists()


def test_a_viewer_may_watch(api_client, customer_viewer, drawings):
    assert api_client(customer_viewer).put(f"/api/v1/folders/{drawings.pk}/watch").json()["watching"] is True


def test_account_managers_watch_by_default_until_they_unwatch(
    api_client, account_manager, drawings, other_folder
):
    client = api_client(account_manager)
    assert [f["name"] for f in client.get("/api/v1/me/watched-folders").json()["items"]] == ["Drawings"]
    client.delete(f"/api/v1/folders/{drawings.pk}/watch")
    assert client.get("/api/v1/me/watched-folders").json()["count"] == 0
    assert client.put(f"/api/v1/folders/{other_folder.pk}/watch").status_code == 404  # not their customer


def test_watched_folders_cost_the_same_queries_for_many(
    api_client, customer_member, organisation, django_assert_max_num_queries
):
    from kundportal.documents.models import Folder

    client = api_client(customer_member)
    watch(customer_member, Folder.objects.create(organisation=organisation, name="F0"))
    client.get("/api/v1/me/watched-folders")
    with django_assert_max_num_queries(4) as few:
        client.get("/api/v1/me/watched-folders")
    for i in range(1, 30):
        watch(customer_member, Folder.objects.create(organisation=organisation, name=f"F{i}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/me/watched-folders").json()["count"] == 30

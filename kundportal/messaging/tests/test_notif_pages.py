"""The notification list, marking read, following a notification, and the settings page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.messaging.models import Category, FolderWatch, Notification, NotificationPreference
from kundportal.messaging.notifications import notify
from kundportal.messaging.tests.notif_fixtures import *  # noqa: F403
from kundportal.messaging.tests.notif_fixtures import watch


def make_notifications(user, organisation, count, *, start=None, category=Category.DOCUMENT):
    start = start or timezone.now()
    rows = [
        Notification(
            recipient=user,
            organisation=organisation,
            category=category,
            params={"document": f"file-{i}.pdf", "version": 2, "folder": "Drawings"},
            url="/documents/",
        )
        for i in range(count)
    ]
    made = Notification.objects.bulk_create(rows)
    for i, notification in enumerate(made):
        Notification.objects.filter(pk=notification.pk).update(created_at=start - timedelta(hours=i))
    return made


def test_the_list_shows_newest_first_grouped_by_day_with_unread_marked(login, customer_member, organisation):
    old, new = make_notifications(customer_member, organisation, 2, start=timezone.now())
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    Notification.objects.filter(pk=new.pk).update(read_at=timezone.now())
    html = login(customer_member).get("/notifications/").content.decode()
    assert html.index("file-1.pdf") < html.index("file-0.pdf")  # file-0 was moved three days back
    assert "<h2" in html and "Today" in html
    assert html.count('class="notification is-unread"') == 1
    assert "Mark all as read" in html and "Email and folder settings" in html


def test_the_empty_list_explains_what_will_appear(login, customer_member):
    html = login(customer_member).get("/notifications/").content.decode()
    assert "No notifications yet" in html
    html = login(customer_member).get("/notifications/?unread=1").content.decode()
    assert "Nothing unread" in html


def test_the_list_needs_a_login(client):
    assert client.get("/notifications/").status_code == 302


def test_the_list_shows_only_ones_own(login, customer_member, outsider, organisation, other_organisation):
    make_notifications(outsider, other_organisation, 1)
    html = login(customer_member).get("/notifications/").content.decode()
    assert "file-0.pdf" not in html


def test_the_list_costs_the_same_queries_for_many(
    login, customer_member, organisation, django_assert_max_num_queries
):
    client = login(customer_member)
    make_notifications(customer_member, organisation, 2)
    client.get("/notifications/")
    with django_assert_max_num_queries(10) as few:
        assert client.get("/notifications/").status_code == 200
    make_notifications(customer_member, organisation, 80)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/notifications/?page=2")
    assert response.status_code == 200 and "Page 2 of 3" in response.content.decode()


def test_mark_one_read(login, customer_member, organisation):
    first, second = make_notifications(customer_member, organisation, 2)
    response = login(customer_member).post("/notifications/read/", {"id": str(first.pk)})
    assert response.status_code == 302
    first.refresh_from_db(), second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_mark_all_read(login, customer_member, organisation, outsider, other_organisation):
    make_notifications(customer_member, organisation, 3)
    [theirs] = make_notifications(outsider, other_organisation, 1)
    login(customer_member).post("/notifications/read/")
    assert not Notification.objects.filter(recipient=customer_member, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_someone_elses_notification_is_not_found(
    login, customer_member, outsider, other_organisation
):
    [theirs] = make_notifications(outsider, other_organisation, 1)
    client = login(customer_member)
    assert client.post("/notifications/read/", {"id": str(theirs.pk)}).status_code == 404
    assert client.post("/notifications/read/", {"id": "not-a-uuid"}).status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_reading_needs_post(login, customer_member):
    assert login(customer_member).get("/notifications/read/").status_code == 405


def test_opening_marks_read_and_goes_there(login, customer_member, organisation):
    [notification] = make_notifications(customer_member, organisation, 1)
    response = login(customer_member).get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/documents/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_never_leaves_the_portal(login, customer_member, organisation):
    [notification] = make_notifications(customer_member, organisation, 1)
    Notification.objects.filter(pk=notification.pk).update(url="https://evil.example/")
    response = login(customer_member).get(f"/notifications/{notification.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_descriptions_follow_the_language(login, customer_member, organisation, account_manager):
    notify(
        recipients=[customer_member],
        category=Category.MESSAGE,
        organisation=organisation,
        params={"thread": "t", "subject": "Delivery dates", "author": "Anna Berg", "internal": False},
        url="/messages/",
        actor=account_manager,
    )
    html = login(customer_member).get("/notifications/").content.decode()
    assert "Anna Berg wrote in “Delivery dates”" in html


# ---------------------------------------------------------------------------------------------------------
# Settings


def test_the_settings_page_lists_categories_and_visible_folders(
    login, customer_member, drawings, internal_folder, other_folder
):
    watch(customer_member, drawings)
    html = login(customer_member).get("/notifications/settings/").content.decode()
    assert "New messages" in html and "Daily digest" in html
    assert "Drawings" in html and "Staff notes" not in html and "Other drawings" not in html
    assert f'value="{drawings.pk}" checked' in html


def test_saving_preferences(login, customer_member):
    response = login(customer_member).post(
        "/notifications/settings/", {"form": "preferences", "message": "daily", "document": "off"}
    )
    assert response.status_code == 302
    assert dict(
        NotificationPreference.objects.filter(user=customer_member).values_list("category", "delivery")
    ) == {
        "message": "daily",
        "document": "off",
    }


def test_bad_preferences_are_refused_and_nothing_changes(login, customer_member):
    client = login(customer_member)
    response = client.post("/notifications/settings/", {"form": "preferences", "message": "hourly"})
    assert (
        response.status_code == 400
        and "Choose immediately, daily digest or off." in response.content.decode()
    )
    response = client.post("/notifications/settings/", {"form": "preferences"})
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_saving_watched_folders(login, customer_member, drawings, upload_only):
    watch(customer_member, upload_only)
    response = login(customer_member).post(
        "/notifications/settings/",
        {"form": "watches", "shown": [str(drawings.pk), str(upload_only.pk)], "watch": [str(drawings.pk)]},
    )
    assert response.status_code == 302
    assert dict(FolderWatch.objects.filter(user=customer_member).values_list("folder__name", "watching")) == {
        "Drawings": True,
        "Inbox": False,
    }


def test_watching_an_invisible_folder_is_not_found(
    login, customer_member, drawings, internal_folder, other_folder
):
    client = login(customer_member)
    for folder in (internal_folder, other_folder):
        response = client.post(
            "/notifications/settings/",
            {"form": "watches", "shown": [str(folder.pk)], "watch": [str(folder.pk)]},
        )
        assert response.status_code == 404
    response = client.post(
        "/notifications/settings/", {"form": "watches", "shown": ["nonsense"], "watch": []}
    )
    assert response.status_code == 400
    response = client.post(
        "/notifications/settings/",
        {"form": "watches", "shown": [str(drawings.pk)], "watch": [str(other_folder.pk)]},
    )
    assert response.status_code == 400
    assert not FolderWatch.objects.exists()


def test_a_viewer_may_watch_and_choose_emails(login, customer_viewer, drawings):
    """Watching and email choices concern only the person themself: read-only members may make them."""
    client = login(customer_viewer)
    response = client.post(
        "/notifications/settings/",
        {"form": "watches", "shown": [str(drawings.pk)], "watch": [str(drawings.pk)]},
    )
    assert response.status_code == 302 and FolderWatch.objects.get(user=customer_viewer).watching


def test_account_managers_watch_their_organisations_by_default(login, account_manager, drawings):
    html = login(account_manager).get("/notifications/settings/").content.decode()
    assert f'value="{drawings.pk}" checked' in html and "Untick" in html


@pytest.mark.parametrize("count", [3, 25])
def test_the_settings_page_is_bounded_for_staff(login, provider_admin, count, django_assert_max_num_queries):
    from kundportal.documents.models import Folder
    from kundportal.organisations.models import Organisation

    for i in range(count):
        organisation = Organisation.objects.create(name=f"Customer {i:02d}")
        Folder.objects.create(organisation=organisation, name="Drawings")
    client = login(provider_admin)
    client.get("/notifications/settings/")  # the first request of a session writes the portal settings row
    with django_assert_max_num_queries(9):
        html = client.get("/notifications/settings/").content.decode()
    assert "Customer 00" in html
    if count > 10:
        assert "Customer 24" not in html and "Find an organisation" in html
        html = client.get("/notifications/settings/?q=Customer 24").content.decode()
        assert "Customer 24" in html and "Customer 00" not in html


def test_the_account_page_links_to_the_settings(login, customer_member):
    assert "/notifications/settings/" in login(customer_member).get("/account/settings/").content.decode()

"""Who watches which folders, the watch toggle on a folder's page, and the notifications uploads cause."""

from kundportal.documents.access import get_folder_for_user
from kundportal.documents.services import restore_version
from kundportal.messaging.models import FolderWatch, Notification
from kundportal.messaging.tests.notif_fixtures import *  # noqa: F403
from kundportal.messaging.tests.notif_fixtures import upload, watch
from kundportal.messaging.watches import watched_folder_ids, watchers
from kundportal.organisations.models import Membership


def told(document_name=None):
    notifications = Notification.objects.filter(category="document")
    if document_name:
        notifications = notifications.filter(params__document=document_name)
    return sorted(n.recipient.email for n in notifications.select_related("recipient"))


def test_customers_watch_what_they_choose(customer_member, customer_admin, drawings):
    watch(customer_member, drawings)
    assert set(watchers(drawings)) == {customer_member, drawings.organisation.account_managers.get()}
    assert watched_folder_ids(customer_member) == {drawings.pk}
    assert watched_folder_ids(customer_admin) == set()


def test_account_managers_watch_by_default_and_may_decline(account_manager, drawings):
    assert watched_folder_ids(account_manager) == {drawings.pk}
    watch(account_manager, drawings, watching=False)
    assert account_manager not in watchers(drawings)
    assert watched_folder_ids(account_manager) == set()


def test_provider_admins_watch_only_what_they_choose(provider_admin, drawings):
    assert provider_admin not in watchers(drawings)
    watch(provider_admin, drawings)
    assert provider_admin in watchers(drawings)


def test_customers_never_watch_internal_folders(customer_member, internal_folder):
    watch(customer_member, internal_folder)  # a row that should never have been written
    assert customer_member not in watchers(internal_folder)


def test_a_customer_who_left_is_not_told(customer_member, drawings, other_folder, outsider):
    watch(customer_member, drawings)
    watch(customer_member, other_folder)  # never a member there
    assert customer_member not in watchers(other_folder)
    Membership.objects.filter(user=customer_member).delete()
    assert customer_member not in watchers(drawings)


def test_an_upload_tells_the_watchers_but_not_the_uploader(
    customer_member, customer_admin, account_manager, drawings
):
    watch(customer_member, drawings)
    watch(customer_admin, drawings)
    upload(customer_member, drawings, "offer.pdf")
    assert told("offer.pdf") == sorted([customer_admin.email, account_manager.email])
    notification = Notification.objects.get(recipient=customer_admin)
    assert notification.params == {
        "document": "offer.pdf",
        "version": 1,
        "folder": "Drawings",
        "organisation": "Acme AB",
    }
    assert notification.url == f"/documents/{notification_document(notification)}/"
    assert notification.actor == customer_member


def notification_document(notification):
    from kundportal.documents.models import Document

    return Document.objects.get(name=notification.params["document"]).pk


def test_a_restored_version_counts_as_new(customer_member, account_manager, drawings):
    watch(customer_member, drawings)
    first = upload(account_manager, drawings, "plan.pdf")
    upload(account_manager, drawings, "plan.pdf", b"second")
    Notification.objects.all().delete()
    first.refresh_from_db()
    restore_version(
        actor=account_manager,
        folder=get_folder_for_user(account_manager, drawings.pk, write=True),
        version=first,
    )
    [notification] = Notification.objects.filter(recipient=customer_member)
    assert notification.params["version"] == 3


def test_internal_folder_uploads_never_reach_customers(
    customer_member, account_manager, provider_admin, internal_folder
):
    watch(customer_member, internal_folder)
    watch(provider_admin, internal_folder)
    upload(account_manager, internal_folder, "margins.xlsx")
    assert told() == [provider_admin.email]


def test_upload_only_folders_tell_customers_only_about_their_own_documents(
    customer_member, customer_admin, account_manager, upload_only
):
    watch(customer_member, upload_only)
    watch(customer_admin, upload_only)
    upload(customer_admin, upload_only, "admins-file.pdf")
    assert told("admins-file.pdf") == [account_manager.email]  # mia cannot see carl's upload
    upload(customer_member, upload_only, "mias-file.pdf")
    upload(account_manager, upload_only, "mias-file.pdf", b"answered")
    assert customer_member.email in told("mias-file.pdf")
    assert customer_admin.email not in told("mias-file.pdf")


# ---------------------------------------------------------------------------------------------------------
# The toggle on the folder page


def test_the_folder_page_has_a_watch_toggle(login, customer_member, drawings):
    client = login(customer_member)
    html = client.get(f"/folders/{drawings.pk}/").content.decode()
    assert f'action="/folders/{drawings.pk}/watch/"' in html and "Watch this folder" in html
    response = client.post(f"/folders/{drawings.pk}/watch/", {"watching": "1"}, follow=True)
    assert (
        "You now watch “Drawings”." in response.content.decode()
        and "Stop watching" in response.content.decode()
    )
    assert FolderWatch.objects.get(user=customer_member).watching
    client.post(f"/folders/{drawings.pk}/watch/", {"watching": "0"})
    assert not FolderWatch.objects.get(user=customer_member).watching


def test_the_toggle_for_outsiders_is_not_found(login, outsider, customer_member, drawings, internal_folder):
    assert login(outsider).post(f"/folders/{drawings.pk}/watch/", {"watching": "1"}).status_code == 404
    assert (
        login(customer_member).post(f"/folders/{internal_folder.pk}/watch/", {"watching": "1"}).status_code
        == 404
    )
    assert not FolderWatch.objects.exists()


def test_the_toggle_refuses_bad_input(login, customer_member, drawings):
    client = login(customer_member)
    assert client.post(f"/folders/{drawings.pk}/watch/", {"watching": "maybe"}).status_code == 400
    assert client.get(f"/folders/{drawings.pk}/watch/").status_code == 405
    assert not FolderWatch.objects.exists()


def test_a_viewer_may_watch_a_folder(login, customer_viewer, drawings):
    assert login(customer_viewer).post(f"/folders/{drawings.pk}/watch/", {"watching": "1"}).status_code == 302
    assert FolderWatch.objects.get(user=customer_viewer).watching


def test_the_folder_page_shows_that_account_managers_watch(login, account_manager, drawings):
    assert "Stop watching" in login(account_manager).get(f"/folders/{drawings.pk}/").content.decode()

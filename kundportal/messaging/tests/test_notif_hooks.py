"""Other apps tell people through notify(): accepted invitations, finished background imports (offers and
documents are covered in the offers tests and test_watch)."""

from django.urls import reverse

from kundportal.imports.models import BatchStatus
from kundportal.imports.tests.conftest import customers_csv
from kundportal.imports.tests.test_pages import batch_of
from kundportal.imports.tests.test_pages import upload as upload_csv
from kundportal.messaging.models import Category, Notification
from kundportal.messaging.notifications import describe
from kundportal.organisations.models import Invitation
from kundportal.organisations.services import accept_invitation, invite_member


def test_an_accepted_invitation_tells_the_inviter_and_the_account_managers(
    customer_admin, account_manager, organisation
):
    from kundportal.organisations.access import organisation_access

    invitation = invite_member(
        actor=customer_admin,
        access=organisation_access(customer_admin, organisation),
        email="new@acme.example",
        role="member",
    )
    token, token_hash = Invitation.new_token()
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=token_hash)
    user = accept_invitation(token=token, full_name="Nina New", password="a long and unusual passphrase 7")
    notifications = Notification.objects.filter(category=Category.INVITATION_ACCEPTED)
    assert sorted(n.recipient.email for n in notifications) == sorted(
        [customer_admin.email, account_manager.email]
    )
    assert all(n.actor == user and n.url == f"/organisations/{organisation.pk}/" for n in notifications)
    assert describe(notifications[0]) == "Nina New accepted the invitation to Acme AB"


def test_a_finished_background_import_tells_whoever_started_it(login, provider_admin, monkeypatch):
    monkeypatch.setattr("kundportal.imports.services.SYNC_ROWS", 2)
    admin = login(provider_admin)
    batch = batch_of(upload_csv(admin, customers_csv(5), name="customers.csv"))
    admin.post(reverse("import_apply", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPLIED
    [notification] = Notification.objects.filter(recipient=provider_admin, category=Category.JOB_FINISHED)
    assert notification.url == reverse("import_preview", args=[batch.pk])
    assert describe(notification) == "Your import of “customers.csv” was applied"


def test_a_crashed_background_import_says_so(login, provider_admin, monkeypatch):
    monkeypatch.setattr("kundportal.imports.services.SYNC_ROWS", 2)
    admin = login(provider_admin)
    batch = batch_of(upload_csv(admin, customers_csv(5), name="customers.csv"))

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("kundportal.imports.customers._give_folders", crash)
    admin.post(reverse("import_apply", args=[batch.pk]))
    [notification] = Notification.objects.filter(recipient=provider_admin, category=Category.JOB_FINISHED)
    assert describe(notification) == "Your import of “customers.csv” could not be applied"


def test_a_small_import_applied_on_the_page_needs_no_notification(login, provider_admin):
    admin = login(provider_admin)
    batch = batch_of(upload_csv(admin, customers_csv(1)))
    admin.post(reverse("import_apply", args=[batch.pk]))
    assert not Notification.objects.exists()


def test_descriptions_of_every_category():
    cases = {
        Category.DOCUMENT: (
            {"document": "plan.pdf", "version": 3, "folder": "Drawings"},
            "New version 3 of “plan.pdf” in Drawings",
        ),
        Category.MESSAGE: (
            {"author": "Anna Berg", "subject": "Delivery dates"},
            "Anna Berg wrote in “Delivery dates”",
        ),
        Category.OFFER_ACCEPTED: (
            {"organisation": "ACME", "offer": "Spring sale"},
            "ACME accepted your offer “Spring sale”",
        ),
        Category.INVITATION_ACCEPTED: (
            {"person": "Carl Kund", "organisation": "ACME"},
            "Carl Kund accepted the invitation to ACME",
        ),
        Category.JOB_FINISHED: ({"job": "export"}, "Your export is ready"),
    }
    for category, (params, text) in cases.items():
        assert describe(Notification(category=category, params=params)) == text
    assert (
        describe(
            Notification(
                category=Category.DOCUMENT, params={"document": "a.pdf", "version": 1, "folder": "F"}
            )
        )
        == "New document “a.pdf” in F"
    )
    assert describe(Notification(category="unknown", params={})) == "Something new happened in the portal"

"""Files sent with messages: encrypted as they arrive, stored as documents of the organisation, in an
internal folder for internal notes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kundportal.documents.access import visible_documents
from kundportal.documents.models import Document, DocumentVersion, Folder, FolderAccess
from kundportal.documents.services import read_version
from kundportal.messaging import threads
from kundportal.messaging.models import Message, MessageAttachment, Thread
from kundportal.messaging.tests.thread_fixtures import *  # noqa: F403
from kundportal.messaging.tests.thread_fixtures import incoming

pytestmark = pytest.mark.django_db


def upload(name="offer.pdf", data=b"%PDF-1.4 contents"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_a_reply_with_files_stores_them_as_documents(login, thread, customer_admin, organisation):
    client = login(customer_admin)
    response = client.post(
        reverse("thread_reply", args=[thread.pk]),
        {"body": "Here it is", "file": [upload(), upload("b.txt", b"b")]},
    )
    assert response.status_code == 302
    message = thread.messages.latest("created_at")
    attachments = list(message.attachments.select_related("document__folder", "version"))
    assert sorted(a.document.name for a in attachments) == ["b.txt", "offer.pdf"]
    folder = attachments[0].document.folder
    assert (folder.name, folder.access, folder.message_attachments) == (
        "Message attachments",
        FolderAccess.READ_WRITE,
        True,
    )
    version = next(a.version for a in attachments if a.document.name == "offer.pdf")
    assert b"".join(read_version(version)) == b"%PDF-1.4 contents"
    html = client.get(reverse("thread_detail", args=[thread.pk])).content.decode()
    assert f'href="/documents/{version.document_id}/?version=1"' in html or f"{version.document_id}" in html


def test_the_folder_chosen_by_the_template_receives_the_files(thread, customer_member, organisation):
    chosen = Folder.objects.create(
        organisation=organisation,
        name="Correspondence",
        access=FolderAccess.READ_ONLY,
        message_attachments=True,
    )
    threads.post_message(actor=customer_member, thread=thread, body="file", files=[incoming()])
    assert MessageAttachment.objects.get().document.folder == chosen
    assert Folder.objects.filter(organisation=organisation).count() == 1  # none made


def test_files_of_internal_notes_go_to_an_internal_folder(noted_thread, customer_admin, account_manager):
    attachment = MessageAttachment.objects.select_related("document__folder").get()
    assert attachment.document.folder.access == FolderAccess.INTERNAL
    assert attachment.document.folder.name == "Internal notes"
    assert (
        not visible_documents(customer_admin, include_trash=True).filter(pk=attachment.document_id).exists()
    )
    assert visible_documents(account_manager).filter(pk=attachment.document_id).exists()


def test_a_new_thread_page_takes_files(login, customer_member):
    client = login(customer_member)
    response = client.post(
        reverse("thread_create"), {"subject": "Drawing", "body": "See file", "file": upload()}
    )
    assert response.status_code == 302
    assert Thread.objects.get().messages.get().attachments.count() == 1


def test_an_oversized_attachment_is_refused_and_nothing_is_kept(login, thread, customer_admin, settings):
    settings.MAX_UPLOAD_BYTES = 10
    before = set(DocumentVersion.objects.values_list("pk", flat=True))
    response = login(customer_admin).post(
        reverse("thread_reply", args=[thread.pk]), {"body": "big", "file": upload(data=b"x" * 100)}
    )
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
    assert thread.messages.count() == 1
    assert set(DocumentVersion.objects.values_list("pk", flat=True)) == before


def test_a_bad_file_name_is_refused(login, thread, customer_admin):
    response = login(customer_admin).post(
        reverse("thread_reply", args=[thread.pk]), {"body": "x", "file": upload("evil\u202egnp.exe")}
    )
    assert response.status_code == 400
    assert thread.messages.count() == 1
    assert not MessageAttachment.objects.exists()


def test_at_most_ten_files(login, thread, customer_admin):
    files = [upload(f"f{n}.txt", b"x") for n in range(11)]
    response = login(customer_admin).post(
        reverse("thread_reply", args=[thread.pk]), {"body": "x", "file": files}
    )
    assert response.status_code == 400
    assert "at most 10 files" in response.content.decode()
    assert not Document.objects.filter(name="f0.txt").exists()


def test_viewers_and_outsiders_store_nothing(login, thread, customer_viewer, outsider):
    for user, status in ((customer_viewer, 403), (outsider, 404)):
        response = login(user).post(
            reverse("thread_reply", args=[thread.pk]), {"body": "x", "file": upload()}
        )
        assert response.status_code == status
    assert not Document.objects.filter(name="offer.pdf").exists()
    assert thread.messages.count() == 1


def test_customers_cannot_attach_files_to_notes(login, thread, customer_admin):
    response = login(customer_admin).post(
        reverse("thread_note", args=[thread.pk]), {"note-body": "x", "file": upload()}
    )
    assert response.status_code == 403
    assert not Folder.objects.filter(access=FolderAccess.INTERNAL).exists()
    assert not Message.objects.filter(internal=True).exists()


def test_files_of_a_refused_message_are_not_kept(thread, customer_member):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        threads.post_message(actor=customer_member, thread=thread, body="", files=[incoming()])
    assert not Document.objects.filter(name="notes.txt").exists()


# ---------------------------------------------------------------------------------------------------------
# Folder templates choose the folder


def _template_body(**flags):
    return {
        "name": "With attachments",
        "entries": [
            {"name": "Plans", "access": "read_write", "message_attachments": flags.get("plans", False)},
            {"name": "Secret", "access": "internal", "message_attachments": flags.get("secret", False)},
            {
                "name": "Contracts",
                "access": "read_only",
                "message_attachments": flags.get("contracts", False),
            },
        ],
    }


def test_a_template_names_the_attachments_folder_and_applying_it_copies_that(
    api_client, provider_admin, organisation, customer_member
):
    from kundportal.documents.folders import apply_folder_template
    from kundportal.documents.models import FolderTemplate

    response = api_client(provider_admin).post(
        "/api/v1/folder-templates", _template_body(plans=True), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert [e["message_attachments"] for e in response.json()["entries"]] == [True, False, False]
    template = FolderTemplate.objects.get(name="With attachments")
    apply_folder_template(actor=provider_admin, template=template, organisation_ids=[organisation.pk])
    plans = Folder.objects.get(organisation=organisation, name="Plans")
    assert plans.message_attachments
    thread = threads.start_thread(
        actor=customer_member, organisation=organisation, subject="s", body="b", files=[incoming()]
    )
    assert thread.messages.get().attachments.get().document.folder == plans


def test_applying_a_template_flags_an_existing_folder_of_that_name(provider_admin, organisation):
    from kundportal.documents.folders import apply_folder_template, create_folder_template

    existing = Folder.objects.create(organisation=organisation, name="Plans")
    template = create_folder_template(
        actor=provider_admin, name="T", entries=[("Plans", "read_write")], attachments_folder="plans"
    )
    apply_folder_template(actor=provider_admin, template=template, organisation_ids=[organisation.pk])
    existing.refresh_from_db()
    assert existing.message_attachments


def test_new_customers_of_an_import_get_the_flag(provider_admin, organisation):
    from kundportal.documents.folders import apply_template_to_new_organisations, create_folder_template
    from kundportal.organisations.models import Organisation

    template = create_folder_template(
        actor=provider_admin,
        name="T",
        entries=[("Plans", "read_write"), ("Mail", "read_only")],
        attachments_folder="Mail",
    )
    fresh = Organisation.objects.create(name="Fresh AB")
    apply_template_to_new_organisations(actor=provider_admin, template=template, organisation_ids=[fresh.pk])
    assert list(
        Folder.objects.filter(organisation=fresh, message_attachments=True).values_list("name", flat=True)
    ) == ["Mail"]


@pytest.mark.parametrize("flags", [{"plans": True, "contracts": True}, {"secret": True}])
def test_a_template_refuses_two_attachment_folders_or_an_internal_one(api_client, provider_admin, flags):
    from kundportal.documents.models import FolderTemplate

    response = api_client(provider_admin).post(
        "/api/v1/folder-templates", _template_body(**flags), content_type="application/json"
    )
    assert response.status_code == 422
    assert not FolderTemplate.objects.filter(name="With attachments").exists()


def test_the_template_page_has_the_choice(login, provider_admin):
    from kundportal.documents.models import FolderTemplate

    client = login(provider_admin)
    assert "Message attachments" in client.get(reverse("folder_template_create")).content.decode()
    data = {
        "name": "Paged",
        "entries-TOTAL_FORMS": "2",
        "entries-INITIAL_FORMS": "0",
        "entries-0-name": "Plans",
        "entries-0-access": "read_write",
        "entries-1-name": "Mail",
        "entries-1-access": "read_only",
        "entries-1-message_attachments": "on",
    }
    assert client.post(reverse("folder_template_create"), data).status_code == 302
    entry = FolderTemplate.objects.get(name="Paged").entries.get(message_attachments=True)
    assert entry.name == "Mail"
    data["name"], data["entries-0-message_attachments"] = "Twice", "on"
    response = client.post(reverse("folder_template_create"), data)
    assert response.status_code == 400
    assert "at most one folder" in response.content.decode()

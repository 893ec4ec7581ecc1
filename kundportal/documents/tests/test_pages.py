"""Documents pages: folders, listings, uploads with and without JavaScript, versions, downloads, the trash.

Every page and action is tried by someone allowed, an outsider (404) and a reader (403 on writes).
alice: provider admin · mads: account manager · carl: customer admin · mia: member · vera: viewer ·
otto: admin of another customer (the outsider).
"""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from kundportal.documents import blobstore
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Document, DocumentVersion, Folder, FolderAccess, name_key
from kundportal.documents.services import trash_document, upload_document_version

pytestmark = pytest.mark.django_db

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


# ---------------------------------------------------------------------------------------------------------
# Helpers


def stored(user, folder, name="drawing.pdf", data=b"%PDF-1.7 first", note=""):
    """A version uploaded through the service (the pages' own upload route has tests of its own below)."""
    access = get_folder_for_user(user, folder.pk, write=True)
    return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data), note=note)


def upload(client, folder, *files, note="", **headers):
    """The plain form's POST: field `file` once per file, and the note."""
    uploads = [SimpleUploadedFile(name, data) for name, data in files]
    return client.post(f"/folders/{folder.pk}/upload/", {"file": uploads, "note": note}, **headers)


def raw_upload(client, folder, *file_names, data=b"data", **headers):
    """A multipart body written by hand: the test client would reduce a file name to its basename."""
    boundary = "kundportal-test-boundary"
    parts = [
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
        for file_name in file_names
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.generic(
        "POST",
        f"/folders/{folder.pk}/upload/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **headers,
    )


def streamed(response):
    return b"".join(response.streaming_content)


@pytest.fixture
def document(customer_member, drawings):
    """drawing.pdf in Drawings, with two versions: v1 by Mia, v2 by Mia."""
    stored(customer_member, drawings, data=b"first", note="Draft")
    return stored(customer_member, drawings, data=b"second").document


# ---------------------------------------------------------------------------------------------------------
# The organisation's folders


def test_it_lists_the_folders_a_customer_may_see_without_internal_ones(
    login, organisation, customer_member, folders, drawings
):
    stored(customer_member, drawings)
    response = login(customer_member).get(f"/organisations/{organisation.pk}/documents/")
    assert response.status_code == 200
    listed = {summary.folder.access: summary for summary in response.context["folders"]}
    assert FolderAccess.INTERNAL not in listed
    assert listed[FolderAccess.READ_WRITE].document_count == 1
    assert listed[FolderAccess.READ_WRITE].last_change is not None
    html = response.content.decode()
    assert folders[FolderAccess.INTERNAL].name not in html and "Internal" not in html
    assert "You are working in the customer" not in html


def test_it_shows_staff_the_internal_folders_with_a_badge_and_the_context_bar(
    login, organisation, account_manager, folders
):
    response = login(account_manager).get(f"/organisations/{organisation.pk}/documents/")
    assert {summary.folder.access for summary in response.context["folders"]} == set(FolderAccess.values)
    html = response.content.decode()
    assert 'class="badge internal"' in html and "customers never see this folder" in html
    assert "You are working in the customer Acme AB" in html


def test_it_counts_only_their_own_uploads_in_an_upload_only_folder(
    login, organisation, customer_admin, customer_member, folders
):
    inbox = folders[FolderAccess.UPLOAD_ONLY]
    stored(customer_member, inbox, name="mine.pdf")
    stored(customer_admin, inbox, name="carls.pdf")
    response = login(customer_member).get(f"/organisations/{organisation.pk}/documents/")
    counts = {summary.folder.pk: summary.document_count for summary in response.context["folders"]}
    assert counts[inbox.pk] == 1


def test_it_explains_an_organisation_without_folders(login, organisation, customer_member):
    response = login(customer_member).get(f"/organisations/{organisation.pk}/documents/")
    assert "No folders are shared with you yet" in response.content.decode()


def test_it_hides_an_organisations_documents_and_trash_from_an_outsider(
    login, organisation, outsider, folders
):
    client = login(outsider)
    assert client.get(f"/organisations/{organisation.pk}/documents/").status_code == 404
    assert client.get(f"/organisations/{organisation.pk}/trash/").status_code == 404
    assert client.get(f"/organisations/{uuid.uuid4()}/documents/").status_code == 404


def test_it_links_the_documents_from_the_organisation_page_and_the_navigation(
    login, organisation, customer_member
):
    client = login(customer_member)
    html = client.get(f"/organisations/{organisation.pk}/").content.decode()
    assert f'href="/organisations/{organisation.pk}/documents/"' in html
    assert 'href="/documents/"' in html
    assert client.get("/documents/")["Location"] == f"/organisations/{organisation.pk}/documents/"
    page = client.get(f"/organisations/{organisation.pk}/documents/").content.decode()
    assert 'href="/documents/" aria-current="page"' in page


# ---------------------------------------------------------------------------------------------------------
# The folder listing


def test_it_lists_a_folders_documents_with_their_latest_version(login, customer_viewer, drawings, document):
    response = login(customer_viewer).get(f"/folders/{drawings.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drawing.pdf" in html and "Latest: v2" in html
    assert f'href="/documents/{document.pk}/download/"' in html
    assert "Upload files" not in html and "upload.js" not in html  # a viewer cannot upload
    assert f'<a href="/organisations/{drawings.organisation_id}/documents/">Documents</a>' in html


def test_it_offers_writers_an_upload_form_that_works_without_javascript(login, customer_member, drawings):
    html = login(customer_member).get(f"/folders/{drawings.pk}/").content.decode()
    assert f'action="/folders/{drawings.pk}/upload/" enctype="multipart/form-data"' in html
    assert 'type="file" name="file" multiple' in html
    assert "kundportal/upload.js" in html and "<script>" not in html
    assert "This folder is empty" in html


def test_it_sorts_and_marks_the_sorted_column(login, customer_member, drawings):
    stored(customer_member, drawings, name="b.txt", data=b"x" * 10)
    stored(customer_member, drawings, name="a.txt", data=b"x" * 1000)
    client = login(customer_member)
    by_name = client.get(f"/folders/{drawings.pk}/")
    assert [d.name for d in by_name.context["page"]] == ["a.txt", "b.txt"]
    assert 'aria-sort="ascending"><a href="?sort=-name">' in by_name.content.decode()
    by_size = client.get(f"/folders/{drawings.pk}/?sort=size")
    assert [d.name for d in by_size.context["page"]] == ["b.txt", "a.txt"]
    assert 'aria-sort="ascending"><a href="?sort=-size">' in by_size.content.decode()
    assert [d.name for d in client.get(f"/folders/{drawings.pk}/?sort=nonsense").context["page"]] == [
        "a.txt",
        "b.txt",
    ]


def test_it_sorts_by_the_uploader_name_people_see(login, customer_member, organisation, drawings):
    from conftest import make_user
    from kundportal.organisations.models import Membership

    zoe = make_user("aaron@acme.example", full_name="Zoe Zander")  # sorted by email she would come first
    nameless = make_user("nils@acme.example")  # shown, and so sorted, by email
    for user in (zoe, nameless):
        Membership.objects.create(organisation=organisation, user=user, role="member")
    stored(zoe, drawings, name="z.txt")
    stored(customer_member, drawings, name="m.txt")
    stored(nameless, drawings, name="n.txt")
    client = login(customer_member)
    by_uploader = client.get(f"/folders/{drawings.pk}/?sort=uploader").context["page"]
    assert [d.updated_by.display_name for d in by_uploader] == [
        "Mia Member",
        "nils@acme.example",
        "Zoe Zander",
    ]
    reverse = client.get(f"/folders/{drawings.pk}/?sort=-uploader").context["page"]
    assert [d.name for d in reverse] == ["z.txt", "n.txt", "m.txt"]


def test_it_searches_and_pages_the_listing(login, customer_member, drawings):
    for number in range(55):
        stored(customer_member, drawings, name=f"report-{number:02d}.txt", data=b"")
    stored(customer_member, drawings, name="contract.pdf", data=b"")
    client = login(customer_member)
    first = client.get(f"/folders/{drawings.pk}/")
    assert len(first.context["page"].object_list) == 50 and first.context["page"].paginator.count == 56
    assert "Page 1 of 2" in first.content.decode() and "?sort=name&amp;page=2" in first.content.decode()
    second = client.get(f"/folders/{drawings.pk}/?page=2")
    assert len(second.context["page"].object_list) == 6
    found = client.get(f"/folders/{drawings.pk}/?q=contract")
    assert [d.name for d in found.context["page"]] == ["contract.pdf"]
    assert "No document matches" in client.get(f"/folders/{drawings.pk}/?q=nothing").content.decode()


def test_it_hides_a_folder_from_an_outsider(login, outsider, drawings):
    assert login(outsider).get(f"/folders/{drawings.pk}/").status_code == 404
    assert login(outsider).get(f"/folders/{uuid.uuid4()}/").status_code == 404


def test_it_hides_internal_folders_and_their_documents_from_customers(
    login, provider_admin, customer_admin, folders
):
    internal = folders[FolderAccess.INTERNAL]
    secret = stored(provider_admin, internal, name="margin.xlsx").document
    client = login(customer_admin)
    assert client.get(f"/folders/{internal.pk}/").status_code == 404
    assert upload(client, internal, ("x.txt", b"x")).status_code == 404
    assert client.get(f"/documents/{secret.pk}/").status_code == 404
    assert client.get(f"/documents/{secret.pk}/download/").status_code == 404
    assert client.get(f"/documents/{secret.pk}/versions/1/download/").status_code == 404
    assert login(provider_admin).get(f"/folders/{internal.pk}/").status_code == 200


def test_it_shows_customers_only_their_own_uploads_in_an_upload_only_folder(
    login, customer_admin, customer_member, account_manager, folders
):
    inbox = folders[FolderAccess.UPLOAD_ONLY]
    mine = stored(customer_member, inbox, name="mine.pdf").document
    carls = stored(customer_admin, inbox, name="carls.pdf").document
    client = login(customer_member)
    response = client.get(f"/folders/{inbox.pk}/")
    assert [d.name for d in response.context["page"]] == ["mine.pdf"]
    assert "You see only the documents you uploaded here" in response.content.decode()
    assert client.get(f"/documents/{mine.pk}/").status_code == 200
    assert client.get(f"/documents/{carls.pk}/").status_code == 404
    assert client.get(f"/documents/{carls.pk}/download/").status_code == 404
    staff = login(account_manager).get(f"/folders/{inbox.pk}/")
    assert {d.name for d in staff.context["page"]} == {"mine.pdf", "carls.pdf"}


def test_it_keeps_the_listing_query_count_constant_for_10000_documents(
    login, customer_member, drawings, django_assert_max_num_queries
):
    shared = stored(customer_member, drawings, name="0-first.pdf")
    client = login(customer_member)

    def add_documents(count):
        Document.objects.bulk_create(
            Document(
                organisation_id=drawings.organisation_id,
                folder=drawings,
                name=f"document-{number:05d}.pdf",
                name_key=name_key(f"document-{number:05d}.pdf"),
                latest=shared,  # the listing reads the latest version's number: one shared row is enough
                size=number,
                updated_by=customer_member,
            )
            for number in range(count)
        )

    add_documents(10)
    client.get(f"/folders/{drawings.pk}/")  # warm up: session, translations
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/folders/{drawings.pk}/?sort=-date").status_code == 200
    Document.objects.filter(name__startswith="document-").delete()
    add_documents(10_000)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"/folders/{drawings.pk}/?sort=-date")
    assert response.context["page"].paginator.count == 10_001
    assert len(response.context["page"].object_list) == 50
    assert "Page 1 of 201" in response.content.decode()


# ---------------------------------------------------------------------------------------------------------
# Uploading through the page


def test_it_uploads_without_javascript_and_adds_a_version_for_the_same_name(login, customer_member, drawings):
    client = login(customer_member)
    first = upload(client, drawings, ("Plan.pdf", b"one"), ("notes.txt", b"hello"), note="From the site")
    assert first.status_code == 302 and first["Location"] == f"/folders/{drawings.pk}/"
    assert Document.objects.count() == 2
    again = upload(client, drawings, ("plan.PDF", b"two"))
    assert again.status_code == 302
    assert Document.objects.count() == 2  # the same name (in any case) is a new version, never a twin
    plan = Document.objects.get(name="Plan.pdf")
    assert plan.latest.number == 2 and plan.versions.count() == 2
    assert plan.versions.get(number=1).note == "From the site"
    messages = [str(m) for m in client.get(f"/folders/{drawings.pk}/").context["messages"]]
    assert messages == [
        "“Plan.pdf” was uploaded.",
        "“notes.txt” was uploaded.",
        "“Plan.pdf” was uploaded as version 2.",
    ]


def test_it_tells_the_plain_form_which_files_arrived(login, customer_member, drawings):
    response = upload(login(customer_member), drawings, ("a.txt", b"a"), ("b.txt", b"b"))
    followed = login(customer_member).get(response["Location"])
    assert [str(m) for m in followed.context["messages"]] == [
        "“a.txt” was uploaded.",
        "“b.txt” was uploaded.",
    ]


def test_it_returns_to_the_document_page_after_a_new_version(login, customer_member, document):
    response = login(customer_member).post(
        f"/folders/{document.folder_id}/upload/",
        {"next": f"/documents/{document.pk}/", "file": SimpleUploadedFile("drawing.pdf", b"third")},
    )
    assert response["Location"] == f"/documents/{document.pk}/"
    evil = login(customer_member).post(
        f"/folders/{document.folder_id}/upload/",
        {"next": "https://evil.example/", "file": SimpleUploadedFile("drawing.pdf", b"fourth")},
    )
    assert evil["Location"] == f"/folders/{document.folder_id}/"


def test_it_answers_the_script_with_json(login, customer_member, drawings):
    response = upload(login(customer_member), drawings, ("plan.pdf", b"one"), **XHR)
    assert response.status_code == 201
    document = Document.objects.get()
    assert response.json() == {
        "document_id": str(document.pk),
        "version": 1,
        "name": "plan.pdf",
        "url": f"/documents/{document.pk}/",
    }
    again = upload(login(customer_member), drawings, ("plan.pdf", b"two"), HTTP_ACCEPT="application/json")
    assert again.status_code == 201 and again.json()["version"] == 2


def test_it_refuses_uploads_from_readers_and_into_read_only_folders(
    login, customer_viewer, customer_member, folders, drawings
):
    assert upload(login(customer_viewer), drawings, ("x.txt", b"x")).status_code == 403
    response = upload(login(customer_viewer), drawings, ("x.txt", b"x"), **XHR)
    assert response.status_code == 403 and "not upload" in response.json()["error"]
    contracts = folders[FolderAccess.READ_ONLY]
    assert upload(login(customer_member), contracts, ("x.txt", b"x")).status_code == 403
    html = login(customer_member).get(f"/folders/{contracts.pk}/").content.decode()
    assert "Upload files" not in html and "Read only" in html
    assert not DocumentVersion.objects.exists()


def test_it_refuses_uploads_from_an_outsider(login, outsider, drawings):
    assert upload(login(outsider), drawings, ("x.txt", b"x")).status_code == 404
    response = upload(login(outsider), drawings, ("x.txt", b"x"), **XHR)
    assert response.status_code == 404 and "error" in response.json()
    assert upload(login(outsider), Folder(pk=uuid.uuid4()), ("x.txt", b"x")).status_code == 404
    assert not DocumentVersion.objects.exists()


def test_it_asks_for_a_file_when_none_was_sent(login, customer_member, drawings):
    response = login(customer_member).post(f"/folders/{drawings.pk}/upload/", {"note": "no file"})
    assert response.status_code == 400
    assert "Choose one or more files" in response.content.decode()
    assert login(customer_member).get(f"/folders/{drawings.pk}/upload/").status_code == 405


@pytest.mark.parametrize("name", ["x" * 300, " . ", "..."])
def test_it_refuses_bad_names_with_400_and_creates_nothing(login, customer_member, drawings, name):
    client = login(customer_member)
    page = raw_upload(client, drawings, name)
    assert page.status_code == 400
    assert 'class="message error" role="alert"' in page.content.decode()  # the folder page, with the reason
    script = raw_upload(client, drawings, name, **XHR)
    assert script.status_code == 400 and script.json()["error"]
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


def test_it_keeps_nothing_from_a_request_in_which_one_file_fails(login, customer_member, drawings):
    response = raw_upload(login(customer_member), drawings, "good.txt", "x" * 300)
    assert response.status_code == 400
    assert "Nothing was uploaded" in response.content.decode()
    assert not DocumentVersion.objects.exists()
    assert list(blobstore.iter_names()) == []  # good.txt was stored completely, and removed again


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../x", "cannot contain /"),
        ("a/b", "cannot contain /"),
        ("..\\..\\c.txt", "cannot contain /"),
        ("evil\u202efdp.exe", "invisible or control characters"),
        ("ab\u0007c", "invisible or control characters"),
    ],
)
def test_it_refuses_names_that_django_would_silently_rewrite(login, customer_member, drawings, name, reason):
    """Django's parser would store "../x" as "x" and drop the right-to-left override; an upload is refused
    with the reason instead, and nothing is kept, not even a hidden row."""
    response = raw_upload(login(customer_member), drawings, name, **XHR)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    assert list(blobstore.iter_names()) == []


def test_other_routes_keep_djangos_file_name_cleaning(rf):
    from kundportal.documents.uploads import EncryptingUploadHandler, KeepFileNameParser

    request = rf.post("/settings/")
    EncryptingUploadHandler(request)
    assert request.multipart_parser_class is not KeepFileNameParser


@pytest.fixture
def csrf_client(customer_member):
    """A client that enforces CSRF as browsers meet it: the check reads request.POST, so the body is parsed
    (and the files encrypted) by the middleware, before the view runs."""
    from conftest import HttpsClient

    client = HttpsClient(enforce_csrf_checks=True, HTTP_ORIGIN="https://testserver")
    client.force_login(customer_member, backend="django.contrib.auth.backends.ModelBackend")
    return client


def csrf_token(client, folder):
    html = client.get(f"/folders/{folder.pk}/").content.decode()
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_it_uploads_when_the_csrf_check_parses_the_body_first(csrf_client, drawings):
    token = csrf_token(csrf_client, drawings)
    form = {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("plan.pdf", b"one"), "note": "Signed"}
    response = csrf_client.post(f"/folders/{drawings.pk}/upload/", form)
    assert response.status_code == 302
    version = DocumentVersion.objects.get()
    assert version.document.name == "plan.pdf" and version.note == "Signed"
    script = csrf_client.post(
        f"/folders/{drawings.pk}/upload/",
        {"file": SimpleUploadedFile("plan.pdf", b"two")},
        HTTP_X_CSRFTOKEN=token,
        **XHR,
    )
    assert script.status_code == 201 and script.json()["version"] == 2


def test_it_answers_a_bad_name_with_400_not_a_csrf_failure(csrf_client, drawings):
    token = csrf_token(csrf_client, drawings)
    response = raw_upload(csrf_client, drawings, "x" * 300, HTTP_X_CSRFTOKEN=token, **XHR)
    assert response.status_code == 400 and "at most 255 characters" in response.json()["error"]
    assert not DocumentVersion.objects.exists()


def test_it_refuses_a_file_over_the_limit_with_413(login, customer_member, drawings, settings):
    settings.MAX_UPLOAD_BYTES = 100
    client = login(customer_member)
    response = upload(client, drawings, ("big.bin", b"x" * 1000), **XHR)
    assert response.status_code == 413 and "limit of 0 MB" in response.json()["error"]
    assert upload(client, drawings, ("big.bin", b"x" * 1000)).status_code == 413
    declared = client.generic(
        "POST",
        f"/folders/{drawings.pk}/upload/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 1024 * 1024),
        **XHR,
    )
    assert declared.status_code == 413
    assert not DocumentVersion.objects.exists()
    assert not Document.objects.exists()  # the plain form's upload was parsed up to the limit: no row either


# ---------------------------------------------------------------------------------------------------------
# The document page


def test_it_shows_the_latest_version_and_the_history(login, customer_viewer, document):
    response = login(customer_viewer).get(f"/documents/{document.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["shown"].number == 2
    assert '<span class="badge latest">Latest</span>' in html
    assert "A newer version exists" not in html
    assert "Draft" in html and "Mia Member" in html
    assert f'href="/documents/{document.pk}/versions/1/download/"' in html
    assert "Restore as latest" not in html and "Move to the trash" not in html  # a reader


def test_it_offers_writers_a_new_version_restore_label_and_trash(login, customer_member, document):
    html = login(customer_member).get(f"/documents/{document.pk}/").content.decode()
    assert "Upload a new version" in html and "becomes a separate document" in html
    assert f'action="/documents/{document.pk}/versions/1/restore/"' in html
    assert f'action="/documents/{document.pk}/versions/2/restore/"' not in html  # v2 is the latest already
    assert f'action="/documents/{document.pk}/versions/2/label/"' in html
    assert f'action="/documents/{document.pk}/trash/"' in html


def test_it_shows_a_banner_on_an_old_version(login, customer_member, document):
    response = login(customer_member).get(f"/documents/{document.pk}/?version=1")
    html = response.content.decode()
    assert response.context["shown"].number == 1
    date = date_format(timezone.localtime(document.latest.created_at), "SHORT_DATE_FORMAT")
    assert f"A newer version exists (v2, {date}, by Mia Member)." in html
    assert f'href="/documents/{document.pk}/">Go to the latest version (v2)' in html
    assert f'href="/documents/{document.pk}/versions/1/download/"' in html
    client = login(customer_member)
    assert client.get(f"/documents/{document.pk}/?version=9").status_code == 404
    assert client.get(f"/documents/{document.pk}/?version=abc").status_code == 404


def test_it_shows_dates_in_the_users_language(login, customer_member, document):
    latest = document.latest
    client = login(customer_member)
    swedish = client.get(f"/documents/{document.pk}/?version=1", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "En nyare version finns" in swedish
    german = client.get(f"/documents/{document.pk}/?version=1", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    local = timezone.localtime(latest.created_at)
    assert f"{local:%d.%m.%Y}" in german


def test_it_hides_a_document_from_an_outsider(login, outsider, document):
    client = login(outsider)
    for path in (
        f"/documents/{document.pk}/",
        f"/documents/{document.pk}/?version=1",
        f"/documents/{document.pk}/download/",
        f"/documents/{document.pk}/versions/1/download/",
        f"/documents/{uuid.uuid4()}/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/documents/{document.pk}/trash/",
        f"/documents/{document.pk}/restore/",
        f"/documents/{document.pk}/versions/1/restore/",
        f"/documents/{document.pk}/versions/1/label/",
    ):
        assert client.post(path, {"label": "Mine"}).status_code == 404, path
    document.refresh_from_db()
    assert document.deleted_at is None and document.latest.number == 2
    assert not document.versions.exclude(label="").exists()


def test_it_refuses_every_write_to_a_viewer(login, customer_viewer, document):
    client = login(customer_viewer)
    for path in (
        f"/documents/{document.pk}/trash/",
        f"/documents/{document.pk}/versions/1/restore/",
        f"/documents/{document.pk}/versions/1/label/",
    ):
        assert client.post(path, {"label": "Mine"}).status_code == 403, path
    document.refresh_from_db()
    assert document.deleted_at is None and document.latest.number == 2
    assert not document.versions.exclude(label="").exists()


def test_it_refuses_restoring_from_the_trash_to_a_viewer(login, customer_member, customer_viewer, document):
    trash_document(
        actor=customer_member,
        folder=get_folder_for_user(customer_member, document.folder_id, write=True),
        document=document,
    )
    assert login(customer_viewer).post(f"/documents/{document.pk}/restore/").status_code == 403
    response = login(customer_viewer).get(f"/organisations/{document.organisation_id}/trash/")
    assert response.status_code == 200 and "drawing.pdf" in response.content.decode()
    assert f'action="/documents/{document.pk}/restore/"' not in response.content.decode()


def test_it_restores_an_old_version_as_the_new_latest(login, customer_member, document):
    response = login(customer_member).post(f"/documents/{document.pk}/versions/1/restore/")
    assert response["Location"] == f"/documents/{document.pk}/"
    document.refresh_from_db()
    assert document.latest.number == 3 and document.latest.restored_from.number == 1
    download = login(customer_member).get(f"/documents/{document.pk}/download/")
    assert streamed(download) == b"first"


def test_it_labels_a_version(login, customer_member, document):
    client = login(customer_member)
    assert client.post(f"/documents/{document.pk}/versions/1/label/", {"label": "Signed"}).status_code == 302
    assert document.versions.get(number=1).label == "Signed"
    client.post(f"/documents/{document.pk}/versions/1/label/", {"label": "x" * 61})
    assert document.versions.get(number=1).label == "Signed"
    messages = [str(m) for m in client.get(f"/documents/{document.pk}/").context["messages"]]
    assert messages[-1] == "Labels can be at most 60 characters long."
    assert client.get(f"/documents/{document.pk}/versions/1/label/").status_code == 405


# ---------------------------------------------------------------------------------------------------------
# Downloads


def test_it_downloads_the_latest_and_any_version_as_an_attachment(login, customer_viewer, document):
    client = login(customer_viewer)
    latest = client.get(f"/documents/{document.pk}/download/")
    assert latest.status_code == 200 and streamed(latest) == b"second"
    assert latest["Content-Disposition"].startswith("attachment")
    assert 'filename="drawing.pdf"' in latest["Content-Disposition"]
    assert (
        "sandbox" in latest["Content-Security-Policy"]
        and "default-src 'none'" in latest["Content-Security-Policy"]
    )
    assert latest["X-Content-Type-Options"] == "nosniff"
    old = client.get(f"/documents/{document.pk}/versions/1/download/")
    assert streamed(old) == b"first" and old["Content-Disposition"].startswith("attachment")
    assert "sandbox" in old["Content-Security-Policy"]
    assert client.get(f"/documents/{document.pk}/versions/7/download/").status_code == 404


def test_it_serves_ranges_of_a_version(login, customer_viewer, document):
    response = login(customer_viewer).get(f"/documents/{document.pk}/download/", HTTP_RANGE="bytes=1-3")
    assert response.status_code == 206 and streamed(response) == b"eco"


# ---------------------------------------------------------------------------------------------------------
# The trash


def test_it_moves_a_document_to_the_trash_and_back(login, customer_member, document, settings):
    client = login(customer_member)
    response = client.post(f"/documents/{document.pk}/trash/")
    assert response["Location"] == f"/folders/{document.folder_id}/"
    listing = client.get(f"/folders/{document.folder_id}/")
    assert listing.context["page"].paginator.count == 0
    assert [str(m) for m in listing.context["messages"]] == [
        f"“drawing.pdf” is in the trash. You can restore it from there for {settings.TRASH_RETENTION_DAYS} days."
    ]
    assert client.get(f"/documents/{document.pk}/").status_code == 404
    trash = client.get(f"/organisations/{document.organisation_id}/trash/")
    html = trash.content.decode()
    assert "drawing.pdf" in html and f"for {settings.TRASH_RETENTION_DAYS} days" in html
    assert f'action="/documents/{document.pk}/restore/"' in html
    restored = client.post(f"/documents/{document.pk}/restore/")
    assert restored["Location"] == f"/documents/{document.pk}/"
    assert client.get(f"/documents/{document.pk}/").status_code == 200


def test_it_explains_why_a_document_cannot_come_back_under_a_taken_name(
    login, customer_member, document, drawings
):
    client = login(customer_member)
    client.post(f"/documents/{document.pk}/trash/")
    upload(client, drawings, ("drawing.pdf", b"a new one"))
    response = client.post(f"/documents/{document.pk}/restore/")
    assert response["Location"] == f"/organisations/{document.organisation_id}/trash/"
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert "already in this folder" in messages[-1]
    document.refresh_from_db()
    assert document.deleted_at is not None


def test_it_explains_an_empty_trash(login, organisation, customer_member):
    response = login(customer_member).get(f"/organisations/{organisation.pk}/trash/")
    assert "The trash is empty" in response.content.decode()


def test_it_restores_a_document_after_a_failed_upload_of_the_same_name(
    login, customer_member, document, drawings, settings
):
    client = login(customer_member)
    client.post(f"/documents/{document.pk}/trash/")
    settings.MAX_UPLOAD_BYTES = 10
    assert upload(client, drawings, ("drawing.pdf", b"too large" * 100), **XHR).status_code == 413
    settings.MAX_UPLOAD_BYTES = 10**9
    assert client.post(f"/documents/{document.pk}/restore/")["Location"] == f"/documents/{document.pk}/"

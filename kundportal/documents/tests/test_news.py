"""The dashboard tells each user what is new in documents since their previous visit, per organisation."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import DocumentVersion, FolderAccess
from kundportal.documents.services import upload_document_version

pytestmark = pytest.mark.django_db


def stored(user, folder, name, data=b"x"):
    access = get_folder_for_user(user, folder.pk, write=True)
    return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data))


def visited(user, ago):
    user.last_dashboard_visit = timezone.now() - ago
    user.save(update_fields=["last_dashboard_visit"])


def backdate(version, ago):
    DocumentVersion.objects.filter(pk=version.pk).update(created_at=timezone.now() - ago)


def test_it_shows_what_others_added_since_the_last_visit(
    login, customer_admin, customer_member, account_manager, folders
):
    drawings = folders[FolderAccess.READ_WRITE]
    backdate(stored(customer_member, drawings, "old.pdf"), timedelta(days=3))
    stored(customer_member, drawings, "old.pdf", b"second")  # a new version of a document seen before
    stored(customer_member, drawings, "plan.pdf")  # a new document
    stored(customer_admin, drawings, "mine.pdf")  # the user's own upload is no news to them
    stored(account_manager, folders[FolderAccess.INTERNAL], "internal.pdf")  # never visible to customers
    stored(customer_member, folders[FolderAccess.UPLOAD_ONLY], "private.pdf")  # only its uploader sees it
    visited(customer_admin, timedelta(days=1))
    response = login(customer_admin).get("/")
    html = response.content.decode()
    assert [v.document.name for v in response.context["recent_versions"]] == ["plan.pdf", "old.pdf"]
    assert "1 new document · 1 new version" in html
    assert "New documents since your last visit" in html
    assert "internal.pdf" not in html and "private.pdf" not in html and "mine.pdf" not in html


def test_staff_see_news_of_their_customers_only(
    login, account_manager, customer_member, other_organisation, outsider, folders
):
    from kundportal.documents.models import Folder

    stored(customer_member, folders[FolderAccess.READ_WRITE], "acme.pdf")
    elsewhere = Folder.objects.create(organisation=other_organisation, name="Files")
    stored(outsider, elsewhere, "other.pdf")
    visited(account_manager, timedelta(days=1))
    response = login(account_manager).get("/")
    assert [v.document.name for v in response.context["recent_versions"]] == ["acme.pdf"]
    assert "Acme AB" in response.content.decode()
    visited(outsider, timedelta(days=1))
    assert [v.document.name for v in login(outsider).get("/").context["recent_versions"]] == []


def test_a_first_visit_shows_the_latest_documents_and_an_empty_state_otherwise(
    login, customer_admin, customer_member, drawings
):
    client = login(customer_admin)
    html = client.get("/").content.decode()
    assert "Latest documents" in html and "No documents yet" in html
    stored(customer_member, drawings, "plan.pdf")
    assert "plan.pdf" in login(customer_admin).get("/").content.decode()


def test_the_dashboard_keeps_its_query_count_as_documents_grow(
    login, customer_admin, customer_member, provider_admin, drawings, django_assert_max_num_queries
):
    for user in (customer_admin, provider_admin):
        visited(user, timedelta(days=1))
    stored(customer_member, drawings, "one.pdf")
    small = {}
    for user in (customer_admin, provider_admin):
        client = login(user)
        client.get("/")
        with django_assert_max_num_queries(30) as queries:
            client.get("/")
        small[user] = len(queries.captured_queries)
    for n in range(25):
        stored(customer_member, drawings, f"doc{n}.pdf")
        stored(customer_member, drawings, "one.pdf", str(n).encode())
    for user in (customer_admin, provider_admin):
        client = login(user)
        client.get("/")
        with django_assert_max_num_queries(small[user]):
            response = client.get("/")
        assert len(response.context["recent_versions"]) == 8
        # one.pdf's first version came before the visit above: 25 new documents, 25 new versions of one.pdf
        assert "25 new documents · 25 new versions" in response.content.decode()

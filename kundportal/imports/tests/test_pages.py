"""The import pages: provider admins upload, preview and apply; nobody else learns they exist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import Product
from kundportal.core.crypto.errors import FieldIntegrityError
from kundportal.customers.models import CustomerProfile
from kundportal.imports.models import BatchStatus, ImportBatch
from kundportal.imports.progress import Progress
from kundportal.imports.tests.conftest import CUSTOMER_HEADER, customer_row, customers_csv, make_csv
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db

START = "/imports/"


def upload(
    client, data: bytes, *, kind: str = "customers", name: str = "export.csv", content_type: str = "text/csv"
):  # type: ignore[no-untyped-def]
    return client.post(
        START, {"kind": kind, "file": SimpleUploadedFile(name, data, content_type=content_type)}
    )


def batch_of(response) -> ImportBatch:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.strip("/").split("/")[-1])


@pytest.fixture
def admin(login, provider_admin):  # type: ignore[no-untyped-def]
    return login(provider_admin)


@pytest.fixture
def ready_batch(admin) -> ImportBatch:  # type: ignore[no-untyped-def]
    return batch_of(upload(admin, customers_csv(3)))


def test_the_start_page_explains_the_columns_and_lists_recent_imports(admin):
    response = admin.get(START)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Import data" in page and "kundnummer" in page and "No imports yet" in page
    assert 'enctype="multipart/form-data"' in page
    batch_of(upload(admin, customers_csv(1)))
    assert "export.csv" in admin.get(START).content.decode()


def test_the_settings_page_links_to_imports(admin):
    assert reverse("import_start") in admin.get(reverse("staff_list")).content.decode()


def test_upload_preview_apply(admin, provider_admin):
    batch = batch_of(upload(admin, customers_csv(3)))
    assert batch.status == BatchStatus.READY and batch.created_by == provider_admin
    assert not Organisation.objects.exists()  # a preview changes nothing
    page = admin.get(reverse("import_preview", args=[batch.pk])).content.decode()
    assert "Import of export.csv" in page and "Applying makes 3 changes." in page
    response = admin.post(reverse("import_apply", args=[batch.pk]), follow=True)
    assert "Imported: 3 new, 0 updated, 0 unchanged." in response.content.decode()
    assert CustomerProfile.objects.count() == 3
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPLIED and batch.applied_at and batch.content_encrypted == ""
    (event,) = AuditEvent.objects.filter(action=Action.IMPORT_APPLIED)
    assert (
        event.data["create"] == 3 and event.data["file"] == "export.csv" and event.target_id == str(batch.pk)
    )
    # Applying again is refused, and nothing is imported twice.
    response = admin.post(reverse("import_apply", args=[batch.pk]), follow=True)
    assert "applied already" in response.content.decode()
    assert CustomerProfile.objects.count() == 3


def test_the_kept_file_is_encrypted_and_bound_to_its_batch(ready_batch):
    assert "Kund 1 AB" not in ready_batch.content_encrypted
    assert ready_batch.content_encrypted.startswith("v1:")
    assert "Kund 1 AB" in ready_batch.load_text()
    other = ImportBatch.objects.create(
        kind="customers", status="ready", file_name="x.csv", expires_at=ready_batch.expires_at
    )
    other.content_encrypted = ready_batch.content_encrypted
    with pytest.raises(FieldIntegrityError):
        other.load_text()


def test_no_uploaded_byte_is_written_to_a_temporary_file(admin, monkeypatch):
    created = []
    original = TemporaryUploadedFile.__init__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        created.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", spy)
    batch_of(upload(admin, customers_csv(3000)))  # ~300 KB, above Django's in-memory threshold
    assert created == []


def test_a_file_with_errors_shows_every_error_and_cannot_be_applied(admin):
    data = make_csv(
        [
            ["Kundnummer", "Namn", "E-post", "Postnummer", "Land", "Gatuadress", "Postort"],
            ["K-1", "Ett AB", "fel", "111 22", "SE", "Gata 1", "Stockholm"],
            ["K-2", "Två AB", "a@b.se", "1", "SE", "Gata 2", "Stockholm"],
            ["K-1", "Tre AB", "c@d.se", "111 22", "SE", "Gata 3", "Stockholm"],
        ]
    )
    batch = batch_of(upload(admin, data))
    assert batch.status == BatchStatus.INVALID and batch.content_encrypted == ""
    page = admin.get(reverse("import_preview", args=[batch.pk])).content.decode()
    assert "3 errors" in page
    assert (
        '<td data-label="Column">E-post</td><td data-label="Problem">Enter a valid email address.</td>'
        in page
    )
    assert "This postal code is not valid in Sweden." in page
    assert "The external id “K-1” appears again (first in row 2)." in page
    assert reverse("import_apply", args=[batch.pk]) not in page
    response = admin.post(reverse("import_apply", args=[batch.pk]), follow=True)
    assert "can no longer be applied" in response.content.decode()
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "image/png", "This is not a CSV file."),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "text/csv", "it contains binary data"),
        (
            b"PK\x03\x04" + bytes(200),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "workbook",
        ),
        (b"PK\x03\x04" + bytes(200), "application/octet-stream", "workbook"),
        (b"", "text/csv", "The file is empty."),
        (b"external_id,name\r\n", "text/csv", "The file has a header but no rows."),
        (b"external_id,name\r\nK-1,Caf\x81\x8d\r\n", "text/csv", "neither UTF-8 nor Windows-1252"),
        (b"a,b\r\n1,2\r\n", "text/csv", "The column “external id” is missing."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_error(admin, data, content_type, message):
    response = upload(admin, data, content_type=content_type)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_limit_is_refused_without_being_kept(admin, monkeypatch):
    monkeypatch.setattr("kundportal.imports.uploads.MAX_FILE_BYTES", 1000)
    response = upload(admin, customers_csv(100))
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_it_asks_for_a_kind_and_a_file(admin):
    response = admin.post(START, {"kind": "pets"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose what the file holds" in page and "Choose a CSV file." in page


def test_the_file_is_validated_again_when_applied(admin):
    data = make_csv(
        [["external_id", "sku", "name", "price", "currency"], ["P-1", "SKU-1", "Drill", "10", "SEK"]]
    )
    batch = batch_of(upload(admin, data, kind="products"))
    Product.objects.create(sku="SKU-1", external_id="ERP-9", name="Taken", price=1, currency="SEK")
    response = admin.post(reverse("import_apply", args=[batch.pk]), follow=True)
    assert "Nothing was applied" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.INVALID and batch.report["errors"][0]["code"] == "sku_taken"
    assert list(Product.objects.values_list("external_id", flat=True)) == ["ERP-9"]


def test_an_expired_preview_cannot_be_applied(admin, ready_batch):
    ImportBatch.objects.filter(pk=ready_batch.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = admin.get(reverse("import_preview", args=[ready_batch.pk])).content.decode()
    assert "This preview has expired" in page
    admin.post(reverse("import_apply", args=[ready_batch.pk]))
    assert not Organisation.objects.exists()
    # The next upload forgets the expired file.
    batch_of(upload(admin, customers_csv(1)))
    ready_batch.refresh_from_db()
    assert ready_batch.content_encrypted == ""


def test_discarding_forgets_the_file(admin, ready_batch):
    response = admin.post(reverse("import_discard", args=[ready_batch.pk]), follow=True)
    assert "The import was discarded." in response.content.decode()
    ready_batch.refresh_from_db()
    assert ready_batch.status == BatchStatus.DISCARDED and ready_batch.content_encrypted == ""
    admin.post(reverse("import_apply", args=[ready_batch.pk]))
    assert not Organisation.objects.exists()


def test_a_large_file_is_applied_in_the_background_with_progress(admin, monkeypatch):
    monkeypatch.setattr("kundportal.imports.services.SYNC_ROWS", 2)
    batch = batch_of(upload(admin, customers_csv(5)))
    # The test settings run tasks at once (ImmediateBackend); `kundportal worker` does in production.
    response = admin.post(reverse("import_apply", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPLIED and CustomerProfile.objects.count() == 5
    assert admin.get(reverse("import_status", args=[batch.pk])).json() == {
        "status": "applied",
        "running": False,
    }


def test_the_page_of_a_running_import_shows_its_progress(admin, ready_batch):
    ImportBatch.objects.filter(pk=ready_batch.pk).update(status=BatchStatus.QUEUED)
    Progress(ready_batch.pk).set("writing", 400, 1000, force=True)
    page = admin.get(reverse("import_preview", args=[ready_batch.pk])).content.decode()
    assert "data-import-progress" in page and 'value="400"' in page and 'max="1000"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    status = admin.get(reverse("import_status", args=[ready_batch.pk])).json()
    assert status == {
        "status": "queued",
        "running": True,
        "phase": "writing",
        "done": 400,
        "total": 1000,
        "step": 2,
        "steps": 3,
    }


def test_a_background_apply_that_crashes_applies_nothing_and_can_be_retried(admin, monkeypatch):
    monkeypatch.setattr("kundportal.imports.services.SYNC_ROWS", 2)
    batch = batch_of(upload(admin, customers_csv(5)))

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr("kundportal.imports.customers._give_folders", crash)
    admin.post(reverse("import_apply", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and batch.content_encrypted
    assert not Organisation.objects.exists()
    assert (
        "Applying failed and nothing was changed"
        in admin.get(reverse("import_preview", args=[batch.pk])).content.decode()
    )
    monkeypatch.undo()
    monkeypatch.setattr("kundportal.imports.services.SYNC_ROWS", 2)
    admin.post(reverse("import_apply", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPLIED and CustomerProfile.objects.count() == 5


def test_the_preview_keeps_a_constant_number_of_queries(admin, django_assert_max_num_queries):
    small = batch_of(upload(admin, make_csv([CUSTOMER_HEADER, customer_row(1, email="x")])))
    large = batch_of(upload(admin, customers_csv(2000, bad={n: {"email": "x"} for n in range(1, 2001)})))
    for batch in (small, large):
        admin.get(reverse("import_preview", args=[batch.pk]))  # warm the session
        with django_assert_max_num_queries(8):
            response = admin.get(reverse("import_preview", args=[batch.pk]))
        assert response.status_code == 200
    assert "2000 errors" in response.content.decode() and "Page 1 of 20" in response.content.decode()


def test_the_sample_files_import_as_they_are(admin):
    for kind in ("customers", "products", "orders"):
        response = admin.get(reverse("import_sample", args=[kind]))
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        data = b"".join(response.streaming_content) if response.streaming else response.content
        assert upload(admin, data, kind=kind).status_code == 302
        batch = ImportBatch.objects.latest("created_at")
        assert batch.status == BatchStatus.READY, batch.report["errors"]
        admin.post(reverse("import_apply", args=[batch.pk]))
    assert CustomerProfile.objects.count() == 2 and Product.objects.count() == 2


@pytest.mark.parametrize(
    "who", ["account_manager", "customer_admin", "customer_member", "customer_viewer", "outsider"]
)
def test_nobody_but_provider_admins_learns_that_imports_exist(request, login, ready_batch, who):
    client = login(request.getfixturevalue(who))
    ids = [ready_batch.pk]
    assert client.get(START).status_code == 404
    assert upload(client, customers_csv(2)).status_code == 404
    assert client.get(reverse("import_sample", args=["customers"])).status_code == 404
    for name in ("import_preview", "import_status"):
        assert client.get(reverse(name, args=ids)).status_code == 404
    for name in ("import_apply", "import_discard"):
        assert client.post(reverse(name, args=ids)).status_code == 404
    ready_batch.refresh_from_db()
    assert ready_batch.status == BatchStatus.READY and ImportBatch.objects.count() == 1
    assert not Organisation.objects.filter(name__startswith="Kund").exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(START)
    assert response.status_code == 302 and "/account/login/" in response.url

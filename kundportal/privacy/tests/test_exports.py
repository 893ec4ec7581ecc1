"""Download my data: one job per person, the ZIP's contents (decrypted here), the download rules, progress,
cancellation, expiry, and flat memory.

alice: provider admin · mads: account manager · carl: customer admin · mia: member · vera: viewer ·
otto: admin of another customer (the outsider).
"""

from __future__ import annotations

import os
import tracemalloc
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.messaging.models import Category, Notification
from kundportal.privacy import exports, registry
from kundportal.privacy.models import DataExport, ExportStatus
from kundportal.privacy.tests.export_helpers import (
    _own_keyring,  # noqa: F401 - autouse fixture
    built,
    data_json,
    stored_names,
    upload,
    zip_of,
)

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def test_it_gives_the_same_unfinished_job_to_a_second_request(customer_member):
    first = exports.request_export(actor=customer_member, user=customer_member)
    second = exports.request_export(actor=customer_member, user=customer_member)
    assert first.pk == second.pk
    assert DataExport.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.DATA_EXPORT_REQUESTED).count() == 1


def test_it_queues_the_build_after_the_commit(customer_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(actor=customer_member, user=customer_member)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY  # the immediate task backend of the tests ran it


def test_the_zip_holds_every_source_the_person_and_their_files_decrypted(customer_member, organisation):
    content = os.urandom(300_000) + b"zq7-file-marker"
    upload(customer_member, organisation, "plan.pdf", content)
    customer_member.full_name = "Mia zq7-name"
    customer_member.save()

    export = built(customer_member)

    assert export.status == ExportStatus.READY and export.progress == 100
    assert export.blob_name and export.kek_id and export.wrapped_key and export.size > len(content)
    archive = zip_of(export)
    data = data_json(archive)
    assert data["format"] == "kundportal-export/1" and data["generated_at"]
    assert data["person"]["email"] == customer_member.email and data["person"]["name"] == "Mia zq7-name"
    for source in registry.sources():
        assert any(name == source.key or name.startswith(f"{source.key}.") for name in data["sections"]), (
            f"no section of {source.key} in data.json"
        )
    files = [name for name in archive.namelist() if name.startswith("files/")]
    assert [archive.read(name) for name in files] == [content]
    assert "README.html" in archive.namelist()


def test_the_stored_zip_is_encrypted(customer_member, organisation, tmp_path):
    upload(customer_member, organisation, "plain.txt", b"zq7-plaintext-marker " * 100)
    export = built(customer_member)
    raw = (tmp_path / "files" / export.blob_name).read_bytes()
    assert raw[:4] == b"KPB1"
    assert b"zq7-plaintext-marker" not in raw and b"data.json" not in raw


def test_the_readme_escapes_markup_and_is_in_the_persons_language(customer_member):
    customer_member.full_name = "<script>alert('x')</script>"
    customer_member.language = "de"
    customer_member.save()
    readme = zip_of(built(customer_member)).read("README.html").decode()
    assert "<script>alert" not in readme
    assert "&lt;script&gt;alert" in readme
    assert '<html lang="de">' in readme


def test_it_records_and_notifies_when_ready(customer_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(actor=customer_member, user=customer_member)
    [notification] = Notification.objects.filter(recipient=customer_member)
    assert notification.category == Category.JOB_FINISHED
    assert notification.params["kind"] == "data_export"
    from kundportal.messaging.notifications import describe

    assert "export is ready" in str(describe(notification))
    assert notification.url.startswith("/privacy/")
    export.refresh_from_db()
    assert export.expires_at - export.finished_at == timedelta(hours=72)


def test_the_expiry_follows_the_setting(customer_member, settings):
    settings.DATA_EXPORT_HOURS = 5
    export = built(customer_member)
    assert export.expires_at - export.finished_at == timedelta(hours=5)


def test_an_export_cancelled_before_it_starts_is_not_built(customer_member, tmp_path):
    export = exports.request_export(actor=customer_member, user=customer_member)
    assert exports.cancel_for(customer_member) == 1
    assert exports.build_export(export.pk) is None
    export.refresh_from_db()
    assert export.status == ExportStatus.CANCELLED
    assert not stored_names(tmp_path)


def test_an_export_cancelled_while_it_is_built_stops_and_leaves_nothing(
    customer_member, organisation, tmp_path, monkeypatch
):
    upload(customer_member, organisation, "a.bin", os.urandom(1000))
    before = stored_names(tmp_path)

    def cancelling(subject, writer):
        exports.cancel_for(subject.user)  # an erasure arrives while the sources are asked

    monkeypatch.setitem(
        registry.SOURCES,
        "zz_cancel",
        registry.Source(
            key="zz_cancel",
            models=(),
            export=cancelling,
            erase=lambda subject, report: None,
            categories="x",
            purpose="x",
            retention="x",
            order=999,
        ),
    )
    export = exports.request_export(actor=customer_member, user=customer_member)
    assert exports.build_export(export.pk) is None
    export.refresh_from_db()
    assert export.status == ExportStatus.CANCELLED and not export.blob_name
    assert stored_names(tmp_path) == before


def test_cancelling_deletes_a_ready_zip(customer_member, tmp_path, django_capture_on_commit_callbacks):
    export = built(customer_member)
    assert export.blob_name in stored_names(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports.cancel_for(customer_member) == 0
    assert export.blob_name not in stored_names(tmp_path)
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and not export.blob_name


def test_a_failing_source_fails_the_job_and_leaves_no_object(customer_member, tmp_path, monkeypatch):
    def broken(subject, writer):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        registry.SOURCES,
        "zz_broken",
        registry.Source(
            key="zz_broken",
            models=(),
            export=broken,
            erase=lambda subject, report: None,
            categories="x",
            purpose="x",
            retention="x",
        ),
    )
    export = exports.request_export(actor=customer_member, user=customer_member)
    exports.build_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and export.error == "RuntimeError"
    assert not stored_names(tmp_path)
    # and the person can ask again
    assert exports.request_export(actor=customer_member, user=customer_member).pk != export.pk


def test_expired_exports_are_deleted_by_the_periodic_task(
    customer_member, tmp_path, django_capture_on_commit_callbacks
):
    from kundportal.privacy.tasks import expire_exports

    export = built(customer_member)
    assert export.blob_name in exports.blob_names()
    with django_capture_on_commit_callbacks(execute=True):
        assert exports.expire_exports() == 0  # not yet
    assert export.blob_name in stored_names(tmp_path)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        expire_exports.enqueue()
    assert export.blob_name not in stored_names(tmp_path)
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and not export.blob_name and export.wrapped_key is None
    assert not exports.blob_names()


def test_a_job_whose_worker_went_away_fails_so_the_person_can_ask_again(customer_member):
    export = exports.request_export(actor=customer_member, user=customer_member)
    DataExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(days=2))
    exports.expire_exports()
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED


def test_the_orphan_sweep_keeps_the_zip(customer_member, tmp_path):
    from kundportal.documents.maintenance import sweep_orphans

    export = built(customer_member)
    sweep_orphans(now=timezone.now() + timedelta(days=2))
    assert export.blob_name in stored_names(tmp_path)


def test_progress_is_written_while_the_sources_are_asked(customer_member, monkeypatch):
    seen = []

    def watching(subject, writer):
        seen.append(DataExport.objects.get(user=subject.user).progress)

    monkeypatch.setitem(
        registry.SOURCES,
        "zz_watch",
        registry.Source(
            key="zz_watch",
            models=(),
            export=watching,
            erase=lambda subject, report: None,
            categories="x",
            purpose="x",
            retention="x",
            order=999,
        ),
    )
    built(customer_member)
    assert 0 < seen[0] < 100


def _peak_while_building(user, organisation, size):
    for number in range(3):
        upload(user, organisation, f"big-{size}-{number}.bin", os.urandom(size))
    export = exports.request_export(actor=user, user=user)
    tracemalloc.start()
    try:
        exports.build_export(export.pk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    return peak


def test_memory_stays_flat_with_megabytes_of_files(customer_member, organisation):
    small = _peak_while_building(customer_member, organisation, 1 * MIB)
    large = _peak_while_building(customer_member, organisation, 6 * MIB)  # 18 MiB more of files
    assert large < 6 * MIB, f"peak {large / MIB:.1f} MiB"
    assert large - small < 1 * MIB, f"peak grew from {small / MIB:.1f} to {large / MIB:.1f} MiB"


def test_an_admin_may_ask_on_someones_behalf_but_another_customer_may_not(
    customer_member, provider_admin, outsider
):
    with pytest.raises(Exception, match="Only the person"):
        exports.request_export(actor=outsider, user=customer_member)
    export = exports.request_export(actor=provider_admin, user=customer_member)
    assert export.requested_by == provider_admin
    event = AuditEvent.objects.get(action=Action.DATA_EXPORT_REQUESTED)
    assert event.actor == provider_admin and event.data["on_behalf"] is True


def test_the_person_is_told_when_an_admin_s_export_runs(customer_member, provider_admin):
    exports.request_export(actor=provider_admin, user=customer_member)
    with pytest.raises(Exception, match="requested by someone else"):
        exports.request_export(actor=customer_member, user=customer_member)


def test_a_forged_id_is_not_found(customer_member):
    from django.http import Http404

    for forged in (uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(Http404):
            exports.get_export_for_user(customer_member, forged)

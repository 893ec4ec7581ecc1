"""Download my data: a background job builds one ZIP of everything the portal holds about a person, stored
encrypted until it is downloaded by its owner or expires.

The ZIP is produced by zipstream-ng piece by piece and each piece goes straight into the documents' encrypted
blob format (core.crypto.blob, its own random data key wrapped by the keyring, like an offer's picture): no
plaintext ever touches the disk, and memory stays flat however large the files are, because every file is
decrypted chunk by chunk only when the ZIP reaches it. What is held in memory is the JSON records (metadata,
small), written first as data.json and README.html.

Contents (documented for the person, machine-readable):

    data.json   {"format": "kundportal-export/1", "generated_at": ISO 8601, "person": {...},
                 "sections": {"<source>.<section>": [rows...], ...}}
                every registered source (privacy.registry) has at least one section; a source that holds
                nothing about the person appears as an empty list under its key
    README.html a readable summary in the person's language: the sections, their counts, the rows as tables
    files/...   the files the sources add (uploaded documents, invoices), decrypted

The object's context binds it to the export row (organisation = EXPORT_SCOPE, a fixed name-based UUID no
organisation has; document = the person; version = the export), so it decrypts nowhere else.
"""

from __future__ import annotations

import json
import logging
import posixpath
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import zipstream
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.core.crypto.blob import BlobContext, BlobEncryptor, decrypt_range, new_data_key
from kundportal.core.crypto.keys import get_keyring
from kundportal.documents import blobstore
from kundportal.documents.zips import INVISIBLE, UNSAFE_IN_FILENAME
from kundportal.organisations.access import parse_uuid
from kundportal.privacy import registry
from kundportal.privacy.models import DataExport, ExportStatus

if TYPE_CHECKING:
    from kundportal.accounts.models import User

log = logging.getLogger("kundportal.privacy")

FORMAT = "kundportal-export/1"
EXPORT_SCOPE = uuid.UUID(
    "3f0d6c1e-8b7a-5e4f-9c2d-1a6b5e0f7d93"
)  # uuid5-shaped: never an organisation's uuid4
UNFINISHED = (ExportStatus.QUEUED, ExportStatus.RUNNING)
# A job that has been queued or running this long lost its worker (a restart): it is marked failed, so the
# person can ask again (the one_running_export constraint would otherwise keep them waiting for ever).
STALE_AFTER = timedelta(hours=24)
# Progress is written (and cancellation noticed) at most this often while the ZIP is written.
PROGRESS_SECONDS = 1.0
SOURCES_SHARE = 10  # percent of the bar for asking the sources; the rest is the ZIP's bytes
README_ROWS = 500  # rows per section shown in README.html; data.json has all of them


class ExportCancelled(Exception):
    """The job was cancelled (an erasure) or its row deleted while it was being built."""


def _context(export: DataExport) -> BlobContext:
    return BlobContext(organisation_id=EXPORT_SCOPE, document_id=export.user_id, version_id=export.pk)


def _key_context(context: BlobContext) -> bytes:
    return b"data-export|" + context.info()


def privacy_url() -> str:
    return reverse("privacy") + "#export-title"


# ---------------------------------------------------------------------------------------------------------
# Requesting, cancelling, expiring


def request_export(*, actor: User, user: User, request: HttpRequest | None = None) -> DataExport:
    """Queue an export of `user`'s data; the same person asking again while one is unfinished gets that one.

    `actor` is the person themself, or a provider admin acting for someone who cannot log in (the ZIP is then
    downloadable by that admin only)."""
    from kundportal.organisations.access import is_provider_admin

    if actor.pk != user.pk and not is_provider_admin(actor):
        raise ValidationError(_("Only the person themself asks for their data."))
    with transaction.atomic():
        existing = DataExport.objects.filter(user=user, status__in=UNFINISHED).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = DataExport.objects.create(user=user, requested_by=actor)
            except IntegrityError:  # a second request raced this one: the one_running_export constraint
                existing = DataExport.objects.filter(user=user, status__in=UNFINISHED).first()
                if existing is None:
                    raise
            else:
                record_event(
                    Action.DATA_EXPORT_REQUESTED,
                    actor=actor,
                    target=existing,
                    request=request,
                    user=str(user.pk),
                    on_behalf=actor.pk != user.pk,
                )
                export_id = str(existing.pk)
                transaction.on_commit(lambda: _enqueue(export_id))
    if existing.requested_by_id not in (None, actor.pk):
        raise ValidationError(
            _("An export of this person's data requested by someone else is being prepared. Try again later.")
        )
    return existing


def _enqueue(export_id: str) -> None:
    from kundportal.privacy.tasks import build_export

    build_export.enqueue(export_id)


def cancel_for(user: User) -> int:
    """Stop every export of `user` (an erasure): queued and running jobs are cancelled (a running build
    notices and stops), ready ones expire; every stored ZIP is deleted once the transaction commits.
    Returns how many unfinished jobs were cancelled."""
    now = timezone.now()
    with transaction.atomic():
        cancelled = DataExport.objects.filter(user=user, status__in=UNFINISHED).update(
            status=ExportStatus.CANCELLED, finished_at=now
        )
        stored = list(
            DataExport.objects.filter(user=user).exclude(blob_name="").values_list("pk", "blob_name")
        )
        if stored:
            DataExport.objects.filter(pk__in=[pk for pk, _name in stored]).update(
                status=ExportStatus.EXPIRED, blob_name="", wrapped_key=None, expires_at=now
            )
            names = [name for _pk, name in stored]
            transaction.on_commit(lambda: _delete_blobs(names))
    return cancelled


def _delete_blobs(names: Iterable[str]) -> None:
    for name in names:
        try:
            blobstore.delete(name)
        except Exception:  # the orphan sweep removes it later; the caller's work is done
            log.exception("could not delete the export object %s", name)


def expire_exports(*, now: datetime | None = None) -> int:
    """Periodic: delete the ZIPs whose time is up, and fail jobs whose worker went away. Returns how many
    ZIPs were deleted."""
    now = now or timezone.now()
    DataExport.objects.filter(status__in=UNFINISHED, created_at__lt=now - STALE_AFTER).update(
        status=ExportStatus.FAILED, finished_at=now, error="The background worker stopped before it finished."
    )
    with transaction.atomic():
        due = list(
            DataExport.objects.select_for_update()
            .filter(status=ExportStatus.READY, expires_at__lte=now)
            .values_list("pk", "blob_name")
        )
        DataExport.objects.filter(pk__in=[pk for pk, _name in due]).update(
            status=ExportStatus.EXPIRED, blob_name="", wrapped_key=None
        )
        names = [name for _pk, name in due if name]
        transaction.on_commit(lambda: _delete_blobs(names))
    return len(due)


def blob_names() -> set[str]:
    """Every object a data export uses: the orphan sweep must keep these (settings.BLOB_NAME_SOURCES)."""
    return set(DataExport.objects.exclude(blob_name="").values_list("blob_name", flat=True))


# ---------------------------------------------------------------------------------------------------------
# Finding one


def exports_of(user: User) -> Any:
    """The exports a person asked for themself (not those a provider admin asked for on their behalf)."""
    return DataExport.objects.filter(user=user, requested_by=user)


def as_seen(export: DataExport, now: datetime | None = None) -> DataExport:
    """A ready export whose time is up shows as expired, even before the periodic task deleted it."""
    if is_expired(export, now):
        export.status = ExportStatus.EXPIRED
    return export


def latest_export(user: User) -> DataExport | None:
    export = exports_of(user).order_by("-created_at").first()
    return as_seen(export) if export is not None else None


def get_export_for_user(user: User, export_id: uuid.UUID | str) -> DataExport:
    """An export `user` may see and download: one they asked for, about themself or (a provider admin) on
    someone's behalf. Anyone else, provider staff included, is not told it exists (404)."""
    export = (
        DataExport.objects.filter(pk=parse_uuid(export_id), requested_by=user).select_related("user").first()
    )
    if export is None or not user.is_active:
        raise Http404
    return export


def is_downloadable(export: DataExport, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        export.status == ExportStatus.READY
        and export.blob_name
        and export.expires_at is not None
        and export.expires_at > now
    )


def is_expired(export: DataExport, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return export.status == ExportStatus.EXPIRED or (
        export.status == ExportStatus.READY and export.expires_at is not None and export.expires_at <= now
    )


def read_export(export: DataExport) -> Iterator[bytes]:
    """The ZIP's bytes, decrypted chunk by chunk."""
    context = _context(export)
    data_key = get_keyring().unwrap(
        export.kek_id, bytes(export.wrapped_key or b""), context=_key_context(context)
    )

    def read(offset: int, length: int) -> bytes:
        return blobstore.read_range(export.blob_name, offset, length)

    return decrypt_range(read, data_key=data_key, context=context, plaintext_size=export.size)


def record_export_download(*, actor: User, export: DataExport, request: HttpRequest | None = None) -> None:
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(downloaded_at=now)
    export.downloaded_at = now
    record_event(
        Action.DATA_EXPORT_DOWNLOADED,
        actor=actor,
        target=export,
        request=request,
        user=str(export.user_id),
        size=export.size,
    )


def download_filename(export: DataExport) -> str:
    when = export.finished_at or export.created_at
    return f"kundportal-data-{timezone.localtime(when):%Y-%m-%d}.zip"


# ---------------------------------------------------------------------------------------------------------
# Building the ZIP


class _Collector:
    """The ExportWriter the sources write into: rows kept per section (metadata, small), files remembered
    as (path, producer, size) and read only when the ZIP reaches them."""

    def __init__(self) -> None:
        self.sections: dict[str, list[dict[str, Any]]] = {}
        self.files: list[tuple[str, Callable[[], Iterator[bytes]], int | None]] = []
        self._paths: set[str] = set()

    def records(self, section: str, rows: Iterable[dict[str, Any]]) -> None:
        self.sections.setdefault(section, []).extend(rows)

    def file(self, path: str, chunks: Callable[[], Iterator[bytes]], *, size: int | None = None) -> None:
        self.files.append((self._unique(_safe_path(path)), chunks, size))

    def _unique(self, path: str) -> str:
        """Two files of the same name (two documents "Offer.pdf" in two folders' exports): the second gets
        " (2)" before its extension, so no entry overwrites another when unpacked."""
        candidate, number = path, 1
        stem, dot, extension = path.rpartition(".")
        if not stem or "/" in extension:
            stem, dot, extension = path, "", ""
        while candidate.casefold() in self._paths:
            number += 1
            candidate = f"{stem} ({number}){dot}{extension}"
        self._paths.add(candidate.casefold())
        return candidate


def _safe_path(path: str) -> str:
    """A relative path inside files/: no absolute paths, no "..", no empty parts, no control characters."""
    parts = []
    for part in posixpath.normpath("/" + path.replace("\\", "/")).split("/"):
        cleaned = "".join(
            "_" if char in UNSAFE_IN_FILENAME or unicodedata.category(char) in INVISIBLE else char
            for char in part
        ).strip(" ")
        if cleaned and cleaned not in (".", ".."):
            parts.append(cleaned)
    return "/".join(parts) or "file"


def _person(user: User) -> dict[str, Any]:
    return {
        "id": str(user.pk),
        "email": user.email,
        "name": user.full_name,
        "language": user.language,
        "joined": user.date_joined,
        "provider_role": user.provider_role,
    }


def _data_json(user: User, sections: dict[str, list[dict[str, Any]]], generated_at: datetime) -> bytes:
    document = {
        "format": FORMAT,
        "generated_at": generated_at,
        "person": _person(user),
        "sections": sections,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _readme(
    user: User,
    sections: dict[str, list[dict[str, Any]]],
    files: list[tuple[str, Any, int | None]],
    generated_at: datetime,
) -> bytes:
    """README.html in the person's language; every value goes through the template's escaping."""
    tables = []
    for name, rows in sections.items():
        columns: list[str] = []
        for row in rows[:README_ROWS]:
            for key in row:
                if key not in columns:
                    columns.append(key)
        tables.append(
            {
                "name": name,
                "count": len(rows),
                "columns": columns,
                "rows": [[_cell(row.get(column)) for column in columns] for row in rows[:README_ROWS]],
                "hidden": max(0, len(rows) - README_ROWS),
            }
        )
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string(
            "privacy/export_readme.html",
            {
                "person": user,
                "language": language,
                "generated_at": generated_at,
                "format": FORMAT,
                "tables": tables,
                "files": [{"path": path, "size": size} for path, _chunks, size in files],
            },
        )
    return html.encode()


class _Progress:
    """Writes the percentage now and then; a write that finds the job no longer running means it was
    cancelled (or erased with its person): the build stops."""

    def __init__(self, export_id: uuid.UUID) -> None:
        self.export_id = export_id
        self.percent = 0
        self.last = time.monotonic()

    def set(self, percent: int, *, force: bool = False) -> None:
        percent = max(0, min(99, percent))
        now = time.monotonic()
        if not force and (percent == self.percent or now - self.last < PROGRESS_SECONDS):
            return
        self.last = now
        self.percent = percent
        updated = DataExport.objects.filter(pk=self.export_id, status=ExportStatus.RUNNING).update(
            progress=percent
        )
        if not updated:
            raise ExportCancelled


def _counted(chunks: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
    """The file's bytes, produced only when the ZIP reaches this entry."""
    yield from chunks()


def build_export(export_id: uuid.UUID | str) -> DataExport | None:
    """Build the ZIP of a queued export (the worker's task). Returns the export, or None if there was
    nothing to do (cancelled before it started, or built already)."""
    now = timezone.now()
    claimed = DataExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now, progress=0
    )
    if not claimed:
        return None
    export = DataExport.objects.select_related("user").get(pk=export_id)
    progress = _Progress(export.pk)
    try:
        blob = _write_zip(export, progress)
    except ExportCancelled:
        log.info("data export %s was cancelled while it was built", export.pk)
        return None
    except Exception as error:
        log.exception("data export %s failed", export.pk)
        DataExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, finished_at=timezone.now(), error=error.__class__.__name__[:500]
        )
        return None
    name, kek_id, wrapped, size = blob
    finished = timezone.now()
    expires = finished + timedelta(hours=settings.DATA_EXPORT_HOURS)
    with transaction.atomic():
        done = DataExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.READY,
            progress=100,
            blob_name=name,
            kek_id=kek_id,
            wrapped_key=wrapped,
            size=size,
            finished_at=finished,
            expires_at=expires,
        )
        if not done:  # cancelled in the last moment
            transaction.on_commit(lambda: _delete_blobs([name]))
            return None
        transaction.on_commit(lambda: _notify_ready(export))
    export.refresh_from_db()
    return export


def _write_zip(export: DataExport, progress: _Progress) -> tuple[str, str, bytes, int]:
    user = export.user
    subject = registry.Subject(user=user)
    collector = _Collector()
    sources = registry.sources()
    for number, source in enumerate(sources, start=1):
        before = set(collector.sections)
        source.export(subject, collector)
        if not set(collector.sections) - before:  # nothing about the person: said so, under its key
            collector.sections.setdefault(source.key, [])
        progress.set(SOURCES_SHARE * number // max(1, len(sources)), force=True)

    generated_at = timezone.now()
    data = _data_json(user, collector.sections, generated_at)
    readme = _readme(user, collector.sections, collector.files, generated_at)
    total = len(data) + len(readme) + sum(size or 0 for _path, _chunks, size in collector.files)

    # Deflated for the JSON and HTML (text compresses well); stored for the files, which mostly are
    # compressed already (PDF, Office, images).
    stream = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED)
    stream.add(data, "data.json", compress_type=zipstream.ZIP_DEFLATED)
    stream.add(readme, "README.html", compress_type=zipstream.ZIP_DEFLATED)
    for path, chunks, _size in collector.files:
        stream.add(_counted(chunks), f"files/{path}")

    context = _context(export)
    data_key = new_data_key()
    name = blobstore.new_blob_name()
    encryptor = BlobEncryptor(data_key, context)
    sink = blobstore.open_sink(name)
    committed = False
    try:
        sink.write(encryptor.header())
        written = 0
        for piece in stream:
            written += len(piece)
            for sealed in encryptor.update(piece):
                sink.write(sealed)
            progress.set(SOURCES_SHARE + (100 - SOURCES_SHARE) * min(written, total) // max(1, total))
        sink.write(encryptor.finalize())
        sink.commit()
        committed = True
        kek_id, wrapped = get_keyring().wrap(data_key, context=_key_context(context))
    except BaseException:
        if committed:
            _delete_blobs([name])
        else:
            sink.abort()
        raise
    return name, kek_id, wrapped, encryptor.plaintext_size


def _notify_ready(export: DataExport) -> None:
    from kundportal.messaging.models import Category
    from kundportal.messaging.notifications import notify

    recipient = export.requested_by or export.user
    notify(
        recipients=[recipient],
        category=Category.JOB_FINISHED,
        organisation=None,
        # "kind" as agreed for issue 7; "job" is what messaging.notifications.describe() reads today.
        params={"kind": "data_export", "job": "export"},
        url=privacy_url() if recipient.pk == export.user_id else reverse("privacy_manage"),
    )

"""Folders, documents and their versions (the files, encrypted in storage).

What is personal: for a private customer every document in their folders; for a company the documents are
the company's, and only the link "uploaded by" (and "changed by", "deleted by") is personal data of the member.
Folder templates are the provider's structure, not personal.

Exported for a person: every version they uploaded (anywhere) and every version in the private customers they
belong to, as records and as the decrypted files (files/documents/<document id>/v<number>-<name>). For an
organisation: every version in its folders.

Erased for an organisation: every document, version and folder, the encrypted objects deleted from storage once
the transaction commits; except the invoices its kept orders point at (bookkeeping law, commerce.personal_data)
and the folder that holds them. For a person in a company that stays: what they uploaded is the company's and
stays, with "uploaded by", "changed by" and "deleted by" cleared and their name and email scrubbed from version
notes and labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import (
    ErasureReport,
    ExportWriter,
    Source,
    Subject,
    erase_in_two_parts,
    not_personal,
    register,
)
from kundportal.privacy.subjects import exported_organisations, identifiers, json_safe, scrub, text_mentions


def _versions(subject: Subject) -> Any:
    from kundportal.documents.models import DocumentVersion

    mine = Q(document__organisation__in=exported_organisations(subject))
    if subject.user is not None:
        mine |= Q(uploaded_by=subject.user)
    return DocumentVersion.objects.filter(mine).select_related("document", "document__folder")


def _chunks(version: Any) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        from kundportal.documents.services import read_version

        return read_version(version)

    return chunks


def export(subject: Subject, writer: ExportWriter) -> None:
    records = []
    files = []
    for version in _versions(subject).order_by("document__name_key", "number").iterator(chunk_size=500):
        document = version.document
        path = f"documents/{document.pk}/v{version.number}-{document.name}"
        records.append(
            {
                "document_id": str(document.pk),
                "folder": document.folder.name,
                "name": document.name,
                "version": version.number,
                "size": version.plaintext_size,
                "content_type": version.content_type,
                "sha256": version.sha256,
                "note": version.note,
                "label": version.label,
                "uploaded_at": json_safe(version.created_at),
                "uploaded_by_me": subject.user is not None and version.uploaded_by_id == subject.user.pk,
                "in_trash": document.deleted_at is not None,
                "file": f"files/{path}",
            }
        )
        files.append((path, version))
    writer.records("documents.versions", records)
    for path, version in files:
        writer.file(path, _chunks(version), size=version.plaintext_size)


def _erase_organisation(organisation: Any, report: ErasureReport) -> None:
    from kundportal.commerce.models import Order
    from kundportal.documents.models import Document, DocumentVersion, Folder

    invoices = Order.objects.filter(organisation=organisation, invoice__isnull=False).values("invoice")
    documents = Document.objects.filter(organisation=organisation).exclude(pk__in=invoices)
    versions = DocumentVersion.objects.filter(document__in=documents)
    report.blobs.extend(versions.values_list("blob_name", flat=True))
    documents.update(latest=None)  # Document.latest protects the version it points at
    DocumentVersion.objects.filter(restored_from__in=versions).update(restored_from=None)
    report.count("documents.versions", versions.delete()[0])
    report.count("documents.documents", documents.delete()[0])
    folders = Folder.objects.filter(organisation=organisation).exclude(documents__isnull=False)
    report.count("documents.folders", folders.delete()[0])
    if Document.objects.filter(organisation=organisation).exists():
        report.kept["documents.invoices"] = (
            "The invoice documents of the kept orders stay in the provider's internal invoice folder (law)."
        )


def _erase_person(user: Any, report: ErasureReport) -> None:
    from kundportal.documents.models import Document, DocumentVersion

    needles = identifiers(user)
    for version in DocumentVersion.objects.filter(uploaded_by=user).filter(
        text_mentions("note", needles) | text_mentions("label", needles)
    ):
        DocumentVersion.objects.filter(pk=version.pk).update(
            note=scrub(version.note, needles), label=scrub(version.label, needles)[:60]
        )
    uploaded = DocumentVersion.objects.filter(uploaded_by=user)
    report.count("documents.versions", uploaded.update(uploaded_by=None, idempotency_key=""), anonymised=True)
    changed = Document.objects.filter(updated_by=user).update(updated_by=None)
    changed += Document.objects.filter(deleted_by=user).update(deleted_by=None)
    report.count("documents.documents", changed, anonymised=True)


register(
    Source(
        key="documents",
        models=("documents.folder", "documents.document", "documents.documentversion"),
        export=export,
        erase=erase_in_two_parts(organisation=_erase_organisation, person=_erase_person),
        categories=_("Files customers and staff share, their names, notes and who uploaded them"),
        purpose=_("Exchanging documents between the provider and the customer"),
        retention=_(
            "While the customer relationship lasts; deleted documents stay in the trash for the configured "
            "period, then are deleted for good"
        ),
        recipients=_("Provider staff; the customer's members as their folders allow"),
        order=500,
    )
)

not_personal("documents.foldertemplate", "the provider's folder structure for new customers")
not_personal("documents.foldertemplateentry", "the provider's folder structure for new customers")

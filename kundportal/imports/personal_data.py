"""Imports: a batch holds the uploaded file (customers' names, addresses, emails…) for at most a day, encrypted,
and afterwards only its report (codes, row numbers and a few values such as a namesake's name).

Nothing here is exported: a batch is the provider's working file, not a record about the person (what it
imported is in the customer data, which is exported). Erased: a batch that still holds its file and mentions
the person (their email or name, or the erased organisation's name or customer number) loses the file and is
marked discarded; the person's name and email are scrubbed from every batch's report and file name.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import ErasureReport, ExportWriter, Source, Subject, register
from kundportal.privacy.subjects import contains_any, identifiers, scrub, scrub_json


def export(subject: Subject, writer: ExportWriter) -> None:
    return None


def _needles(subject: Subject) -> list[str]:
    from kundportal.customers.models import CustomerProfile

    needles: list[str] = []
    if subject.user is not None:
        needles += identifiers(subject.user)
    if subject.organisation is not None:
        needles.append(subject.organisation.name)
        profile = CustomerProfile.objects.filter(organisation=subject.organisation).first()
        if profile is not None:
            needles += [value for value in (profile.external_id, profile.email) if value]
    return needles


def erase(subject: Subject, report: ErasureReport) -> None:
    from kundportal.imports.models import BatchStatus, ImportBatch

    needles = _needles(subject)
    if not needles:
        return
    discarded = scrubbed = 0
    for batch in ImportBatch.objects.all().iterator(chunk_size=100):
        changes: dict[str, Any] = {}
        if batch.content_encrypted and contains_any(batch.load_text(), needles):
            changes.update(content_encrypted="", status=BatchStatus.DISCARDED)
            discarded += 1
        report_data = scrub_json(batch.report, needles)
        file_name = scrub(batch.file_name, needles)
        if report_data != batch.report or file_name != batch.file_name:
            changes.update(report=report_data, file_name=file_name)
            scrubbed += 1
        if changes:
            ImportBatch.objects.filter(pk=batch.pk).update(**changes)
    report.count("imports.files", discarded)
    report.count("imports.reports", scrubbed, anonymised=True)


register(
    Source(
        key="imports",
        models=("imports.importbatch",),
        export=export,
        erase=erase,
        categories=_("Customer data in uploaded import files (names, addresses, contact details)"),
        purpose=_("Importing customers, products and orders from the provider's ERP"),
        retention=_("The uploaded file at most 24 hours; the report of what was imported afterwards"),
        recipients=_("Provider admins"),
        order=250,
    )
)

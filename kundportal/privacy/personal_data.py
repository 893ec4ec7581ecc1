"""The privacy app's own records: consents, data exports, erasures and the do-not-contact list.

Exported for a person: their consents (purpose, wording version, granted or withdrawn, the wording as they saw
it, when, how) and their export jobs. Erased: every consent (the erasure record says they were withdrawn), every
export job and its encrypted ZIP (a running one is cancelled first). Kept: the erasure record (counts only, no
erased value) and, if the person asked for it, their do-not-contact entry (a keyed hash of the email address,
which cannot be turned back into the address). The purposes, the privacy notice and the erasure records are not
personal.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import ErasureReport, ExportWriter, Source, Subject, not_personal, register
from kundportal.privacy.subjects import rows


def export(subject: Subject, writer: ExportWriter) -> None:
    from kundportal.privacy.models import Consent, DataExport

    if subject.user is None:
        return
    writer.records(
        "privacy.consents",
        rows(
            Consent.objects.filter(user=subject.user).order_by("created_at"),
            "purpose",
            "version",
            "granted",
            "wording",
            "language",
            "source",
            "created_at",
        ),
    )
    writer.records(
        "privacy.exports",
        rows(
            DataExport.objects.filter(user=subject.user), "status", "created_at", "finished_at", "expires_at"
        ),
    )


def erase(subject: Subject, report: ErasureReport) -> None:
    from kundportal.privacy.exports import cancel_for
    from kundportal.privacy.models import Consent, DataExport

    if subject.user is None:
        return
    cancel_for(subject.user)  # a running build notices and stops; stored ZIPs go after the commit
    exports = DataExport.objects.filter(user=subject.user)
    report.blobs.extend(name for name in exports.values_list("blob_name", flat=True) if name)
    report.count("privacy.exports", exports.delete()[0])
    report.count("privacy.consents", Consent.objects.filter(user=subject.user).delete()[0])
    Consent.objects.filter(recorded_by=subject.user).update(recorded_by=None)
    DataExport.objects.filter(requested_by=subject.user).update(requested_by=None)


register(
    Source(
        key="privacy",
        models=("privacy.consent", "privacy.dataexport", "privacy.donotcontact"),
        export=export,
        erase=erase,
        categories=_(
            "Consents (purpose, wording, when); data export jobs; a keyed hash of the email address of people "
            "who asked not to be contacted"
        ),
        purpose=_("Proving consent; serving the rights of access and erasure; respecting objections"),
        retention=_(
            "Consents while the account exists; exports until downloaded or expired; the do-not-contact list "
            "for as long as it is needed to respect the objection"
        ),
        recipients=None,
        order=700,
    )
)

not_personal("privacy.configuredpurpose", "a consent purpose the provider defines, not anyone's decision")
not_personal("privacy.privacynotice", "the provider's notice text; `edited_by` is provider staff")
not_personal("privacy.erasurerecord", "that an erasure happened, with counts only and never an erased value")

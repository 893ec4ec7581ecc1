"""Offers: the offers themselves are the provider's marketing content, not personal; a person's dealings with
one (seen, dismissed, accepted with a message) are theirs.

Exported for a person: their responses (offer title, dates, message). For an organisation: its responses.
Erased: the responses (a dismissed offer may show again only if the person comes back under a new account).
"""

from __future__ import annotations

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import ErasureReport, ExportWriter, Source, Subject, not_personal, register
from kundportal.privacy.subjects import exported_organisations, rows


def _responses(subject: Subject):  # type: ignore[no-untyped-def]
    from kundportal.offers.models import OfferResponse

    mine = Q(organisation__in=exported_organisations(subject))
    if subject.user is not None:
        mine |= Q(user=subject.user)
    return OfferResponse.objects.filter(mine)


def export(subject: Subject, writer: ExportWriter) -> None:
    writer.records(
        "offers.responses",
        rows(
            _responses(subject),
            "seen_at",
            "dismissed_at",
            "accepted_at",
            "message",
            "handled_at",
            offer_title=F("offer__title"),
        ),
    )


def erase(subject: Subject, report: ErasureReport) -> None:
    from kundportal.offers.models import OfferResponse

    mine = Q(pk__in=[])
    if subject.organisation is not None:
        mine |= Q(organisation=subject.organisation)
    if subject.user is not None:
        mine |= Q(user=subject.user)
    report.count("offers.responses", OfferResponse.objects.filter(mine).delete()[0])


register(
    Source(
        key="offers",
        models=("offers.offerresponse",),
        export=export,
        erase=erase,
        categories=_("Which offers a person saw, dismissed or accepted, and their message when accepting"),
        purpose=_("Showing offers, never again once dismissed; handling accepted offers"),
        retention=_("While the account exists"),
        recipients=_("Provider staff (the account managers who handle accepted offers)"),
        order=600,
    )
)

not_personal("offers.offer", "the provider's offer text and targeting rules; `manager` is provider staff")
not_personal("offers.offerimage", "the picture of an offer (the provider's content)")

"""Recommendations: a customer organisation's personalised list is derived from its purchases (profiling under
GDPR Art. 4(4)), so it is that customer's personal data when the customer is a private person, and it goes
with an erased organisation. Product affinities and popularity are counts over all customers: not personal.

Exported: the lists of the subject's organisations (product, rank, reason, when). Erased: an organisation's list.
"""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import ErasureReport, ExportWriter, Source, Subject, not_personal, register
from kundportal.privacy.subjects import exported_organisations, rows


def export(subject: Subject, writer: ExportWriter) -> None:
    from kundportal.recommendations.models import Recommendation

    writer.records(
        "recommendations.recommendations",
        rows(
            Recommendation.objects.filter(organisation__in=exported_organisations(subject)),
            "rank",
            "reason",
            "score",
            "computed_at",
            product_name=F("product__name"),
            product_sku=F("product__sku"),
        ),
    )


def erase(subject: Subject, report: ErasureReport) -> None:
    from kundportal.recommendations.models import Recommendation

    if subject.organisation is not None:
        deleted = Recommendation.objects.filter(organisation=subject.organisation).delete()[0]
        report.count("recommendations.recommendations", deleted)


register(
    Source(
        key="recommendations",
        models=("recommendations.recommendation",),
        export=export,
        erase=erase,
        categories=_("Product recommendations computed from purchases"),
        purpose=_("Personalised recommendations, shown only with consent"),
        retention=_("Recomputed regularly; deleted with the customer"),
        recipients=None,
        order=600,
    )
)

not_personal("recommendations.productaffinity", "products bought together, counted over all customers")
not_personal("recommendations.popularity", "how many customers bought a product, per scope (aggregates)")

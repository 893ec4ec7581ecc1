"""Orders, their lines, status history and invoices; re-order requests; the purchase figures.

Orders and invoices are records the provider must keep by law (bookkeeping: seven to ten years): erasure keeps
them, their lines and amounts, with the person anonymised (no "placed by", the organisation under a pseudonym
when it is erased). The invoice PDF stays as it was issued, with the customer's name and billing address of
that day: the law wins over erasure there, and the erasure record says so. Status notes written about the order
are scrubbed of the person's name and email. The catalogue (products, categories) is not personal.

Exported for a person: the orders they placed and all orders of the private customers they belong to, with
lines, status history and invoice PDFs (decrypted); their re-order requests. For an organisation: all its
orders, lines, invoices and re-order requests, and its purchase figures.

Erased: re-order requests (the customer's own message), the derived purchase figures and RFM scores of an
erased organisation; orders are anonymised, never deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import F, Q
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
from kundportal.privacy.subjects import exported_organisations, identifiers, rows, scrub, text_mentions

KEPT_BY_LAW = (
    "Orders, their lines and amounts and the invoices are kept for bookkeeping as the law requires, with the "
    "person anonymised. Invoice PDFs stay as issued and show the customer's name and billing address of that day."
)


def _orders(subject: Subject) -> Any:
    from kundportal.commerce.models import Order

    mine = Q(organisation__in=exported_organisations(subject))
    if subject.user is not None:
        mine |= Q(placed_by=subject.user)
    return Order.objects.filter(mine)


def _invoice_chunks(version: Any) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        from kundportal.documents.services import read_version

        return read_version(version)

    return chunks


def export(subject: Subject, writer: ExportWriter) -> None:
    from kundportal.commerce.models import OrderLine, OrderStatusChange, PurchaseSummary, ReorderRequest

    orders = _orders(subject)
    writer.records(
        "commerce.orders",
        rows(
            orders,
            "id",
            "number",
            "status",
            "currency",
            "total",
            "placed_at",
            "invoice_number",
            organisation_name=F("organisation__name"),
        ),
    )
    writer.records(
        "commerce.order_lines",
        rows(
            OrderLine.objects.filter(order__in=orders),
            "sku",
            "description",
            "quantity",
            "unit_price",
            "line_total",
            order_number=F("order__number"),
        ),
    )
    writer.records(
        "commerce.status_changes",
        rows(
            OrderStatusChange.objects.filter(order__in=orders),
            "from_status",
            "to_status",
            "note",
            "created_at",
            order_number=F("order__number"),
        ),
    )
    reorders = ReorderRequest.objects.filter(organisation__in=exported_organisations(subject))
    if subject.user is not None:
        reorders = ReorderRequest.objects.filter(
            Q(organisation__in=exported_organisations(subject)) | Q(requested_by=subject.user)
        )
    writer.records(
        "commerce.reorder_requests",
        rows(reorders, "message", "created_at", "handled_at", order_number=F("order__number")),
    )
    writer.records(
        "commerce.purchase_summary",
        rows(
            PurchaseSummary.objects.filter(organisation__in=exported_organisations(subject)),
            "order_count",
            "first_purchase",
            "last_purchase",
            "recency_score",
            "frequency_score",
            "monetary_score",
            "segment",
        ),
    )
    invoiced = orders.filter(invoice__latest__isnull=False).select_related("invoice__latest", "invoice")
    for order in invoiced.iterator(chunk_size=200):
        version = order.invoice.latest
        version.document = order.invoice
        writer.file(
            f"invoices/{order.invoice_number or order.number}.pdf",
            _invoice_chunks(version),
            size=version.plaintext_size,
        )


def _erase_organisation(organisation: Any, report: ErasureReport) -> None:
    from kundportal.commerce.models import (
        Order,
        OrderStatusChange,
        PurchaseSummary,
        PurchaseTotal,
        ReorderRequest,
    )

    orders = Order.objects.filter(organisation=organisation)
    report.count("commerce.orders", orders.exclude(placed_by=None).update(placed_by=None), anonymised=True)
    report.count(
        "commerce.reorder_requests", ReorderRequest.objects.filter(organisation=organisation).delete()[0]
    )
    from kundportal.accounts.models import User

    needles = [organisation.name]
    for member in User.objects.filter(memberships__organisation=organisation):
        needles += identifiers(member)
    _scrub_notes(OrderStatusChange.objects.filter(order__organisation=organisation), needles, report)
    PurchaseSummary.objects.filter(organisation=organisation).delete()
    PurchaseTotal.objects.filter(organisation=organisation).delete()
    if orders.exists():
        report.kept["commerce.orders"] = KEPT_BY_LAW


def _scrub_notes(changes: Any, needles: list[str], report: ErasureReport) -> None:
    from kundportal.commerce.models import OrderStatusChange

    scrubbed = 0
    for change in changes.filter(text_mentions("note", needles)).only("pk", "note"):
        OrderStatusChange.objects.filter(pk=change.pk).update(note=scrub(change.note, needles))
        scrubbed += 1
    report.count("commerce.status_changes", scrubbed, anonymised=True)


def _erase_person(user: Any, report: ErasureReport) -> None:
    from kundportal.commerce.models import Order, OrderStatusChange, ReorderRequest

    placed = Order.objects.filter(placed_by=user)
    if placed.exists():
        report.kept["commerce.orders"] = KEPT_BY_LAW
    report.count("commerce.orders", placed.update(placed_by=None), anonymised=True)
    report.count(
        "commerce.reorder_requests",
        ReorderRequest.objects.filter(requested_by=user).update(requested_by=None, message=""),
        anonymised=True,
    )
    organisations = user.memberships.values("organisation_id")
    _scrub_notes(
        OrderStatusChange.objects.filter(order__organisation__in=organisations), identifiers(user), report
    )


register(
    Source(
        key="commerce",
        models=(
            "commerce.order",
            "commerce.orderline",
            "commerce.orderstatuschange",
            "commerce.reorderrequest",
            "commerce.purchasesummary",
            "commerce.purchasetotal",
        ),
        export=export,
        erase=erase_in_two_parts(organisation=_erase_organisation, person=_erase_person),
        categories=_(
            "Orders, order lines, amounts, invoices (with name and billing address), re-order requests"
        ),
        purpose=_("Fulfilling and invoicing orders; bookkeeping"),
        retention=_(
            "Orders and invoices as long as bookkeeping law requires (anonymised after an erasure); re-order "
            "requests while the customer relationship lasts"
        ),
        recipients=_("Provider staff; the provider's accountants and tax authorities"),
        order=400,
    )
)

not_personal("commerce.product", "the provider's catalogue")
not_personal("commerce.productcategory", "the provider's catalogue")

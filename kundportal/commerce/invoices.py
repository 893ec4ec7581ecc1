"""Issuing an invoice: a PDF (fpdf2) stored encrypted as a document in the customer's internal invoice folder,
linked from its order, which becomes "invoiced".

The folder is provider-internal on purpose: customers reach an invoice only through its order, so the
customer admin's choice "members see only their own orders" holds for invoices too. The starter folder
template has a customer-readable "Invoices" folder; when a customer has one, the generated invoices go to an
internal folder beside it instead of becoming readable by every member.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce.formats import money, quantity_text
from kundportal.commerce.models import Order, OrderLine, OrderStatus
from kundportal.commerce.services import next_number
from kundportal.customers.models import Address, AddressPurpose, CustomerProfile
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.downloads import version_response
from kundportal.documents.models import Folder, FolderAccess, name_key
from kundportal.documents.services import upload_document_version
from kundportal.organisations.access import is_provider_staff
from kundportal.organisations.models import Organisation

# fontTools reports every font it subsets at INFO: one line per invoice glyph table is noise in the server log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

# The first of these names that is free or already an internal folder holds the customer's invoices.
INVOICE_FOLDER_NAMES = ("Invoices", "Order invoices", "Order invoices (internal)")

# TrueType fonts that cover more than Latin-1, where the system has them (Debian: fonts-dejavu-core,
# fonts-liberation). Without one, the PDF uses a core font and replaces what Latin-1 cannot show.
FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
)


@cache
def system_font() -> tuple[str, str] | None:
    for regular, bold in FONT_CANDIDATES:
        if Path(regular).is_file() and Path(bold).is_file():
            return regular, bold
    return None


# Letters and punctuation without a decomposition to something simpler.
LOOKALIKES = str.maketrans(
    {
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2026": "...",
        "\u20ac": "EUR",
        "\u0141": "L",  # Polish L with stroke
        "\u0142": "l",
        "\u0110": "D",  # D with stroke
        "\u0111": "d",
        "\u0131": "i",  # dotless i
        "\u0152": "OE",
        "\u0153": "oe",
    }
)


def shown_with(text: str, can_show: Callable[[str], bool]) -> str:
    """`text` with what the font cannot show replaced: letters by their unaccented base or a look-alike,
    the rest by "?"."""
    shown = []
    for char in text:
        if can_show(char):
            shown.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if not (base and all(can_show(c) for c in base)):
            base = char.translate(LOOKALIKES)
        shown.append(base if base != char and all(can_show(c) for c in base) else "?")
    return "".join(shown)


def latin1(text: str) -> str:
    """What a PDF core font can show (Latin-1)."""
    return shown_with(text, lambda char: ord(char) < 256)


# ---------------------------------------------------------------------------------------------------------
# The PDF


@dataclass(frozen=True)
class InvoiceContent:
    provider: str
    number: str
    issued_on: date
    order: Order
    lines: Sequence[OrderLine]
    customer: str
    address: Sequence[str]
    vat_number: str


class InvoicePDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        fonts = system_font()
        self.glyphs: frozenset[int] | None = None
        if fonts:
            self.add_font("Body", "", fonts[0])
            self.add_font("Body", "B", fonts[1])
            self.family_name = "Body"
            # Both faces of these families cover the same characters.
            self.glyphs = frozenset(self.fonts["body"].cmap)
        else:
            self.family_name = "Helvetica"
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 20, 20)

    def text_for(self, text: str) -> str:
        glyphs = self.glyphs
        if glyphs is None:
            return latin1(text)
        return shown_with(text, lambda char: char in " \n" or ord(char) in glyphs)

    def write_cell(self, width: float, height: float, text: str, **options: object) -> None:
        self.cell(width, height, self.text_for(text), **options)  # type: ignore[arg-type]

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.family_name, "", 8)
        self.set_text_color(90, 96, 112)
        self.write_cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def render_invoice(content: InvoiceContent) -> bytes:
    """The invoice as PDF bytes, in the active language (numbers and dates as that language writes them)."""
    order = content.order
    pdf = InvoicePDF(_("Invoice %(number)s") % {"number": content.number})
    pdf.set_title(pdf.text_for(_("Invoice %(number)s") % {"number": content.number}))
    pdf.set_author(pdf.text_for(content.provider))
    pdf.set_creation_date(timezone.now())
    pdf.add_page()
    family = pdf.family_name
    width = pdf.epw

    pdf.set_font(family, "B", 14)
    pdf.write_cell(width / 2, 8, content.provider)
    pdf.set_font(family, "B", 20)
    pdf.write_cell(width / 2, 8, _("Invoice"), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)

    top = pdf.get_y()
    pdf.set_font(family, "B", 10)
    pdf.write_cell(width / 2, 6, _("Bill to"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, "", 10)
    for line in [content.customer, *content.address]:
        pdf.write_cell(width / 2, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if content.vat_number:
        pdf.write_cell(
            width / 2, 5, _("VAT number: %(number)s") % {"number": content.vat_number}, new_y=YPos.NEXT
        )
    bottom_left = pdf.get_y()

    facts = [
        (_("Invoice number"), content.number),
        (_("Invoice date"), date_format(content.issued_on, "SHORT_DATE_FORMAT")),
        (_("Order number"), order.number),
        (_("Order date"), date_format(timezone.localtime(order.placed_at).date(), "SHORT_DATE_FORMAT")),
        (_("Currency"), order.currency),
    ]
    pdf.set_y(top)
    for label, value in facts:
        pdf.set_x(pdf.l_margin + width / 2)
        pdf.set_font(family, "", 10)
        pdf.write_cell(width / 4, 6, label)
        pdf.set_font(family, "B", 10)
        pdf.write_cell(width / 4, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom_left, pdf.get_y()) + 10)

    pdf.set_font(family, "", 10)
    pdf.set_draw_color(216, 221, 229)
    with pdf.table(
        col_widths=(50, 12, 20, 20),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 240, 250)),
        first_row_as_headings=True,
        line_height=6,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        heading = table.row()
        for title in (_("Description"), _("Quantity"), _("Unit price"), _("Amount")):
            heading.cell(pdf.text_for(title))
        for line in content.lines:
            row = table.row()
            description = line.description + (f" ({line.sku})" if line.sku else "")
            row.cell(pdf.text_for(description))
            row.cell(pdf.text_for(quantity_text(line.quantity)))
            row.cell(pdf.text_for(money(line.unit_price, order.currency)))
            row.cell(pdf.text_for(money(line.line_total, order.currency)))
    pdf.ln(4)
    pdf.set_font(family, "B", 12)
    pdf.write_cell(width * 0.6, 8, _("Total"))
    pdf.write_cell(width * 0.4, 8, money(order.total, order.currency), align="R", new_x=XPos.LMARGIN)
    pdf.ln(16)
    pdf.set_font(family, "", 10)
    pdf.write_cell(width, 6, _("Thank you for your order."))
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------------------
# Issuing


def invoice_folder(organisation: Organisation) -> Folder:
    """The customer's internal invoice folder, created if missing (inside the caller's transaction, with the
    organisation locked the way documents.folders locks it for folder changes)."""
    list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values_list("pk", flat=True))
    folders = {name_key(folder.name): folder for folder in Folder.objects.filter(organisation=organisation)}
    for name in INVOICE_FOLDER_NAMES:
        folder = folders.get(name_key(name))
        if folder is not None and folder.access == FolderAccess.INTERNAL:
            return folder
        if folder is None:
            last = Folder.objects.filter(organisation=organisation).aggregate(last=Max("position"))["last"]
            return Folder.objects.create(
                organisation=organisation,
                name=name,
                access=FolderAccess.INTERNAL,
                position=0 if last is None else last + 1,
            )
    raise ValidationError(
        _(
            "This customer's folders named %(names)s are all visible to customers: rename one to store invoices."
        )
        % {"names": ", ".join(INVOICE_FOLDER_NAMES)}
    )


def billing_lines(organisation: Organisation) -> list[str]:
    address = (
        Address.objects.filter(organisation=organisation, purpose=AddressPurpose.BILLING)
        .order_by("-is_default", "created_at")
        .first()
    )
    if address is None:
        return []
    lines = [address.name, address.company_name, *address.street_address.splitlines()]
    lines.append(" ".join(part for part in (address.postal_code, address.city) if part))
    lines += [address.city_area, address.country_area, str(address.country.name) if address.country else ""]
    return [line.strip() for line in lines if line and line.strip()]


def _invoice_language(organisation: Organisation) -> str:
    profile = CustomerProfile.objects.filter(organisation=organisation).first()
    if profile is not None and profile.preferred_language:
        return profile.preferred_language
    return translation.get_language() or settings.LANGUAGE_CODE


def _issue(actor: User, order_id: object, request: HttpRequest | None) -> Order:
    order = Order.objects.select_for_update().select_related("organisation").get(pk=order_id)
    if order.invoice_id is not None:
        raise ValidationError(
            _("This order has its invoice already (%(number)s).") % {"number": order.invoice_number}
        )
    if not order.can_become(OrderStatus.INVOICED):
        order.transition(OrderStatus.INVOICED)  # raises the model's own message, changes nothing
    number = next_number("INV", "invoice_number")
    organisation = order.organisation
    profile = CustomerProfile.objects.filter(organisation=organisation).first()
    with translation.override(_invoice_language(organisation)):
        pdf = render_invoice(
            InvoiceContent(
                provider=getattr(settings, "PROVIDER_NAME", "") or settings.PORTAL_NAME or "Kundportal",
                number=number,
                issued_on=timezone.localdate(),
                order=order,
                lines=list(order.lines.all()),
                customer=organisation.name,
                address=billing_lines(organisation),
                vat_number=profile.vat_number if profile else "",
            )
        )
    folder = get_folder_for_user(actor, invoice_folder(organisation).pk, write=True)
    version = upload_document_version(
        actor=actor,
        folder=folder,
        name=f"{number}.pdf",
        stream=io.BytesIO(pdf),
        content_type="application/pdf",
        note=_("Invoice for order %(number)s") % {"number": order.number},
        request=request,
    )
    change = order.transition(OrderStatus.INVOICED, actor=actor, note=number)
    order.invoice = version.document
    order.invoice_number = number
    order.save(update_fields=["status", "invoice", "invoice_number"])
    change.save()
    record_event(
        Action.INVOICE_ISSUED,
        actor=actor,
        organisation=organisation,
        target=order,
        request=request,
        invoice_number=number,
        document=str(version.document.pk),
        changes={"status": [change.from_status, change.to_status]},
    )
    return order


def invoice_response(request: HttpRequest, order: Order) -> HttpResponse:
    """The order's invoice, streamed from its document's latest version. The caller found the order through
    get_order_for_user: the order's visibility decides, not the invoice folder's (customers never see it)."""
    if order.invoice is None or order.invoice.latest is None:
        raise Http404
    version = order.invoice.latest
    version.document = order.invoice
    response = version_response(request, version)
    response["Content-Type"] = "application/pdf"
    return response


def issue_invoice(*, actor: User, order: Order, request: HttpRequest | None = None) -> Order:
    """Make the order's invoice (number from the yearly INV series) and mark the order invoiced.

    All or nothing: if any step fails, the order stays as it was (an encrypted object already written is an
    orphan that the storage sweep removes). Two invoices racing for one number: the unique index refuses
    the second, which tries again with the next number."""
    if not is_provider_staff(actor):
        raise PermissionDenied
    for attempt in range(5):
        try:
            with transaction.atomic():
                return _issue(actor, order.pk, request)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")

"""Issuing invoices: a PDF stored encrypted in the customer's internal invoice folder, linked from the order,
which becomes invoiced; downloaded through the order (its visibility decides), on the page and the API."""

import re
import zlib
from datetime import date

import pytest
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce import invoices
from kundportal.commerce.models import Order, OrderStatus
from kundportal.commerce.tests.factories import make_order
from kundportal.documents.access import get_document_for_user
from kundportal.documents.models import Document, Folder, FolderAccess

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """The drawing instructions of a PDF made with core fonts, where text is written as it reads."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL)
    parts = []
    for stream in streams:
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            parts.append(stream.decode("latin-1"))
    return "\n".join(parts).replace("\\(", "(").replace("\\)", ")")


def content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def core_fonts(monkeypatch):
    """The PDF as on a system without a TrueType font: text is readable in the file."""
    monkeypatch.setattr(invoices, "system_font", lambda: None)


@pytest.fixture
def billing(organisation):
    from kundportal.customers.models import Address, CustomerProfile

    CustomerProfile.objects.create(
        organisation=organisation, vat_number="SE556677889901", preferred_language="de"
    )
    return Address.objects.create(
        organisation=organisation,
        purpose="billing",
        is_default=True,
        company_name="Acme AB Ekonomi",
        street_address="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        country="SE",
    )


def test_staff_issue_the_invoice_and_the_order_becomes_invoiced(login, account_manager, member_order):
    response = login(account_manager).post(f"/orders/{member_order.pk}/invoice/issue/", follow=True)
    year = timezone.localdate().year
    assert f"Invoice INV-{year}-000001 was issued." in response.content.decode()
    order = Order.objects.get(pk=member_order.pk)
    assert order.status == OrderStatus.INVOICED and order.invoice_number == f"INV-{year}-000001"
    document = order.invoice
    assert document.name == f"INV-{year}-000001.pdf"
    assert (document.folder.name, document.folder.access) == ("Invoices", FolderAccess.INTERNAL)
    assert document.latest.content_type == "application/pdf"
    change = order.status_changes.get()
    assert (change.from_status, change.to_status, change.actor) == ("confirmed", "invoiced", account_manager)
    issued = AuditEvent.objects.filter(action=Action.INVOICE_ISSUED)
    assert issued.count() == 1
    assert issued.get().data["invoice_number"] == order.invoice_number
    assert "Download invoice" in response.content.decode()


def test_the_invoice_is_a_pdf_with_the_customer_address_and_lines(
    login, account_manager, customer_member, member_order, billing, core_fonts
):
    login(account_manager).post(f"/orders/{member_order.pk}/invoice/issue/")
    response = login(customer_member).get(f"/orders/{member_order.pk}/invoice/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    data = content(response)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    order = Order.objects.get(pk=member_order.pk)
    for expected in (
        "Kundportal",
        "Acme AB",
        "Acme AB Ekonomi",
        "Storgatan 1",
        "111 22 Stockholm",
        "SE556677889901",
        order.invoice_number,
        order.number,
        "CAD Studio licence (CAD-1)",
        "Plotter paper A3 (PAP-A3)",
        "SEK",
        "1.598,00",  # the total, in the customer's language (German here)
        date.today().strftime("%d.%m.%Y"),
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(action=Action.DOCUMENT_DOWNLOADED, actor=customer_member).exists()


def test_names_a_core_font_cannot_show_are_replaced_not_refused(
    login, account_manager, organisation, cad, core_fonts
):
    organisation.name = "Łódź Ltd \u2013 Ελλάς 東京"
    organisation.save()
    order = make_order(organisation, (cad, 1))
    login(account_manager).post(f"/orders/{order.pk}/invoice/issue/")
    order.refresh_from_db()
    assert order.invoice_id is not None
    text = pdf_text(content(login(account_manager).get(f"/orders/{order.pk}/invoice/")))
    # Latin-1 letters stay, others lose their accent or become a look-alike, the rest "?".
    assert "(Lódz Ltd - ????? ??)" in text


def test_a_truetype_font_shows_more_than_latin1_where_the_system_has_one(
    login, account_manager, organisation, cad
):
    organisation.name = "Łódź Ltd \u2013 Ελλάς 東京"
    organisation.save()
    order = make_order(organisation, (cad, 1))
    login(account_manager).post(f"/orders/{order.pk}/invoice/issue/")
    data = content(login(account_manager).get(f"/orders/{order.pk}/invoice/"))
    assert data.startswith(b"%PDF-")
    if invoices.system_font() is not None:
        assert b"FontFile2" in data  # the TrueType font is embedded (a subset)


def test_an_existing_customer_readable_invoices_folder_is_left_alone(
    login, account_manager, customer_member, organisation, member_order
):
    shared = Folder.objects.create(organisation=organisation, name="Invoices", access=FolderAccess.READ_ONLY)
    login(account_manager).post(f"/orders/{member_order.pk}/invoice/issue/")
    order = Order.objects.get(pk=member_order.pk)
    folder = order.invoice.folder
    assert folder != shared
    assert (folder.name, folder.access) == ("Order invoices", FolderAccess.INTERNAL)
    assert not shared.documents.exists()
    # Customers do not reach the invoice as a document, only through the order.
    from django.http import Http404

    with pytest.raises(Http404):
        get_document_for_user(customer_member, order.invoice_id)
    assert login(customer_member).get(f"/documents/{order.invoice_id}/download/").status_code == 404
    assert login(customer_member).get(f"/orders/{order.pk}/invoice/").status_code == 200


def test_invoice_numbers_follow_each_other_and_share_one_folder(
    api_client, account_manager, organisation, cad
):
    api = api_client(account_manager)
    first, second = make_order(organisation, (cad, 1)), make_order(organisation, (cad, 2))
    numbers = [
        api.post(f"/api/v1/orders/{order.pk}/invoice").json()["invoice_number"] for order in (first, second)
    ]
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == [1, 2]
    assert Folder.objects.filter(organisation=organisation, name="Invoices").count() == 1
    assert Document.objects.filter(folder__name="Invoices").count() == 2


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (OrderStatus.REQUESTED, "An order that is Requested cannot become Invoiced."),
        (OrderStatus.SHIPPED, "An order that is Shipped cannot become Invoiced."),
        (OrderStatus.CANCELLED, "An order that is Cancelled cannot become Invoiced."),
        (OrderStatus.PAID, "An order that is Paid cannot become Invoiced."),
    ],
)
def test_it_refuses_to_invoice_an_order_that_cannot_be_invoiced(
    login, api_client, account_manager, organisation, cad, status, message
):
    order = make_order(organisation, (cad, 1), status=status)
    response = login(account_manager).post(f"/orders/{order.pk}/invoice/issue/", follow=True)
    assert message in response.content.decode()
    api = api_client(account_manager).post(f"/api/v1/orders/{order.pk}/invoice")
    assert api.status_code == 422 and api.json()["errors"]["__all__"] == [message]
    order.refresh_from_db()
    assert order.status == status and order.invoice_id is None
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.INVOICE_ISSUED).exists()


def test_it_does_not_invoice_twice(api_client, account_manager, member_order):
    api = api_client(account_manager)
    assert api.post(f"/api/v1/orders/{member_order.pk}/invoice").status_code == 201
    again = api.post(f"/api/v1/orders/{member_order.pk}/invoice")
    assert again.status_code == 422
    assert "has its invoice already" in again.json()["errors"]["__all__"][0]
    assert Document.objects.count() == 1


def test_a_failure_while_storing_leaves_the_order_as_it_was(
    api_client, account_manager, member_order, monkeypatch
):
    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(invoices, "upload_document_version", broken)
    with pytest.raises(OSError):
        api_client(account_manager).post(f"/api/v1/orders/{member_order.pk}/invoice")
    order = Order.objects.get(pk=member_order.pk)
    assert order.status == OrderStatus.CONFIRMED and order.invoice_id is None and order.invoice_number == ""
    assert not Folder.objects.filter(name="Invoices").exists()
    assert not AuditEvent.objects.filter(action=Action.INVOICE_ISSUED).exists()


def test_the_api_issues_and_serves_the_invoice(api_client, account_manager, customer_member, member_order):
    issued = api_client(account_manager).post(f"/api/v1/orders/{member_order.pk}/invoice")
    assert issued.status_code == 201
    body = issued.json()
    assert (
        body["status"] == "invoiced"
        and body["has_invoice"]
        and body["history"][-1]["to_status"] == "invoiced"
    )
    response = api_client(customer_member).get(f"/api/v1/orders/{member_order.pk}/invoice")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert content(response).startswith(b"%PDF-")


def test_an_order_without_invoice_has_no_invoice_to_download(
    login, api_client, customer_member, member_order
):
    assert login(customer_member).get(f"/orders/{member_order.pk}/invoice/").status_code == 404
    assert api_client(customer_member).get(f"/api/v1/orders/{member_order.pk}/invoice").status_code == 404


def test_outsiders_get_nothing(login, api_client, account_manager, outsider, member_order):
    api_client(account_manager).post(f"/api/v1/orders/{member_order.pk}/invoice")
    assert login(outsider).get(f"/orders/{member_order.pk}/invoice/").status_code == 404
    assert api_client(outsider).get(f"/api/v1/orders/{member_order.pk}/invoice").status_code == 404
    assert api_client(outsider).post(f"/api/v1/orders/{member_order.pk}/invoice").status_code == 404

"""Helpers for the tests of the customer's own data (profile, addresses, payment methods, change requests)."""

from __future__ import annotations

import io
from typing import Any

from kundportal.commerce.models import Order, OrderStatus
from kundportal.commerce.tests.factories import make_order
from kundportal.customers.models import Address, ChangeRecord, ChangeRequest, CustomerProfile, PaymentMethod

VALID_IBAN = "DE89 3704 0044 0532 0130 00"
VALID_IBAN_COMPACT = "DE89370400440532013000"
CARD_NUMBER = "4111 1111 1111 1111"  # Luhn-valid (Visa's test number)


def data_url(organisation: Any, rest: str = "") -> str:
    return f"/organisations/{organisation.pk}/data/{rest}"


def api(organisation: Any, rest: str) -> str:
    return f"/api/v1/organisations/{organisation.pk}/{rest}"


def make_address(organisation: Any, **fields: Any) -> Address:
    values = {
        "purpose": "billing",
        "street_address": "Storgatan 1",
        "postal_code": "114 55",
        "city": "Stockholm",
        "country": "SE",
        "is_default": not Address.objects.filter(
            organisation=organisation, purpose=fields.get("purpose", "billing"), is_default=True
        ).exists(),
    }
    values.update(fields)
    return Address.objects.create(organisation=organisation, **values)


def invoice_something(organisation: Any, *, status: str = OrderStatus.INVOICED) -> Order:
    """An order that makes the organisation's legal fields locked."""
    return make_order(organisation, status=status)


def invoice_with_document(organisation: Any, user: Any) -> Order:
    """An order still only confirmed, but with an invoice document attached: locked all the same."""
    from kundportal.documents.access import get_folder_for_user
    from kundportal.documents.models import Folder
    from kundportal.documents.services import upload_document_version

    folder = Folder.objects.create(organisation=organisation, name="Invoices")
    access = get_folder_for_user(user, folder.pk, write=True)
    version = upload_document_version(
        actor=user, folder=access, name="invoice-1.pdf", stream=io.BytesIO(b"%PDF")
    )
    order = make_order(organisation, status=OrderStatus.CONFIRMED)
    order.invoice = version.document
    order.save(update_fields=["invoice"])
    return order


def state(organisation: Any) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    organisation.refresh_from_db()
    return {
        "name": organisation.name,
        "profile": list(CustomerProfile.objects.filter(organisation=organisation).values()),
        "addresses": list(Address.objects.filter(organisation=organisation).order_by("pk").values()),
        "methods": list(PaymentMethod.objects.filter(organisation=organisation).order_by("pk").values()),
        "requests": list(ChangeRequest.objects.filter(organisation=organisation).order_by("pk").values()),
        "changes": ChangeRecord.objects.filter(organisation=organisation).count(),
    }

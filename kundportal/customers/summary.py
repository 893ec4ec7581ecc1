"""What the "Our data" page and the change log show: read in a fixed number of queries whatever the number of
addresses, payment methods or changes, and the change log in words (field names and values, never codes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from kundportal.customers.access import can_edit_customer_data
from kundportal.customers.models import (
    Address,
    AddressPurpose,
    ChangeRecord,
    ChangeRequest,
    ContactChannel,
    CustomerProfile,
    PaymentMethod,
    RequestStatus,
)
from kundportal.customers.services import (
    birth_date_collected,
    has_invoices,
    profile_age,
    profile_birth_date,
    profile_of,
)
from kundportal.customers.validators import format_phone
from kundportal.organisations.access import OrganisationAccess

RECENT_CHANGES = 20
RECENT_REQUESTS = 10

FIELD_LABELS = {
    "company_name": gettext_lazy("Company name"),
    "vat_number": gettext_lazy("VAT number"),
    "email": gettext_lazy("Contact email"),
    "phone": gettext_lazy("Phone"),
    "website": gettext_lazy("Website"),
    "preferred_language": gettext_lazy("Preferred language"),
    "contact_channel": gettext_lazy("Preferred contact channel"),
    "birth_date": gettext_lazy("Birth date"),
    "address": gettext_lazy("Address"),
    "purpose": gettext_lazy("Use"),
    "is_default": gettext_lazy("Default"),
    "name": gettext_lazy("Recipient"),
    "street_address": gettext_lazy("Street address"),
    "postal_code": gettext_lazy("Postal code"),
    "city": gettext_lazy("City"),
    "city_area": gettext_lazy("District"),
    "country_area": gettext_lazy("State or region"),
    "country": gettext_lazy("Country"),
    "payment_method": gettext_lazy("Payment method"),
}
SUBJECT_LABELS = {
    "profile": gettext_lazy("Profile"),
    "organisation": gettext_lazy("Profile"),
    "address": gettext_lazy("Address"),
    "payment_method": gettext_lazy("Payment method"),
}


def _value(field: str, value: str) -> str:
    if value == "":
        return "—"
    if field == "is_default":
        return _("yes") if value == "yes" else _("no")
    if field == "preferred_language":
        return str(dict(settings.LANGUAGES).get(value, value))
    if field == "contact_channel":
        return str(dict(ContactChannel.choices).get(value, value))
    if field == "purpose":
        return str(dict(AddressPurpose.choices).get(value, value))
    if field == "country":
        return countries.name(value) or value
    return value


def _field_label(record: ChangeRecord) -> str:
    if record.field in ("address", "payment_method"):
        return _("added") if not record.old_value else _("removed")
    return str(FIELD_LABELS.get(record.field, record.field))


@dataclass(frozen=True)
class ChangeRow:
    when: datetime
    who: str
    subject: str
    field: str
    old: str
    new: str


def change_rows(records: list[ChangeRecord] | QuerySet[ChangeRecord]) -> list[ChangeRow]:
    """Records (with `actor` selected) in words; values were masked when they were written."""
    return [
        ChangeRow(
            when=record.created_at,
            who=record.actor.display_name
            if record.actor
            else record.actor_label or _("someone no longer here"),
            subject=str(SUBJECT_LABELS.get(record.subject, record.subject)),
            field=_field_label(record),
            old=_value(record.field, record.old_value),
            new=_value(record.field, record.new_value),
        )
        for record in records
    ]


def changes_of(access: OrganisationAccess) -> QuerySet[ChangeRecord]:
    return ChangeRecord.objects.filter(organisation=access.organisation).select_related("actor")


def request_label(change_request: ChangeRequest) -> str:
    """The requested value in words: a country by its name, a new billing address in full."""
    if change_request.field == "billing_country":
        country = countries.name(change_request.requested_value) or change_request.requested_value
        address = change_request.requested_address or {}
        parts = [
            address.get("street_address", ""),
            " ".join(p for p in (address.get("postal_code"), address.get("city")) if p),
        ]
        return ", ".join(p for p in (*parts, country) if p)
    return change_request.requested_value


def current_label(change_request: ChangeRequest) -> str:
    if change_request.field == "billing_country":
        return countries.name(change_request.current_value) or change_request.current_value
    return change_request.current_value or "—"


@dataclass
class CustomerData:
    access: OrganisationAccess
    profile: CustomerProfile
    phone: str
    age: int | None
    addresses: list[Address]
    payment_methods: list[PaymentMethod]
    changes: list[ChangeRow]
    more_changes: bool
    requests: list[ChangeRequest]
    locked: bool
    collects_birth_date: bool

    @property
    def can_edit(self) -> bool:
        return can_edit_customer_data(self.access)

    @property
    def billing(self) -> list[Address]:
        return [a for a in self.addresses if a.purpose == AddressPurpose.BILLING]

    @property
    def shipping(self) -> list[Address]:
        return [a for a in self.addresses if a.purpose == AddressPurpose.SHIPPING]

    @property
    def addresses_by_purpose(self) -> list[dict[str, Any]]:
        return [
            {
                "purpose": AddressPurpose.BILLING,
                "label": _("Billing addresses"),
                "addresses": self.billing,
                "empty": _("No billing address yet. Invoices are sent to it."),
                "add": _("Add a billing address"),
            },
            {
                "purpose": AddressPurpose.SHIPPING,
                "label": _("Shipping addresses"),
                "addresses": self.shipping,
                "empty": _("No shipping address yet. Without one, deliveries go to the billing address."),
                "add": _("Add a shipping address"),
            },
        ]

    @property
    def has_default_payment_method(self) -> bool:
        return any(m.is_default for m in self.payment_methods)

    @property
    def pending_requests(self) -> list[ChangeRequest]:
        return [r for r in self.requests if r.status == RequestStatus.PENDING]


def customer_data(access: OrganisationAccess) -> CustomerData:
    """Everything the "Our data" page shows, in seven queries at most however much there is."""
    organisation = access.organisation
    profile = profile_of(organisation)
    records = list(changes_of(access)[: RECENT_CHANGES + 1])
    requests = list(
        ChangeRequest.objects.filter(organisation=organisation).select_related("decided_by")[:RECENT_REQUESTS]
    )
    for change_request in requests:
        change_request.requested_label = request_label(change_request)  # type: ignore[attr-defined]
        change_request.current_label = current_label(change_request)  # type: ignore[attr-defined]
    collects = birth_date_collected(organisation)
    return CustomerData(
        access=access,
        profile=profile,
        phone=format_phone(profile.phone),
        age=profile_age(profile) if profile.birth_date_encrypted else None,
        addresses=list(Address.objects.filter(organisation=organisation)),
        payment_methods=list(PaymentMethod.objects.filter(organisation=organisation)),
        changes=change_rows(records[:RECENT_CHANGES]),
        more_changes=len(records) > RECENT_CHANGES,
        requests=requests,
        locked=has_invoices(organisation),
        collects_birth_date=collects,
    )


def profile_initial(profile: CustomerProfile, organisation: Any) -> dict[str, Any]:
    """The profile form's starting values."""
    return {
        "company_name": organisation.name,
        "vat_number": profile.vat_number,
        "email": profile.email,
        "phone": format_phone(profile.phone),
        "website": profile.website,
        "preferred_language": profile.preferred_language,
        "contact_channel": profile.contact_channel,
        "birth_date": profile_birth_date(profile),
    }

"""API: Customer self-service: profile, addresses, payment methods, the change log and change requests.

The same services as the pages. A full IBAN never leaves the server (only `masked`, country and last four);
a card is only ever a payment provider's token, and input with any field not listed is refused (422), so a
card number cannot be sent in a field of its own either."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, Field

from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.customers import addresses, change_requests, payment_methods, services, summary
from kundportal.customers.access import (
    get_address_for_user,
    get_change_request_for_user,
    get_customer_data_for_user,
    get_payment_method_for_user,
)
from kundportal.customers.models import Address, ChangeRequest, PaymentMethod
from kundportal.organisations.access import OrganisationAccess

router = Router(tags=["customers"])

Language = Literal["en", "sv", "de"]
Channel = Literal["email", "phone", "portal", "post"]
Purpose = Literal["billing", "shipping"]


class StrictInput(InputSchema):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------------------
# Schemas


class ChangeRequestDetailOut(Schema):
    id: UUID
    organisation_id: UUID
    field: Literal["company_name", "vat_number", "billing_country"]
    current_value: str
    requested_value: str
    address_id: UUID | None
    requested_address: dict[str, str]
    status: Literal["pending", "approved", "rejected", "withdrawn"]
    requested_by: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_requested_by(obj: ChangeRequest) -> str | None:
        return obj.requested_by.email if obj.requested_by else None

    @staticmethod
    def resolve_decided_by(obj: ChangeRequest) -> str | None:
        return obj.decided_by.email if obj.decided_by else None

    @staticmethod
    def resolve_requested_address(obj: ChangeRequest) -> dict[str, str]:
        return obj.requested_address or {}


class ProfileDetailOut(Schema):
    organisation_id: UUID
    kind: str
    company_name: str = Field(description="The organisation's name (a locked field once there are invoices).")
    vat_number: str
    email: str
    phone: str = Field(description="E.164, e.g. +46701234567.")
    website: str
    preferred_language: str
    contact_channel: str
    age: int | None = Field(description="From the birth date, for private customers who gave one.")
    locked: bool = Field(
        description="Whether company name, VAT number and billing country change only on request for customers."
    )
    change_requests: list[ChangeRequestDetailOut] = Field(
        description="The open requests (and, after a PATCH, the ones it made)."
    )
    updated_at: datetime | None


class ProfilePatch(StrictInput):
    company_name: str | None = Field(default=None, max_length=200)
    vat_number: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=200)
    preferred_language: Language | None = None
    contact_channel: Channel | None = None
    birth_date: date | None = Field(
        default=None, description="Private customers, when the provider collects it; null removes it."
    )


class AddressDetailOut(Schema):
    id: UUID
    organisation_id: UUID
    purpose: str
    is_default: bool
    name: str
    company_name: str
    street_address: str
    postal_code: str
    city: str
    city_area: str
    country_area: str
    country: str
    country_name: str
    updated_at: datetime
    change_request: ChangeRequestDetailOut | None = Field(
        default=None, description="Set when a new billing country became a request instead of a change."
    )


class AddressIn(StrictInput):
    purpose: Purpose
    is_default: bool = False
    name: str = Field(default="", max_length=150)
    company_name: str = Field(default="", max_length=200)
    street_address: str = Field(max_length=255)
    postal_code: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=100)
    city_area: str = Field(default="", max_length=100)
    country_area: str = Field(default="", max_length=100)
    country: str = Field(max_length=2, description="ISO 3166-1 alpha-2, e.g. SE.")


class AddressPatch(StrictInput):
    purpose: Purpose | None = None
    is_default: Literal[True] | None = Field(
        default=None, description="true makes it the default for its use."
    )
    name: str | None = Field(default=None, max_length=150)
    company_name: str | None = Field(default=None, max_length=200)
    street_address: str | None = Field(default=None, max_length=255)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    city_area: str | None = Field(default=None, max_length=100)
    country_area: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=2)


class PaymentMethodDetailOut(Schema):
    id: UUID
    organisation_id: UUID
    kind: str
    is_default: bool
    masked: str = Field(description="How to show it: never the full IBAN or card number.")
    account_holder: str
    iban_country: str
    iban_last4: str
    bic: str
    mandate_reference: str
    mandate_signed_on: date | None
    card_provider: str
    card_brand: str
    card_last4: str
    card_exp_month: int | None
    card_exp_year: int | None
    created_at: datetime


class PaymentMethodIn(StrictInput):
    kind: Literal["invoice", "sepa", "card"]
    is_default: bool = False
    account_holder: str = Field(default="", max_length=150)
    iban: str = Field(
        default="", max_length=50, description="SEPA: checked, stored encrypted, never returned."
    )
    bic: str = Field(default="", max_length=20, description="SEPA: optional; taken from the IBAN when known.")
    mandate_reference: str = Field(default="", max_length=35)
    mandate_signed_on: date | None = None
    card_provider: str = Field(default="", max_length=40, description="Card: the payment provider's name.")
    card_token: str = Field(
        default="", max_length=200, description="Card: the provider's token, never a number."
    )
    card_brand: str = Field(default="", max_length=20)
    card_last4: str = Field(default="", max_length=4)
    card_exp_month: int | None = None
    card_exp_year: int | None = None


class PaymentMethodPatch(StrictInput):
    is_default: Literal[True] = Field(description="true makes it the default payment method.")


class DeletedOut(Schema):
    was_default: bool
    detail: str


class ChangeRecordOut(Schema):
    id: UUID
    created_at: datetime
    actor: str = Field(validation_alias="actor_label", description="The email of who made the change.")
    subject: str
    subject_id: UUID | None
    field: str
    old_value: str = Field(description="Masked for IBANs and birth dates.")
    new_value: str


class ChangeRequestIn(StrictInput):
    field: Literal["company_name", "vat_number", "billing_country"]
    requested_value: str = Field(max_length=255, description="For billing_country: the ISO country code.")
    address_id: UUID | None = Field(default=None, description="billing_country: which billing address.")


class RejectIn(StrictInput):
    reason: str = Field(max_length=500)


# ---------------------------------------------------------------------------------------------------------
# Shapes


def _profile_out(access: OrganisationAccess, made: list[ChangeRequest] | None = None) -> dict[str, Any]:
    organisation = access.organisation
    profile = services.profile_of(organisation)
    pending = list(
        ChangeRequest.objects.filter(organisation=organisation, status="pending").select_related(
            "requested_by", "decided_by"
        )
    )
    seen = {r.pk for r in pending}
    return {
        "organisation_id": organisation.pk,
        "kind": organisation.kind,
        "company_name": organisation.name,
        "vat_number": profile.vat_number,
        "email": profile.email,
        "phone": profile.phone,
        "website": profile.website,
        "preferred_language": profile.preferred_language,
        "contact_channel": profile.contact_channel,
        "age": services.profile_age(profile),
        "locked": services.has_invoices(organisation),
        "change_requests": pending + [r for r in made or [] if r.pk not in seen],
        "updated_at": profile.updated_at if profile.updated_at else None,
    }


def _address_out(address: Address, change_request: ChangeRequest | None = None) -> dict[str, Any]:
    values = addresses.address_values(address)
    return {
        "id": address.pk,
        "organisation_id": address.organisation_id,
        "purpose": address.purpose,
        "is_default": address.is_default,
        **values,
        "country_name": address.country.name,
        "updated_at": address.updated_at,
        "change_request": change_request,
    }


# ---------------------------------------------------------------------------------------------------------
# Profile


@router.get(
    "/organisations/{organisation_id}/profile", response=ProfileDetailOut, summary="A customer's profile"
)
def get_profile(request: HttpRequest, organisation_id: UUID) -> dict[str, Any]:
    return _profile_out(get_customer_data_for_user(request.user, organisation_id))


@router.patch(
    "/organisations/{organisation_id}/profile",
    response=ProfileDetailOut,
    summary="Change a customer's profile (customer admins, staff)",
    description="Only the fields sent change. Once the customer has invoices, a customer's new company name or "
    "VAT number becomes a change request (listed in `change_requests`) instead.",
)
def patch_profile(request: HttpRequest, organisation_id: UUID, payload: ProfilePatch) -> dict[str, Any]:
    access = get_customer_data_for_user(request.user, organisation_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    result = services.update_profile(actor=request.user, access=access, data=data, request=request)
    return _profile_out(access, result.requests)


# ---------------------------------------------------------------------------------------------------------
# Addresses


@router.get(
    "/organisations/{organisation_id}/addresses",
    response=list[AddressDetailOut],
    summary="A customer's addresses",
)
def list_addresses(request: HttpRequest, organisation_id: UUID) -> list[dict[str, Any]]:
    access = get_customer_data_for_user(request.user, organisation_id)
    return [_address_out(a) for a in Address.objects.filter(organisation=access.organisation)]


@router.post(
    "/organisations/{organisation_id}/addresses", response={201: AddressDetailOut}, summary="Add an address"
)
def create_address(request: HttpRequest, organisation_id: UUID, payload: AddressIn) -> Status:
    access = get_customer_data_for_user(request.user, organisation_id, write=True)
    data = payload.model_dump(exclude={"purpose", "is_default"})
    address = addresses.create_address(
        actor=request.user,
        access=access,
        purpose=payload.purpose,
        data=data,
        make_default=payload.is_default,
        request=request,
    )
    return Status(201, _address_out(address))


@router.get("/addresses/{address_id}", response=AddressDetailOut, summary="An address")
def get_address(request: HttpRequest, address_id: UUID) -> dict[str, Any]:
    address, _access = get_address_for_user(request.user, address_id)
    return _address_out(address)


@router.patch(
    "/addresses/{address_id}",
    response=AddressDetailOut,
    summary="Change an address",
    description="Once the customer has invoices, a customer's new country for a billing address becomes a change "
    "request for the whole address (in `change_request`); the address stays as it is until it is approved.",
)
def patch_address(request: HttpRequest, address_id: UUID, payload: AddressPatch) -> dict[str, Any]:
    address, access = get_address_for_user(request.user, address_id, write=True)
    data = payload.model_dump(exclude_unset=True, exclude={"is_default"})
    result = addresses.update_address(
        actor=request.user, access=access, address=address, data=data, request=request
    )
    if payload.is_default:
        addresses.make_default_address(actor=request.user, access=access, address=address, request=request)
    address.refresh_from_db()
    return _address_out(address, result.requests[0] if result.requests else None)


@router.delete(
    "/addresses/{address_id}",
    response=DeletedOut,
    summary="Delete an address",
    description="`was_default`: it was the default for its use, and no other address became the default.",
)
def delete_address(request: HttpRequest, address_id: UUID) -> dict[str, Any]:
    address, access = get_address_for_user(request.user, address_id, write=True)
    was_default = addresses.delete_address(
        actor=request.user, access=access, address=address, request=request
    )
    detail = (
        "Deleted. It was the default: there is no default address for its use now."
        if was_default
        else "Deleted."
    )
    return {"was_default": was_default, "detail": detail}


# ---------------------------------------------------------------------------------------------------------
# Payment methods


@router.get(
    "/organisations/{organisation_id}/payment-methods",
    response=list[PaymentMethodDetailOut],
    summary="A customer's payment methods (masked)",
)
def list_payment_methods(request: HttpRequest, organisation_id: UUID) -> list[PaymentMethod]:
    access = get_customer_data_for_user(request.user, organisation_id)
    return list(PaymentMethod.objects.filter(organisation=access.organisation))


@router.post(
    "/organisations/{organisation_id}/payment-methods",
    response={201: PaymentMethodDetailOut},
    summary="Add a payment method: invoice, SEPA (IBAN) or a card as a payment provider's token",
)
def create_payment_method(request: HttpRequest, organisation_id: UUID, payload: PaymentMethodIn) -> Status:
    access = get_customer_data_for_user(request.user, organisation_id, write=True)
    method = payment_methods.add_payment_method(
        actor=request.user,
        access=access,
        kind=payload.kind,
        data=payload.model_dump(exclude={"kind", "is_default"}),
        make_default=payload.is_default,
        request=request,
    )
    return Status(201, method)


@router.patch(
    "/payment-methods/{payment_method_id}",
    response=PaymentMethodDetailOut,
    summary="Make a payment method the default",
)
def patch_payment_method(
    request: HttpRequest, payment_method_id: UUID, payload: PaymentMethodPatch
) -> PaymentMethod:
    method, access = get_payment_method_for_user(request.user, payment_method_id, write=True)
    method = payment_methods.make_default_payment_method(
        actor=request.user, access=access, method=method, request=request
    )
    return method


@router.delete(
    "/payment-methods/{payment_method_id}",
    response=DeletedOut,
    summary="Remove a payment method",
    description="`was_default`: it was the default, and no other method became the default: choose one.",
)
def delete_payment_method(request: HttpRequest, payment_method_id: UUID) -> dict[str, Any]:
    method, access = get_payment_method_for_user(request.user, payment_method_id, write=True)
    was_default = payment_methods.delete_payment_method(
        actor=request.user, access=access, method=method, request=request
    )
    detail = (
        "Removed. It was the default: there is no default payment method now." if was_default else "Removed."
    )
    return {"was_default": was_default, "detail": detail}


# ---------------------------------------------------------------------------------------------------------
# Change log and change requests


@router.get(
    "/organisations/{organisation_id}/changes",
    response=list[ChangeRecordOut],
    summary="Every change of a customer's profile, addresses and payment methods, newest first",
)
@paginate(BoundedLimitOffsetPagination)
def list_changes(request: HttpRequest, organisation_id: UUID) -> object:
    access = get_customer_data_for_user(request.user, organisation_id)
    return summary.changes_of(access).order_by("-created_at", "pk")


@router.get(
    "/organisations/{organisation_id}/change-requests",
    response=list[ChangeRequestDetailOut],
    summary="A customer's change requests, newest first",
)
@paginate(BoundedLimitOffsetPagination)
def list_change_requests(
    request: HttpRequest,
    organisation_id: UUID,
    status: Literal["pending", "approved", "rejected", "withdrawn"] | None = None,
) -> object:
    access = get_customer_data_for_user(request.user, organisation_id)
    requests = ChangeRequest.objects.filter(organisation=access.organisation).select_related(
        "requested_by", "decided_by"
    )
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-created_at", "pk")


@router.post(
    "/organisations/{organisation_id}/change-requests",
    response={201: ChangeRequestDetailOut},
    summary="Ask for a change of the company name, VAT number or billing country",
)
def create_change_request(request: HttpRequest, organisation_id: UUID, payload: ChangeRequestIn) -> Status:
    access = get_customer_data_for_user(request.user, organisation_id, write=True)
    address = None
    if payload.address_id is not None:
        address, _access = get_address_for_user(request.user, payload.address_id)
        if address.organisation_id != access.organisation.pk:
            raise Http404
    change_request = change_requests.request_change(
        actor=request.user,
        access=access,
        locked_field=payload.field,
        value=payload.requested_value,
        address=address,
        request=request,
    )
    return Status(201, change_request)


@router.post(
    "/change-requests/{change_request_id}/withdraw",
    response=ChangeRequestDetailOut,
    summary="Withdraw an open change request (the customer who may edit the data)",
)
def withdraw_change_request(request: HttpRequest, change_request_id: UUID) -> ChangeRequest:
    change_request, access = get_change_request_for_user(request.user, change_request_id, write=True)
    return change_requests.withdraw_change_request(
        actor=request.user, access=access, change_request=change_request, request=request
    )


@router.post(
    "/change-requests/{change_request_id}/approve",
    response=ChangeRequestDetailOut,
    summary="Approve a change request: the change applies (staff)",
)
def approve_change_request(request: HttpRequest, change_request_id: UUID) -> ChangeRequest:
    change_request, _access = get_change_request_for_user(request.user, change_request_id, decide=True)
    decided = change_requests.decide_change_request(
        actor=request.user, change_request=change_request, approve=True, request=request
    )
    return decided


@router.post(
    "/change-requests/{change_request_id}/reject",
    response=ChangeRequestDetailOut,
    summary="Reject a change request with a reason the customer sees (staff)",
)
def reject_change_request(request: HttpRequest, change_request_id: UUID, payload: RejectIn) -> ChangeRequest:
    change_request, _access = get_change_request_for_user(request.user, change_request_id, decide=True)
    decided = change_requests.decide_change_request(
        actor=request.user,
        change_request=change_request,
        approve=False,
        reason=payload.reason,
        request=request,
    )
    return decided

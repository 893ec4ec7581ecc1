"""Billing and shipping addresses: checked per country, one default per purpose, the billing country locked
once there are invoices (a new one is a request)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_countries import countries

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.customers import validators
from kundportal.customers.models import (
    Address,
    AddressPurpose,
    LockedField,
    RequestStatus,
)
from kundportal.customers.services import (
    SaveResult,
    audit_changes,
    billing_country,
    create_change_request,
    fields_locked_for,
    lock_organisation,
    make_default,
    record_changes,
    refuse_second_requests,
    require_editor,
    text_value,
)
from kundportal.organisations.access import OrganisationAccess
from kundportal.organisations.models import Organisation

if TYPE_CHECKING:
    from kundportal.accounts.models import User


ADDRESS_FIELDS = (
    "name",
    "company_name",
    "street_address",
    "postal_code",
    "city",
    "city_area",
    "country_area",
    "country",
)


def address_values(address: Address) -> dict[str, str]:
    values = {name: text_value(getattr(address, name)) for name in ADDRESS_FIELDS}
    values["country"] = address.country.code if address.country else ""
    return values


def apply_address_fields(address: Address, fields: Mapping[str, str]) -> list[tuple[str, str, str]]:
    current = address_values(address)
    changes = [
        (name, current[name], fields[name]) for name in ADDRESS_FIELDS if fields[name] != current[name]
    ]
    for name, _old, new in changes:
        setattr(address, name, new)
    return changes


def _clean_purpose(value: Any) -> str:
    if value not in AddressPurpose.values:
        raise ValidationError({"purpose": _("Choose billing or shipping.")})
    return str(value)


def _clean_new_address(data: Mapping[str, Any], *, purpose: Any) -> tuple[str, dict[str, str]]:
    errors: dict[str, list[str]] = {}
    try:
        purpose = _clean_purpose(purpose)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        fields = validators.clean_address(dict(data))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return purpose, fields


def _billing_country_stays(organisation: Organisation, country: str) -> None:
    current = billing_country(organisation)
    if current and country != current:
        raise ValidationError(
            {
                "country": _(
                    "Once there are invoices, billing addresses stay in %(country)s. To move, edit your "
                    "billing address: a new country is sent to your account manager for approval."
                )
                % {"country": countries.name(current)}
            }
        )


def describe_address(address: Address | Mapping[str, str]) -> str:
    values = address if isinstance(address, Mapping) else address_values(address)
    parts = [
        values.get("street_address", ""),
        " ".join(p for p in (values.get("postal_code"), values.get("city")) if p),
    ]
    return ", ".join(p for p in (*parts, values.get("country", "")) if p)


@transaction.atomic
def create_address(
    *,
    actor: User,
    access: OrganisationAccess,
    purpose: str,
    data: Mapping[str, Any],
    make_default: bool = False,
    request: HttpRequest | None = None,
) -> Address:
    """A new address; the first of its purpose (billing, shipping) becomes the default."""
    require_editor(access)
    purpose, fields = _clean_new_address(data, purpose=purpose)
    organisation = lock_organisation(access)
    if purpose == AddressPurpose.BILLING and fields_locked_for(access):
        _billing_country_stays(organisation, fields["country"])
    same_purpose = Address.objects.filter(organisation=organisation, purpose=purpose)
    has_default = same_purpose.filter(is_default=True).exists()
    if make_default and has_default:
        same_purpose.filter(is_default=True).update(is_default=False)
    address = Address.objects.create(
        organisation=organisation, purpose=purpose, is_default=make_default or not has_default, **fields
    )
    changes = [("address", "", f"{address.get_purpose_display()}: {describe_address(fields)}")]
    if address.is_default and has_default:
        changes.append(("is_default", "no", "yes"))
    record_changes(
        actor=actor, organisation=organisation, subject="address", subject_id=address.pk, changes=changes
    )
    record_event(
        Action.ADDRESS_CHANGED,
        actor=actor,
        organisation=organisation,
        target=address,
        request=request,
        operation="created",
        purpose=purpose,
        default=address.is_default,
    )
    return address


@transaction.atomic
def update_address(
    *,
    actor: User,
    access: OrganisationAccess,
    address: Address,
    data: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> SaveResult:
    """Change the fields in `data` (any of ADDRESS_FIELDS and "purpose"). For a customer with invoices, a new
    country of a billing address is a request: the whole edited address waits for approval."""
    require_editor(access)
    organisation = lock_organisation(access)
    address = Address.objects.select_for_update().get(pk=address.pk, organisation=organisation)
    current = address_values(address)
    unknown = set(data) - set(ADDRESS_FIELDS) - {"purpose"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    purpose, fields = _clean_new_address(
        {**current, **{k: v for k, v in data.items() if k != "purpose"}},
        purpose=data.get("purpose", address.purpose),
    )
    locked = fields_locked_for(access)
    was_billing, is_billing = address.purpose == AddressPurpose.BILLING, purpose == AddressPurpose.BILLING
    if locked and was_billing and address.is_default and not is_billing:
        raise ValidationError(
            {"purpose": _("Once there are invoices, the default billing address stays a billing address.")}
        )
    if locked and was_billing and is_billing and fields["country"] != current["country"]:
        refuse_second_requests(organisation, [LockedField.BILLING_COUNTRY], key="country")
        change_request = create_change_request(
            actor=actor,
            organisation=organisation,
            locked_field=LockedField.BILLING_COUNTRY,
            current=current["country"],
            requested=fields["country"],
            request=request,
            address=address,
            requested_address=fields,
        )
        return SaveResult(requests=[change_request])
    if locked and is_billing and not was_billing:
        _billing_country_stays(organisation, fields["country"])
    changes = apply_address_fields(address, fields)
    if purpose != address.purpose:
        changes.append(("purpose", address.purpose, purpose))
        address.purpose = purpose
        if address.is_default:
            changes.append(("is_default", "yes", "no"))
        has_default = Address.objects.filter(
            organisation=organisation, purpose=purpose, is_default=True
        ).exists()
        address.is_default = not has_default
        if address.is_default:
            changes.append(("is_default", "no", "yes"))
    if changes:
        address.save()
        record_changes(
            actor=actor, organisation=organisation, subject="address", subject_id=address.pk, changes=changes
        )
        record_event(
            Action.ADDRESS_CHANGED,
            actor=actor,
            organisation=organisation,
            target=address,
            request=request,
            operation="changed",
            changes=audit_changes(changes),
        )
    return SaveResult(changed=[name for name, _old, _new in changes])


@transaction.atomic
def make_default_address(
    *, actor: User, access: OrganisationAccess, address: Address, request: HttpRequest | None = None
) -> Address:
    require_editor(access)
    organisation = lock_organisation(access)
    address = Address.objects.select_for_update().get(pk=address.pk, organisation=organisation)
    if address.is_default:
        return address
    if address.purpose == AddressPurpose.BILLING and fields_locked_for(access):
        _billing_country_stays(organisation, address.country.code)
    make_default(
        actor=actor,
        organisation=organisation,
        subject="address",
        item=address,
        siblings=Address.objects.filter(organisation=organisation, purpose=address.purpose),
    )
    record_event(
        Action.ADDRESS_CHANGED,
        actor=actor,
        organisation=organisation,
        target=address,
        request=request,
        operation="made_default",
        purpose=address.purpose,
    )
    return address


@transaction.atomic
def delete_address(
    *, actor: User, access: OrganisationAccess, address: Address, request: HttpRequest | None = None
) -> bool:
    """Delete the address; True if it was the default (no other one becomes the default by itself)."""
    require_editor(access)
    organisation = lock_organisation(access)
    address = Address.objects.select_for_update().get(pk=address.pk, organisation=organisation)
    if address.change_requests.filter(status=RequestStatus.PENDING).exists():
        raise ValidationError(
            _("A change of this address is waiting for a decision: it can be deleted after that.")
        )
    if address.purpose == AddressPurpose.BILLING and address.is_default and fields_locked_for(access):
        raise ValidationError(
            _(
                "Once there are invoices, the default billing address cannot be deleted. Edit it, or make "
                "another billing address in the same country the default first."
            )
        )
    was_default = address.is_default
    summary = f"{address.get_purpose_display()}: {describe_address(address)}"
    record_changes(
        actor=actor,
        organisation=organisation,
        subject="address",
        subject_id=address.pk,
        changes=[("address", summary, "")],
    )
    record_event(
        Action.ADDRESS_CHANGED,
        actor=actor,
        organisation=organisation,
        target=address,
        request=request,
        operation="deleted",
        purpose=address.purpose,
        was_default=was_default,
    )
    address.delete()
    return was_default

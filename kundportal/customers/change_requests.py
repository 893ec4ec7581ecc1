"""Requests to change a field with legal weight once the organisation has invoices, and staff's decision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.customers import validators
from kundportal.customers.addresses import ADDRESS_FIELDS, apply_address_fields
from kundportal.customers.models import (
    Address,
    AddressPurpose,
    ChangeRequest,
    LockedField,
    RequestStatus,
)
from kundportal.customers.services import (
    create_change_request,
    lock_organisation,
    profile_of,
    record_changes,
    refuse_second_requests,
    require_editor,
    text_value,
)
from kundportal.organisations.access import OrganisationAccess, is_provider_staff
from kundportal.organisations.models import Organisation

if TYPE_CHECKING:
    from kundportal.accounts.models import User


def _clean_requested_value(locked_field: str, value: Any) -> str:
    if locked_field == LockedField.COMPANY_NAME:
        return validators.clean_text(value, max_length=200, required=True)
    if locked_field == LockedField.VAT_NUMBER:
        return validators.clean_vat_number(value)
    code = str(value or "").strip().upper()
    if code not in dict(countries):
        raise ValidationError(_("Choose a country from the list."))
    return code


@transaction.atomic
def request_change(
    *,
    actor: User,
    access: OrganisationAccess,
    locked_field: str,
    value: Any,
    address: Address | None = None,
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """Ask for a change of a field with legal weight (the API's explicit way; saving a locked field through
    update_profile or update_address asks the same way)."""
    require_editor(access)
    if locked_field not in LockedField.values:
        raise ValidationError({"field": _("Choose company name, VAT number or billing country.")})
    organisation = lock_organisation(access)
    try:
        requested = _clean_requested_value(locked_field, value)
    except ValidationError as error:
        raise ValidationError({"requested_value": error.messages}) from None
    refuse_second_requests(organisation, [locked_field], key="field")
    if locked_field == LockedField.BILLING_COUNTRY:
        return _request_billing_country(actor, organisation, address, requested, request)
    profile = profile_of(organisation)
    current = organisation.name if locked_field == LockedField.COMPANY_NAME else profile.vat_number
    if requested == current:
        raise ValidationError({"requested_value": _("That is already the current value.")})
    return create_change_request(
        actor=actor,
        organisation=organisation,
        locked_field=locked_field,
        current=current,
        requested=requested,
        request=request,
    )


def _request_billing_country(
    actor: User,
    organisation: Organisation,
    address: Address | None,
    country: str,
    request: HttpRequest | None,
) -> ChangeRequest:
    billing = Address.objects.filter(organisation=organisation, purpose=AddressPurpose.BILLING)
    address = billing.filter(pk=address.pk).first() if address else billing.order_by("-is_default").first()
    if address is None:
        raise ValidationError({"address_id": _("Choose one of your billing addresses.")})
    if address.country.code == country:
        raise ValidationError({"requested_value": _("That is already the current value.")})
    fields = {name: text_value(getattr(address, name)) for name in ADDRESS_FIELDS}
    try:
        fields = validators.clean_address({**fields, "country": country})
    except ValidationError as error:
        raise ValidationError(
            {
                "requested_value": [
                    _(
                        "The address does not fit the new country (%(problems)s): change the billing "
                        "address itself with its new country, postal code and city."
                    )
                    % {"problems": "; ".join(error.messages)}
                ]
            }
        ) from None
    return create_change_request(
        actor=actor,
        organisation=organisation,
        locked_field=LockedField.BILLING_COUNTRY,
        current=address.country.code,
        requested=country,
        request=request,
        address=address,
        requested_address=fields,
    )


@transaction.atomic
def decide_change_request(
    *,
    actor: User,
    change_request: ChangeRequest,
    approve: bool,
    reason: str = "",
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """Staff approve (the change applies and is recorded) or reject (with a reason the customer sees)."""
    if not is_provider_staff(actor):
        raise PermissionDenied
    change_request = (
        ChangeRequest.objects.select_for_update().select_related("organisation").get(pk=change_request.pk)
    )
    if change_request.status != RequestStatus.PENDING:
        raise ValidationError(_("This request was already decided."))
    try:
        note = validators.clean_text(reason, max_length=500, required=not approve)
    except ValidationError as error:
        if error.code == "required":
            raise ValidationError(
                {"reason": _("Say why the request is rejected: the customer sees it.")}
            ) from None
        raise ValidationError({"reason": error.messages}) from None
    organisation = change_request.organisation
    if approve:
        _apply_request(actor, change_request, request)
    change_request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    change_request.decided_by = actor
    change_request.decided_at = timezone.now()
    change_request.decision_note = note
    change_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record_event(
        Action.CHANGE_DECIDED,
        actor=actor,
        organisation=organisation,
        target=change_request,
        request=request,
        field=change_request.field,
        decision=change_request.status,
        requested=change_request.requested_value,
    )
    return change_request


@transaction.atomic
def withdraw_change_request(
    *,
    actor: User,
    access: OrganisationAccess,
    change_request: ChangeRequest,
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """The customer takes back an open request (staff reject instead, with a reason)."""
    require_editor(access)
    if access.staff:
        raise PermissionDenied
    lock_organisation(access)
    change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if change_request.status != RequestStatus.PENDING:
        raise ValidationError(_("This request was already decided."))
    change_request.status = RequestStatus.WITHDRAWN
    change_request.decided_by = actor
    change_request.decided_at = timezone.now()
    change_request.save(update_fields=["status", "decided_by", "decided_at"])
    record_event(
        Action.CHANGE_WITHDRAWN,
        actor=actor,
        organisation=access.organisation,
        target=change_request,
        request=request,
        field=change_request.field,
        requested=change_request.requested_value,
    )
    return change_request


def _apply_request(actor: User, change_request: ChangeRequest, request: HttpRequest | None) -> None:
    organisation = Organisation.objects.select_for_update().get(pk=change_request.organisation_id)
    value = change_request.requested_value
    if change_request.field == LockedField.COMPANY_NAME:
        changes = [("company_name", organisation.name, value)]
        organisation.name = value
        organisation.save(update_fields=["name"])
        record_changes(
            actor=actor,
            organisation=organisation,
            subject="organisation",
            subject_id=organisation.pk,
            changes=changes,
        )
    elif change_request.field == LockedField.VAT_NUMBER:
        profile = profile_of(organisation)
        changes = [("vat_number", profile.vat_number, value)]
        profile.vat_number = value
        profile.save()
        record_changes(
            actor=actor, organisation=organisation, subject="profile", subject_id=profile.pk, changes=changes
        )
    else:
        address = Address.objects.select_for_update().filter(pk=change_request.address_id).first()
        if address is None:
            raise ValidationError(_("The address of this request was deleted: reject the request instead."))
        fields = validators.clean_address(change_request.requested_address or {"country": value})
        changes = apply_address_fields(address, fields)
        address.save()
        record_changes(
            actor=actor, organisation=organisation, subject="address", subject_id=address.pk, changes=changes
        )

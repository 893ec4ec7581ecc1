"""Use cases for a customer's own data, shared steps and the profile. Addresses, payment methods and change
requests have modules of their own (addresses.py, payment_methods.py, change_requests.py); the pages and the API
call these. Each checks who acts, validates everything before it writes, and writes the change log
(ChangeRecord) and one audit event in the same transaction.

Fields with legal weight (company name, VAT number, billing country) are locked once the organisation has
an invoice: a customer's change becomes a ChangeRequest that the provider's staff approve or reject. Staff
themselves change them directly (they are the ones who decide), and that is recorded like any change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.core.crypto.fields import decrypt_value, encrypt_value, field_aad
from kundportal.core.models import PortalSettings
from kundportal.customers import validators
from kundportal.customers.access import can_edit_customer_data
from kundportal.customers.models import (
    Address,
    AddressPurpose,
    ChangeRecord,
    ChangeRequest,
    ContactChannel,
    CustomerProfile,
    LockedField,
    RequestStatus,
)
from kundportal.organisations.access import OrganisationAccess
from kundportal.organisations.models import Organisation, OrganisationKind

if TYPE_CHECKING:
    from kundportal.accounts.models import User

MASKED = "••••••"
PROFILE_FIELDS = (
    "company_name",
    "vat_number",
    "email",
    "phone",
    "website",
    "preferred_language",
    "contact_channel",
    "birth_date",
)


@dataclass
class SaveResult:
    """What a save did: the fields changed now, and the requests made for locked fields instead."""

    changed: list[str] = field(default_factory=list)
    requests: list[ChangeRequest] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Shared steps


def require_editor(access: OrganisationAccess) -> None:
    if not can_edit_customer_data(access):
        raise PermissionDenied


def lock_organisation(access: OrganisationAccess) -> Organisation:
    """The organisation's row locked: defaults, locks and requests of one customer change one at a time."""
    return Organisation.objects.select_for_update().get(pk=access.organisation.pk)


def has_invoices(organisation: Organisation) -> bool:
    """An order with an invoice, or invoiced or paid: from then on legal fields change only on request.

    Not Order.objects.visible_to(user): the lock is the organisation's, whichever of its people asks."""
    from kundportal.commerce.models import Order, OrderStatus

    return (
        Order.objects.filter(organisation=organisation)
        .filter(Q(invoice__isnull=False) | Q(status__in=[OrderStatus.INVOICED, OrderStatus.PAID]))
        .exists()
    )


def fields_locked_for(access: OrganisationAccess) -> bool:
    """Whether this user's changes of legal fields become requests (customers, once there are invoices)."""
    return not access.staff and has_invoices(access.organisation)


def record_changes(
    *,
    actor: User,
    organisation: Organisation,
    subject: str,
    subject_id: Any,
    changes: list[tuple[str, str, str]],
) -> None:
    ChangeRecord.objects.bulk_create(
        ChangeRecord(
            organisation=organisation,
            actor=actor,
            actor_label=actor.email,
            subject=subject,
            subject_id=subject_id,
            field=name,
            old_value=old[:500],
            new_value=new[:500],
        )
        for name, old, new in changes
    )


def make_default(*, actor: User, organisation: Organisation, subject: str, item: Any, siblings: Any) -> None:
    """`item` becomes the default among `siblings` (a queryset of its kind, locked by the caller), and both
    changes are recorded. The old default goes first: the one-default constraint is checked row by row."""
    previous = siblings.filter(is_default=True).exclude(pk=item.pk).first()
    if previous is not None:
        siblings.filter(pk=previous.pk).update(is_default=False)
        record_changes(
            actor=actor,
            organisation=organisation,
            subject=subject,
            subject_id=previous.pk,
            changes=[("is_default", "yes", "no")],
        )
    item.is_default = True
    item.save(update_fields=["is_default", "updated_at"])
    record_changes(
        actor=actor,
        organisation=organisation,
        subject=subject,
        subject_id=item.pk,
        changes=[("is_default", "no", "yes")],
    )


def audit_changes(changes: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    return {name: [old, new] for name, old, new in changes}


def text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def clean_fields(
    cleaners: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Every field of `data` through its cleaner: the cleaned values and the messages per field."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in cleaners:
            raise ValueError(f"unknown field {name!r}")
        try:
            cleaned[name] = cleaners[name](value)
        except ValidationError as error:
            errors[name] = error.messages
    return cleaned, errors


def refuse_second_requests(organisation: Organisation, locked_fields: list[str], *, key: str = "") -> None:
    if not locked_fields:
        return
    pending = set(
        ChangeRequest.objects.filter(
            organisation=organisation, status=RequestStatus.PENDING, field__in=locked_fields
        ).values_list("field", flat=True)
    )
    if pending:
        raise ValidationError(
            {
                (key or name): _(
                    "A change of the %(field)s is already waiting for a decision. "
                    "You can ask again once it is decided."
                )
                % {"field": str(LockedField(name).label).lower()}
                for name in pending
            }
        )


def create_change_request(
    *,
    actor: User,
    organisation: Organisation,
    locked_field: str,
    current: str,
    requested: str,
    request: HttpRequest | None,
    address: Address | None = None,
    requested_address: dict[str, str] | None = None,
) -> ChangeRequest:
    change_request = ChangeRequest.objects.create(
        organisation=organisation,
        field=locked_field,
        current_value=current[:255],
        requested_value=requested[:255],
        requested_by=actor,
        address=address,
        requested_address=requested_address or {},
    )
    record_event(
        Action.CHANGE_REQUESTED,
        actor=actor,
        organisation=organisation,
        target=change_request,
        request=request,
        field=locked_field,
        current=current,
        requested=requested,
    )
    return change_request


# ---------------------------------------------------------------------------------------------------------
# Profile


def profile_of(organisation: Organisation) -> CustomerProfile:
    """The organisation's profile, or a new unsaved one (saved with its first change)."""
    return CustomerProfile.objects.filter(organisation=organisation).first() or CustomerProfile(
        organisation=organisation
    )


def _birth_date_aad(profile: CustomerProfile) -> bytes:
    return field_aad("customers_customerprofile", "birth_date", profile.pk)


def profile_birth_date(profile: CustomerProfile) -> date | None:
    if not profile.birth_date_encrypted:
        return None
    return date.fromisoformat(decrypt_value(profile.birth_date_encrypted, aad=_birth_date_aad(profile)))


def profile_age(profile: CustomerProfile, *, today: date | None = None) -> int | None:
    birth_date = profile_birth_date(profile)
    if birth_date is None:
        return None
    return validators.age_on(birth_date, today or timezone.localdate())


def birth_date_collected(organisation: Organisation) -> bool:
    """Private customers only, and only when the provider asks (PortalSettings.collect_birth_date)."""
    return organisation.kind == OrganisationKind.PRIVATE and PortalSettings.load().collect_birth_date


def billing_country(organisation: Organisation) -> str:
    """The country of the default billing address (else of the oldest billing address); "" if none."""
    address = (
        Address.objects.filter(organisation=organisation, purpose=AddressPurpose.BILLING)
        .order_by("-is_default", "created_at")
        .only("country")
        .first()
    )
    return address.country.code if address else ""


LANGUAGE_REGIONS = {"sv": "SE", "de": "DE"}


def phone_region(organisation: Organisation, language: str) -> str:
    """Where a number without a country code is read: the billing country, else the preferred language's."""
    return billing_country(organisation) or LANGUAGE_REGIONS.get(language, "")


def _profile_cleaners(
    organisation: Organisation, profile: CustomerProfile, data: Mapping[str, Any]
) -> dict[str, Any]:
    languages = {code for code, _label in settings.LANGUAGES}
    collected = birth_date_collected(organisation)

    def choice(allowed: set[str] | list[str], message: str) -> Any:
        def clean(value: Any) -> str:
            if value not in allowed:
                raise ValidationError(message)
            return str(value)

        return clean

    def birth_date(value: Any) -> date | None:
        if value is not None and not collected:
            raise ValidationError(_("The birth date is not collected for this customer."))
        return validators.clean_birth_date(value, today=timezone.localdate())

    return {
        "company_name": lambda value: validators.clean_text(value, max_length=200, required=True),
        "vat_number": validators.clean_vat_number,
        "email": validators.clean_email,
        "phone": lambda value: validators.clean_phone(
            value,
            region=phone_region(
                organisation, str(data.get("preferred_language") or profile.preferred_language)
            ),
        ),
        "website": validators.clean_website,
        "preferred_language": choice(languages, _("Choose one of the portal's languages.")),
        "contact_channel": choice(ContactChannel.values, _("Choose one of the contact channels.")),
        "birth_date": birth_date,
    }


def _profile_values(organisation: Organisation, profile: CustomerProfile) -> dict[str, Any]:
    return {
        "company_name": organisation.name,
        "vat_number": profile.vat_number,
        "email": profile.email,
        "phone": profile.phone,
        "website": profile.website,
        "preferred_language": profile.preferred_language,
        "contact_channel": profile.contact_channel,
        "birth_date": profile_birth_date(profile),
    }


def _masked(name: str, value: Any) -> str:
    """How a value appears in the change log and the audit trail: birth dates and IBANs never in clear."""
    if name == "birth_date":
        return MASKED if value else ""
    return text_value(value)


@transaction.atomic
def update_profile(
    *, actor: User, access: OrganisationAccess, data: Mapping[str, Any], request: HttpRequest | None = None
) -> SaveResult:
    """Change the fields in `data` (any of PROFILE_FIELDS). Locked fields become requests for customers."""
    require_editor(access)
    organisation = lock_organisation(access)
    profile = CustomerProfile.objects.select_for_update().filter(organisation=organisation).first()
    profile = profile or CustomerProfile(organisation=organisation)
    cleaned, errors = clean_fields(_profile_cleaners(organisation, profile, data), data)
    if errors:
        raise ValidationError(errors)
    current = _profile_values(organisation, profile)
    changed = {name: value for name, value in cleaned.items() if value != current[name]}
    locked = fields_locked_for(access)
    requested = {
        name: changed.pop(name) for name in ("company_name", "vat_number") if locked and name in changed
    }
    refuse_second_requests(organisation, list(requested))

    result = SaveResult(changed=list(changed))
    records = [(name, _masked(name, current[name]), _masked(name, value)) for name, value in changed.items()]
    if "company_name" in changed:
        organisation.name = changed.pop("company_name")
        organisation.save(update_fields=["name"])
        record_changes(
            actor=actor,
            organisation=organisation,
            subject="organisation",
            subject_id=organisation.pk,
            changes=[r for r in records if r[0] == "company_name"],
        )
    if changed:
        for name, value in changed.items():
            if name == "birth_date":
                profile.birth_date_encrypted = (
                    encrypt_value(value.isoformat(), aad=_birth_date_aad(profile)) if value else ""
                )
            else:
                setattr(profile, name, value)
        profile.save()
        record_changes(
            actor=actor,
            organisation=organisation,
            subject="profile",
            subject_id=profile.pk,
            changes=[r for r in records if r[0] != "company_name"],
        )
    if records:
        record_event(
            Action.PROFILE_CHANGED,
            actor=actor,
            organisation=organisation,
            target=organisation,
            request=request,
            changes=audit_changes(records),
        )
    for name, value in requested.items():
        result.requests.append(
            create_change_request(
                actor=actor,
                organisation=organisation,
                locked_field=name,
                current=text_value(current[name]),
                requested=text_value(value),
                request=request,
            )
        )
    return result

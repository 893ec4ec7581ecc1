"""Who sees and who changes a customer's own data (profile, addresses, payment methods, change requests).

Built on organisations.access, the single tenancy policy: everyone who sees an organisation reads its data
(payment methods masked); customer admins and the provider's staff for it change it; members and viewers
only read. Deciding on change requests is for staff. Not visible and not existing look the same (404)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from kundportal.customers.models import Address, ChangeRequest, PaymentMethod
from kundportal.organisations.access import (
    OrganisationAccess,
    get_organisation_for_user,
    organisation_access,
    parse_uuid,
)
from kundportal.organisations.models import CustomerRole, Organisation

if TYPE_CHECKING:
    from kundportal.accounts.models import User


def can_edit_customer_data(access: OrganisationAccess) -> bool:
    """Customer admins and provider staff keep the data current; members and viewers read it."""
    return access.staff or access.customer_role == CustomerRole.ADMIN


def get_customer_data_for_user(
    user: User, organisation_id: UUID | str, *, write: bool = False
) -> OrganisationAccess:
    access = get_organisation_for_user(user, organisation_id)
    if write and not can_edit_customer_data(access):
        raise PermissionDenied
    return access


def _visible(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    return queryset.filter(organisation__in=Organisation.objects.visible_to(user))


def visible_addresses(user: Any) -> QuerySet[Address]:
    return _visible(Address.objects.all(), user)


def visible_payment_methods(user: Any) -> QuerySet[PaymentMethod]:
    return _visible(PaymentMethod.objects.all(), user)


def visible_change_requests(user: Any) -> QuerySet[ChangeRequest]:
    return _visible(ChangeRequest.objects.all(), user)


def _get(
    queryset: QuerySet[Any], user: User, object_id: UUID | str, *, write: bool
) -> tuple[Any, OrganisationAccess]:
    found = queryset.select_related("organisation").filter(pk=parse_uuid(object_id)).first()
    if found is None:
        raise Http404
    access = organisation_access(user, found.organisation)
    if write and not can_edit_customer_data(access):
        raise PermissionDenied
    return found, access


def get_address_for_user(
    user: User, address_id: UUID | str, *, write: bool = False
) -> tuple[Address, OrganisationAccess]:
    return _get(visible_addresses(user), user, address_id, write=write)


def get_payment_method_for_user(
    user: User, payment_method_id: UUID | str, *, write: bool = False
) -> tuple[PaymentMethod, OrganisationAccess]:
    return _get(visible_payment_methods(user), user, payment_method_id, write=write)


def get_change_request_for_user(
    user: User, change_request_id: UUID | str, *, decide: bool = False, write: bool = False
) -> tuple[ChangeRequest, OrganisationAccess]:
    """A change request of an organisation the user sees; `decide`: only the provider's staff (403 else);
    `write`: only who may edit the customer's data (403 else)."""
    change_request, access = _get(visible_change_requests(user), user, change_request_id, write=write)
    if decide and not access.staff:
        raise PermissionDenied
    return change_request, access

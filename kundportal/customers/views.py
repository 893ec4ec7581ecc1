"""The customer's "Our data" pages and staff's list of change requests: parse, check access (access.py), call the
service, render. The API (api.py) calls the same services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.customers import addresses, change_requests, payment_methods, services, summary
from kundportal.customers.access import (
    get_address_for_user,
    get_change_request_for_user,
    get_customer_data_for_user,
    get_payment_method_for_user,
    visible_change_requests,
)
from kundportal.customers.forms import (
    AddressForm,
    DecisionForm,
    PaymentMethodForm,
    ProfileForm,
    add_service_errors,
)
from kundportal.customers.models import AddressPurpose, LockedField, RequestStatus
from kundportal.organisations.access import OrganisationAccess, require_provider_staff
from kundportal.organisations.models import Organisation, OrganisationKind

CHANGES_PER_PAGE = 50
REQUESTS_PER_PAGE = 50
LANGUAGE_COUNTRIES = {"sv": "SE", "de": "DE"}


def _report_requests(request: HttpRequest, result: services.SaveResult) -> None:
    for change_request in result.requests:
        messages.info(
            request,
            _(
                "Your change of the %(field)s was sent to your account manager for approval. "
                "You see its state under “Our data”."
            )
            % {"field": str(LockedField(change_request.field).label).lower()},
        )


def _back(access: OrganisationAccess) -> HttpResponse:
    return redirect("customer_data", organisation_id=access.organisation.pk)


@login_required
def customer_data_home(request: HttpRequest) -> HttpResponse:
    """The "Our data" navigation item: the customer's organisation (or the list, for several)."""
    only = list(Organisation.objects.visible_to(request.user).values_list("pk", flat=True)[:2])
    if len(only) == 1:
        return redirect("customer_data", organisation_id=only[0])
    return redirect("organisation_list")


@login_required
def customer_data(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_customer_data_for_user(request.user, organisation_id)
    context = {"access": access, "organisation": access.organisation, "data": summary.customer_data(access)}
    return render(request, "customers/data.html", context)


@login_required
def customer_changes(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_customer_data_for_user(request.user, organisation_id)
    page = Paginator(summary.changes_of(access), CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "access": access,
        "organisation": access.organisation,
        "page": page,
        "rows": summary.change_rows(page.object_list),
        "paging_query": "",
    }
    return render(request, "customers/changes.html", context)


@login_required
def profile_edit(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_customer_data_for_user(request.user, organisation_id, write=True)
    organisation = access.organisation
    profile = services.profile_of(organisation)
    options = {
        "collect_birth_date": services.birth_date_collected(organisation),
        "locked": services.fields_locked_for(access),
        "private": organisation.kind == OrganisationKind.PRIVATE,
    }
    if request.method == "POST":
        form = ProfileForm(request.POST, **options)
        if form.is_valid():
            try:
                result = services.update_profile(
                    actor=request.user, access=access, data=form.cleaned_data, request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if result.changed or not result.requests:
                    messages.success(request, _("Your details were saved."))
                _report_requests(request, result)
                return _back(access)
    else:
        form = ProfileForm(initial=summary.profile_initial(profile, organisation), **options)
    return render(
        request, "customers/profile_form.html", {"access": access, "organisation": organisation, "form": form}
    )


def _address_form(request: HttpRequest, *, new: bool, initial: dict[str, Any]) -> AddressForm:
    """The form for the country chosen; "Update the fields" (or the script on a country change) only relabels."""
    if request.method == "POST" and "refresh" not in request.POST:
        return AddressForm(request.POST, country=request.POST.get("country", ""), new=new)
    values = {**initial, **request.POST.dict()} if request.method == "POST" else initial
    form = AddressForm(initial=values, country=values.get("country", ""), new=new)
    if request.method == "POST":
        # The page was loaded again for the new country: carry on where the person was.
        form.fields["country"].widget.attrs["autofocus"] = True
    return form


def _render_address(
    request: HttpRequest, access: OrganisationAccess, form: AddressForm, **extra: Any
) -> HttpResponse:
    context = {"access": access, "organisation": access.organisation, "form": form, **extra}
    return render(request, "customers/address_form.html", context)


@login_required
def address_create(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_customer_data_for_user(request.user, organisation_id, write=True)
    country = request.GET.get("country") or services.billing_country(access.organisation)
    initial = {
        "purpose": request.GET.get("purpose", AddressPurpose.BILLING),
        "country": (country or LANGUAGE_COUNTRIES.get(translation.get_language() or "", "")).upper(),
    }
    form = _address_form(request, new=True, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            addresses.create_address(
                actor=request.user,
                access=access,
                purpose=form.cleaned_data["purpose"],
                data=form.service_data(),
                make_default=form.cleaned_data.get("is_default", False),
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The address was added."))
            return _back(access)
    return _render_address(request, access, form, address=None)


@login_required
def address_edit(request: HttpRequest, address_id: str) -> HttpResponse:
    address, access = get_address_for_user(request.user, address_id, write=True)
    initial = {**addresses.address_values(address), "purpose": address.purpose}
    form = _address_form(request, new=False, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            result = addresses.update_address(
                actor=request.user,
                access=access,
                address=address,
                data={"purpose": form.cleaned_data["purpose"], **form.service_data()},
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not result.requests:
                messages.success(request, _("The address was saved."))
            _report_requests(request, result)
            return _back(access)
    return _render_address(request, access, form, address=address)


@login_required
@require_POST
def address_default(request: HttpRequest, address_id: str) -> HttpResponse:
    address, access = get_address_for_user(request.user, address_id, write=True)
    try:
        addresses.make_default_address(actor=request.user, access=access, address=address, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("This is now your default %(use)s address.") % {"use": address.get_purpose_display().lower()},
        )
    return _back(access)


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: str) -> HttpResponse:
    address, access = get_address_for_user(request.user, address_id, write=True)
    try:
        was_default = addresses.delete_address(
            actor=request.user, access=access, address=address, request=request
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The address was deleted."))
        if was_default:
            messages.warning(
                request,
                _("It was your default %(use)s address: none is the default now. Choose one below.")
                % {"use": address.get_purpose_display().lower()},
            )
    return _back(access)


@login_required
def payment_method_create(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_customer_data_for_user(request.user, organisation_id, write=True)
    form = PaymentMethodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = payment_methods.add_payment_method(
                actor=request.user,
                access=access,
                kind=form.cleaned_data["kind"],
                data=form.service_data(),
                make_default=form.cleaned_data["is_default"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(method)s was added.") % {"method": method.masked})
            return _back(access)
    context = {"access": access, "organisation": access.organisation, "form": form}
    return render(request, "customers/payment_method_form.html", context)


@login_required
@require_POST
def payment_method_default(request: HttpRequest, payment_method_id: str) -> HttpResponse:
    method, access = get_payment_method_for_user(request.user, payment_method_id, write=True)
    payment_methods.make_default_payment_method(
        actor=request.user, access=access, method=method, request=request
    )
    messages.success(request, _("%(method)s is now your default payment method.") % {"method": method.masked})
    return _back(access)


@login_required
@require_POST
def payment_method_delete(request: HttpRequest, payment_method_id: str) -> HttpResponse:
    method, access = get_payment_method_for_user(request.user, payment_method_id, write=True)
    was_default = payment_methods.delete_payment_method(
        actor=request.user, access=access, method=method, request=request
    )
    messages.success(request, _("%(method)s was removed.") % {"method": method.masked})
    if was_default:
        messages.warning(
            request,
            _(
                "It was your default payment method: you have no default payment method now. Choose one below."
            ),
        )
    return _back(access)


@login_required
def change_request_list(request: HttpRequest) -> HttpResponse:
    """Staff: the requests of the customers they look after, the open ones first."""
    require_provider_staff(request.user)
    status = request.GET.get("status", RequestStatus.PENDING)
    requests = visible_change_requests(request.user).select_related(
        "organisation", "requested_by", "decided_by"
    )
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    page = Paginator(
        requests.order_by("created_at" if status == RequestStatus.PENDING else "-created_at"),
        REQUESTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    for change_request in page.object_list:
        change_request.requested_label = summary.request_label(change_request)  # type: ignore[attr-defined]
        change_request.current_label = summary.current_label(change_request)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "status": status,
        "statuses": [
            (RequestStatus.PENDING, RequestStatus.PENDING.label),
            (RequestStatus.APPROVED, RequestStatus.APPROVED.label),
            (RequestStatus.REJECTED, RequestStatus.REJECTED.label),
            (RequestStatus.WITHDRAWN, RequestStatus.WITHDRAWN.label),
            ("all", _("All")),
        ],
        "paging_query": urlencode({"status": status}),
    }
    return render(request, "customers/change_requests.html", context)


@login_required
@require_POST
def change_request_withdraw(request: HttpRequest, change_request_id: str) -> HttpResponse:
    change_request, access = get_change_request_for_user(request.user, change_request_id, write=True)
    try:
        change_requests.withdraw_change_request(
            actor=request.user, access=access, change_request=change_request, request=request
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Request withdrawn: the field keeps its current value."))
    return _back(access)


@login_required
@require_POST
def change_request_decide(request: HttpRequest, change_request_id: str) -> HttpResponse:
    change_request, access = get_change_request_for_user(request.user, change_request_id, decide=True)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            change_requests.decide_change_request(
                actor=request.user,
                change_request=change_request,
                approve=approve,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                (
                    _("Approved: the change of %(organisation)s is applied.")
                    if approve
                    else _("Rejected: %(organisation)s sees your reason.")
                )
                % {"organisation": access.organisation.name},
            )
    else:
        messages.error(request, _("Choose to approve or to reject."))
    if request.POST.get("return_to") == "data":
        return _back(access)
    return redirect("change_requests")

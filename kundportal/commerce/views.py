"""Order pages: the purchase history with its summary, one order, its invoice, "buy again", and the staff's
actions (enter an order, move it on, issue the invoice). Parse, check access, call the service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce import invoices, services
from kundportal.commerce.access import (
    can_reorder,
    get_order_for_reorder,
    get_order_for_user,
    require_order_creator,
)
from kundportal.commerce.forms import (
    OrderFilterForm,
    OrderForm,
    OrderLineFormSet,
    ReorderForm,
    StatusForm,
    report,
)
from kundportal.commerce.history import (
    OrderFilter,
    order_history,
    order_summary,
    visible_history,
)
from kundportal.commerce.models import OrderStatus
from kundportal.commerce.summary import summary_context
from kundportal.messaging.listing import object_threads
from kundportal.organisations.access import (
    OrganisationAccess,
    get_organisation_for_user,
    is_provider_staff,
    organisation_access,
)
from kundportal.organisations.models import Organisation
from kundportal.recommendations.services import history_recommendations

ORDERS_PER_PAGE = 25


def _history_page(request: HttpRequest, access: OrganisationAccess | None) -> HttpResponse:
    organisation = access.organisation if access else None
    orders = visible_history(request.user, organisation)
    form = OrderFilterForm(request.GET)
    form.is_valid()  # an invalid filter is shown with its error; the valid ones still apply
    data = form.cleaned_data
    filters = OrderFilter(
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        status=data.get("status") or "",
        product_text=(data.get("product") or "").strip(),
    )
    page = Paginator(order_history(orders, filters), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    filtered = any(request.GET.get(name) for name in form.fields)
    context = {
        "access": access,
        "organisation": organisation,
        "form": form,
        "page": page,
        "filtered": filtered,
        "paging_query": urlencode({name: request.GET.get(name, "") for name in form.fields}),
        "show_organisation": organisation is None
        and (
            is_provider_staff(request.user)
            or len(Organisation.objects.visible_to(request.user).values_list("pk", flat=True)[:2]) > 1
        ),
        **summary_context(order_summary(orders)),
        "recommendations": history_recommendations(request.user, organisation),
    }
    return render(request, "commerce/order_list.html", context)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """The "Orders" navigation item: every order the user sees, in all their organisations."""
    return _history_page(request, None)


@login_required
def organisation_orders(request: HttpRequest, organisation_id: str) -> HttpResponse:
    return _history_page(request, get_organisation_for_user(request.user, organisation_id))


@login_required
def order_detail(request: HttpRequest, order_id: str) -> HttpResponse:
    order = get_order_for_user(request.user, order_id)
    access = organisation_access(request.user, order.organisation)
    if access.staff:  # staff access to customer data: the customer sees it under "Who accessed my data"
        record_event(
            Action.ORDER_VIEWED,
            actor=request.user,
            organisation=order.organisation,
            target=order,
            request=request,
        )
    context = {
        "order": order,
        "access": access,
        "organisation": order.organisation,
        "lines": order.lines.all(),
        "history": order.status_changes.select_related("actor"),
        "reorder_form": ReorderForm() if can_reorder(access) else None,
        "status_form": StatusForm(current=order.status) if access.staff else None,
        "can_invoice": access.staff and order.invoice_id is None and order.can_become(OrderStatus.INVOICED),
        "reorders": order.reorder_requests.select_related("requested_by") if access.staff else [],
        **object_threads(request.user, order=order, can_start=access.can_write, start={"order": order.pk}),
    }
    return render(request, "commerce/order_detail.html", context)


@login_required
def order_invoice(request: HttpRequest, order_id: str) -> HttpResponse:
    """The invoice, for whoever sees the order: the order's visibility decides, not the invoice folder's."""
    return invoices.invoice_response(request, get_order_for_user(request.user, order_id))


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def order_status(request: HttpRequest, order_id: str) -> HttpResponse:
    order = get_order_for_user(request.user, order_id, manage=True)
    # The page offers only the possible steps; the service decides, and says why a step is impossible.
    try:
        order = services.change_order_status(
            actor=request.user,
            order=order,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
            request=request,
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request,
            _("Order %(number)s is now %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    return redirect("order_detail", order_id=order.pk)


@login_required
@require_POST
def order_issue_invoice(request: HttpRequest, order_id: str) -> HttpResponse:
    order = get_order_for_user(request.user, order_id, manage=True)
    try:
        order = invoices.issue_invoice(actor=request.user, order=order, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request,
            _("Invoice %(number)s was issued. The customer finds it with the order.")
            % {"number": order.invoice_number},
        )
    return redirect("order_detail", order_id=order.pk)


@login_required
@require_POST
def order_reorder(request: HttpRequest, order_id: str) -> HttpResponse:
    order, access = get_order_for_reorder(request.user, order_id)
    form = ReorderForm(request.POST)
    if not form.is_valid():
        _report(request, ValidationError(form.errors))
        return redirect("order_detail", order_id=order.pk)
    try:
        _request, new = services.request_reorder(
            actor=request.user,
            order=order,
            access=access,
            message=form.cleaned_data["message"],
            request=request,
        )
    except ValidationError as error:
        _report(request, error)
    else:
        if new:
            messages.success(
                request, _("Your account manager was asked to repeat this order and will contact you.")
            )
        else:
            messages.info(
                request, _("You asked for this order again today already: your account manager has it.")
            )
    return redirect("order_detail", order_id=order.pk)


@login_required
def order_create(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id)
    require_order_creator(access)
    people = User.objects.filter(memberships__organisation=access.organisation).order_by("full_name", "email")
    form = OrderForm(request.POST or None, people=people)
    lines = OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            order = services.create_order(
                actor=request.user,
                access=access,
                lines=lines.lines(),
                placed_by=form.cleaned_data["placed_by"],
                request=request,
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("Order %(number)s was created.") % {"number": order.number})
            return redirect("order_detail", order_id=order.pk)
    context = {
        "access": access,
        "organisation": access.organisation,
        "form": form,
        "lines": lines,
        "products": services.orderable_products(),
    }
    invalid = request.method == "POST" and (form.errors or lines.total_error_count())
    return render(request, "commerce/order_create.html", context, status=400 if invalid else 200)

"""The provider's customer pages: the customer list (with its CSV export) and the 360° view of one customer.
Staff only; customers are not told these pages exist (404). The queries are in customers.queries."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language

from kundportal.customers import queries
from kundportal.customers.staff_forms import SORT_LABELS, CustomerFilterForm, billing_countries
from kundportal.messaging.listing import object_threads
from kundportal.organisations.access import require_provider_staff

PER_PAGE = 50

# The list's column headers that sort, with the sort each one applies first (a second click reverses it).
SORTABLE = {"name": "name", "country": "country", "orders": "-order_count", "last": "-last_purchase"}


def _filter_form(request: HttpRequest) -> CustomerFilterForm:
    form = CustomerFilterForm(
        request.GET, countries_in_use=billing_countries(), language=get_language() or "en"
    )
    form.is_valid()  # the valid filters apply; the others are shown as errors next to their field
    return form


def _query(request: HttpRequest, **changes: str) -> str:
    """The current query string with some parameters changed (and the page reset)."""
    params = {key: value for key, value in request.GET.items() if key != "page" and value}
    params.update(changes)
    return urlencode(params)


def _sort_links(request: HttpRequest, current: str) -> dict[str, dict[str, str]]:
    links = {}
    for column, first in SORTABLE.items():
        active = current.lstrip("-") == first.lstrip("-")
        next_sort = (first[1:] if first.startswith("-") else f"-{first}") if current == first else first
        direction = "" if not active else ("descending" if current.startswith("-") else "ascending")
        links[column] = {"query": _query(request, sort=next_sort), "aria_sort": direction}
    return links


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    require_provider_staff(request.user)
    form = _filter_form(request)
    filters = form.filters()
    page = Paginator(queries.CustomerPage(request.user, filters), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "paging_query": _query(request),
        "sort_links": _sort_links(request, filters.sort),
        "sort_label": SORT_LABELS.get(filters.sort, ""),
        "filtered": bool(filters.as_audit_data()),
    }
    return render(request, "customers/staff/list.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def customer_list_csv(request: HttpRequest) -> HttpResponse:
    require_provider_staff(request.user)
    filters = _filter_form(request).filters()
    rows = queries.customer_rows(request.user, filters)
    queries.record_export(actor=request.user, filters=filters, count=rows.count(), request=request)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in queries.csv_rows(rows)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response


@login_required
def customer_360(request: HttpRequest, organisation_id: str) -> HttpResponse:
    summary = queries.view_customer(
        actor=request.user, organisation_id=organisation_id, language=get_language() or "en", request=request
    )
    organisation = summary.organisation
    context = {
        "summary": summary,
        "organisation": organisation,
        **object_threads(
            request.user, organisation=organisation, can_start=True, start={"organisation": organisation.pk}
        ),
    }
    return render(request, "customers/staff/customer.html", context)

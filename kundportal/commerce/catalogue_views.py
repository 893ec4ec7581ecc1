"""The catalogue pages under /catalogue/: provider staff read, provider admins change; customers are not told
the pages exist. Parse, check access (access.py), call the service (services.py), render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.commerce import catalogue as services
from kundportal.commerce.access import (
    get_product_category_for_user,
    get_product_for_user,
    require_catalogue_manager,
    visible_product_categories,
    visible_products,
)
from kundportal.commerce.forms import CategoryForm, ProductForm, report
from kundportal.commerce.models import Product, ProductCategory
from kundportal.organisations.access import is_provider_admin, require_provider_staff

PRODUCTS_PER_PAGE = 50
ACTIVE_FILTERS = {"active": True, "inactive": False}


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    require_provider_staff(request.user)
    products = visible_products(request.user).select_related("category").order_by("name", "sku")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        products = products.filter(Q(name__icontains=query) | Q(sku__icontains=query))
    state = request.GET.get("state", "")
    if state in ACTIVE_FILTERS:
        products = products.filter(active=ACTIVE_FILTERS[state])
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "state": state,
        "paging_query": urlencode({"q": query, "state": state}),
        "can_manage": is_provider_admin(request.user),
        "has_products": bool(page.object_list) or Product.objects.exists(),
    }
    return render(request, "commerce/product_list.html", context)


def _product_page(request: HttpRequest, form: ProductForm, product: Product | None = None) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return render(request, "commerce/product_edit.html", {"form": form, "product": product}, status=status)


@login_required
def product_create(request: HttpRequest) -> HttpResponse:
    require_catalogue_manager(request.user)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(
                actor=request.user, data=form.data_for_service(), request=request
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("The product %(name)s was added.") % {"name": product})
            return redirect("product_list")
    return _product_page(request, form)


@login_required
def product_edit(request: HttpRequest, product_id: str) -> HttpResponse:
    require_catalogue_manager(request.user)
    product = get_product_for_user(request.user, product_id, manage=True)
    form = ProductForm(request.POST or None, initial=ProductForm.initial_for(product))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_product(
                actor=request.user, product=product, data=form.data_for_service(), request=request
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("The product %(name)s was saved.") % {"name": product})
            return redirect("product_list")
    return _product_page(request, form, product)


def _set_active(request: HttpRequest, product_id: str, *, active: bool) -> HttpResponse:
    require_catalogue_manager(request.user)
    product = get_product_for_user(request.user, product_id, manage=True)
    services.set_product_active(actor=request.user, product=product, active=active, request=request)
    if active:
        messages.success(request, _("%(name)s can be ordered again.") % {"name": product})
    else:
        messages.success(
            request,
            _("%(name)s is deactivated: it stays on past orders but cannot be ordered.") % {"name": product},
        )
    return redirect("product_edit", product_id=product.pk)


@login_required
@require_POST
def product_deactivate(request: HttpRequest, product_id: str) -> HttpResponse:
    return _set_active(request, product_id, active=False)


@login_required
@require_POST
def product_activate(request: HttpRequest, product_id: str) -> HttpResponse:
    return _set_active(request, product_id, active=True)


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    require_provider_staff(request.user)
    categories = (
        visible_product_categories(request.user)
        .annotate(product_count=Count("products", distinct=True))
        .prefetch_related("interest_categories")
        .order_by("name")
    )
    context = {"categories": categories, "can_manage": is_provider_admin(request.user)}
    return render(request, "commerce/category_list.html", context)


def _category_page(
    request: HttpRequest, form: CategoryForm, category: ProductCategory | None = None
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return render(request, "commerce/category_edit.html", {"form": form, "category": category}, status=status)


@login_required
def category_create(request: HttpRequest) -> HttpResponse:
    return _category_form(request, None)


@login_required
def category_edit(request: HttpRequest, product_category_id: str) -> HttpResponse:
    require_catalogue_manager(request.user)
    return _category_form(
        request, get_product_category_for_user(request.user, product_category_id, manage=True)
    )


def _category_form(request: HttpRequest, category: ProductCategory | None) -> HttpResponse:
    require_catalogue_manager(request.user)
    initial = {}
    if category is not None:
        initial = {"name": category.name, "interest_categories": list(category.interest_categories.all())}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_product_category(
                actor=request.user,
                category=category,
                name=form.cleaned_data["name"],
                interest_categories=list(form.cleaned_data["interest_categories"]),
                request=request,
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("The category %(name)s was saved.") % {"name": saved.name})
            return redirect("category_list")
    return _category_page(request, form, category)

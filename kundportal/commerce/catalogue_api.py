"""API: the provider's catalogue, products and product categories. Staff read it, provider admins change it
(the same services as the catalogue pages); customers list the active products only, and never see the
categories. Mounted by commerce.api's router."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kundportal.commerce import catalogue as services
from kundportal.commerce.access import (
    get_product_category_for_user,
    get_product_for_user,
    require_catalogue_manager,
    visible_product_categories,
    visible_products,
)
from kundportal.commerce.catalogue import ProductData
from kundportal.commerce.models import Product, ProductCategory
from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.customers.models import InterestCategory

router = Router(tags=["catalogue"])


class ProductOut(Schema):
    id: UUID
    sku: str
    external_id: str | None
    name: str
    description: str
    category_id: UUID | None
    category: str | None
    interest_categories: list[str]
    price: Decimal
    currency: str
    active: bool
    one_off: bool
    created_at: datetime

    @staticmethod
    def resolve_category(obj: Product) -> str | None:
        return obj.category.name if obj.category else None

    @staticmethod
    def resolve_interest_categories(obj: Product) -> list[str]:
        return sorted(interest.slug for interest in obj.interest_categories.all())


class ProductIn(InputSchema):
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    price: Decimal = Field(description="More than zero, at most two decimals")
    currency: str = Field(max_length=3, description="ISO 4217: SEK, EUR, CHF, NOK, DKK, GBP or USD")
    category_id: UUID | None = None
    interest_categories: list[str] = Field(default=[], description="Slugs of interest categories")
    active: bool = True
    one_off: bool = False


class ProductPatchIn(InputSchema):
    """A partial update: a field left out keeps its value."""

    sku: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price: Decimal | None = None
    currency: str | None = Field(default=None, max_length=3)
    category_id: UUID | None = None
    interest_categories: list[str] | None = None
    active: bool | None = None
    one_off: bool | None = None


class ProductFilter(Schema):
    q: str = Field(default="", max_length=100, description="Part of the name or SKU")
    active: bool | None = None
    category_id: UUID | None = None


class CategoryOut(Schema):
    id: UUID
    name: str
    interest_categories: list[str]
    product_count: int = 0

    @staticmethod
    def resolve_interest_categories(obj: ProductCategory) -> list[str]:
        return sorted(interest.slug for interest in obj.interest_categories.all())


class CategoryIn(InputSchema):
    name: str = Field(max_length=100)
    interest_categories: list[str] = Field(default=[], description="Slugs of interest categories")


class CategoryPatchIn(InputSchema):
    name: str | None = Field(default=None, max_length=100)
    interest_categories: list[str] | None = None


def _interests(slugs: list[str], field: str = "interest_categories") -> list[InterestCategory]:
    wanted = set(slugs)
    found = list(InterestCategory.objects.filter(slug__in=wanted))
    missing = wanted - {interest.slug for interest in found}
    if missing:
        raise ValidationError(
            {field: [_("Unknown interest categories: %(slugs)s.") % {"slugs": ", ".join(sorted(missing))}]}
        )
    return found


def _category(request: HttpRequest, category_id: UUID | None) -> ProductCategory | None:
    if category_id is None:
        return None
    category = visible_product_categories(request.user).filter(pk=category_id).first()
    if category is None:
        raise ValidationError({"category_id": [_("Choose one of the product categories.")]})
    return category


def _product(product: Product) -> Product:
    return (
        Product.objects.select_related("category").prefetch_related("interest_categories").get(pk=product.pk)
    )


@router.get("/products", response=list[ProductOut], summary="Products (customers: the active ones)")
@paginate(BoundedLimitOffsetPagination)
def list_products(request: HttpRequest, filters: Query[ProductFilter]) -> object:
    products = (
        visible_products(request.user)
        .select_related("category")
        .prefetch_related("interest_categories")
        .order_by("name", "sku")
    )
    if filters.q.strip():
        term = filters.q.strip()
        products = products.filter(Q(name__icontains=term) | Q(sku__icontains=term))
    if filters.active is not None:
        products = products.filter(active=filters.active)
    if filters.category_id is not None:
        products = products.filter(category_id=filters.category_id)
    return products


@router.post("/products", response={201: ProductOut}, summary="Add a product (provider admins)")
def create_product(request: HttpRequest, payload: ProductIn) -> Status:
    require_catalogue_manager(request.user)
    data = ProductData(
        sku=payload.sku,
        name=payload.name,
        description=payload.description,
        price=payload.price,
        currency=payload.currency,
        category=_category(request, payload.category_id),
        interest_categories=_interests(payload.interest_categories),
        active=payload.active,
        one_off=payload.one_off,
    )
    product = services.create_product(actor=request.user, data=data, request=request)
    return Status(201, _product(product))


@router.get("/products/{product_id}", response=ProductOut)
def get_product(request: HttpRequest, product_id: UUID) -> Product:
    return get_product_for_user(request.user, product_id)


@router.patch("/products/{product_id}", response=ProductOut, summary="Change a product (provider admins)")
def update_product(request: HttpRequest, product_id: UUID, payload: ProductPatchIn) -> Product:
    product = get_product_for_user(request.user, product_id, manage=True)
    given = payload.model_fields_set

    def pick(name: str, current: object) -> object:
        value = getattr(payload, name)
        return value if name in given and value is not None else current

    data = ProductData(
        sku=pick("sku", product.sku),  # type: ignore[arg-type]
        name=pick("name", product.name),  # type: ignore[arg-type]
        description=pick("description", product.description),  # type: ignore[arg-type]
        price=pick("price", product.price),  # type: ignore[arg-type]
        currency=pick("currency", product.currency),  # type: ignore[arg-type]
        category=_category(request, payload.category_id) if "category_id" in given else product.category,
        interest_categories=_interests(payload.interest_categories)
        if payload.interest_categories is not None
        else list(product.interest_categories.all()),
        active=pick("active", product.active),  # type: ignore[arg-type]
        one_off=pick("one_off", product.one_off),  # type: ignore[arg-type]
    )
    return _product(services.update_product(actor=request.user, product=product, data=data, request=request))


@router.delete(
    "/products/{product_id}",
    response={204: None},
    summary="Deactivate a product (provider admins): it stays on past orders and can no longer be ordered",
)
def deactivate_product(request: HttpRequest, product_id: UUID) -> Status:
    product = get_product_for_user(request.user, product_id, manage=True)
    services.set_product_active(actor=request.user, product=product, active=False, request=request)
    return Status(204, None)


@router.get("/product-categories", response=list[CategoryOut], summary="Product categories (staff)")
@paginate(BoundedLimitOffsetPagination)
def list_categories(request: HttpRequest) -> object:
    return (
        visible_product_categories(request.user)
        .annotate(product_count=Count("products", distinct=True))
        .prefetch_related("interest_categories")
        .order_by("name")
    )


@router.post("/product-categories", response={201: CategoryOut}, summary="Add a product category")
def create_category(request: HttpRequest, payload: CategoryIn) -> Status:
    require_catalogue_manager(request.user)
    category = services.save_product_category(
        actor=request.user,
        name=payload.name,
        interest_categories=_interests(payload.interest_categories),
        request=request,
    )
    return Status(201, category)


@router.get("/product-categories/{product_category_id}", response=CategoryOut)
def get_category(request: HttpRequest, product_category_id: UUID) -> ProductCategory:
    category = get_product_category_for_user(request.user, product_category_id)
    category.product_count = category.products.count()  # type: ignore[attr-defined]
    return category


@router.patch(
    "/product-categories/{product_category_id}", response=CategoryOut, summary="Change a product category"
)
def update_category(
    request: HttpRequest, product_category_id: UUID, payload: CategoryPatchIn
) -> ProductCategory:
    category = get_product_category_for_user(request.user, product_category_id, manage=True)
    interests = (
        _interests(payload.interest_categories)
        if payload.interest_categories is not None
        else list(category.interest_categories.all())
    )
    category = services.save_product_category(
        actor=request.user,
        category=category,
        name=payload.name if payload.name is not None else category.name,
        interest_categories=interests,
        request=request,
    )
    category.product_count = category.products.count()  # type: ignore[attr-defined]
    return category

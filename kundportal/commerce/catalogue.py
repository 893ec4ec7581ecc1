"""Use cases of the provider's catalogue: products and their categories, linked to interest categories.
Provider admins change them (pages and API call these); nothing is ever deleted, products are deactivated."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce.models import Product, ProductCategory
from kundportal.commerce.services import (
    FieldErrors,
    clean_currency,
    clean_price,
    clean_sku,
    clean_text,
)
from kundportal.customers.models import InterestCategory
from kundportal.organisations.access import is_provider_admin


def _require_admin(actor: User) -> None:
    if not is_provider_admin(actor):
        raise PermissionDenied


@dataclass(frozen=True)
class ProductData:
    """What a product form or API body sends, before it is checked."""

    sku: str
    name: str
    price: Decimal | str
    currency: str
    description: str = ""
    category: ProductCategory | None = None
    interest_categories: Sequence[InterestCategory] = ()
    active: bool = True
    one_off: bool = False


def _clean_product(data: ProductData, product: Product | None) -> dict[str, Any]:
    errors = FieldErrors()
    values: dict[str, Any] = {"active": bool(data.active), "one_off": bool(data.one_off)}
    checks = {
        "sku": lambda: clean_sku(data.sku),
        "name": lambda: clean_text(data.name, max_length=200, required=True, markup=False),
        "description": lambda: clean_text(data.description, max_length=5000),
        "price": lambda: clean_price(data.price),
        "currency": lambda: clean_currency(data.currency),
    }
    for field, check in checks.items():
        try:
            values[field] = check()
        except ValidationError as error:
            for message in error.messages:
                errors.add(field, message)
    sku = values.get("sku")
    if sku:
        taken = Product.objects.filter(sku__iexact=sku)
        if product is not None:
            taken = taken.exclude(pk=product.pk)
        if taken.exists():
            errors.add("sku", _("Another product has the SKU %(sku)s already.") % {"sku": sku})
    errors.done()
    values["category"] = data.category
    return values


def _product_snapshot(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": str(product.price),
        "currency": product.currency,
        "active": product.active,
        "one_off": product.one_off,
        "category": product.category.name if product.category else "",
        "interest_categories": sorted(product.interest_categories.values_list("slug", flat=True)),
    }


def _save_product(product: Product, values: dict[str, Any], interests: Iterable[InterestCategory]) -> None:
    for field, value in values.items():
        setattr(product, field, value)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        # Two admins saving the same SKU at once: the database's unique index decides.
        raise ValidationError(
            {"sku": [_("Another product has the SKU %(sku)s already.") % {"sku": product.sku}]}
        ) from None
    product.interest_categories.set(list(interests))


@transaction.atomic
def create_product(*, actor: User, data: ProductData, request: HttpRequest | None = None) -> Product:
    _require_admin(actor)
    values = _clean_product(data, None)
    product = Product()
    _save_product(product, values, data.interest_categories)
    record_event(
        Action.PRODUCT_CHANGED,
        actor=actor,
        target=product,
        request=request,
        created=_product_snapshot(product),
    )
    return product


@transaction.atomic
def update_product(
    *, actor: User, product: Product, data: ProductData, request: HttpRequest | None = None
) -> Product:
    _require_admin(actor)
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the category.
    product = Product.objects.select_for_update(of=("self",)).select_related("category").get(pk=product.pk)
    before = _product_snapshot(product)
    values = _clean_product(data, product)
    _save_product(product, values, data.interest_categories)
    after = _product_snapshot(product)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        record_event(Action.PRODUCT_CHANGED, actor=actor, target=product, request=request, changes=changes)
    return product


@transaction.atomic
def set_product_active(
    *, actor: User, product: Product, active: bool, request: HttpRequest | None = None
) -> Product:
    """Deactivate (or activate again): a product is never deleted, past orders keep pointing at it."""
    _require_admin(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.active != active:
        product.active = active
        product.save(update_fields=["active"])
        record_event(
            Action.PRODUCT_CHANGED,
            actor=actor,
            target=product,
            request=request,
            changes={"active": [not active, active]},
        )
    return product


def _clean_category_name(name: str, category: ProductCategory | None) -> str:
    try:
        name = clean_text(name, max_length=100, required=True, markup=False)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None
    taken = ProductCategory.objects.filter(name__iexact=name)
    if category is not None:
        taken = taken.exclude(pk=category.pk)
    if taken.exists():
        raise ValidationError({"name": [_("A category with this name exists already.")]})
    return name


@transaction.atomic
def save_product_category(
    *,
    actor: User,
    name: str,
    interest_categories: Sequence[InterestCategory] = (),
    category: ProductCategory | None = None,
    request: HttpRequest | None = None,
) -> ProductCategory:
    """Create a category (`category` None) or rename it and change its interests."""
    _require_admin(actor)
    name = _clean_category_name(name, category)
    created = category is None
    if category is None:
        category = ProductCategory(name=name)
        before: dict[str, Any] = {}
    else:
        category = ProductCategory.objects.select_for_update().get(pk=category.pk)
        before = {
            "name": category.name,
            "interest_categories": sorted(category.interest_categories.values_list("slug", flat=True)),
        }
        category.name = name
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise ValidationError({"name": [_("A category with this name exists already.")]}) from None
    category.interest_categories.set(list(interest_categories))
    after = {"name": name, "interest_categories": sorted(i.slug for i in interest_categories)}
    changes = {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
    if changes:
        record_event(
            Action.PRODUCT_CHANGED,
            actor=actor,
            target=category,
            request=request,
            kind="category",
            created=created,
            changes=changes,
        )
    return category

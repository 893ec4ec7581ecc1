"""Who sees which orders: built on the tenancy policy (organisations.access), the only place this is decided.

Staff see the orders of the organisations they see. Customers see their organisation's orders, except that
when its admin turned off "members see all orders and invoices", members and viewers see only the orders
they placed themselves. Invoices follow their order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kundportal.customers.models import CustomerProfile
from kundportal.organisations.access import (
    OrganisationAccess,
    is_provider_admin,
    is_provider_staff,
    organisation_access,
    parse_uuid,
)
from kundportal.organisations.models import CustomerRole, Membership, Organisation

if TYPE_CHECKING:
    from kundportal.commerce.models import Order, OrderQuerySet, Product, ProductCategory


def visible_orders(orders: OrderQuerySet, user: Any) -> OrderQuerySet:
    orders = orders.filter(organisation__in=Organisation.objects.visible_to(user))
    if is_provider_staff(user) or not getattr(user, "is_authenticated", False):
        return orders
    administered = Membership.objects.filter(user=user, role=CustomerRole.ADMIN).values("organisation")
    restricted = CustomerProfile.objects.filter(members_see_all_orders=False).values("organisation")
    return orders.filter(
        Q(organisation__in=administered) | Q(placed_by=user) | ~Q(organisation__in=restricted)
    )


def get_order_for_user(user: Any, order_id: UUID | str, *, manage: bool = False) -> Order:
    """The order if `user` sees it (404 otherwise); with `manage`, only provider staff may go on (403): they
    create orders, move them through their statuses and issue invoices."""
    from kundportal.commerce.models import Order

    order = (
        Order.objects.visible_to(user)
        .select_related("organisation", "placed_by", "invoice", "invoice__latest")
        .filter(pk=parse_uuid(order_id))
        .first()
    )
    if order is None:
        raise Http404
    if manage and not is_provider_staff(user):
        raise PermissionDenied
    return order


def can_reorder(access: OrganisationAccess) -> bool:
    """ "Buy again" is the customer's own request: admins and members; viewers only read, and staff place
    orders themselves instead of asking their own colleagues."""
    return not access.staff and access.customer_role in (CustomerRole.ADMIN, CustomerRole.MEMBER)


def get_order_for_reorder(user: Any, order_id: UUID | str) -> tuple[Order, OrganisationAccess]:
    order = get_order_for_user(user, order_id)
    access = organisation_access(user, order.organisation)
    if not can_reorder(access):
        raise PermissionDenied
    return order, access


def require_order_creator(access: OrganisationAccess) -> None:
    """Orders are entered by provider staff (customers ask through "Buy again")."""
    if not access.staff:
        raise PermissionDenied


# ---------------------------------------------------------------------------------------------------------
# The catalogue: not tenant data. Staff see all of it, provider admins change it; customers see only the
# active products (through the API), and never the catalogue pages or its categories.


def visible_products(user: Any) -> QuerySet[Product]:
    from kundportal.commerce.models import Product

    if is_provider_staff(user):
        return Product.objects.all()
    if getattr(user, "is_authenticated", False) and user.is_active:
        return Product.objects.filter(active=True)
    return Product.objects.none()


def get_product_for_user(user: Any, product_id: UUID | str, *, manage: bool = False) -> Product:
    product = (
        visible_products(user)
        .select_related("category")
        .prefetch_related("interest_categories")
        .filter(pk=parse_uuid(product_id))
        .first()
    )
    if product is None:
        raise Http404
    if manage and not is_provider_admin(user):
        raise PermissionDenied
    return product


def visible_product_categories(user: Any) -> QuerySet[ProductCategory]:
    from kundportal.commerce.models import ProductCategory

    if not is_provider_staff(user):
        return ProductCategory.objects.none()
    return ProductCategory.objects.all()


def get_product_category_for_user(
    user: Any, category_id: UUID | str, *, manage: bool = False
) -> ProductCategory:
    category = (
        visible_product_categories(user)
        .prefetch_related("interest_categories")
        .filter(pk=parse_uuid(category_id))
        .first()
    )
    if category is None:
        raise Http404
    if manage and not is_provider_admin(user):
        raise PermissionDenied
    return category


def require_catalogue_manager(user: Any) -> None:
    """Creating products and categories: provider admins. Account managers read (403), customers are not
    told the pages exist (404)."""
    if not is_provider_staff(user):
        raise Http404
    if not is_provider_admin(user):
        raise PermissionDenied

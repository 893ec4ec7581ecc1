"""Use cases of orders: entering them and moving them through their statuses (provider staff), "buy again"
(customers); and the checks of free text, money and quantities every commerce use case shares. Pages and API
call these; the catalogue is in catalogue.py, invoices in invoices.py, the purchase history in history.py.

Every function takes the acting user, checks what only it can check (the access to the object itself is
decided before, in access.py), validates, changes, and records one audit event, in one transaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundportal.accounts.models import ProviderRole, User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce import stats
from kundportal.commerce.access import can_reorder, require_order_creator
from kundportal.commerce.models import (
    CURRENCIES,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Product,
    ReorderRequest,
)
from kundportal.core.validators import refuse_card_numbers
from kundportal.organisations.access import OrganisationAccess, is_provider_staff
from kundportal.organisations.models import Membership

log = logging.getLogger("kundportal.commerce")

CURRENCY_CODES = frozenset(code for code, _label in CURRENCIES)
MAX_PRICE = Decimal("9999999999.99")  # Product.price: 12 digits, 2 of them decimals
MAX_QUANTITY = Decimal("1000000")
MAX_LINES = 100
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
# Someone asking twice for the same order within this time is answered with the first request, and the
# account managers are not mailed again.
REORDER_REPEAT_WINDOW = timedelta(hours=24)


class FieldErrors:
    """Collects the errors of several fields, so that one answer names all of them."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def done(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# ---------------------------------------------------------------------------------------------------------
# Checks shared by every use case


def clean_text(value: str, *, max_length: int, required: bool = False, markup: bool = True) -> str:
    """Free text typed by a person: trimmed, bounded, without NUL or anything that may be a payment card
    number; `markup=False` also refuses < and > (names)."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError(_("Null characters are not allowed."), code="null")
    if required and not value:
        raise ValidationError(_("This field is required."), code="required")
    if len(value) > max_length:
        raise ValidationError(
            _("Use at most %(count)d characters.") % {"count": max_length}, code="max_length"
        )
    if not markup and ("<" in value or ">" in value):
        raise ValidationError(_("Names cannot contain < or >."), code="markup")
    refuse_card_numbers(value)  # a full card number must never be stored, not even in a note
    return value


def clean_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCY_CODES:
        raise ValidationError(
            _("%(code)s is not a currency the portal uses. Choose one of %(codes)s.")
            % {"code": value or "—", "codes": ", ".join(sorted(CURRENCY_CODES))},
            code="currency",
        )
    return code


def clean_price(value: Decimal | str | int) -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(_("Enter a price such as 120.50."), code="invalid") from None
    if not price.is_finite() or price <= 0:
        raise ValidationError(_("The price must be more than zero."), code="min_value")
    if price > MAX_PRICE:
        raise ValidationError(_("The price is too large."), code="max_value")
    if price != price.quantize(Decimal("0.01")):
        raise ValidationError(_("Prices have at most two decimals."), code="decimals")
    return price.quantize(Decimal("0.01"))


def clean_quantity(value: Decimal | str | int) -> Decimal:
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(_("Enter a quantity such as 2 or 1.5."), code="invalid") from None
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationError(_("The quantity must be more than zero."), code="min_value")
    if quantity > MAX_QUANTITY:
        raise ValidationError(_("The quantity is too large."), code="max_value")
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationError(_("Quantities have at most three decimals."), code="decimals")
    return quantity


def clean_sku(value: str) -> str:
    sku = clean_text(value, max_length=64, required=True)
    if not SKU_PATTERN.match(sku):
        raise ValidationError(
            _("Use letters, digits and . _ / - for the SKU, without spaces."), code="invalid"
        )
    return sku


# ---------------------------------------------------------------------------------------------------------
# Orders

ORDERABLE_SUGGESTIONS = 500  # products suggested while typing a SKU on the order form


def orderable_products() -> QuerySet[Product]:
    return Product.objects.filter(active=True).order_by("name", "sku")[:ORDERABLE_SUGGESTIONS]


def next_number(prefix: str, field: str) -> str:
    """The next number of a yearly series, e.g. ORD-2026-000042: gap-free and sortable as text.

    Two transactions may compute the same number; the unique index refuses the second, which retries."""
    series = f"{prefix}-{timezone.localdate().year}-"
    last = (
        Order.objects.filter(**{f"{field}__startswith": series})
        .order_by(f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    try:
        following = int(last.removeprefix(series)) + 1 if last else 1
    except ValueError:
        following = 1
    return f"{series}{following:06d}"


@dataclass(frozen=True)
class LineData:
    product: Product
    quantity: Decimal | str | int


def _clean_lines(lines: Sequence[LineData], currency: str) -> tuple[list[tuple[Product, Decimal]], str]:
    errors = FieldErrors()
    if not lines:
        errors.add("lines", _("Add at least one product."))
    if len(lines) > MAX_LINES:
        errors.add("lines", _("An order has at most %(count)d lines.") % {"count": MAX_LINES})
    errors.done()
    cleaned = []
    for number, line in enumerate(lines, start=1):
        if not line.product.active:
            errors.add(
                "lines",
                _("Line %(number)d: %(product)s is no longer sold.")
                % {"number": number, "product": line.product.name},
            )
        try:
            cleaned.append((line.product, clean_quantity(line.quantity)))
        except ValidationError as error:
            errors.add(
                "lines", _("Line %(number)d: %(error)s") % {"number": number, "error": error.messages[0]}
            )
    errors.done()
    currencies = {product.currency for product, _quantity in cleaned}
    if len(currencies) > 1:
        errors.add(
            "lines",
            _("All products of an order must have the same currency; these have %(codes)s.")
            % {"codes": ", ".join(sorted(currencies))},
        )
    (only,) = currencies if len(currencies) == 1 else ("",)
    if currency:
        try:
            currency = clean_currency(currency)
        except ValidationError as error:
            errors.add("currency", error.messages[0])
        else:
            if only and currency != only:
                errors.add(
                    "currency",
                    _("The products are priced in %(products)s, not in %(currency)s.")
                    % {"products": only, "currency": currency},
                )
    errors.done()
    return cleaned, only


def _clean_placed_by(organisation_id: Any, placed_by: User | None) -> User | None:
    if placed_by is None:
        return None
    if not Membership.objects.filter(organisation_id=organisation_id, user=placed_by).exists():
        raise ValidationError({"placed_by": [_("Choose a person of this customer.")]})
    return placed_by


def _line_total(price: Decimal, quantity: Decimal) -> Decimal:
    return (price * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def create_order(
    *,
    actor: User,
    access: OrganisationAccess,
    lines: Sequence[LineData],
    placed_by: User | None = None,
    currency: str = "",
    request: HttpRequest | None = None,
) -> Order:
    """Staff enter an order for a customer: the products' prices and currency (one currency per order).

    `placed_by` is the customer's contact who ordered (it decides who sees the order when the customer's
    admin lets members see only their own orders); left out, the customer's admins see it."""
    require_order_creator(access)
    organisation = access.organisation
    cleaned, currency = _clean_lines(lines, currency)
    placed_by = _clean_placed_by(organisation.pk, placed_by)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    organisation=organisation,
                    number=next_number("ORD", "number"),
                    placed_by=placed_by,
                    status=OrderStatus.REQUESTED,
                    currency=currency,
                )
            break
        except IntegrityError:
            continue
    else:
        raise IntegrityError("no free order number")
    order_lines = [
        OrderLine(
            order=order,
            product=product,
            sku=product.sku,
            description=product.name[:255],
            quantity=quantity,
            unit_price=product.price,
            line_total=_line_total(product.price, quantity),
        )
        for product, quantity in cleaned
    ]
    OrderLine.objects.bulk_create(order_lines)
    order.total = sum((line.line_total for line in order_lines), Decimal("0"))
    order.save(update_fields=["total"])
    OrderStatusChange.objects.create(order=order, from_status="", to_status=order.status, actor=actor)
    stats.refresh_purchases([organisation.pk])
    record_event(
        Action.ORDER_CREATED,
        actor=actor,
        organisation=organisation,
        target=order,
        request=request,
        total=str(order.total),
        currency=order.currency,
        lines=len(order_lines),
    )
    return order


def _locked(order: Order) -> Order:
    """The order row locked until commit, so that two status changes cannot both start from the same one."""
    return Order.objects.select_for_update().select_related("organisation").get(pk=order.pk)


@transaction.atomic
def change_order_status(
    *, actor: User, order: Order, status: str, note: str = "", request: HttpRequest | None = None
) -> Order:
    """Move the order on (Order.transition decides which steps exist); "invoiced" comes with the invoice."""
    if not is_provider_staff(actor):
        raise PermissionDenied
    errors = FieldErrors()
    if status not in OrderStatus.values:
        errors.add("status", _("Choose one of the order statuses."))
    try:
        note = clean_text(note, max_length=500)
    except ValidationError as error:
        errors.add("note", error.messages[0])
    errors.done()
    order = _locked(order)
    if status == OrderStatus.INVOICED and order.invoice_id is None:
        raise ValidationError(
            {"status": [_("Issue the invoice: the order becomes invoiced with it.")]}, code="invoice"
        )
    try:
        change = order.transition(status, actor=actor, note=note)
    except ValidationError as error:
        raise ValidationError({"status": error.messages}) from None
    order.save(update_fields=["status"])
    change.save()
    stats.refresh_purchases([order.organisation_id])  # a cancelled order no longer counts
    record_event(
        Action.ORDER_STATUS_CHANGED,
        actor=actor,
        organisation_id=order.organisation_id,
        target=order,
        request=request,
        changes={"status": [change.from_status, change.to_status]},
    )
    return order


# ---------------------------------------------------------------------------------------------------------
# "Buy again"


def _reorder_recipients(order: Order) -> list[User]:
    """The customer's account managers; a customer nobody looks after goes to the provider's admins."""
    managers = list(order.organisation.account_managers.filter(is_active=True))
    if managers:
        return managers
    return list(User.objects.filter(provider_role=ProviderRole.ADMIN, is_active=True))


def _send_reorder_emails(reorder: ReorderRequest) -> None:
    order = reorder.order
    link = settings.BASE_URL + reverse("order_detail", kwargs={"order_id": order.pk})
    requester = reorder.requested_by.display_name if reorder.requested_by else ""
    for recipient in _reorder_recipients(order):
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            context = {
                "number": order.number,
                "organisation": order.organisation.name,
                "requester": requester,
                "link": link,
                "portal_name": settings.PORTAL_NAME,
            }
            subject = render_to_string("commerce/email/reorder_subject.txt", context).strip()
            body = render_to_string("commerce/email/reorder_message.txt", context)
        try:
            EmailMessage(subject, body, to=[recipient.email]).send()
        except Exception:
            # The request is stored and shown on the order's page to staff: a mail server that is down must
            # not turn the customer's acknowledged request into an error page.
            log.exception("re-order request %s: the email to %s failed", reorder.pk, recipient.pk)


@transaction.atomic
def request_reorder(
    *,
    actor: User,
    order: Order,
    access: OrganisationAccess,
    message: str = "",
    request: HttpRequest | None = None,
) -> tuple[ReorderRequest, bool]:
    """The customer asks for the order again: a request for their account managers, who are emailed once.

    Returns the request and whether it is new (asking again within a day repeats nothing)."""
    if not can_reorder(access):
        raise PermissionDenied
    try:
        message = clean_text(message, max_length=1000)
    except ValidationError as error:
        raise ValidationError({"message": error.messages}) from None
    recent = ReorderRequest.objects.filter(
        order=order,
        requested_by=actor,
        handled_at__isnull=True,
        created_at__gte=timezone.now() - REORDER_REPEAT_WINDOW,
    ).first()
    if recent is not None:
        return recent, False
    reorder = ReorderRequest.objects.create(
        organisation=order.organisation, order=order, requested_by=actor, message=message
    )
    record_event(
        Action.REORDER_REQUESTED,
        actor=actor,
        organisation_id=order.organisation_id,
        target=order,
        request=request,
    )
    transaction.on_commit(lambda: _send_reorder_emails(reorder))
    return reorder, True

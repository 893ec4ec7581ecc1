"""Payment methods: invoice, SEPA direct debit (IBAN checked and encrypted per column, shown masked) and cards
as a payment provider's token. Never a card number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.core.crypto.fields import decrypt_value, encrypt_value, field_aad
from kundportal.customers import validators
from kundportal.customers.models import (
    PaymentKind,
    PaymentMethod,
)
from kundportal.customers.services import (
    lock_organisation,
    make_default,
    record_changes,
    require_editor,
)
from kundportal.organisations.access import OrganisationAccess
from kundportal.organisations.models import Organisation

if TYPE_CHECKING:
    from kundportal.accounts.models import User


def _iban_aad(method: PaymentMethod) -> bytes:
    return field_aad("customers_paymentmethod", "iban", method.pk)


def payment_method_iban(method: PaymentMethod) -> str:
    """The full IBAN, for the service that collects the debit; never for display (use `method.masked`)."""
    if not method.iban_encrypted:
        return ""
    return decrypt_value(method.iban_encrypted, aad=_iban_aad(method))


def _clean_sepa(data: Mapping[str, Any], organisation: Organisation) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    iban = None
    try:
        iban = validators.clean_iban(data.get("iban"))
    except ValidationError as error:
        errors["iban"] = error.messages
    steps: dict[str, Any] = {
        "account_holder": lambda v: validators.clean_text(v, max_length=150, required=True),
        "bic": lambda v: validators.clean_bic(v, iban=iban),
        "mandate_reference": lambda v: validators.clean_text(v, max_length=35),
    }
    for name, step in steps.items():
        try:
            cleaned[name] = step(data.get(name))
        except ValidationError as error:
            errors[name] = error.messages
    signed_on = data.get("mandate_signed_on")
    if signed_on is not None and signed_on > timezone.localdate():
        errors["mandate_signed_on"] = [_("The mandate cannot be signed in the future.")]
    cleaned["mandate_signed_on"] = signed_on
    if iban is not None and not errors:
        compact = str(iban.compact)
        for other in PaymentMethod.objects.filter(
            organisation=organisation,
            kind=PaymentKind.SEPA,
            iban_country=iban.country_code,
            iban_last4=compact[-4:],
        ):
            if payment_method_iban(other) == compact:
                errors["iban"] = [_("This IBAN is already one of your payment methods.")]
    if errors:
        raise ValidationError(errors)
    cleaned["iban"] = iban
    return cleaned


def _clean_card(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def brand(value: Any) -> str:
        if value not in validators.CARD_BRANDS:
            raise ValidationError(_("Choose the card brand."))
        return str(value)

    def last4(value: Any) -> str:
        text = str(value or "")
        if len(text) != 4 or not text.isdigit():
            raise ValidationError(_("Enter the last four digits of the card."))
        return text

    steps: dict[str, Any] = {
        "card_provider": lambda v: validators.clean_text(v, max_length=40, required=True),
        "card_token": validators.clean_card_token,
        "card_brand": brand,
        "card_last4": last4,
    }
    for name, step in steps.items():
        try:
            cleaned[name] = step(data.get(name))
        except ValidationError as error:
            errors[name] = error.messages
    try:
        cleaned["card_exp_month"], cleaned["card_exp_year"] = validators.clean_card_expiry(
            data.get("card_exp_month"), data.get("card_exp_year"), today=timezone.localdate()
        )
    except ValidationError as error:
        errors["card_exp_month"] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def add_payment_method(
    *,
    actor: User,
    access: OrganisationAccess,
    kind: str,
    data: Mapping[str, Any],
    make_default: bool = False,
    request: HttpRequest | None = None,
) -> PaymentMethod:
    """Invoice, SEPA direct debit (the IBAN checked and encrypted) or a card as a payment provider's token.
    The first method becomes the default."""
    require_editor(access)
    organisation = lock_organisation(access)
    existing = PaymentMethod.objects.filter(organisation=organisation)
    method = PaymentMethod(organisation=organisation, kind=kind)
    if kind == PaymentKind.INVOICE:
        if existing.filter(kind=PaymentKind.INVOICE).exists():
            raise ValidationError({"kind": _("Invoice is already one of your payment methods.")})
    elif kind == PaymentKind.SEPA:
        sepa = _clean_sepa(data, organisation)
        iban = sepa.pop("iban")
        compact = str(iban.compact)
        method.iban_encrypted = encrypt_value(compact, aad=_iban_aad(method))
        method.iban_country, method.iban_last4 = iban.country_code, compact[-4:]
        for name, value in sepa.items():
            setattr(method, name, value)
    elif kind == PaymentKind.CARD:
        for name, value in _clean_card(data).items():
            setattr(method, name, value)
    else:
        raise ValidationError({"kind": _("Choose invoice, SEPA direct debit or card.")})
    has_default = existing.filter(is_default=True).exists()
    if make_default and has_default:
        existing.filter(is_default=True).update(is_default=False)
    method.is_default = make_default or not has_default
    method.save(force_insert=True)
    changes = [("payment_method", "", method.masked)]
    if method.is_default and has_default:
        changes.append(("is_default", "no", "yes"))
    record_changes(
        actor=actor,
        organisation=organisation,
        subject="payment_method",
        subject_id=method.pk,
        changes=changes,
    )
    record_event(
        Action.PAYMENT_METHOD_CHANGED,
        actor=actor,
        organisation=organisation,
        target=method,
        request=request,
        operation="added",
        kind=kind,
        method=method.masked,
        default=method.is_default,
    )
    return method


@transaction.atomic
def make_default_payment_method(
    *, actor: User, access: OrganisationAccess, method: PaymentMethod, request: HttpRequest | None = None
) -> PaymentMethod:
    require_editor(access)
    organisation = lock_organisation(access)
    method = PaymentMethod.objects.select_for_update().get(pk=method.pk, organisation=organisation)
    if method.is_default:
        return method
    make_default(
        actor=actor,
        organisation=organisation,
        subject="payment_method",
        item=method,
        siblings=PaymentMethod.objects.filter(organisation=organisation),
    )
    record_event(
        Action.PAYMENT_METHOD_CHANGED,
        actor=actor,
        organisation=organisation,
        target=method,
        request=request,
        operation="made_default",
        method=method.masked,
    )
    return method


@transaction.atomic
def delete_payment_method(
    *, actor: User, access: OrganisationAccess, method: PaymentMethod, request: HttpRequest | None = None
) -> bool:
    """Remove the method; True if it was the default: then there is none until the customer picks one
    (choosing for them could start debiting an account they did not mean)."""
    require_editor(access)
    organisation = lock_organisation(access)
    method = PaymentMethod.objects.select_for_update().get(pk=method.pk, organisation=organisation)
    was_default = method.is_default
    record_changes(
        actor=actor,
        organisation=organisation,
        subject="payment_method",
        subject_id=method.pk,
        changes=[("payment_method", method.masked, "")],
    )
    record_event(
        Action.PAYMENT_METHOD_CHANGED,
        actor=actor,
        organisation=organisation,
        target=method,
        request=request,
        operation="removed",
        method=method.masked,
        was_default=was_default,
    )
    method.delete()
    return was_default

"""Forms for the customer's own data. They parse what the browser sends and label it per country; every rule
about the values lives in validators.py and the services, which refuse the same input the API sends."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from kundportal.customers.models import AddressPurpose, ContactChannel, PaymentKind
from kundportal.customers.validators import AddressRules, address_rules


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError, each message next to its field (or at the top for the others)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ProfileForm(forms.Form):
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    vat_number = forms.CharField(
        label=_("VAT number"),
        max_length=30,
        required=False,
        help_text=_("With the country prefix, e.g. SE556677889901."),
    )
    email = forms.EmailField(
        label=_("Contact email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_(
            "Saved with the country code; a number without one is read as one from your billing country."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    website = forms.CharField(
        label=_("Website"), max_length=200, required=False, widget=forms.TextInput(attrs={"inputmode": "url"})
    )
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    contact_channel = forms.ChoiceField(
        label=_("Preferred contact channel"), choices=ContactChannel.choices, widget=forms.RadioSelect
    )
    birth_date = forms.DateField(
        label=_("Birth date (optional)"),
        required=False,
        help_text=_("Only if you want to: we show it as your age and never require it."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, *args: Any, collect_birth_date: bool, locked: bool, private: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not collect_birth_date:
            del self.fields["birth_date"]
        if private:
            self.fields["company_name"].label = _("Name")
        if locked:
            note = _(
                "Has legal weight now that you have invoices: a change is sent to your account manager for approval."
            )
            for name in ("company_name", "vat_number"):
                self.fields[name].help_text = note


class AddressForm(forms.Form):
    """An address labelled for its country: the fields the country uses, what it calls them, which it needs."""

    purpose = forms.ChoiceField(label=_("Use"), choices=AddressPurpose.choices, widget=forms.RadioSelect)
    country = forms.ChoiceField(label=_("Country"), widget=forms.Select(attrs={"data-address-country": ""}))
    name = forms.CharField(
        label=_("Recipient"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    company_name = forms.CharField(
        label=_("Company"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    street_address = forms.CharField(
        label=_("Street address"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    city = forms.CharField(
        label=_("City"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    city_area = forms.CharField(label=_("District"), max_length=100)
    country_area = forms.CharField(
        label=_("State or region"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    is_default = forms.BooleanField(label=_("Make this the default address for its use"), required=False)

    def __init__(self, *args: Any, country: str, new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules: AddressRules = address_rules(country)
        self.fields["country"].choices = [("", _("Choose a country")), *countries]  # type: ignore[attr-defined]
        for name in ("postal_code", "city", "city_area", "country_area"):
            if name not in self.rules.allowed:
                del self.fields[name]
                continue
            field = self.fields[name]
            field.label = self.rules.labels[name]
            field.required = name in self.rules.required
        for name in ("name", "company_name", "postal_code", "city", "city_area", "country_area"):
            if name in self.fields and not self.fields[name].required:
                self.fields[name].label = _("%(label)s (optional)") % {"label": self.fields[name].label}
        if "postal_code" in self.fields and self.rules.postal_code_example:
            self.fields["postal_code"].help_text = _("For example %(example)s") % {
                "example": self.rules.postal_code_example
            }
        if "country_area" in self.fields and self.rules.country_area_choices:
            field = self.fields["country_area"]
            self.fields["country_area"] = forms.ChoiceField(
                label=field.label,
                required=field.required,
                choices=[("", _("Choose")), *self.rules.country_area_choices],
            )
        if not new:
            del self.fields["is_default"]

    def service_data(self) -> dict[str, str]:
        """The address fields as the services take them (fields the country does not use are empty)."""
        names = ("name", "company_name", "street_address", "postal_code", "city", "city_area", "country_area")
        return {"country": self.cleaned_data["country"], **{n: self.cleaned_data.get(n, "") for n in names}}


class PaymentMethodForm(forms.Form):
    """Invoice or SEPA direct debit. There is no card number field: cards come as a payment provider's token."""

    kind = forms.ChoiceField(
        label=_("Payment method"),
        choices=[
            (PaymentKind.SEPA, PaymentKind.SEPA.label),
            (PaymentKind.INVOICE, PaymentKind.INVOICE.label),
        ],
        widget=forms.RadioSelect,
        initial=PaymentKind.SEPA,
    )
    account_holder = forms.CharField(
        label=_("Account holder"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        required=False,
        help_text=_("Stored encrypted and always shown masked, e.g. DE89 3704 0044 0532 0130 00."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    bic = forms.CharField(
        label=_("BIC (optional)"),
        max_length=20,
        required=False,
        help_text=_("Left empty, it is taken from the IBAN where the bank is known."),
    )
    mandate_reference = forms.CharField(
        label=_("Mandate reference (optional)"), max_length=35, required=False
    )
    is_default = forms.BooleanField(label=_("Make this the default payment method"), required=False)

    def service_data(self) -> dict[str, Any]:
        names = ("account_holder", "iban", "bic", "mandate_reference")
        return {n: self.cleaned_data.get(n, "") for n in names}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(
        label=_("Reason (shown to the customer; required to reject)"),
        max_length=500,
        required=False,
        widget=forms.TextInput,
    )

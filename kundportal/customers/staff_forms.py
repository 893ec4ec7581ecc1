"""Forms of the staff customer pages and of the interests pages: they parse and refuse; the rules are in
customers.interests and customers.queries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from kundportal.customers.interests import NAME_FIELDS
from kundportal.customers.models import Address, AddressPurpose, InterestCategory
from kundportal.customers.queries import CURRENCY_CODES, DEFAULT_CURRENCY, SORTS, CustomerFilters
from kundportal.organisations.models import OrganisationKind

SORT_LABELS = {
    "name": _("Name, A to Z"),
    "-name": _("Name, Z to A"),
    "-last_purchase": _("Last purchase, newest first"),
    "last_purchase": _("Last purchase, oldest first"),
    "-order_count": _("Most orders first"),
    "order_count": _("Fewest orders first"),
    "-revenue": _("Highest revenue first"),
    "revenue": _("Lowest revenue first"),
    "country": _("Country"),
    "-country": _("Country, Z to A"),
    "-created": _("Newest customers first"),
    "created": _("Oldest customers first"),
}
assert set(SORT_LABELS) == set(SORTS)


class CustomerFilterForm(forms.Form):
    """The list's filters, from the query string. A value that does not fit is reported and not applied."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    country = forms.ChoiceField(label=_("Country"), required=False)
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *OrganisationKind.choices]
    )
    interest = forms.ModelChoiceField(
        label=_("Interest"),
        required=False,
        queryset=InterestCategory.objects.filter(active=True),
        empty_label=_("Any interest"),
        error_messages={"invalid_choice": _("Choose from the interest categories on the list.")},
    )
    purchased_after = forms.DateField(
        label=_("Last purchase on or after"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    purchased_before = forms.DateField(
        label=_("Last purchase before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    min_orders = forms.IntegerField(
        label=_("At least this many orders"), required=False, min_value=0, max_value=2**31 - 1
    )
    min_revenue = forms.DecimalField(
        label=_("Revenue at least"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    currency = forms.ChoiceField(
        label=_("Currency"),
        required=False,
        choices=[(code, code) for code in CURRENCY_CODES],
        help_text=_("Amounts are never converted: revenue is filtered and sorted in this currency."),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORT_LABELS.items()))

    def __init__(self, data: Any, *, countries_in_use: list[str], language: str) -> None:
        super().__init__(data)
        names = dict(countries)
        choices = sorted(
            ((code, str(names.get(code, code))) for code in countries_in_use), key=lambda c: c[1]
        )
        self.fields["country"].choices = [("", _("All countries")), *choices]
        self.fields["interest"].label_from_instance = lambda category: category.name_in(language)

    def filters(self) -> CustomerFilters:
        """The valid filters (call after is_valid(); invalid ones are left out)."""
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        if "interest" in data:
            data["interest"] = data["interest"].pk
        if "q" in data:
            data["q"] = data["q"].strip()
        data.setdefault("currency", DEFAULT_CURRENCY)
        return CustomerFilters(**data)


def billing_countries() -> list[str]:
    """The countries customers' default billing addresses are in: the choices that can find someone."""
    addresses = Address.objects.filter(purpose=AddressPurpose.BILLING, is_default=True)
    return sorted(set(addresses.order_by().values_list("country", flat=True).distinct()))


class InterestCategoryForm(forms.Form):
    name_en = forms.CharField(label=_("Name in English"), max_length=100)
    name_sv = forms.CharField(label=_("Name in Swedish"), max_length=100, required=False)
    name_de = forms.CharField(label=_("Name in German"), max_length=100, required=False)
    slug = forms.CharField(
        label=_("Key"),
        max_length=60,
        required=False,
        help_text=_(
            "For imports and the API: letters, digits and hyphens. Left empty, it is made from the English name."
        ),
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_(
            "Inactive categories are hidden from customers and filters; what customers chose is kept."
        ),
    )

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for field in NAME_FIELDS:
            data[field] = data[field].strip()
        return data


class DeclaredInterestsForm(forms.Form):
    """The customer's choice: the ids of the categories they tick (checked against the active ones by the
    service, which also reports an unknown id)."""

    declared = forms.TypedMultipleChoiceField(required=False, coerce=UUID, choices=[])

    def __init__(self, data: Any, *, choices: list[tuple[str, str]]) -> None:
        super().__init__(data)
        self.fields["declared"].choices = choices
        self.fields["declared"].error_messages["invalid_choice"] = _(
            "Choose from the interest categories on the list."
        )

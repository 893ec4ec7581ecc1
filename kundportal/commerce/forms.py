"""Forms of the catalogue and order pages. They parse what a browser sends; the rules are in services.py."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from kundportal.commerce.catalogue import ProductData
from kundportal.commerce.models import CURRENCIES, TRANSITIONS, OrderStatus, Product, ProductCategory
from kundportal.commerce.services import MAX_LINES, LineData
from kundportal.customers.models import InterestCategory


def report(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form: next to the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AmountField(forms.DecimalField):
    """A number as people type it in the page's language: "1 245,50" in Swedish, "1.245,50" in German,
    "1,245.50" in English (Django alone accepts group separators only when it prints them too)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(localize=True, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f']", "", value)
            group = "." if get_format("DECIMAL_SEPARATOR") == "," else ","
            value = value.replace(group, "")
        return super().to_python(value)


class InterestChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: InterestCategory) -> str:  # type: ignore[override]
        from django.utils.translation import get_language

        return obj.name_in(get_language() or "en")


def _interests() -> InterestChoices:
    return InterestChoices(
        label=_("Interest categories"),
        queryset=InterestCategory.objects.filter(active=True).order_by("slug"),
        required=False,
        help_text=_("Customers who buy it are shown as interested in these (with the reason)."),
    )


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    sku = forms.CharField(label=_("SKU"), max_length=64, help_text=_("Unique: letters, digits and . _ / -"))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    price = AmountField(label=_("Price"))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ProductCategory.objects.order_by("name"), required=False
    )
    interest_categories = _interests()
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("Only active products can be ordered.")
    )
    one_off = forms.BooleanField(
        label=_("Bought once"),
        required=False,
        help_text=_("A licence or a machine: never recommended again to a customer who has it."),
    )

    @classmethod
    def initial_for(cls, product: Product) -> dict[str, Any]:
        return {
            "name": product.name,
            "sku": product.sku,
            "description": product.description,
            "price": product.price,
            "currency": product.currency,
            "category": product.category_id,
            "interest_categories": list(product.interest_categories.all()),
            "active": product.active,
            "one_off": product.one_off,
        }

    def data_for_service(self) -> ProductData:
        data = self.cleaned_data
        return ProductData(
            sku=data["sku"],
            name=data["name"],
            description=data["description"],
            price=data["price"],
            currency=data["currency"],
            category=data["category"],
            interest_categories=list(data["interest_categories"]),
            active=data["active"],
            one_off=data["one_off"],
        )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    interest_categories = _interests()


class OrderLineForm(forms.Form):
    sku = forms.CharField(
        label=_("SKU"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"list": "product-skus", "autocomplete": "off"}),
    )
    quantity = AmountField(label=_("Quantity"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sku = (data.get("sku") or "").strip()
        if not sku:
            return data
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            self.add_error("sku", _("No product has the SKU %(sku)s.") % {"sku": sku})
        elif data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter how many."))
        data["product"] = product
        return data


class BaseOrderLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[LineData]:
        return [
            LineData(product=form.cleaned_data["product"], quantity=form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data.get("product") is not None
        ]


OrderLineFormSet = forms.formset_factory(
    OrderLineForm, formset=BaseOrderLineFormSet, extra=5, max_num=MAX_LINES, absolute_max=MAX_LINES
)


class OrderForm(forms.Form):
    placed_by = forms.ModelChoiceField(
        label=_("Ordered by"),
        queryset=None,  # the customer's people, set in __init__
        required=False,
        empty_label=_("Nobody in particular (seen by the customer's admins)"),
        help_text=_("When the customer lets members see only their own orders, this person sees it."),
    )

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["placed_by"].queryset = people  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=OrderStatus.choices)
    note = forms.CharField(label=_("Note (the customer sees it)"), max_length=500, required=False)

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The steps the order can take from here, except "invoiced", which issuing the invoice does.
        following = TRANSITIONS.get(current, set()) - {OrderStatus.INVOICED}
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in OrderStatus.choices if value in following
        ]


class ReorderForm(forms.Form):
    message = forms.CharField(
        label=_("Message to your account manager (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OrderFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), required=False)
    # Text, not a list of every product bought: a customer with hundreds of products would get a page of
    # options (and a query over every line) for one filter.
    product = forms.CharField(
        label=_("Product"), required=False, max_length=100, help_text=_("Part of the name, or the SKU")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *OrderStatus.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data

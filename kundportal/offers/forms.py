"""The staff offer form. It parses what a browser sends; the rules are in offers.services and offers.targeting,
so the page and the API refuse the same things with the same words."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from kundportal.commerce.forms import AmountField, DateInput
from kundportal.commerce.models import CURRENCIES, Product, ProductCategory
from kundportal.customers.models import InterestCategory
from kundportal.customers.staff_forms import billing_countries
from kundportal.insights.segments import Segment
from kundportal.offers import images, services
from kundportal.offers.models import Offer
from kundportal.offers.services import MAX_LINKED, OfferData
from kundportal.offers.targeting import AGE_BANDS, LIST_FIELDS, NUMBER_FIELDS, Target
from kundportal.organisations.models import OrganisationKind

TARGET_FIELDS = (*LIST_FIELDS, *NUMBER_FIELDS)
_SKU_SEPARATORS = re.compile(r"[\s,;]+")


def report(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form: next to the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


class _Interests(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: InterestCategory) -> str:  # type: ignore[override]
        from django.utils.translation import get_language

        return obj.name_in(get_language() or "en")


def _interests(label: Any, help_text: Any) -> _Interests:
    return _Interests(
        label=label,
        queryset=InterestCategory.objects.filter(active=True).order_by("slug"),
        required=False,
        help_text=help_text,
    )


def _categories(label: Any, help_text: Any = "") -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=ProductCategory.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


def _number(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=100_000)


class TargetForm(forms.Form):
    """Who the offer is for. Criteria combine with AND; the choices inside one criterion with OR."""

    declared_interests = _interests(
        _("Declared interests"), _("Customers who said they are interested in one of these.")
    )
    inferred_interests = _interests(
        _("Interests seen in purchases"),
        _("Customers whose purchases show one of these interests (unless they turned it off)."),
    )
    purchased_categories = _categories(
        _("Bought from product categories"), _("Customers with an order (not cancelled) in one of these.")
    )
    segments = forms.MultipleChoiceField(
        label=_("Customer segments"),
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("By how recently, how often and how much they buy."),
    )
    days_since_purchase_min = _number(_("At least this many days"))
    days_since_purchase_max = _number(_("At most this many days"))
    orders_min = _number(_("At least this many orders"))
    orders_max = _number(_("At most this many orders"))
    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Of the default billing address. Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Customer type"),
        choices=OrganisationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    age_bands = forms.MultipleChoiceField(
        label=_("Age"),
        choices=[(key, label) for key, label, *_rest in AGE_BANDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Private customers who gave their birth date."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The countries customers are in, and any already chosen (a customer may have moved since).
        chosen = self.initial.get("countries") or []
        if self.is_bound:
            chosen = self.data.getlist("countries") if hasattr(self.data, "getlist") else chosen
        codes = set(billing_countries()) | {
            str(code).upper() for code in chosen if str(code).upper() in dict(countries)
        }
        names = dict(countries)
        self.fields["countries"].choices = sorted(  # type: ignore[attr-defined]
            ((code, str(names[code])) for code in codes), key=lambda choice: choice[1]
        )

    @staticmethod
    def initial_for(target: Target) -> dict[str, Any]:
        data = target.as_json()
        return {name: data.get(name) for name in TARGET_FIELDS if name in data}

    def target_data(self) -> dict[str, Any]:
        """The raw target for offers.targeting.clean_target (call after is_valid())."""
        data: dict[str, Any] = {}
        for name in LIST_FIELDS:
            values = self.cleaned_data.get(name) or []
            data[name] = [str(getattr(value, "pk", value)) for value in values]
        for name in NUMBER_FIELDS:
            data[name] = self.cleaned_data.get(name)
        return data


class OfferForm(TargetForm):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Plain text; an empty line starts a new paragraph."),
    )
    starts_on = forms.DateField(label=_("Valid from"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Valid until"), widget=DateInput(), help_text=_("The last day, included.")
    )
    price = AmountField(label=_("Price"), required=False, max_digits=12, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=[("", "—"), *CURRENCIES], required=False)
    discount_percent = forms.IntegerField(
        label=_("Discount (%)"),
        required=False,
        min_value=1,
        max_value=95,
        help_text=_("1 to 95. Give a price or a discount, or neither."),
    )
    products = forms.CharField(
        label=_("Products (SKUs)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The SKUs of the products on offer, separated by commas or spaces."),
    )
    categories = _categories(_("Product categories on offer"))
    image = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("Optional. PNG, JPEG or WebP, at most 5 MB."),
    )
    alt_text = forms.CharField(
        label=_("Picture description"),
        max_length=images.ALT_TEXT_MAX,
        required=False,
        help_text=_("What the picture shows, for people who cannot see it."),
    )
    remove_image = forms.BooleanField(label=_("Remove the picture"), required=False)

    # As on the page, so the error summary reads top to bottom.
    field_order = [
        "title",
        "body",
        "starts_on",
        "ends_on",
        "price",
        "currency",
        "discount_percent",
        "products",
        "categories",
        "image",
        "alt_text",
        "remove_image",
        *TARGET_FIELDS,
    ]

    def __init__(self, *args: Any, image_too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.image_too_large = image_too_large
        self.image_data: bytes | None = None

    @classmethod
    def initial_for(cls, offer: Offer) -> dict[str, Any]:  # type: ignore[override]
        image = getattr(offer, "image", None)  # the reverse one-to-one raises AttributeError when absent
        return {
            "title": offer.title,
            "body": offer.body,
            "starts_on": offer.starts_on,
            "ends_on": offer.ends_on,
            "price": offer.price,
            "currency": offer.currency,
            "discount_percent": offer.discount_percent,
            "products": ", ".join(offer.products.order_by("sku").values_list("sku", flat=True)),
            "categories": list(offer.categories.all()),
            "alt_text": image.alt_text if image else "",
            **TargetForm.initial_for(Target.from_json(offer.target)),
        }

    def clean_products(self) -> list[Product]:
        skus = [sku for sku in _SKU_SEPARATORS.split(self.cleaned_data.get("products") or "") if sku]
        skus = list(dict.fromkeys(skus))
        if len(skus) > MAX_LINKED:
            raise ValidationError(_("Link at most %(count)d products to one offer.") % {"count": MAX_LINKED})
        found = {product.sku.lower(): product for product in Product.objects.filter(sku__in=skus)}
        if len(found) < len(skus):
            # SKUs are unique as typed; look up the rest without regard to case.
            for sku in skus:
                if sku.lower() not in found:
                    product = Product.objects.filter(sku__iexact=sku).first()
                    if product is not None:
                        found[sku.lower()] = product
        missing = [sku for sku in skus if sku.lower() not in found]
        if missing:
            raise ValidationError(
                ngettext(
                    "No product has the SKU %(skus)s.", "No products have the SKUs %(skus)s.", len(missing)
                )
                % {"skus": ", ".join(missing)}
            )
        return [found[sku.lower()] for sku in skus]

    def clean_image(self) -> Any:
        upload = self.cleaned_data.get("image")
        if self.image_too_large:
            raise images.too_large_error()
        if upload:
            data = upload.read(images.MAX_IMAGE_BYTES + 1)
            images.inspect_image(data)  # not an image, damaged, too large: said next to the field
            self.image_data = data
        return upload

    def clean_alt_text(self) -> str:
        return images.clean_alt_text(self.cleaned_data.get("alt_text"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            # The services' findings on the other fields now, rather than after the next submit.
            try:
                services.check_offer(self.data_for_service())
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    if name in self.fields and name not in self.errors:
                        self.add_error(name, messages)
        return data

    def data_for_service(self) -> OfferData:
        data = self.cleaned_data
        return OfferData(
            title=data.get("title", ""),
            body=data.get("body", ""),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            price=data.get("price"),
            currency=data.get("currency") or "",
            discount_percent=data.get("discount_percent"),
            products=[product.pk for product in data.get("products") or []],
            categories=[category.pk for category in data.get("categories") or []],
            target=self.target_data(),
        )

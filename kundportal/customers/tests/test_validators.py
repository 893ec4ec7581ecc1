"""The checks behind every form and endpoint of the customer's own data: free text, card numbers, phone numbers,
VAT numbers, birth dates, addresses per country, IBANs and BICs."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kundportal.core.validators import contains_card_number, luhn_valid, refuse_card_numbers
from kundportal.customers import validators

TODAY = date(2026, 11, 24)


# ---------------------------------------------------------------------------------------------------------
# Card numbers in free text


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "Storgatan 12 4111 1111 1111 1111",
        "Acme 5555555555554444 AB",
        "378282246310005",  # American Express, 15 digits
        "4222222222222",  # 13 digits
        "6011 0009 9013 9424",
        "3530111333300000",
        "4000 0000 0000 0000 006",  # 19 digits
    ],
)
def test_it_refuses_luhn_valid_card_numbers_anywhere_in_the_text(text):
    assert contains_card_number(text)
    with pytest.raises(ValidationError) as error:
        refuse_card_numbers(text)
    assert error.value.code == "card_number"


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # fails the Luhn check
        "411111111111",  # 12 digits
        "+46 70 123 45 67",
        "Storgatan 12, 114 55 Stockholm",
        "Order 2026-11-24 no. 123456",
        "DE89 3704 0044 0532 0130 00",  # an IBAN is no card number
        "",
    ],
)
def test_it_lets_ordinary_text_with_numbers_pass(text):
    assert not contains_card_number(text)
    refuse_card_numbers(text)


def test_luhn():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


# ---------------------------------------------------------------------------------------------------------
# Free text


def test_clean_text_strips_and_keeps_ordinary_punctuation():
    assert validators.clean_text("  Smith & Sons <3 ", max_length=50) == "Smith & Sons <3"
    assert validators.clean_text("a < b", max_length=50) == "a < b"
    assert validators.clean_text(None, max_length=5) == ""


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "Acme</b>", "<img src=x onerror=alert(1)>", "x <!-- y -->"]
)
def test_clean_text_refuses_markup(text):
    with pytest.raises(ValidationError) as error:
        validators.clean_text(text, max_length=200)
    assert error.value.code == "markup"


@pytest.mark.parametrize("text", ["Acme\x00AB", "Acme\x07", "line\x1b[31m"])
def test_clean_text_refuses_control_characters(text):
    with pytest.raises(ValidationError) as error:
        validators.clean_text(text, max_length=200)
    assert error.value.code == "control"


def test_clean_text_refuses_card_numbers_and_overlong_text():
    with pytest.raises(ValidationError):
        validators.clean_text("Card 4111 1111 1111 1111", max_length=200)
    with pytest.raises(ValidationError) as error:
        validators.clean_text("x" * 11, max_length=10)
    assert "at most 10" in error.value.messages[0]
    with pytest.raises(ValidationError):
        validators.clean_text("  ", max_length=10, required=True)


# ---------------------------------------------------------------------------------------------------------
# Profile fields


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("070-123 45 67", "SE", "+46701234567"),
        ("030 12345678", "DE", "+493012345678"),
        ("+41 44 668 18 00", "SE", "+41446681800"),
        ("0041 44 668 18 00", "DE", "+41446681800"),
        ("(650) 253-0000", "US", "+16502530000"),
    ],
)
def test_phone_numbers_are_stored_in_e164_read_in_the_billing_country(text, region, e164):
    assert validators.clean_phone(text, region=region) == e164


def test_phone_numbers_that_are_not_valid_are_refused():
    with pytest.raises(ValidationError):
        validators.clean_phone("12", region="SE")
    with pytest.raises(ValidationError) as error:
        validators.clean_phone("070-123 45 67", region=None)
    assert "country code" in error.value.messages[0]


def test_vat_numbers_are_compacted_and_checked():
    assert validators.clean_vat_number("se 5566 7788 9901") == "SE556677889901"
    assert validators.clean_vat_number("CHE-123.456.789 MWST") == "CHE123456789MWST"
    assert validators.clean_vat_number("") == ""
    with pytest.raises(ValidationError):
        validators.clean_vat_number("123456789")


def test_websites_get_a_scheme_and_must_be_addresses():
    assert validators.clean_website("example.com") == "https://example.com"
    with pytest.raises(ValidationError):
        validators.clean_website("javascript:alert(1)")
    with pytest.raises(ValidationError):
        validators.clean_website("not a site")


@pytest.mark.parametrize(
    ("birth_date", "error"),
    [
        (date(2026, 11, 25), "future"),
        (date(2100, 1, 1), "future"),
        (date(1905, 11, 23), "too_old"),
        (date(1800, 1, 1), "too_old"),
    ],
)
def test_birth_dates_in_the_future_or_more_than_120_years_ago_are_refused(birth_date, error):
    with pytest.raises(ValidationError) as raised:
        validators.clean_birth_date(birth_date, today=TODAY)
    assert raised.value.code == error


def test_birth_dates_up_to_120_years_ago_and_today_are_fine():
    assert validators.clean_birth_date(date(1906, 11, 24), today=TODAY) == date(1906, 11, 24)
    assert validators.clean_birth_date(TODAY, today=TODAY) == TODAY
    assert validators.clean_birth_date(None, today=TODAY) is None
    assert validators.age_on(date(1990, 11, 25), TODAY) == 35
    assert validators.age_on(date(1990, 11, 24), TODAY) == 36


# ---------------------------------------------------------------------------------------------------------
# Addresses, per country


VALID_ADDRESSES = {
    "SE": {"postal_code": "114 55", "city": "Stockholm"},
    "DE": {"postal_code": "10115", "city": "Berlin"},
    "CH": {"postal_code": "8001", "city": "Zürich"},
    "AT": {"postal_code": "1010", "city": "Wien"},
    "NO": {"postal_code": "0150", "city": "Oslo"},
    "DK": {"postal_code": "1050", "city": "København K"},
    "FI": {"postal_code": "00100", "city": "Helsinki"},
    "GB": {"postal_code": "sw1a 1aa", "city": "London"},
    "US": {"postal_code": "10001", "city": "New York", "country_area": "new york"},
}


@pytest.mark.parametrize("country", sorted(VALID_ADDRESSES))
def test_valid_addresses_pass_and_keep_the_customers_spelling(country):
    fields = validators.clean_address(
        {"country": country, "street_address": "Main 1", **VALID_ADDRESSES[country]}
    )
    assert fields["country"] == country
    assert fields["city"] == VALID_ADDRESSES[country]["city"]  # not upper-cased


def test_addresses_are_normalised_where_the_rules_say_how():
    gb = validators.clean_address({"country": "gb", "street_address": "1 Main", **VALID_ADDRESSES["GB"]})
    assert gb["postal_code"] == "SW1A 1AA" and gb["country"] == "GB"
    us = validators.clean_address({"country": "US", "street_address": "1 Main", **VALID_ADDRESSES["US"]})
    assert us["country_area"] == "NY"
    # A field the country does not use is emptied.
    se = validators.clean_address(
        {"country": "SE", "street_address": "x 1", "country_area": "Uppland", **VALID_ADDRESSES["SE"]}
    )
    assert se["country_area"] == ""


@pytest.mark.parametrize(
    ("country", "postal_code", "city"),
    [
        ("SE", "1234", "Stockholm"),
        ("DE", "ABCDE", "Berlin"),
        ("US", "1234", "New York"),
        ("CH", "80010", "Zürich"),
        ("AT", "101", "Wien"),
        ("NO", "01500", "Oslo"),
        ("DK", "DK-10", "København"),
        ("FI", "0010", "Helsinki"),
        ("GB", "12345", "London"),
    ],
)
def test_postal_codes_in_the_wrong_format_for_the_country_are_refused(country, postal_code, city):
    data = {"country": country, "street_address": "Main 1", "postal_code": postal_code, "city": city}
    if country == "US":
        data["country_area"] = "NY"
    with pytest.raises(ValidationError) as error:
        validators.clean_address(data)
    assert list(error.value.message_dict) == ["postal_code"]
    assert "not a valid" in error.value.message_dict["postal_code"][0]


@pytest.mark.parametrize("country", ["SE", "DE", "CH", "AT", "NO", "DK", "FI", "GB", "US"])
def test_a_missing_city_is_refused_where_the_country_requires_one(country):
    data = {"country": country, "street_address": "Main 1", **VALID_ADDRESSES[country], "city": ""}
    with pytest.raises(ValidationError) as error:
        validators.clean_address(data)
    assert "city" in error.value.message_dict
    assert "required" in error.value.message_dict["city"][0]


def test_us_addresses_need_a_state_from_the_list():
    data = {"country": "US", "street_address": "1 Main", "postal_code": "10001", "city": "New York"}
    with pytest.raises(ValidationError) as error:
        validators.clean_address(data)
    assert "country_area" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        validators.clean_address({**data, "country_area": "Atlantis"})
    assert "country_area" in error.value.message_dict


def test_unknown_countries_and_bad_text_are_refused_by_field():
    with pytest.raises(ValidationError) as error:
        validators.clean_address({"country": "XX", "street_address": "Main 1"})
    assert "country" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        validators.clean_address(
            {"country": "SE", "street_address": "Storgatan 4111 1111 1111 1111", "name": "<b>x</b>"}
        )
    assert set(error.value.message_dict) == {"street_address", "name"}


def test_address_rules_name_the_fields_as_the_country_does():
    us = validators.address_rules("US")
    assert us.labels["postal_code"] == "ZIP code" and us.labels["country_area"] == "State"
    assert "country_area" in us.required and ("NY", "New York") in us.country_area_choices
    gb = validators.address_rules("GB")
    assert gb.labels["city"] == "Post town" and "country_area" not in gb.required
    se = validators.address_rules("SE")
    assert "country_area" not in se.allowed and se.postal_code_example == "11455"


# ---------------------------------------------------------------------------------------------------------
# IBAN and BIC


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "SE45 5000 0000 0583 9825 7466",
        "CH93 0076 2011 6238 5295 7",
        "GB29 NWBK 6016 1331 9268 19",
        "AT61 1904 3002 3457 3201",
        "NO93 8601 1117 947",
        "DK50 0040 0440 1162 43",
        "FI21 1234 5600 0007 85",
        "de89370400440532013000",
    ],
)
def test_valid_ibans_pass(iban):
    assert validators.clean_iban(iban).compact == iban.replace(" ", "").upper()


@pytest.mark.parametrize(
    ("iban", "words"),
    [
        ("DE89 3704 0044 0532 0130 01", "check digits"),
        ("DE88 3704 0044 0532 0130 00", "check digits"),
        ("DE89 3704 0044 0532 0130 0", "length"),
        ("SE45 5000 0000 0583 9825 74661", "length"),
        ("XX89 3704 0044 0532 0130 00", "country code"),
        ("", "Enter the IBAN"),
    ],
)
def test_invalid_ibans_are_refused_with_the_reason(iban, words):
    with pytest.raises(ValidationError) as error:
        validators.clean_iban(iban)
    assert words in error.value.messages[0]


def test_bics_are_checked_or_taken_from_the_iban():
    iban = validators.clean_iban("DE89 3704 0044 0532 0130 00")
    assert validators.clean_bic("", iban=iban) == "COBADEFFXXX"
    assert validators.clean_bic("deut de ff", iban=iban) == "DEUTDEFF"
    assert validators.clean_bic("", iban=validators.clean_iban("CH9300762011623852957")) == ""
    with pytest.raises(ValidationError):
        validators.clean_bic("XXXX")


def test_card_tokens_are_tokens_not_card_numbers():
    assert validators.clean_card_token("pm_1Nx2abcDEF") == "pm_1Nx2abcDEF"
    for bad in ("4111111111111111", "4111-1111-1111-1111", "12345678", "tok"):
        with pytest.raises(ValidationError):
            validators.clean_card_token(bad)


def test_card_expiry():
    assert validators.clean_card_expiry("11", "2026", today=TODAY) == (11, 2026)
    for month, year in ((10, 2026), (13, 2030), (1, 2060), ("x", 2030)):
        with pytest.raises(ValidationError):
            validators.clean_card_expiry(month, year, today=TODAY)

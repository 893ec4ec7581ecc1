"""Importing products: upsert by external id (or SKU), prices and currencies checked, categories by name."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kundportal.commerce.models import Product, ProductCategory
from kundportal.commerce.tests.factories import make_category, make_product
from kundportal.imports.tests.conftest import make_csv

pytestmark = pytest.mark.django_db

HEADER = ["external_id", "sku", "name", "category", "price", "currency", "active"]


def row(n: int, **changes: str) -> list[str]:
    values = {
        "external_id": f"P-{n}",
        "sku": f"SKU-{n}",
        "name": f"Product {n}",
        "category": "Drawing software" if n % 2 else "Services",
        "price": f"{n * 10}.50",
        "currency": "SEK",
        "active": "yes",
    }
    values.update(changes)
    return [values[column] for column in HEADER]


def products_csv(*rows: list[str], **kwargs: str) -> bytes:
    return make_csv([HEADER, *rows], **kwargs)


def codes(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(e.row, e.column, e.code) for e in report.errors]


def test_it_creates_products_and_their_categories(run):
    report = run(products_csv(row(1), row(2), row(3)), "products")
    assert report.ok and (report.created, report.updated) == (3, 0)
    product = Product.objects.select_related("category").get(external_id="P-3")
    assert (product.sku, product.name, product.price, product.currency, product.active) == (
        "SKU-3",
        "Product 3",
        Decimal("30.50"),
        "SEK",
        True,
    )
    assert product.category.name == "Drawing software"
    assert set(ProductCategory.objects.values_list("name", flat=True)) == {"Drawing software", "Services"}


def test_it_reuses_categories_whatever_their_capitals_and_is_idempotent(run):
    existing = make_category("Drawing Software")
    run(products_csv(row(1, category="drawing software")), "products")
    assert Product.objects.get().category == existing
    report = run(products_csv(row(1, category="drawing software")), "products")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert ProductCategory.objects.count() == 1


def test_it_updates_prices_names_and_the_active_flag(run):
    run(products_csv(row(1), row(2)), "products")
    report = run(products_csv(row(1, price="1 234,50", active="nej"), row(2)), "products")
    assert (report.updated, report.unchanged) == (1, 1)
    product = Product.objects.get(external_id="P-1")
    assert (product.price, product.active) == (Decimal("1234.50"), False)


def test_a_product_made_by_hand_is_adopted_by_its_sku(run):
    product = make_product("SKU-1", price="5.00")
    report = run(products_csv(row(1)), "products")
    assert (report.created, report.updated) == (0, 1)
    product.refresh_from_db()
    assert (product.external_id, product.price) == ("P-1", Decimal("10.50"))


def test_a_sku_of_another_product_is_refused(run):
    run(products_csv(row(1), row(2)), "products")
    report = run(products_csv(row(1, sku="SKU-2")), "products")
    assert codes(report) == [(2, "sku", "sku_taken")]
    assert Product.objects.get(external_id="P-1").sku == "SKU-1"


def test_without_an_external_id_column_the_sku_is_the_external_id(run):
    data = make_csv(
        [["Artikelnummer", "Benämning", "Pris", "Valuta"], ["A-1", "Skruv", "0,50", "sek"]], delimiter=";"
    )
    assert run(data, "products").ok
    product = Product.objects.get()
    assert (product.external_id, product.sku, product.price, product.currency) == (
        "A-1",
        "A-1",
        Decimal("0.50"),
        "SEK",
    )


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"currency": "XYZ"}, "currency", "invalid_currency"),
        ({"currency": "Kronor"}, "currency", "invalid_currency"),
        ({"currency": ""}, "currency", "required"),
        ({"price": "abc"}, "price", "invalid_number"),
        ({"price": "-5"}, "price", "negative"),
        ({"price": "1.234"}, "price", "too_many_decimals"),
        ({"price": "1e5"}, "price", "invalid_number"),
        ({"price": "NaN"}, "price", "invalid_number"),
        ({"price": "99999999999.00"}, "price", "too_big"),
        ({"price": ""}, "price", "required"),
        ({"active": "maybe"}, "active", "invalid_bool"),
        ({"name": "<b>Bold</b>"}, "name", "markup"),
        ({"name": "Licence 4111-1111-1111-1111"}, "name", "card_number"),
        ({"sku": ""}, "sku", "required"),
        ({"sku": "S" * 65}, "sku", "too_long"),
    ],
)
def test_it_reports_bad_values_and_changes_nothing(run, change, column, code):
    report = run(products_csv(row(1), row(2, **change)), "products")
    assert (3, column, code) in codes(report)
    assert not Product.objects.exists()


def test_it_refuses_duplicate_external_ids_and_skus_in_one_file(run):
    report = run(products_csv(row(1), row(1, sku="SKU-9"), row(2, sku="SKU-1")), "products")
    assert codes(report) == [(3, "external_id", "duplicate_id"), (4, "sku", "duplicate_sku")]
    assert not Product.objects.exists()

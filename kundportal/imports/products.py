"""Importing products, matched by external_id (the item id in the ERP; the SKU when the file has no such
column). A product made by hand without an external id is adopted by its SKU. Categories are found by name,
capitals aside, and created when new."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from kundportal.commerce.models import CURRENCIES, Product, ProductCategory
from kundportal.imports.base import Importer, Plan, Writer, chunked, reading
from kundportal.imports.progress import NO_PROGRESS, Progress
from kundportal.imports.values import Cells

if TYPE_CHECKING:
    from kundportal.accounts.models import User
    from kundportal.imports.parsers import Table

CURRENCY_CODES = {code.casefold(): code for code, _label in CURRENCIES}
CURRENCY_CHOICES = ", ".join(code for code, _label in CURRENCIES)
FIELDS = ("sku", "name", "category", "price", "currency", "active")


@dataclass
class ProductRow:
    number: int
    external_id: str
    sku: str
    name: str
    category: str  # "" means none
    price: Decimal
    currency: str
    active: bool


@dataclass
class ProductPlan(Plan):
    new: list[ProductRow] = field(default_factory=list)
    changed: list[tuple[Product, ProductRow]] = field(default_factory=list)
    categories: dict[str, ProductCategory] = field(default_factory=dict)  # casefolded name -> category
    has_category: bool = False


class ProductImporter(Importer):
    kind = "products"

    def plan(self, table: Table, *, actor: User, progress: Progress = NO_PROGRESS) -> ProductPlan:
        report = table.new_report()
        plan = ProductPlan(report=report, has_category="category" in table.columns)
        rows = self._read(table, plan, progress)
        by_external_id: dict[str, Product] = {}
        by_sku: dict[str, Product] = {}
        for chunk in chunked(rows):
            for product in Product.objects.filter(
                external_id__in=[r.external_id for r in chunk]
            ).select_related("category"):
                by_external_id[product.external_id or ""] = product
            for product in Product.objects.filter(sku__in=[r.sku for r in chunk]).select_related("category"):
                by_sku[product.sku] = product
        plan.categories = {c.name.casefold(): c for c in ProductCategory.objects.all()}
        for row in rows:
            product = by_external_id.get(row.external_id)
            holder = by_sku.get(row.sku)
            if product is None and holder is not None and holder.external_id is None:
                product = holder  # made by hand: this import gives it its external id
            elif holder is not None and holder != product:
                report.add(row.number, "sku", "sku_taken", value=row.sku, other=holder.external_id or "—")
                report.failed += 1
                continue
            if product is None:
                plan.new.append(row)
            elif self._differs(product, row, plan):
                plan.changed.append((product, row))
            else:
                report.unchanged += 1
        report.created = len(plan.new)
        report.updated = len(plan.changed)
        return plan

    def _read(self, table: Table, plan: ProductPlan, progress: Progress) -> list[ProductRow]:
        report = plan.report
        failed_rows = {error.row for error in report.errors}
        seen_ids: dict[str, int] = {}
        seen_skus: dict[str, int] = {}
        rows: list[ProductRow] = []
        id_column = "external_id" if "external_id" in table.columns else "sku"
        for source in reading(progress, table.rows):
            cells = Cells(report, source)
            sku = cells.identifier("sku", max_length=64)
            external_id = cells.identifier("external_id") if id_column == "external_id" else sku
            if external_id and external_id in seen_ids:
                cells.error(id_column, "duplicate_id", value=external_id, first=seen_ids[external_id])
            elif external_id:
                seen_ids[external_id] = source.number
            if sku and sku in seen_skus and id_column == "external_id":
                cells.error("sku", "duplicate_sku", value=sku, first=seen_skus[sku])
            elif sku:
                seen_skus[sku] = source.number
            name = cells.text("name", max_length=200, required=True)
            category = cells.text("category", max_length=100)
            price = cells.decimal("price", places=2, digits=12, required=True, minimum=Decimal(0))
            currency = cells.choice(
                "currency", CURRENCY_CODES, code="invalid_currency", choices=CURRENCY_CHOICES
            )
            if currency == "":
                cells.error("currency", "required")
            active = cells.boolean("active", default=True)
            if cells.failed or source.number in failed_rows:
                report.failed += 1
                continue
            assert external_id and sku and name and price is not None and currency and active is not None
            rows.append(
                ProductRow(source.number, external_id, sku, name, category or "", price, currency, active)
            )
        return rows

    @staticmethod
    def _differs(product: Product, row: ProductRow, plan: ProductPlan) -> bool:
        category = product.category.name.casefold() if product.category else ""
        return (
            product.external_id != row.external_id
            or product.sku != row.sku
            or product.name != row.name
            or (plan.has_category and category != row.category.casefold())
            or product.price != row.price
            or product.currency != row.currency
            or product.active != row.active
        )

    def apply(self, plan: Plan, *, actor: User, progress: Progress = NO_PROGRESS) -> None:
        assert isinstance(plan, ProductPlan)
        categories = plan.categories
        rows = plan.new + [row for _product, row in plan.changed]
        wanted = {r.category.casefold(): r.category for r in rows if r.category}
        missing = [ProductCategory(name=name) for key, name in wanted.items() if key not in categories]
        categories.update({c.name.casefold(): c for c in missing})

        def category(row: ProductRow) -> ProductCategory | None:
            return categories[row.category.casefold()] if row.category else None

        new = [
            Product(
                external_id=r.external_id,
                sku=r.sku,
                name=r.name,
                category=category(r),
                price=r.price,
                currency=r.currency,
                active=r.active,
            )
            for r in plan.new
        ]
        updated: list[Product] = []
        for product, row in plan.changed:
            product.external_id, product.sku, product.name = row.external_id, row.sku, row.name
            if plan.has_category:
                product.category = category(row)
            product.price, product.currency, product.active = row.price, row.currency, row.active
            updated.append(product)
        writer = Writer(progress, len(missing) + len(new) + len(updated))
        writer.create(ProductCategory, missing)
        writer.create(Product, new)
        writer.update(
            Product, updated, ["external_id", "sku", "name", "category", "price", "currency", "active"]
        )

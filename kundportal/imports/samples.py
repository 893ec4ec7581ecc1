"""The sample files offered on the import page: the documented column names and two example rows each.

Their column names are the canonical ones, which the API's JSON rows use too."""

from __future__ import annotations

SAMPLES: dict[str, list[list[str]]] = {
    "customers": [
        [
            "external_id",
            "name",
            "kind",
            "vat_number",
            "email",
            "phone",
            "preferred_language",
            "street_address",
            "postal_code",
            "city",
            "country_area",
            "country",
        ],
        [
            "K-10001",
            "Nordbygg AB",
            "company",
            "SE556677889901",
            "info@nordbygg.example",
            "+46 8 123 456 78",
            "sv",
            "Storgatan 1",
            "111 22",
            "Stockholm",
            "",
            "SE",
        ],
        [
            "K-10002",
            "Erika Muster",
            "private",
            "",
            "erika@example.com",
            "",
            "de",
            "Hauptstraße 5",
            "10115",
            "Berlin",
            "",
            "DE",
        ],
    ],
    "products": [
        ["external_id", "sku", "name", "category", "price", "currency", "active"],
        ["P-1", "CAD-PRO-1Y", "CAD Pro, one-year licence", "Drawing software", "4990.00", "SEK", "yes"],
        ["P-2", "SRV-HOUR", "Consulting hour", "Services", "1150.00", "SEK", "yes"],
    ],
    "orders": [
        [
            "external_id",
            "customer",
            "number",
            "placed_at",
            "status",
            "currency",
            "sku",
            "quantity",
            "unit_price",
        ],
        ["O-5001", "K-10001", "2026-5001", "2026-11-02", "confirmed", "SEK", "CAD-PRO-1Y", "2", "4990.00"],
        ["O-5001", "K-10001", "2026-5001", "2026-11-02", "confirmed", "SEK", "SRV-HOUR", "8", "1150.00"],
    ],
}

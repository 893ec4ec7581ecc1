"""The catalogue: provider admins add, change and deactivate products and categories (pages and API, one
service); account managers read; customers never see the catalogue pages and list only active products."""

from decimal import Decimal

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import Product, ProductCategory
from kundportal.commerce.tests.conftest import JSON

pytestmark = pytest.mark.django_db

PRODUCT = {
    "name": "Plotter ink",
    "sku": "INK-7",
    "description": "Black",
    "price": "45.90",
    "currency": "SEK",
    "active": "on",
}


def snapshot():
    return list(Product.objects.order_by("sku").values_list("sku", "name", "price", "currency", "active"))


# ---------------------------------------------------------------------------------------------------------
# Pages


def test_it_lets_a_provider_admin_add_a_product(login, provider_admin, software, drawing_interest):
    client = login(provider_admin)
    assert client.get("/catalogue/new/").status_code == 200
    data = {**PRODUCT, "category": software.pk, "interest_categories": [drawing_interest.pk]}
    response = client.post("/catalogue/new/", data)
    assert response.status_code == 302
    product = Product.objects.get(sku="INK-7")
    assert product.price == Decimal("45.90") and product.currency == "SEK" and product.active
    assert product.category == software
    assert list(product.interest_categories.all()) == [drawing_interest]
    event = AuditEvent.objects.get(action=Action.PRODUCT_CHANGED)
    assert event.actor == provider_admin and event.data["created"]["sku"] == "INK-7"
    listing = client.get("/catalogue/")
    assert "Plotter ink" in listing.content.decode()


def test_it_accepts_a_price_written_the_swedish_way(login, provider_admin):
    client = login(provider_admin)
    client.cookies["kp_language"] = "sv"
    response = client.post("/catalogue/new/", {**PRODUCT, "price": "1 245,50"}, HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Product.objects.get(sku="INK-7").price == Decimal("1245.50")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "0", "The price must be more than zero."),
        ("price", "-5", "The price must be more than zero."),
        ("price", "1.005", "Prices have at most two decimals."),
        ("currency", "XYZ", "Select a valid choice."),
        ("sku", "CAD-1", "Another product has the SKU CAD-1 already."),
        ("sku", "cad-1", "Another product has the SKU cad-1 already."),
        ("sku", "has space", "without spaces"),
        ("name", "<script>alert(1)</script>", "Names cannot contain &lt; or &gt;."),
        ("name", "Ink\x00", "Null characters are not allowed."),
    ],
)
def test_it_refuses_bad_products_and_changes_nothing(login, provider_admin, cad, field, value, message):
    before = snapshot()
    response = login(provider_admin).post("/catalogue/new/", {**PRODUCT, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action=Action.PRODUCT_CHANGED).exists()


def test_it_edits_and_deactivates_a_product(login, provider_admin, cad):
    client = login(provider_admin)
    page = client.get(f"/catalogue/{cad.pk}/")
    assert page.status_code == 200 and "CAD-1" in page.content.decode()
    response = client.post(f"/catalogue/{cad.pk}/", {**PRODUCT, "sku": "CAD-1", "name": "CAD Studio 2"})
    assert response.status_code == 302
    cad.refresh_from_db()
    assert cad.name == "CAD Studio 2" and cad.price == Decimal("45.90")
    changes = AuditEvent.objects.get(action=Action.PRODUCT_CHANGED).data["changes"]
    assert changes["name"] == ["CAD Studio licence", "CAD Studio 2"]
    assert client.post(f"/catalogue/{cad.pk}/deactivate/").status_code == 302
    cad.refresh_from_db()
    assert not cad.active
    assert client.post(f"/catalogue/{cad.pk}/activate/").status_code == 302
    cad.refresh_from_db()
    assert cad.active


def test_account_managers_read_the_catalogue_but_change_nothing(login, account_manager, cad):
    client = login(account_manager)
    listing = client.get("/catalogue/")
    assert listing.status_code == 200 and "CAD Studio licence" in listing.content.decode()
    assert "New product" not in listing.content.decode()
    before = snapshot()
    assert client.get("/catalogue/new/").status_code == 403
    assert client.post("/catalogue/new/", PRODUCT).status_code == 403
    assert client.get(f"/catalogue/{cad.pk}/").status_code == 403
    assert client.post(f"/catalogue/{cad.pk}/deactivate/").status_code == 403
    assert client.post("/catalogue/categories/new/", {"name": "Hardware"}).status_code == 403
    assert snapshot() == before
    assert not ProductCategory.objects.filter(name="Hardware").exists()


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
def test_customers_are_not_told_the_catalogue_pages_exist(request, login, who, cad, software):
    client = login(request.getfixturevalue(who))
    before = snapshot()
    for path in (
        "/catalogue/",
        "/catalogue/new/",
        f"/catalogue/{cad.pk}/",
        "/catalogue/categories/",
        "/catalogue/categories/new/",
        f"/catalogue/categories/{software.pk}/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/catalogue/{cad.pk}/deactivate/").status_code == 404
    assert client.post("/catalogue/new/", PRODUCT).status_code == 404
    assert snapshot() == before


def test_it_searches_and_pages_the_catalogue(login, account_manager):
    Product.objects.bulk_create(
        Product(sku=f"P-{n:03d}", name=f"Part {n:03d}", price=Decimal("1.00"), active=n % 2 == 0)
        for n in range(120)
    )
    client = login(account_manager)
    first = client.get("/catalogue/")
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 120
    assert client.get("/catalogue/?q=P-007").context["page"].paginator.count == 1
    assert client.get("/catalogue/?state=inactive").context["page"].paginator.count == 60
    assert "No product matches" in client.get("/catalogue/?q=nothing").content.decode()


def test_it_shows_an_empty_catalogue_with_an_explanation(login, provider_admin):
    page = login(provider_admin).get("/catalogue/").content.decode()
    assert "The catalogue is empty" in page


def test_it_manages_categories_with_interests(login, provider_admin, drawing_interest):
    client = login(provider_admin)
    response = client.post(
        "/catalogue/categories/new/", {"name": "Licences", "interest_categories": [drawing_interest.pk]}
    )
    assert response.status_code == 302
    category = ProductCategory.objects.get(name="Licences")
    assert list(category.interest_categories.all()) == [drawing_interest]
    duplicate = client.post("/catalogue/categories/new/", {"name": "licences"})
    assert duplicate.status_code == 400
    assert "A category with this name exists already." in duplicate.content.decode()
    client.post(f"/catalogue/categories/{category.pk}/", {"name": "Software licences"})
    category.refresh_from_db()
    assert category.name == "Software licences" and not category.interest_categories.exists()
    listing = client.get("/catalogue/categories/").content.decode()
    assert "Software licences" in listing


def test_a_product_name_with_markup_is_shown_as_text(login, provider_admin):
    Product.objects.create(sku="X-1", name="Cable <b>5m</b>", price=Decimal("3.00"))
    page = login(provider_admin).get("/catalogue/").content.decode()
    assert "Cable &lt;b&gt;5m&lt;/b&gt;" in page and "<b>5m</b>" not in page


# ---------------------------------------------------------------------------------------------------------
# API


def test_the_api_adds_changes_and_deactivates_products(
    api_client, provider_admin, software, drawing_interest
):
    api = api_client(provider_admin)
    body = {
        "sku": "INK-7",
        "name": "Plotter ink",
        "price": "45.90",
        "currency": "EUR",
        "category_id": str(software.pk),
        "interest_categories": ["drawing-software"],
    }
    created = api.post("/api/v1/products", body, **JSON)
    assert created.status_code == 201, created.content
    product = created.json()
    assert product["price"] == "45.90" and product["currency"] == "EUR"
    assert product["category"] == "Software" and product["interest_categories"] == ["drawing-software"]
    changed = api.patch(f"/api/v1/products/{product['id']}", {"price": "50"}, **JSON)
    assert changed.status_code == 200 and changed.json()["price"] == "50.00"
    assert changed.json()["interest_categories"] == ["drawing-software"]  # left out: kept
    assert api.delete(f"/api/v1/products/{product['id']}").status_code == 204
    assert not Product.objects.get(sku="INK-7").active
    assert api.get(f"/api/v1/products/{product['id']}").json()["active"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"currency": "XYZ"}, "currency"),
        ({"sku": "CAD-1"}, "sku"),
        ({"name": "<img src=x onerror=alert(1)>"}, "name"),
        ({"interest_categories": ["no-such-interest"]}, "interest_categories"),
    ],
)
def test_the_api_refuses_bad_products_with_a_reason(api_client, provider_admin, cad, change, field):
    before = snapshot()
    body = {"sku": "INK-7", "name": "Ink", "price": "10.00", "currency": "SEK", **change}
    response = api_client(provider_admin).post("/api/v1/products", body, **JSON)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert snapshot() == before


def test_the_api_refuses_nul_characters(api_client, provider_admin):
    body = {"sku": "INK-7", "name": "Ink\u0000", "price": "10.00", "currency": "SEK"}
    assert api_client(provider_admin).post("/api/v1/products", body, **JSON).status_code == 422
    assert not Product.objects.exists()


def test_customers_list_only_active_products_and_change_nothing(api_client, customer_admin, cad, paper):
    paper.active = False
    paper.save()
    api = api_client(customer_admin)
    listed = api.get("/api/v1/products").json()
    assert [p["sku"] for p in listed["items"]] == ["CAD-1"]
    assert api.get(f"/api/v1/products/{paper.pk}").status_code == 404
    before = snapshot()
    assert api.patch(f"/api/v1/products/{cad.pk}", {"price": "1"}, **JSON).status_code == 403
    assert api.delete(f"/api/v1/products/{cad.pk}").status_code == 403
    assert api.patch(f"/api/v1/products/{paper.pk}", {"price": "1"}, **JSON).status_code == 404
    body = {"sku": "NEW-1", "name": "New", "price": "1.00", "currency": "SEK"}
    assert api.post("/api/v1/products", body, **JSON).status_code == 404
    assert api.get("/api/v1/product-categories").json()["items"] == []
    assert snapshot() == before


def test_account_managers_read_products_through_the_api_but_change_nothing(
    api_client, account_manager, cad, software
):
    api = api_client(account_manager)
    assert api.get(f"/api/v1/products/{cad.pk}").status_code == 200
    assert api.get("/api/v1/products?q=cad").json()["count"] == 1
    assert api.get(f"/api/v1/product-categories/{software.pk}").json()["product_count"] == 1
    assert api.patch(f"/api/v1/products/{cad.pk}", {"price": "1"}, **JSON).status_code == 403
    assert api.post("/api/v1/product-categories", {"name": "New"}, **JSON).status_code == 403
    assert api.patch(f"/api/v1/product-categories/{software.pk}", {"name": "X"}, **JSON).status_code == 403
    cad.refresh_from_db()
    assert cad.price == Decimal("1200.00")


def test_the_api_manages_categories(api_client, provider_admin, drawing_interest):
    api = api_client(provider_admin)
    created = api.post("/api/v1/product-categories", {"name": "Licences"}, **JSON)
    assert created.status_code == 201
    category_id = created.json()["id"]
    patched = api.patch(
        f"/api/v1/product-categories/{category_id}", {"interest_categories": ["drawing-software"]}, **JSON
    )
    assert patched.json() == {
        "id": category_id,
        "name": "Licences",
        "interest_categories": ["drawing-software"],
        "product_count": 0,
    }
    assert api.post("/api/v1/product-categories", {"name": "LICENCES"}, **JSON).status_code == 422


CARD = "4111 1111 1111 1111"  # passes the Luhn check


@pytest.mark.parametrize("field", ["name", "description"])
def test_a_card_number_in_free_text_is_refused(login, api_client, provider_admin, field):
    response = login(provider_admin).post("/catalogue/new/", {**PRODUCT, field: f"Card {CARD}"})
    assert response.status_code == 400
    assert "This looks like a payment card number." in response.content.decode()
    body = {"sku": "INK-7", "name": "Ink", "price": "10.00", "currency": "SEK", field: f"Card {CARD}"}
    api = api_client(provider_admin).post("/api/v1/products", body, **JSON)
    assert api.status_code == 422 and field in api.json()["errors"]
    assert not Product.objects.exists()

"""Orders entered by staff (page and API, one service), status transitions that validate, the status history,
and the order page for everyone who sees the order."""

import uuid
from decimal import Decimal

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import Order, OrderLine, OrderStatus, OrderStatusChange
from kundportal.commerce.services import change_order_status
from kundportal.commerce.tests.conftest import JSON
from kundportal.commerce.tests.factories import make_order

pytestmark = pytest.mark.django_db


def lines_post(*rows, placed_by=""):
    data = {
        "placed_by": placed_by,
        "lines-TOTAL_FORMS": str(max(len(rows), 1)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for index, (sku, quantity) in enumerate(rows):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = quantity
    return data


def orders_snapshot():
    return {
        "orders": list(
            Order.objects.order_by("number").values_list("number", "status", "total", "invoice_id")
        ),
        "lines": OrderLine.objects.count(),
        "changes": OrderStatusChange.objects.count(),
    }


# ---------------------------------------------------------------------------------------------------------
# Entering an order


def test_an_account_manager_enters_an_order_on_the_page(
    login, account_manager, organisation, customer_member, cad, paper
):
    client = login(account_manager)
    form = client.get(f"/organisations/{organisation.pk}/orders/new/")
    assert form.status_code == 200
    assert 'list="product-skus"' in form.content.decode() and "CAD-1" in form.content.decode()
    response = client.post(
        f"/organisations/{organisation.pk}/orders/new/",
        lines_post(("CAD-1", "2"), ("pap-a3", "1.5"), ("", ""), placed_by=customer_member.pk),
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.pk}/"
    assert order.organisation == organisation and order.placed_by == customer_member
    assert order.status == OrderStatus.REQUESTED and order.currency == "SEK"
    assert order.total == Decimal("2549.25")  # 2 x 1200.00 + 1.5 x 99.50
    assert order.number.startswith("ORD-") and len(order.number) == len("ORD-2026-000001")
    assert [(line.sku, line.quantity, line.line_total) for line in order.lines.all()] == [
        ("CAD-1", Decimal("2.000"), Decimal("2400.00")),
        ("PAP-A3", Decimal("1.500"), Decimal("149.25")),
    ]
    change = order.status_changes.get()
    assert (change.from_status, change.to_status, change.actor) == ("", "requested", account_manager)
    event = AuditEvent.objects.get(action=Action.ORDER_CREATED)
    assert event.organisation_id == organisation.pk and event.data["total"] == "2549.25"


def test_order_numbers_follow_each_other(api_client, account_manager, organisation, paper):
    api = api_client(account_manager)
    body = {"lines": [{"product_id": str(paper.pk), "quantity": 1}]}
    first = api.post(f"/api/v1/organisations/{organisation.pk}/orders", body, **JSON).json()["number"]
    second = api.post(f"/api/v1/organisations/{organisation.pk}/orders", body, **JSON).json()["number"]
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [("CAD-1", "1"), ("SRV-EU", "1")],
            "All products of an order must have the same currency; these have EUR, SEK.",
        ),
        ([("CAD-1", "0")], "The quantity must be more than zero."),
        ([("CAD-1", "-2")], "The quantity must be more than zero."),
        ([("CAD-1", "1.0005")], "Quantities have at most three decimals."),
        ([("NOPE-1", "1")], "No product has the SKU NOPE-1."),
        ([("CAD-1", "")], "Enter how many."),
        ([("", "")], "Add at least one product."),
        ([("CAD-1\x00", "1")], "Null characters are not allowed."),
    ],
)
def test_it_refuses_bad_orders_and_changes_nothing(
    login, account_manager, organisation, cad, euro_service, rows, message
):
    before = orders_snapshot()
    response = login(account_manager).post(f"/organisations/{organisation.pk}/orders/new/", lines_post(*rows))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert orders_snapshot() == before
    assert not AuditEvent.objects.filter(action=Action.ORDER_CREATED).exists()


def test_it_refuses_a_deactivated_product(login, account_manager, organisation, cad):
    cad.active = False
    cad.save()
    response = login(account_manager).post(
        f"/organisations/{organisation.pk}/orders/new/", lines_post(("CAD-1", "1"))
    )
    assert "Line 1: CAD Studio licence is no longer sold." in response.content.decode()
    assert not Order.objects.exists()


def test_the_person_who_ordered_must_belong_to_the_customer(
    login, account_manager, organisation, outsider, cad
):
    response = login(account_manager).post(
        f"/organisations/{organisation.pk}/orders/new/", lines_post(("CAD-1", "1"), placed_by=outsider.pk)
    )
    assert response.status_code == 400
    assert not Order.objects.exists()


@pytest.mark.parametrize("who", ["customer_admin", "customer_member", "customer_viewer"])
def test_customers_do_not_enter_orders(request, login, api_client, organisation, cad, who):
    user = request.getfixturevalue(who)
    assert login(user).get(f"/organisations/{organisation.pk}/orders/new/").status_code == 403
    assert (
        login(user)
        .post(f"/organisations/{organisation.pk}/orders/new/", lines_post(("CAD-1", "1")))
        .status_code
        == 403
    )
    body = {"lines": [{"product_id": str(cad.pk), "quantity": 1}]}
    assert (
        api_client(user).post(f"/api/v1/organisations/{organisation.pk}/orders", body, **JSON).status_code
        == 403
    )
    assert not Order.objects.exists()


def test_outsiders_and_unassigned_managers_do_not_see_the_customer(
    login, api_client, outsider, organisation, cad
):
    from conftest import make_user

    stranger = make_user("sam@provider.example", provider_role="manager")
    body = {"lines": [{"product_id": str(cad.pk), "quantity": 1}]}
    for user in (outsider, stranger):
        assert login(user).get(f"/organisations/{organisation.pk}/orders/new/").status_code == 404
        assert (
            api_client(user).post(f"/api/v1/organisations/{organisation.pk}/orders", body, **JSON).status_code
            == 404
        )
    assert not Order.objects.exists()


def test_the_api_enters_an_order(api_client, account_manager, organisation, customer_member, cad, paper):
    body = {
        "lines": [{"product_id": str(cad.pk), "quantity": "1"}, {"product_id": str(paper.pk), "quantity": 3}],
        "placed_by_id": str(customer_member.pk),
        "currency": "SEK",
    }
    response = api_client(account_manager).post(
        f"/api/v1/organisations/{organisation.pk}/orders", body, **JSON
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["total"] == "1498.50" and order["currency"] == "SEK" and order["status"] == "requested"
    assert order["placed_by"] == "mia@acme.example" and order["line_count"] == 2
    assert [line["sku"] for line in order["lines"]] == ["CAD-1", "PAP-A3"]
    assert order["history"][0]["to_status"] == "requested"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "EUR"}, "currency"),
        ({"lines": [{"product_id": "CAD", "quantity": 1}]}, None),
        ({"lines": [{"product_id": str(uuid.uuid4()), "quantity": 1}]}, "lines"),
        ({"lines": []}, None),
        ({"extra_product": "EUR"}, "lines"),
        ({"quantity": "0"}, "lines"),
        ({"quantity": "-1"}, "lines"),
        ({"placed_by_id": str(uuid.uuid4())}, "placed_by"),
    ],
)
def test_the_api_refuses_bad_orders(
    api_client, account_manager, organisation, cad, euro_service, body, field
):
    lines = [{"product_id": str(cad.pk), "quantity": body.pop("quantity", 1)}]
    if body.pop("extra_product", None):
        lines.append({"product_id": str(euro_service.pk), "quantity": 1})
    payload = {"lines": lines, **body}
    response = api_client(account_manager).post(
        f"/api/v1/organisations/{organisation.pk}/orders", payload, **JSON
    )
    assert response.status_code == 422, response.content
    if field:
        assert field in response.json()["errors"]
    assert not Order.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Status transitions


def test_staff_move_an_order_on_and_the_history_shows_it(
    login, account_manager, organisation, customer_member, cad
):
    order = make_order(organisation, (cad, 1), placed_by=customer_member, status=OrderStatus.REQUESTED)
    client = login(account_manager)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert '<option value="confirmed">' in page and '<option value="paid">' not in page
    response = client.post(f"/orders/{order.pk}/status/", {"status": "confirmed", "note": "Ships Monday"})
    assert response.status_code == 302
    client.post(f"/orders/{order.pk}/status/", {"status": "shipped"})
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    history = list(order.status_changes.values_list("from_status", "to_status", "note"))
    assert history == [("requested", "confirmed", "Ships Monday"), ("confirmed", "shipped", "")]
    assert AuditEvent.objects.filter(action=Action.ORDER_STATUS_CHANGED).count() == 2
    # The customer sees the history, with the note.
    customer_page = login(customer_member).get(f"/orders/{order.pk}/").content.decode()
    assert "Requested → Confirmed" in customer_page and "Ships Monday" in customer_page
    assert "Move the order on" not in customer_page


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (OrderStatus.PAID, OrderStatus.REQUESTED),
        (OrderStatus.CANCELLED, OrderStatus.REQUESTED),
        (OrderStatus.CANCELLED, OrderStatus.CONFIRMED),
        (OrderStatus.CANCELLED, OrderStatus.PAID),
        (OrderStatus.REQUESTED, OrderStatus.SHIPPED),
        (OrderStatus.DELIVERED, OrderStatus.CANCELLED),
    ],
)
def test_it_refuses_impossible_transitions_and_changes_nothing(
    login, api_client, account_manager, organisation, cad, start, target
):
    order = make_order(organisation, (cad, 1), status=start)
    before = orders_snapshot()
    response = login(account_manager).post(f"/orders/{order.pk}/status/", {"status": target}, follow=True)
    current, following = OrderStatus(start).label, OrderStatus(target).label
    assert f"An order that is {current} cannot become {following}." in response.content.decode()
    api = api_client(account_manager).post(f"/api/v1/orders/{order.pk}/status", {"status": target}, **JSON)
    assert api.status_code == 422
    assert api.json()["errors"]["status"] == [f"An order that is {current} cannot become {following}."]
    assert orders_snapshot() == before
    assert not AuditEvent.objects.filter(action=Action.ORDER_STATUS_CHANGED).exists()


def test_the_refusal_is_translated(login, account_manager, organisation, cad):
    order = make_order(organisation, (cad, 1), status=OrderStatus.PAID)
    client = login(account_manager)
    client.cookies["kp_language"] = "de"
    response = client.post(f"/orders/{order.pk}/status/", {"status": "requested"}, follow=True)
    page = response.content.decode()
    assert 'lang="de"' in page
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_invoiced_comes_with_the_invoice_only(api_client, account_manager, organisation, cad):
    order = make_order(organisation, (cad, 1), status=OrderStatus.CONFIRMED)
    response = api_client(account_manager).post(
        f"/api/v1/orders/{order.pk}/status", {"status": "invoiced"}, **JSON
    )
    assert response.status_code == 422
    assert "Issue the invoice" in response.json()["errors"]["status"][0]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


@pytest.mark.parametrize("status", ["unknown", "", "paid\x00"])
def test_it_refuses_unknown_statuses(api_client, account_manager, organisation, cad, status):
    order = make_order(organisation, (cad, 1), status=OrderStatus.CONFIRMED)
    response = api_client(account_manager).post(
        f"/api/v1/orders/{order.pk}/status", {"status": status}, **JSON
    )
    assert response.status_code == 422
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_the_service_refuses_customers(customer_admin, organisation, cad):
    from django.core.exceptions import PermissionDenied

    order = make_order(organisation, (cad, 1), status=OrderStatus.CONFIRMED)
    with pytest.raises(PermissionDenied):
        change_order_status(actor=customer_admin, order=order, status="cancelled")


@pytest.mark.parametrize("who", ["customer_admin", "customer_member", "customer_viewer"])
def test_customers_see_but_do_not_move_orders(request, login, api_client, organisation, member_order, who):
    user = request.getfixturevalue(who)
    before = orders_snapshot()
    assert login(user).post(f"/orders/{member_order.pk}/status/", {"status": "cancelled"}).status_code == 403
    assert login(user).post(f"/orders/{member_order.pk}/invoice/issue/").status_code == 403
    api = api_client(user)
    assert (
        api.post(f"/api/v1/orders/{member_order.pk}/status", {"status": "cancelled"}, **JSON).status_code
        == 403
    )
    assert api.post(f"/api/v1/orders/{member_order.pk}/invoice").status_code == 403
    assert orders_snapshot() == before


def test_a_forged_order_id_of_another_customer_is_not_found(
    login, api_client, outsider, member_order, other_organisation, cad
):
    theirs = make_order(other_organisation, (cad, 1))
    for user_client in (login(outsider),):
        assert user_client.get(f"/orders/{member_order.pk}/").status_code == 404
        assert user_client.get(f"/orders/{theirs.pk}/").status_code == 200
        assert user_client.get(f"/orders/{member_order.pk}/invoice/").status_code == 404
        assert user_client.post(f"/orders/{member_order.pk}/reorder/").status_code == 404
    api = api_client(outsider)
    assert api.get(f"/api/v1/orders/{member_order.pk}").status_code == 404
    assert api.get(f"/api/v1/orders/{uuid.uuid4()}").status_code == 404
    assert api.post(f"/api/v1/orders/{member_order.pk}/reorder", {}, **JSON).status_code == 404
    assert (
        api.post(f"/api/v1/orders/{member_order.pk}/status", {"status": "cancelled"}, **JSON).status_code
        == 404
    )
    assert api.get("/api/v1/orders").json()["count"] == 1


# ---------------------------------------------------------------------------------------------------------
# The order page


def test_the_order_page_shows_lines_totals_and_history(login, customer_member, member_order):
    page = login(customer_member).get(f"/orders/{member_order.pk}/").content.decode()
    assert f"Order {member_order.number}" in page
    assert "CAD Studio licence" in page and "Plotter paper A3" in page
    assert "SEK 1,598.00" in page  # 1200.00 + 4 x 99.50
    assert "SEK 398.00" in page
    assert "Buy again" in page
    assert "Not issued yet" in page


def test_money_is_written_the_readers_way(login, customer_member, member_order):
    client = login(customer_member)
    client.cookies["kp_language"] = "sv"
    assert "1\xa0598,00" in client.get(f"/orders/{member_order.pk}/").content.decode()
    client.cookies["kp_language"] = "de"
    assert "1.598,00" in client.get(f"/orders/{member_order.pk}/").content.decode()


def test_the_api_gives_an_order_with_lines_and_history(api_client, customer_member, member_order):
    response = api_client(customer_member).get(f"/api/v1/orders/{member_order.pk}")
    assert response.status_code == 200
    order = response.json()
    assert order["number"] == member_order.number and order["total"] == "1598.00"
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [
        ("CAD-1", "1.000"),
        ("PAP-A3", "4.000"),
    ]
    assert order["has_invoice"] is False and order["organisation"] == "Acme AB"


def test_a_card_number_in_a_status_note_is_refused(api_client, account_manager, organisation, cad):
    order = make_order(organisation, (cad, 1), status=OrderStatus.REQUESTED)
    body = {"status": "confirmed", "note": "Paid with 4111-1111-1111-1111"}
    response = api_client(account_manager).post(f"/api/v1/orders/{order.pk}/status", body, **JSON)
    assert response.status_code == 422
    assert "payment card number" in response.json()["errors"]["note"][0]
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED and not order.status_changes.exists()

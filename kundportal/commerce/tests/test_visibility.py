"""Per-user visibility inside a customer: when its admin turns "members see all orders and invoices" off,
members and viewers see only the orders (and so the invoices) they placed; admins and staff see all."""

import pytest

from kundportal.commerce.tests.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced(api_client, account_manager, member_order, admin_order):
    """Both orders invoiced (Carl's is delivered, Mia's confirmed: both may be)."""
    staff = api_client(account_manager)
    for order in (member_order, admin_order):
        assert staff.post(f"/api/v1/orders/{order.pk}/invoice").status_code == 201
    return member_order, admin_order


def visible_numbers(client):
    return [order.number for order in client.get("/orders/").context["page"].object_list]


def test_everyone_in_the_customer_sees_all_orders_by_default(
    login, customer_member, customer_viewer, member_order, admin_order
):
    for user in (customer_member, customer_viewer):
        assert visible_numbers(login(user)) == [member_order.number, admin_order.number]


def test_members_see_only_their_own_orders_and_invoices_when_it_is_off(
    login, api_client, customer_member, restricted, invoiced
):
    member_order, admin_order = invoiced
    client, api = login(customer_member), api_client(customer_member)
    assert visible_numbers(client) == [member_order.number]
    assert client.get(f"/orders/{member_order.pk}/").status_code == 200
    assert client.get(f"/orders/{member_order.pk}/invoice/").status_code == 200
    # Carl's order and its invoice do not exist for Mia: the same answer as for an unknown id.
    assert client.get(f"/orders/{admin_order.pk}/").status_code == 404
    assert client.get(f"/orders/{admin_order.pk}/invoice/").status_code == 404
    assert client.post(f"/orders/{admin_order.pk}/reorder/").status_code == 404
    assert client.get(f"/documents/{admin_order.invoice_id}/download/").status_code == 404
    assert [o["number"] for o in api.get("/api/v1/orders").json()["items"]] == [member_order.number]
    assert api.get(f"/api/v1/orders/{admin_order.pk}").status_code == 404
    assert api.get(f"/api/v1/orders/{admin_order.pk}/invoice").status_code == 404
    summary = api.get("/api/v1/orders/summary").json()
    assert summary["order_count"] == 1
    # Nor does Carl's paper count in what Mia "buys most".
    assert [(p["sku"], p["quantity"]) for p in summary["top_products"]] == [
        ("PAP-A3", "4.000"),
        ("CAD-1", "1.000"),
    ]


def test_viewers_see_only_what_they_placed_when_it_is_off(
    login, customer_viewer, organisation, restricted, member_order, cad
):
    own = make_order(organisation, (cad, 1), placed_by=customer_viewer)
    assert visible_numbers(login(customer_viewer)) == [own.number]
    assert login(customer_viewer).get(f"/orders/{member_order.pk}/").status_code == 404


def test_admins_and_staff_still_see_everything(login, customer_admin, account_manager, restricted, invoiced):
    member_order, admin_order = invoiced
    for user in (customer_admin, account_manager):
        client = login(user)
        assert visible_numbers(client) == [member_order.number, admin_order.number]
        assert client.get(f"/orders/{member_order.pk}/invoice/").status_code == 200


def test_orders_nobody_placed_are_for_admins_when_it_is_off(
    login, customer_member, customer_admin, organisation, restricted, cad
):
    order = make_order(organisation, (cad, 1), placed_by=None)
    assert visible_numbers(login(customer_member)) == []
    assert visible_numbers(login(customer_admin)) == [order.number]


def test_turning_it_on_again_shows_everything_again(
    login, customer_member, restricted, member_order, admin_order
):
    restricted.members_see_all_orders = True
    restricted.save()
    assert visible_numbers(login(customer_member)) == [member_order.number, admin_order.number]


def test_a_member_of_another_customer_sees_nothing_of_acme(login, api_client, outsider, restricted, invoiced):
    assert visible_numbers(login(outsider)) == []
    for order in invoiced:
        assert login(outsider).get(f"/orders/{order.pk}/").status_code == 404
        assert api_client(outsider).get(f"/api/v1/orders/{order.pk}/invoice").status_code == 404

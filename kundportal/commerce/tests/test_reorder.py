""" "Buy again": a customer admin or member asks their account manager to repeat an order; the managers get a
plain email in their own language with a link and the order number only. Viewers only read."""

import pytest
from django.core import mail

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import ReorderRequest
from kundportal.commerce.tests.conftest import JSON

pytestmark = pytest.mark.django_db


def test_a_member_asks_to_buy_again_and_the_account_manager_is_emailed(
    login, customer_member, account_manager, member_order, django_capture_on_commit_callbacks, settings
):
    account_manager.language = "sv"
    account_manager.save()
    client = login(customer_member)
    assert "Buy again" in client.get(f"/orders/{member_order.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/orders/{member_order.pk}/reorder/", {"message": "Same as last time, please"}, follow=True
        )
    assert "Your account manager was asked to repeat this order" in response.content.decode()
    reorder = ReorderRequest.objects.get()
    assert (reorder.order, reorder.requested_by, reorder.message) == (
        member_order,
        customer_member,
        "Same as last time, please",
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mads@provider.example"]
    assert member_order.number in message.subject
    assert f"{settings.BASE_URL}/orders/{member_order.pk}/" in message.body
    assert "Mia Member" in message.body and "Acme AB" in message.body
    # Nothing about what was ordered, nor the customer's message, leaves the portal by email.
    for secret in ("CAD", "Plotter", "1,598", "1598", "Same as last time"):
        assert secret not in message.body and secret not in message.subject
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", None)
    assert message.body.startswith("Hej!")  # Mads reads Swedish
    event = AuditEvent.objects.get(action=Action.REORDER_REQUESTED)
    assert event.actor == customer_member and event.organisation_id == member_order.organisation_id
    # The account manager sees the request on the order.
    assert (
        "Same as last time, please"
        in login(account_manager).get(f"/orders/{member_order.pk}/").content.decode()
    )


def test_each_manager_gets_the_email_in_their_own_language(
    login, customer_member, account_manager, member_order, django_capture_on_commit_callbacks
):
    from conftest import make_user
    from kundportal.organisations.models import StaffAssignment

    account_manager.language = "de"
    account_manager.save()
    english = make_user("erin@provider.example", provider_role="manager")
    StaffAssignment.objects.create(organisation=member_order.organisation, user=english)
    with django_capture_on_commit_callbacks(execute=True):
        login(customer_member).post(f"/orders/{member_order.pk}/reorder/")
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert bodies["mads@provider.example"].startswith("Guten Tag,")
    assert bodies["erin@provider.example"].startswith("Hello,")


def test_asking_twice_in_a_day_sends_one_email(
    api_client, customer_member, member_order, django_capture_on_commit_callbacks
):
    api = api_client(customer_member)
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(f"/api/v1/orders/{member_order.pk}/reorder", {"message": "Again"}, **JSON)
    with django_capture_on_commit_callbacks(execute=True):
        second = api.post(f"/api/v1/orders/{member_order.pk}/reorder", {}, **JSON)
    assert first.status_code == 201 and first.json()["new"] is True
    assert (
        second.status_code == 200
        and second.json()["new"] is False
        and second.json()["id"] == first.json()["id"]
    )
    assert ReorderRequest.objects.count() == 1 and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action=Action.REORDER_REQUESTED).count() == 1


def test_a_customer_nobody_looks_after_goes_to_the_provider_admins(
    login, customer_member, member_order, account_manager, provider_admin, django_capture_on_commit_callbacks
):
    member_order.organisation.account_managers.clear()
    with django_capture_on_commit_callbacks(execute=True):
        login(customer_member).post(f"/orders/{member_order.pk}/reorder/")
    assert [m.to for m in mail.outbox] == [["alice@provider.example"]]


def test_viewers_only_read(login, api_client, customer_viewer, member_order):
    page = login(customer_viewer).get(f"/orders/{member_order.pk}/").content.decode()
    assert "Buy again" not in page
    assert login(customer_viewer).post(f"/orders/{member_order.pk}/reorder/").status_code == 403
    assert (
        api_client(customer_viewer).post(f"/api/v1/orders/{member_order.pk}/reorder", {}, **JSON).status_code
        == 403
    )
    assert not ReorderRequest.objects.exists() and not mail.outbox


def test_staff_do_not_ask_themselves(login, account_manager, member_order):
    assert login(account_manager).post(f"/orders/{member_order.pk}/reorder/").status_code == 403
    assert not ReorderRequest.objects.exists()


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("x" * 1001, "at most 1000 characters"),
        ("Hi\x00", "Null characters are not allowed."),
        ("Charge 4111111111111111 please", "This looks like a payment card number."),
    ],
)
def test_bad_messages_are_refused(login, api_client, customer_member, member_order, message, error):
    response = login(customer_member).post(
        f"/orders/{member_order.pk}/reorder/", {"message": message}, follow=True
    )
    assert error in response.content.decode()
    assert (
        api_client(customer_member)
        .post(f"/api/v1/orders/{member_order.pk}/reorder", {"message": message}, **JSON)
        .status_code
        == 422
    )
    assert not ReorderRequest.objects.exists() and not mail.outbox


def test_a_mail_server_that_is_down_does_not_lose_the_request(
    login, customer_member, member_order, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from django.core.mail import EmailMessage

    def down(self, fail_silently=False):
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr(EmailMessage, "send", down)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(customer_member).post(f"/orders/{member_order.pk}/reorder/")
    assert response.status_code == 302
    assert ReorderRequest.objects.filter(order=member_order).exists()
    assert "the email to" in caplog.text

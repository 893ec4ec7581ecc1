"""The way every customer arrives: invited by staff, sets a password, turns on a second factor, signs in again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from conftest import PASSWORD

from .conftest import check_page, follow, sign_in, totp_code, visit

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long and quiet river 73"


def test_invited_customer_signs_up_and_uses_totp(
    new_page: Any, live_server: Any, provider_admin: Any
) -> None:
    from allauth.mfa.models import Authenticator

    from kundportal.organisations.models import Invitation, Membership, Organisation

    # Staff sign in through the form and create the customer.
    staff = new_page()
    sign_in(staff, "alice@provider.example", PASSWORD)
    assert staff.get_by_role("heading", level=1).inner_text() == "Welcome, Alice Admin"
    nav = staff.get_by_role("navigation", name="Main")
    follow(staff, nav.get_by_role("link", name="Customers"))
    follow(staff, staff.get_by_role("link", name="New customer"))
    staff.get_by_label("Name").fill("Nordwind AB")
    staff.get_by_label("Company").check()
    follow(staff, staff.get_by_role("button", name="Create customer"))
    assert staff.get_by_role("heading", level=1).inner_text() == "Nordwind AB"
    assert "Nordwind AB was created" in staff.get_by_role("status").inner_text()
    organisation = Organisation.objects.get(name="Nordwind AB")

    # …and invite its first admin with the form on the customer's page.
    invite = staff.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill("Nora@Nordwind.example")
    invite.get_by_label("Name").fill("Nora Nordwind")
    invite.get_by_label("Role").select_option(label="Admin")
    follow(staff, invite.get_by_role("button", name="Send invitation"))
    assert "An invitation was sent to nora@nordwind.example" in staff.get_by_role("status").inner_text()
    assert Invitation.objects.get(organisation=organisation).email == "nora@nordwind.example"

    # The invitation arrives by email with a link to this server.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nora@nordwind.example"]
    links = re.findall(r"https?://\S+/invitations/\S+/", message.body)
    assert links, message.body
    link = links[0]
    assert link.startswith(live_server.url + "/invitations/")

    # The invited person opens it in a browser of their own and chooses a password.
    customer = new_page()
    visit(customer, link)
    assert customer.get_by_role("heading", level=1).inner_text() == "Accept your invitation"
    assert "Nordwind AB" in customer.locator("main").inner_text()
    assert customer.get_by_label("Your name").input_value() == "Nora Nordwind"
    customer.get_by_label("Choose a password").fill(NEW_PASSWORD)
    customer.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    follow(customer, customer.get_by_role("button", name="Set password and continue"))
    assert customer.url == live_server.url + "/"
    assert customer.get_by_role("heading", level=1).inner_text() == "Welcome, Nora Nordwind"
    assert (
        Membership.objects.get(organisation=organisation, user__email="nora@nordwind.example").role == "admin"
    )

    # Two-factor authentication with an authenticator app, starting from the overview's prompt.
    follow(customer, customer.get_by_role("link", name="Turn on two-factor authentication"))
    app = customer.locator("section", has=customer.get_by_role("heading", name="Authenticator App"))
    follow(customer, app.get_by_role("link", name="Activate"))
    # Adding a second factor asks for the password again first (allauth's re-authentication).
    assert customer.url.startswith(live_server.url + "/account/reauthenticate/")
    customer.get_by_label("Password").fill(NEW_PASSWORD)
    follow(customer, customer.get_by_role("button", name="Confirm"))
    assert customer.url == live_server.url + "/account/2fa/totp/activate/"
    secret = customer.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    customer.get_by_label("Authenticator code").fill(totp_code(secret))
    follow(customer, customer.get_by_role("button", name="Activate"))
    # The first factor comes with recovery codes, shown right away.
    assert customer.url == live_server.url + "/account/2fa/recovery-codes/"
    assert Authenticator.objects.filter(user__email="nora@nordwind.example", type="totp").exists()
    visit(customer, "/")
    assert customer.get_by_role("region", name="Your security").get_by_text("on", exact=True).is_visible()

    # Sign out, and in again: the password is not enough any more.
    follow(customer, customer.get_by_role("button", name="Sign out"))
    sign_in(customer, "nora@nordwind.example", NEW_PASSWORD)
    assert customer.url.startswith(live_server.url + "/account/2fa/authenticate/")
    assert customer.get_by_role("heading", level=1).inner_text() == "Two-Factor Authentication"
    customer.get_by_label("Code").fill(totp_code(secret))
    follow(customer, customer.get_by_role("button", name="Sign in"))
    assert customer.url == live_server.url + "/"
    assert customer.get_by_role("heading", level=1).inner_text() == "Welcome, Nora Nordwind"

    # The link worked once: opened again, it explains itself instead of offering the form.
    again = new_page()
    response = again.goto(link)
    assert response is not None and response.status == 410
    check_page(again)
    assert again.get_by_role("heading", level=1).inner_text() == "This invitation link no longer works"

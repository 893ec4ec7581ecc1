"""Passkeys, with Chromium's virtual authenticator standing in for the phone or security key."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import follow, navigation, sign_in, visit

pytestmark = pytest.mark.browser


def _virtual_authenticator(page: Any) -> tuple[Any, str]:
    """A platform authenticator that holds passkeys and verifies its user (as a fingerprint reader would)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, result["authenticatorId"]


def test_add_a_passkey_and_sign_in_with_it(new_page: Any, live_server: Any, customer_admin: Any) -> None:
    from allauth.mfa.models import Authenticator

    page = new_page()
    cdp, authenticator_id = _virtual_authenticator(page)
    sign_in(page, "carl@acme.example", PASSWORD)

    # Add a passkey on the two-factor page (after confirming the password, as for any new factor).
    visit(page, "/account/2fa/")
    keys = page.locator("section", has=page.get_by_role("heading", name="Security Keys"))
    follow(page, keys.get_by_role("link", name="Add"))
    assert page.url.startswith(live_server.url + "/account/reauthenticate/")
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Confirm"))
    assert page.url == live_server.url + "/account/2fa/webauthn/add/"
    page.get_by_label("Name").fill("Laptop")
    page.get_by_label("Passwordless").check()
    # The button asks the browser for a new credential (the virtual authenticator answers), then submits.
    with navigation(page):
        page.get_by_role("button", name="Add").click()
    passkey = Authenticator.objects.get(user=customer_admin, type=Authenticator.Type.WEBAUTHN)
    assert passkey.wrap().name == "Laptop"
    assert passkey.wrap().is_passwordless
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    # Sign out, and back in with nothing but the passkey.
    follow(page, page.get_by_role("button", name="Sign out"))
    visit(page, "/account/login/")
    with navigation(page):
        page.get_by_role("button", name="Sign in with a passkey").click()
    assert page.url == live_server.url + "/"
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Carl Customer"
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert credentials[0]["signCount"] >= 1

"""The `kundportal` command's own subcommands: serve's certificate, demo, apitoken."""

import io
import stat

import pytest
from cryptography import x509
from django.core.management import call_command
from django.core.management.base import CommandError

from kundportal.accounts.models import ApiToken, User
from kundportal.accounts.services import authenticate_api_token
from kundportal.core.tls import ensure_self_signed
from kundportal.organisations.models import Membership


def test_it_generates_a_self_signed_certificate_once(tmp_path):
    cert, key = ensure_self_signed(tmp_path, ["127.0.0.1", "localhost"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    names = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert b"BEGIN PRIVATE KEY" in key.read_bytes()  # PKCS#8, which granian requires
    before = cert.read_bytes()
    assert ensure_self_signed(tmp_path, ["127.0.0.1"]) == (cert, key)
    assert cert.read_bytes() == before


@pytest.mark.django_db
def test_it_prints_the_new_api_token_alone(customer_admin):
    out = io.StringIO()
    call_command("apitoken", "create", "--email", customer_admin.email.upper(), "--name", "ERP", stdout=out)
    token = out.getvalue().strip()
    assert "\n" not in token and token.startswith("kp_")
    assert authenticate_api_token(token) == customer_admin
    assert ApiToken.objects.get(user=customer_admin).name == "ERP"


@pytest.mark.django_db
def test_it_refuses_a_token_for_an_unknown_email():
    with pytest.raises(CommandError, match="no active user"):
        call_command("apitoken", "create", "--email", "nobody@example.com")


@pytest.mark.django_db
def test_it_creates_demo_data_idempotently_and_prints_the_logins():
    out = io.StringIO()
    call_command("demo", "--first-run", stdout=out)
    users, memberships = User.objects.count(), Membership.objects.count()
    assert users >= 5 and "admin@kundportal.example" in out.getvalue()
    call_command("demo", "--first-run", stdout=io.StringIO())
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)


@pytest.mark.django_db
def test_the_demo_has_a_conversation_with_an_internal_note_that_its_customer_cannot_see():
    from kundportal.messaging.access import visible_messages
    from kundportal.messaging.models import Message, Thread

    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())
    thread = Thread.objects.get()
    assert Message.objects.filter(thread=thread).count() == 3
    customer = User.objects.get(email="anna@nordbygg.example")
    assert [m.internal for m in visible_messages(customer, thread)] == [False, False]
    assert customer.thread_inboxes.get().unread == 1


@pytest.mark.django_db
def test_it_adds_no_demo_data_to_a_portal_in_use(provider_admin):
    out = io.StringIO()
    call_command("demo", "--first-run", stdout=out)
    assert User.objects.count() == 1
    assert "no demo data" in out.getvalue()


def test_it_refuses_to_serve_on_a_port_in_use():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"127.0.0.1:{port}"):
            call_command("serve", "--port", str(port))

"""The security baseline every response carries."""

import re

import pytest
from django.test import Client

PAGES_ANONYMOUS = ["/account/login/", "/account/password/reset/"]


@pytest.mark.django_db
def test_it_sends_a_strict_csp_with_a_fresh_nonce(client):
    first = client.get("/account/login/")["Content-Security-Policy"]
    second = client.get("/account/login/")["Content-Security-Policy"]
    for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]:
        assert directive in first
    nonce = re.search(r"'nonce-([^']+)'", first)
    assert nonce and nonce.group(1) not in second
    assert "unsafe-inline" not in first and "unsafe-eval" not in first


@pytest.mark.django_db
def test_it_sends_the_security_headers(client):
    response = client.get("/account/login/")
    assert int(re.search(r"max-age=(\d+)", response["Strict-Transport-Security"]).group(1)) >= 31_536_000
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_it_sets_host_prefixed_secure_cookies(client, customer_admin):
    from conftest import PASSWORD

    response = client.get("/account/login/")
    csrf = response.cookies["__Host-kp_csrf"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax" and csrf["path"] == "/"
    response = client.post("/account/login/", {"login": customer_admin.email, "password": PASSWORD})
    session = response.cookies["__Host-kp_session"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert not session["domain"]


@pytest.mark.django_db
def test_it_redirects_plain_http_to_https():
    response = Client().get("/account/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES_ANONYMOUS)
def test_it_has_no_inline_script(client, path):
    html = client.get(path).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "http://" not in html.replace("http://www.w3.org", "")  # no external resources


@pytest.mark.django_db
def test_it_follows_the_browser_language_until_one_is_chosen(client):
    assert (
        'lang="sv"' in client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9").content.decode()
    )
    assert 'lang="de"' in client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="de-CH").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/account/login/"})
    assert 'lang="en"' in client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

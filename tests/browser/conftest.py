"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

One browser for the whole session, a fresh context (cookies, storage) for every test. Every page a test
visits is checked by axe-core and for Content Security Policy violations; a test that leaves a loaded page
unchecked fails, so a new step cannot quietly skip the checks.

Helpers for the tests live here too (``visit``, ``follow``, ``check_page``, ``totp_code``): the test
modules import them with ``from .conftest import ...``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kundportal.core.testing.services import service_missing

# Playwright's sync API keeps an asyncio event loop running in this thread, and Django refuses database
# access from a thread with a running loop. The tests touch the database only between browser steps, never
# concurrently with the loop's own work, so the check is safe to switch off (for the whole process: the
# loop stays alive for the session once the browser has started).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


# ---------------------------------------------------------------------------------------------------------
# The server


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """pytest-django's live server (plain http on localhost), with the redirect to HTTPS switched off.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server builds its request handler, so a
    per-test settings override would come too late: the server is started inside the override instead,
    and the setting goes back to its HTTPS value as soon as the handler exists.
    """
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _browser_settings(settings: Any, live_server: Any) -> None:
    """Only what plain http on localhost needs.

    The ``__Host-`` cookie names and the Secure flag stay as in production: Chromium treats http://localhost
    as a secure context and accepts them there. The server must run on "localhost" (pytest-django's default),
    not 127.0.0.1, for the passkey test: a WebAuthn relying party id is a domain name, and allauth's fido2
    accepts a plain-http origin only from localhost. So MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN stays off.
    """
    settings.SECURE_SSL_REDIRECT = False
    # Invitation emails link to BASE_URL.
    settings.BASE_URL = live_server.url


# ---------------------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        service_missing("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageLog:
    """What happened on one page: documents loaded, how many were checked, CSP and script errors."""

    loaded: list[str] = field(default_factory=list)
    checked: int = 0
    csp_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)


_logs: weakref.WeakKeyDictionary[Any, PageLog] = weakref.WeakKeyDictionary()


def _watch(page: Any) -> PageLog:
    log = PageLog()
    _logs[page] = log

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            log.csp_errors.append(f"{page.url}: {message.text}")

    def on_load(loaded: Any) -> None:
        log.loaded.append(loaded.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.script_errors.append(f"{page.url}: {error}"))
    page.on("load", on_load)
    return log


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """Opens a page in a fresh browser context (its own cookies), English unless told otherwise."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def _new_page(
        *,
        viewport: dict[str, int] = DESKTOP,
        locale: str = "en-GB",
        color_scheme: str = "light",
        **options: Any,
    ) -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale=locale, color_scheme=color_scheme, **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        _watch(page)
        pages.append(page)
        return page

    yield _new_page

    problems = []
    for page in pages:
        log = _logs[page]
        unchecked = log.loaded[log.checked :]
        if unchecked:
            problems.append(f"pages loaded but never checked with check_page(): {unchecked}")
        problems += log.csp_errors + log.script_errors
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


# ---------------------------------------------------------------------------------------------------------
# Helpers for the tests

_axe: Any = None

# KUNDPORTAL_SCREENSHOTS=DIR saves every checked page there, to look at them as a user would.
SCREENSHOTS = os.environ.get("KUNDPORTAL_SCREENSHOTS", "")
_shots = itertools.count(1)


def _screenshot(page: Any) -> None:
    directory = Path(SCREENSHOTS)
    directory.mkdir(parents=True, exist_ok=True)
    path = page.evaluate("location.pathname").strip("/").replace("/", "_") or "overview"
    width = page.viewport_size["width"] if page.viewport_size else 0
    name = f"{next(_shots):03d}-{path[:60]}-{width}px.png"
    page.screenshot(path=str(directory / name), full_page=True)


def _format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"\n* {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {', '.join(str(t) for t in node['target'])}")
            lines.append(f"    {node['html'][:300]}")
            summary = node.get("failureSummary") or ""
            lines.extend(f"    {line}" for line in summary.splitlines())
    return "\n".join(lines)


def check_page(page: Any) -> None:
    """axe-core on the page as it is now, and no CSP violation or script error so far."""
    global _axe
    from axe_playwright_python.sync_playwright import Axe

    log = _logs[page]
    page.wait_for_load_state("load")
    _axe = _axe or Axe()
    results = _axe.run(page)
    violations = results.response["violations"]
    log.checked = len(log.loaded)
    if SCREENSHOTS:
        _screenshot(page)
    assert not violations, _format_violations(page.url, violations)
    assert not log.csp_errors, "Content Security Policy violations:\n" + "\n".join(log.csp_errors)
    assert not log.script_errors, "Script errors:\n" + "\n".join(log.script_errors)


def visit(page: Any, path: str) -> Any:
    """Opens a path on the live server and checks the page that arrives (after any redirects)."""
    response = page.goto(path)
    assert response is not None and response.ok, f"GET {path} answered {response and response.status}"
    check_page(page)
    return response


@contextmanager
def navigation(page: Any) -> Iterator[None]:
    """Wraps an action that loads a new page (a click on a link or a submit button); checks that page."""
    with page.expect_navigation(wait_until="load"):
        yield
    check_page(page)


def follow(page: Any, locator: Any) -> None:
    """Clicks a link or button that leads to a new page, and checks that page."""
    with navigation(page):
        locator.click()


def totp_code(secret: str) -> str:
    """The current code for a TOTP secret; waits for the next period when this one is about to end."""
    import pyotp

    totp = pyotp.TOTP(secret)
    remaining = totp.interval - time.time() % totp.interval
    if remaining < 3:
        time.sleep(remaining + 0.1)
    return totp.now()


def sign_in(page: Any, email: str, password: str) -> None:
    """Signs in through the login form (the page ends on wherever the portal sends the user next)."""
    visit(page, "/account/login/")
    form = page.locator("main form[action='/account/login/']")  # by name, not label: works in every language
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(password)
    follow(page, form.locator("button[type=submit]"))

"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, on a free port, collecting what it receives
(a pytest plugin; the root conftest loads it).

Fixtures:

``smtp_server``
    the running server, as an :class:`SmtpServer`: ``messages`` holds the parsed emails it accepted;
    ``refuse_recipients("550 ...")`` and ``fail_data("451 ...", times=1)`` make it answer like a server
    that refuses an address for good or is temporarily unable to take mail
``smtp_mailer``
    the server, with Django's default mailer (settings.MAILERS, as kundportal.mail builds it from
    EMAIL_URL) pointed at it for the test
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kundportal.mail import email_settings

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


class CollectingHandler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_reply = ""
        self.data_replies: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, controller: Controller, handler: CollectingHandler, port: int) -> None:
        self.controller = controller
        self.handler = handler
        self.host = "127.0.0.1"
        self.port = port

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def refuse_recipients(self, reply: str) -> None:
        """Answer every RCPT TO with `reply` ("" to accept again)."""
        self.handler.rcpt_reply = reply

    def fail_data(self, reply: str, *, times: int = 1) -> None:
        """Answer the next `times` DATA commands with `reply` instead of accepting the message."""
        self.handler.data_replies.extend([reply] * times)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = CollectingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(controller, handler, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_mailer(settings: Any, smtp_server: SmtpServer) -> SmtpServer:
    mailers = email_settings(smtp_server.url)["MAILERS"]
    mailers["default"]["OPTIONS"]["timeout"] = 5  # type: ignore[index]
    settings.MAILERS = mailers
    return smtp_server

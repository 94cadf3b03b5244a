"""A real SMTP server on a free loopback port, with Django's SMTP backend pointed at it."""

import dataclasses
import email
import email.message
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller


@dataclasses.dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


class MailServer:
    """Keeps what it accepts; `refuse_data` or `refuse_rcpt` makes it answer with an error."""

    def __init__(self):
        self.received: list[Received] = []
        self.refuse_data = ""
        self.refuse_rcpt = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.rcpt_tos]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings):
    server = MailServer()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    _use_smtp(settings, port)
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server_down(settings):
    """Django's SMTP backend pointed at a loopback port where nothing listens."""
    _use_smtp(settings, free_port())


@pytest.fixture
def short_retries(settings):
    """Three attempts: at once, a minute later, then five minutes after that."""
    settings.MAIL_RETRY_DELAYS = [60, 300]

"""SMTP servers for the outage tests: a real one (aiosmtpd) that can refuse, and one that never answers.

conftest.py registers the fixtures. ``mail_server`` is an aiosmtpd server on 127.0.0.1 whose replies a
test chooses: ``refuse[address] = "550 ..."`` answers RCPT TO for that address so, ``refuse_sender`` the
MAIL FROM; what it accepts lands in ``received``. ``silent_server`` accepts the TCP connection and never
says a word (a relay that hangs). ``mail_settings`` points Django's SMTP backend at the port, with a
short EMAIL_TIMEOUT so a hanging server ends a round in a second.
"""

import socket
import threading

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
TIMEOUT = 1  # seconds: EMAIL_TIMEOUT in these tests


def unused_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class MailServer:
    """The handler of an aiosmtpd server: what it refuses, and what it received (recipients, bytes)."""

    def __init__(self):
        self.refuse = {}
        self.refuse_sender = None
        self.received = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def recipients(self):
        return [address for rcpts, _ in self.received for address in rcpts]


@pytest.fixture
def mail_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = HOST
    settings.EMAIL_PORT = unused_port()  # nothing listens until a test starts a server on it
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = TIMEOUT
    return settings


@pytest.fixture
def mail_server(mail_settings):
    handler = MailServer()
    controller = Controller(handler, hostname=HOST, port=mail_settings.EMAIL_PORT)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def silent_server(mail_settings):
    """Accepts connections on EMAIL_PORT and never answers, until the test ends."""
    listener = socket.create_server((HOST, mail_settings.EMAIL_PORT))
    stop = threading.Event()
    held = []

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()

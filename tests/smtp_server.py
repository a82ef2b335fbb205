"""Real SMTP servers for the tests, as strict as a production relay: aiosmtpd on 127.0.0.1.

conftest.py registers the fixtures. ``mail_settings`` points Django's own SMTP
backend at a free port (no TLS, no login, a one-second timeout) where nothing
listens yet: the mail server is down. ``smtp_server`` starts an ``SmtpServer``
there; ``start_smtp_server(port)`` starts one later, for a server that comes
back. ``silent_server`` accepts connections and never answers (a relay that
hangs). What arrives is in ``received``: one ``Received`` per accepted
message, with the envelope's recipients, the raw bytes and the message parsed
back as a mail client reads it. A test makes the server refuse on purpose with
``refuse[address] = "550 ..."`` (RCPT TO) or ``refuse_sender = "421 ..."``.

What it refuses, with the codes Postfix and Exchange answer:

* ``RCPT TO`` that is not exactly one addr-spec (``local@domain``):
  ``550 5.1.3 Bad recipient address syntax``;
* ``DATA`` whose header lines hold 8-bit bytes (no SMTPUTF8 is offered), a line
  longer than RFC 5322's 998 characters, a header the parser finds defects in,
  no parseable ``From:``, or a ``To:`` that names an address the envelope does
  not, or more addresses than the envelope has recipients:
  ``554 5.6.0 Message refused: <why>``.

So a directory name such as "Lindström, Åsa" written unquoted into ``To:``
(two addresses, one of them no address at all) is refused here as it would be
in production, instead of passing the locmem backend that reads no headers.

Function scope: a server starts in a few milliseconds, and every test gets an
empty ``received``.
"""

import contextlib
import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.headerregistry import Address

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
TIMEOUT = 1  # seconds: EMAIL_TIMEOUT in these tests, so a hanging server ends a round quickly
MAX_LINE = 998  # RFC 5322 2.1.1, without the CRLF


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    raw: bytes
    message: email.message.EmailMessage


def one_addr_spec(address):
    """Whether ``address`` is exactly one ``local@domain`` and nothing else (no name, no second address)."""
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, email.errors.HeaderParseError, email.errors.MessageDefect):
        return False
    return bool(parsed.username and parsed.domain) and parsed.addr_spec == address


def refusal(raw, rcpt_tos):
    """Why a strict server would refuse the message ``raw`` for the envelope ``rcpt_tos``; None if it would not."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if any(byte > 127 for byte in head):
        return "8-bit header without SMTPUTF8"
    if any(len(line.rstrip(b"\r")) > MAX_LINE for line in raw.split(b"\n")):
        return f"line longer than {MAX_LINE} characters"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if message.defects:
        return f"defects: {message.defects}"
    for name, value in message.items():
        if value.defects:
            return f"{name}: {value.defects}"
    if message["From"] is None or len(message["From"].addresses) != 1:
        return "no single From: address"
    if message["To"] is None:
        return "no To:"
    named = [address.addr_spec for address in message["To"].addresses]
    if len(named) > len(rcpt_tos) or not all(one_addr_spec(spec) for spec in named):
        return f"To: names {len(named)} addresses {named!r} for {len(rcpt_tos)} recipients"
    if {spec.lower() for spec in named} - {rcpt.lower() for rcpt in rcpt_tos}:
        return f"To: {named!r} is not the envelope's {rcpt_tos!r}"
    return None


class StrictHandler:
    def __init__(self):
        self.received = []
        self.refused = []
        self.refuse = {}  # address -> the reply to its RCPT TO
        self.refuse_sender = None  # the reply to MAIL FROM

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        if not one_addr_spec(address):
            self.refused.append(("RCPT", address))
            return "550 5.1.3 Bad recipient address syntax"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        why = refusal(raw, envelope.rcpt_tos)
        if why:
            self.refused.append(("DATA", why))
            return f"554 5.6.0 Message refused: {why}"[:500]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, message))
        return "250 2.0.0 OK: queued"


class SmtpServer:
    def __init__(self, controller, handler):
        self.controller = controller
        self.handler = handler
        self.host = HOST
        self.port = controller.port

    @property
    def received(self):
        return self.handler.received

    @property
    def refused(self):
        return self.handler.refused

    @property
    def refuse(self):
        return self.handler.refuse

    @property
    def refuse_sender(self):
        return self.handler.refuse_sender

    @refuse_sender.setter
    def refuse_sender(self, reply):
        self.handler.refuse_sender = reply

    def recipients(self):
        """Every envelope recipient of every message accepted, in order."""
        return [rcpt for received in self.received for rcpt in received.rcpt_tos]

    def messages(self):
        """(envelope recipients, parsed message) of every message accepted."""
        return [(received.rcpt_tos, received.message) for received in self.received]


def unused_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def start_smtp_server(port):
    """A strict server on ``port`` for as long as the block runs."""
    handler = StrictHandler()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        yield SmtpServer(controller, handler)
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings):
    """Django's SMTP backend pointed at a free port of this machine, where no server listens yet."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = HOST
    settings.EMAIL_PORT = unused_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = TIMEOUT
    return settings


@pytest.fixture
def smtp_server(mail_settings):
    for _ in range(5):  # another process may take the free port before the server binds it
        try:
            with start_smtp_server(mail_settings.EMAIL_PORT) as server:
                yield server
            return
        except (OSError, TimeoutError, RuntimeError):
            mail_settings.EMAIL_PORT = unused_port()
    raise RuntimeError("no free port for the SMTP server")


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

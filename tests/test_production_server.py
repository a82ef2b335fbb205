"""The production start under slow clients, and what its log keeps of a feed address.

One real server for the module: scripts/serve (gunicorn with samrad/gunicorn.conf.py, 2 workers, DEBUG off)
on a free port, with a worker timeout of 5 s instead of 30 (GUNICORN_CMD_ARGS), so that an upload slower
than the timeout takes seconds, not minutes. Its database is a SQLite file that another process migrates
and fills (the suite's own test database is in memory, out of the server's reach).
"""

import http.client
import json
import secrets
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from coordination.management.commands.bench_load import Server
from coordination.models import Membership
from coordination.services import feeds
from samrad.server_log import mask_feed_tokens

from .agenda_support import add_item
from .builders import create_meeting, make_party, make_user, run_django

WORKER_TIMEOUT = 5
UPLOAD_SECONDS = 8  # longer than the worker timeout
CHUNK = 64 * 1024
# A PDF of 25 MB, the largest document accepted (DOCUMENT_MAX_MB).
DOCUMENT = b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024 - 9)


def build_site():
    """Run in the other process, on the server's database: a convener with an accepted item and a feed."""
    kommun = make_party("uppsala", "Uppsala kommun", "Kommunen")
    polisen = make_party("polisen", "Polismyndigheten", "Polisen")
    coordinator = make_user("kommun_coordinator", kommun, Membership.Role.COORDINATOR, "Samordnare, kommunen")
    meeting = create_meeting(coordinator, convening=[kommun], required=[polisen])
    item = add_item(meeting, kommun, coordinator, "Lokalt poliskontor i Gottsunda", accept_by=(coordinator, kommun))
    client = Client()
    client.force_login(coordinator)
    site = {
        "session": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
        "meeting": reverse("meeting_detail", args=[meeting.pk]),
        "item": reverse("agenda_item_detail", args=[meeting.pk, item.pk]),
        "upload": reverse("document_create", args=[meeting.pk, item.pk]),
        "feed_token": feeds.new_feed_token(coordinator),
    }
    print(json.dumps(site))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    environment = {
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DOCUMENTS_ROOT": str(folder / "documents"),
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookie is signed in one process, read in the other
    }
    for command in (
        ("migrate", "--no-input"),
        ("shell", "-c", "from tests.test_production_server import build_site; build_site()"),
    ):
        result = run_django(environment, *command)
        assert result.returncode == 0, result.stdout + result.stderr
    paths = json.loads(result.stdout.splitlines()[-1])
    with Server(
        folder, environment["DATABASE_URL"], GUNICORN_CMD_ARGS=f"--timeout {WORKER_TIMEOUT}", **environment
    ) as server:
        yield server, paths, folder / "documents"


def get(server, path, cookie=""):
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        client.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = client.getresponse()
        return response.status, response.read().decode()
    finally:
        client.close()


class SlowUpload:
    """A browser on a slow line: posts the document form with the file, paced to take ``seconds``."""

    def __init__(self, server, path, session, name):
        csrf = get_random_string(32)  # the cookie's secret; Django takes it unmasked in the form too
        boundary = uuid.uuid4().hex
        fields = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf}\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n",
        ]
        self.body = "".join(fields).encode() + DOCUMENT + f"\r\n--{boundary}--\r\n".encode()
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Cookie: {session}; {settings.CSRF_COOKIE_NAME}={csrf}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self.port = server.port
        self.sent = 0
        self.done_sending = threading.Event()

    def __call__(self, seconds):
        """The response's status and Location, or the error that ended the connection."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
                sock.sendall(self.head)
                start = time.monotonic()
                body = memoryview(self.body)
                while self.sent < len(body):
                    sock.sendall(body[self.sent : self.sent + CHUNK])
                    self.sent = min(self.sent + CHUNK, len(body))
                    time.sleep(max(0, start + seconds * self.sent / len(body) - time.monotonic()))
                self.done_sending.set()
                response = http.client.HTTPResponse(sock)
                response.begin()
                return response.status, response.getheader("Location")
        except OSError as error:
            return error, None
        finally:
            self.done_sending.set()


def test_slow_uploads_succeed_while_other_requests_are_answered(site):
    """Two 25 MB uploads, each slower than the worker timeout, on a server with two workers: both are
    stored, and meanwhile /healthz and a logged-in page are answered (with sync workers the master killed
    each upload's worker at the timeout, which answered a bare 500, and nothing else was served till then)."""
    server, paths, documents_root = site
    uploads = [SlowUpload(server, paths["upload"], paths["session"], f"underlag-{n}.pdf") for n in (1, 2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [pool.submit(upload, UPLOAD_SECONDS) for upload in uploads]
        while min(upload.sent for upload in uploads) < len(uploads[0].body) // 4:
            assert not any(upload.done_sending.is_set() for upload in uploads), [r.result() for r in results]
            time.sleep(0.05)
        assert get(server, reverse("healthz"))[0] == 200
        status, page = get(server, paths["meeting"], paths["session"])
        assert status == 200 and "Dialog om utökat samarbete" in page
        # Answered while both uploads were still on their way, not after they ended.
        assert not any(upload.done_sending.is_set() for upload in uploads)
        outcomes = [result.result() for result in results]
    assert outcomes == [(302, paths["item"])] * 2
    status, page = get(server, paths["item"], paths["session"])
    assert status == 200 and "underlag-1.pdf" in page and "underlag-2.pdf" in page
    stored = sorted(path.read_bytes() == DOCUMENT for path in documents_root.rglob("*") if path.is_file())
    assert stored == [True, True]


def test_the_access_log_masks_the_feed_token(site):
    server, paths, _documents = site
    token = paths["feed_token"]
    wrong = token[::-1]
    assert get(server, reverse("feed", args=[token]))[0] == 200
    assert get(server, reverse("feed", args=[wrong]))[0] == 404
    for _attempt in range(50):
        log = server.log_path.read_text()
        if log.count("/feed/[maskerad]/samrad.ics") >= 2:
            break
        time.sleep(0.1)
    assert log.count("/feed/[maskerad]/samrad.ics") >= 2, log[-3000:]
    assert token not in log and wrong not in log
    assert token[:12] not in log and wrong[:12] not in log


def test_only_the_feed_address_is_masked():
    token = secrets.token_urlsafe(32)
    line = f'127.0.0.1 - - "GET {reverse("feed", args=[token])} HTTP/1.1" 200 572 "-" "Outlook"'
    assert mask_feed_tokens(line) == '127.0.0.1 - - "GET /feed/[maskerad]/samrad.ics HTTP/1.1" 200 572 "-" "Outlook"'
    for path in (reverse("feed_new"), reverse("feed_revoke"), reverse("healthz"), reverse("guest_code")):
        assert mask_feed_tokens(path) == path


def test_a_guest_link_is_masked_too():
    link = reverse("guest_link", args=[secrets.token_urlsafe(32)])
    assert mask_feed_tokens(f'"GET {link} HTTP/1.1" 200') == '"GET /guest/[maskerad]/ HTTP/1.1" 200'
    assert mask_feed_tokens(reverse("guest_document", args=[7])) == "/guest/documents/7/"

"""Faults outside the app (issue 6, item 7): the database away, the documents folder unwritable.

The user gets a page that says what happened and that nothing was saved; the
app comes back by itself when the fault is mended; nothing is half saved.
"""

import errno
import io
import os
import socket
import urllib.error
import urllib.request
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from coordination.models import Document

from .agenda_support import add_item, attach, db_state
from .builders import in_english, needs_postgresql

UNAVAILABLE_EN = "Samråd is temporarily unavailable"
UNAVAILABLE_SV = "Samråd är tillfälligt otillgängligt"


@pytest.fixture
def database_away(db, client):
    """Call it, and every query fails as it does when the server is down; the client then returns a 500 too.

    The patch ends before the test database is rolled back, which needs a working connection.
    """
    client.raise_request_exception = False

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    away = mock.patch.object(connections["default"], "cursor", refuse)
    yield away.start
    away.stop()


def assert_unavailable_page(response, text=UNAVAILABLE_EN):
    body = response.content.decode()
    assert response.status_code == 503
    assert text in body
    assert "Traceback" not in body and "Connection refused" not in body and "5432" not in body
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("meeting_detail", id="in the view, loading the session for login_required"),
        pytest.param("accessibility", id="in a context processor, showing the user in the header"),
        # Logging out takes POST; the refusal of a GET never looks at the user, the headers middleware does.
        pytest.param("logout", id="in a middleware, deciding the cache headers after the view"),
    ],
)
def test_a_database_that_does_not_answer_gives_the_503_page_wherever_it_fails(
    client, meeting, kommun_coordinator, database_away, where
):
    client.force_login(kommun_coordinator)
    url = reverse(where, args=[meeting.pk] if where == "meeting_detail" else [])
    database_away()

    response = in_english(client).get(url)

    assert_unavailable_page(response)


def test_the_503_page_speaks_the_users_language(client, meeting, kommun_coordinator, database_away):
    client.force_login(kommun_coordinator)
    database_away()

    response = client.get(reverse("meeting_detail", args=[meeting.pk]))

    assert_unavailable_page(response, UNAVAILABLE_SV)
    assert '<html lang="sv">' in response.content.decode()


def test_other_errors_still_give_the_500_page(client, meeting, kommun_coordinator, monkeypatch):
    client.force_login(kommun_coordinator)
    client.raise_request_exception = False
    monkeypatch.setattr("coordination.fragments.build_grid", lambda *args: 1 / 0)

    response = client.get(reverse("meeting_detail", args=[meeting.pk]))

    assert response.status_code == 500
    assert "Något gick fel" in response.content.decode()


def closed_port():
    """A port on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url, cookie):
    request = urllib.request.Request(url, headers={"Cookie": f"{cookie}; {settings.LANGUAGE_COOKIE_NAME}=en"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_app_answers_503_while_postgresql_is_down_and_recovers_without_a_restart(
    live_server, meeting, kommun_coordinator
):
    """A real outage: the server's connections are cut, and new ones are refused until it is back."""
    browser = Client()
    browser.force_login(kommun_coordinator)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    page = live_server.url + reverse("meeting_detail", args=[meeting.pk])
    health = live_server.url + reverse("healthz")
    assert fetch(page, cookie)[0] == 200
    # The live server's threads open their connections from this same settings dictionary.
    database = connection.settings_dict
    port = database["PORT"]
    try:
        database["PORT"] = str(closed_port())
        with connection.cursor() as cursor:
            # As a restart of the server does: every connection to the test database but the test's own ends.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

        down = fetch(page, cookie)
        down_health = fetch(health, "")
    finally:
        database["PORT"] = port
    up = fetch(page, cookie)
    up_health = fetch(health, "")

    assert down[0] == 503 and UNAVAILABLE_EN in down[1] and "Traceback" not in down[1]
    assert down_health == (503, "unavailable\n")
    assert up[0] == 200 and meeting.title in up[1]
    assert up_health == (200, "ok\n")


@pytest.fixture
def documents_unwritable(settings, tmp_path):
    """Makes the documents folder one that cannot be created: its parent is a file.

    (The tests run as root, whom a chmod would not stop.)
    """

    def block():
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("")
        settings.DOCUMENTS_ROOT = blocker / "documents"

    return block


@pytest.mark.parametrize("replacing", [False, True], ids=["a new document", "a replacement"])
def test_an_upload_the_folder_refuses_is_a_form_error_and_saves_nothing(
    client, meeting, kommun, kommun_coordinator, documents_unwritable, replacing
):
    item = add_item(meeting, kommun, kommun_coordinator, "Kameror")
    if replacing:
        old = attach(item, kommun, kommun_coordinator, "PM.txt", b"Version 1\n")
        url = reverse("document_replace", args=[meeting.pk, old.pk])
    else:
        url = reverse("document_create", args=[meeting.pk, item.pk])
    client.force_login(kommun_coordinator)
    documents_unwritable()
    before = db_state()

    response = in_english(client).post(url, {"file": SimpleUploadedFile("PM.txt", b"Version 2\n")})

    assert response.status_code == 503
    assert "The document could not be stored, and nothing was saved." in response.content.decode()
    # No document row, no replaced mark on the old one, no event.
    assert db_state() == before


def in_documents_folder(fd):
    return os.readlink(f"/proc/self/fd/{fd}").startswith(f"{settings.DOCUMENTS_ROOT}{os.sep}")


@pytest.fixture
def documents_disk_full(monkeypatch):
    """Call it, and the documents folder's disk has room for 10 more bytes: a write there stores what fits,
    then fails with ENOSPC, as on a real full disk. Both ways Django writes a document fail so: streaming an
    upload held in memory, and copying one spooled to a temporary file on another disk. Call the result to
    free the space again.
    """
    fdopen, write, rename = os.fdopen, os.write, os.rename

    class FullDisk(io.FileIO):
        def write(self, data):
            self.seek(0, io.SEEK_END)
            super().write(bytes(data)[: max(0, 10 - self.tell())])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def full_fdopen(fd, mode="r", *args, **kwargs):
        return FullDisk(fd, "wb") if "w" in mode and in_documents_folder(fd) else fdopen(fd, mode, *args, **kwargs)

    def full_write(fd, data):
        if in_documents_folder(fd):
            return FullDisk(fd, "wb", closefd=False).write(data)
        return write(fd, data)

    def other_disk(source, target, *args, **kwargs):
        if str(target).startswith(str(settings.DOCUMENTS_ROOT)):
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return rename(source, target, *args, **kwargs)

    def fill():
        monkeypatch.setattr(os, "fdopen", full_fdopen)
        monkeypatch.setattr(os, "write", full_write)
        monkeypatch.setattr(os, "rename", other_disk)
        return monkeypatch.undo

    return fill


@pytest.mark.parametrize("size", [100, 5000], ids=["held in memory", "spooled to a temporary file"])
def test_a_full_documents_disk_leaves_no_partial_file_and_the_next_upload_works(
    client, meeting, kommun, kommun_coordinator, documents_dir, documents_disk_full, settings, size
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    item = add_item(meeting, kommun, kommun_coordinator, "Kameror")
    url = reverse("document_create", args=[meeting.pk, item.pk])
    client.force_login(kommun_coordinator)
    content = b"Promemoria om kameror.\n" * (size // 23)
    before = db_state()
    free_space = documents_disk_full()

    response = client.post(url, {"file": SimpleUploadedFile("PM.txt", content)})

    free_space()
    assert response.status_code == 503
    assert "Dokumentet kunde inte lagras och ingenting sparades. Försök igen senare." in response.content.decode()
    assert "No space left" not in response.content.decode()
    assert list(documents_dir.iterdir()) == []
    assert db_state() == before

    again = client.post(url, {"file": SimpleUploadedFile("PM.txt", content)})

    assert again.status_code == 302
    document = Document.objects.get()
    assert [path.name for path in documents_dir.iterdir()] == [document.file.name]
    assert (documents_dir / document.file.name).read_bytes() == content


@pytest.mark.parametrize("failing", ["coordination.models.Document.save", "coordination.services.agenda.log_event"])
def test_a_database_write_that_fails_after_the_file_is_written_leaves_no_orphan_file(
    meeting, kommun, kommun_coordinator, documents_dir, monkeypatch, failing
):
    item = add_item(meeting, kommun, kommun_coordinator, "Kameror")

    def refuse(*args, **kwargs):
        raise DatabaseError("the database refused the write")

    monkeypatch.setattr(failing, refuse)

    with pytest.raises(DatabaseError):
        attach(item, kommun, kommun_coordinator, "PM.txt", b"Promemoria\n")

    assert list(documents_dir.iterdir()) == []
    assert not Document.objects.exists()

"""Faults outside the app (issue 6, item 7): the database away, the documents folder unwritable.

The user gets a page that says what happened and that nothing was saved; the
app comes back by itself when the fault is mended; nothing is half saved.
"""

import socket
import urllib.error
import urllib.request
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from .agenda_support import add_item, attach, db_state
from .builders import needs_postgresql

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

    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert_unavailable_page(response)


def test_the_503_page_speaks_the_users_language(client, meeting, kommun_coordinator, database_away):
    client.force_login(kommun_coordinator)
    database_away()

    response = client.get(reverse("meeting_detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="sv")

    assert_unavailable_page(response, UNAVAILABLE_SV)
    assert '<html lang="sv">' in response.content.decode()


def test_other_errors_still_give_the_500_page(client, meeting, kommun_coordinator, monkeypatch):
    client.force_login(kommun_coordinator)
    client.raise_request_exception = False
    monkeypatch.setattr("coordination.views.meetings.build_grid", lambda *args: 1 / 0)

    response = client.get(reverse("meeting_detail", args=[meeting.pk]))

    assert response.status_code == 500
    assert "Något gick fel" in response.content.decode()


def closed_port():
    """A port on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url, cookie):
    request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept-Language": "en"})
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

    response = client.post(url, {"file": SimpleUploadedFile("PM.txt", b"Version 2\n")}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "The document could not be stored, and nothing was saved." in response.content.decode()
    # No document row, no replaced mark on the old one, no event.
    assert db_state() == before

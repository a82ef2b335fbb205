"""The personas and the meeting every test speaks of, in one place.

Uppsala kommun and Länsstyrelsen convene, Polismyndigheten is invited, and
Region Uppsala — a real party, just not in this meeting — is the outsider.
The plain functions that build them are in builders.py; the fixtures of the
agenda, browser and mailbox tests are registered here once, as plugins.
"""

from collections import namedtuple

import pytest
import time_machine
from django.test import override_settings

from coordination.models import Membership
from coordination.services import meetings

from .builders import FROZEN_NOW, answer_all, create_meeting, future_time, make_party, make_user, next_clock_changes

pytest_plugins = [
    "tests.agenda_support",
    "tests.browser",
    "tests.cache_support",
    "tests.imap_server",
    "tests.minutes_support",
    "tests.oidc_support",
    "tests.smtp_server",
    "tests.views_support",
]

Role = Membership.Role


@pytest.fixture(scope="session", autouse=True)
def frozen_clock():
    """The whole run starts at the same instant, whatever the real date, and the clock runs on from there.

    Session-wide, so that the data a module builds once (the authorisation
    matrix's world, the browser's live server) lives on the same clock as the
    tests that read it.
    """
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session", autouse=True)
def no_collected_static_files(tmp_path_factory):
    """The suite runs as on a fresh checkout, whether or not a collectstatic has left staticfiles/ behind.

    scripts/serve collects there (make serve-production, and tests/test_production_server.py's server), and
    WhiteNoise's middleware, made anew for every test's client, would read every collected file each time:
    about 10 ms a test, a minute of the suite. Pages, the live server and the PDF find static files in the
    app's own folders, as they do when nothing was collected.
    """
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static-root")):
        yield


ClockChanges = namedtuple("ClockChanges", "spring autumn")


@pytest.fixture
def clock_changes():
    """The next spring and autumn clock changes in Stockholm, after the frozen today."""
    return ClockChanges(*next_clock_changes())


@pytest.fixture(autouse=True)
def documents_root(settings, tmp_path):
    """Every test's uploads land in its own folder, never in the project's documents/."""
    settings.DOCUMENTS_ROOT = tmp_path / "documents"
    return settings.DOCUMENTS_ROOT


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PASSWORD_RESET_ANSWER_SECONDS = 0  # the reset's fixed answer time: tests/test_password_reset.py


@pytest.fixture
def kommun(db):
    return make_party("uppsala", "Uppsala kommun", "Kommunen")


@pytest.fixture
def lansstyrelsen(db):
    return make_party("lansstyrelsen", "Länsstyrelsen Uppsala län", "Länsstyrelsen")


@pytest.fixture
def polisen(db):
    return make_party("polisen", "Polismyndigheten", "Polisen")


@pytest.fixture
def region(db):
    return make_party("region", "Region Uppsala", "Regionen")


@pytest.fixture
def kommun_coordinator(kommun):
    return make_user("kommun_coordinator", kommun, Role.COORDINATOR, "Samordnare, kommunen")


@pytest.fixture
def kommun_member(kommun):
    return make_user("kommun_member", kommun, Role.MEMBER, "Kommunstyrelsens ordförande")


@pytest.fixture
def lansstyrelsen_coordinator(lansstyrelsen):
    return make_user("lansstyrelsen_coordinator", lansstyrelsen, Role.COORDINATOR, "Samordnare, länsstyrelsen")


@pytest.fixture
def lansstyrelsen_secretary(lansstyrelsen):
    return make_user("lansstyrelsen_secretary", lansstyrelsen, Role.SECRETARY, "Sekreterare")


@pytest.fixture
def polis_coordinator(polisen):
    return make_user("polis_coordinator", polisen, Role.COORDINATOR, "Stabschef")


@pytest.fixture
def polis_member(polisen):
    return make_user("polis_member", polisen, Role.MEMBER, "Handläggare")


@pytest.fixture
def polis_secretary(polisen):
    return make_user("polis_secretary", polisen, Role.SECRETARY, "Sekreterare, polisen")


@pytest.fixture
def outsider(region):
    """A coordinator of a party that is not in the meeting."""
    return make_user("outsider", region, Role.COORDINATOR, "Samordnare, regionen")


@pytest.fixture
def draft_meeting(kommun, lansstyrelsen, polisen, kommun_coordinator):
    """Convened by the municipality and the county board; the police are invited. Two times proposed."""
    meeting = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen])
    meetings.propose_slots(
        meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(14), future_time(21)]
    )
    return meeting


@pytest.fixture
def meeting(draft_meeting, kommun, kommun_coordinator):
    """The dialogue, open for answers."""
    return meetings.open_polling(meeting=draft_meeting, by=kommun_coordinator, party=kommun)


@pytest.fixture
def slots(meeting):
    return list(meeting.slots.order_by("start"))


@pytest.fixture
def answered_meeting(meeting, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member):
    """Every required party has answered yes to every time: ready to confirm."""
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member)
    return meeting


@pytest.fixture
def scheduled_meeting(answered_meeting, slots, kommun, kommun_coordinator):
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    answered_meeting.refresh_from_db()
    return answered_meeting

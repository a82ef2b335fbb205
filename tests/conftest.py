"""The personas and the meeting every test speaks of, in one place.

Uppsala kommun and Länsstyrelsen convene, Polismyndigheten is invited, and
Region Uppsala — a real party, just not in this meeting — is the outsider.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from coordination.services import meetings as services
from coordination.models import Answer, Membership, Party
from coordination.times import stockholm_datetime

Role = Membership.Role
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def documents_root(settings, tmp_path):
    """Every test's uploads land in its own folder, never in the project's documents/."""
    settings.DOCUMENTS_ROOT = tmp_path / "documents"
    return settings.DOCUMENTS_ROOT


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_party(key, name, short_name):
    return Party.objects.create(name=name, short_name=short_name, email=f"registrator@{key}.example")


def make_user(username, party, role, title=""):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@samrad.example", first_name=title or username
    )
    if party is not None:
        Membership.objects.create(user=user, party=party, role=role, title=title)
    return user


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


def future_time(days, hour=10, minutes=120):
    """A Stockholm wall-clock time ``days`` from today, on a weekday."""
    day = datetime.date.today() + datetime.timedelta(days=days)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    start = stockholm_datetime(day, datetime.time(hour, 0))
    return start, start + datetime.timedelta(minutes=minutes)


def create_meeting(coordinator, *, convening, required=(), optional=(), title="Dialog om utökat samarbete"):
    return services.save_meeting(
        by=coordinator,
        party=convening[0],
        details={
            "title": title,
            "purpose": "Stöd från NOA, kameror och ett lokalt poliskontor i Gottsunda.",
            "location": "Stadshuset, Uppsala",
            "video_link": "",
            "duration_minutes": 120,
            "answer_deadline": None,
        },
        convening=set(convening),
        required=set(required),
        optional=set(optional),
    )


@pytest.fixture
def draft_meeting(kommun, lansstyrelsen, polisen, kommun_coordinator):
    """Convened by the municipality and the county board; the police are invited. Two times proposed."""
    meeting = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen])
    services.propose_slots(
        meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(14), future_time(21)]
    )
    return meeting


@pytest.fixture
def meeting(draft_meeting, kommun, kommun_coordinator):
    """The dialogue, open for answers."""
    return services.open_polling(meeting=draft_meeting, by=kommun_coordinator, party=kommun)


@pytest.fixture
def slots(meeting):
    return list(meeting.slots.order_by("start"))


def answer_all(meeting, party, user, value=Answer.Value.YES, comment=""):
    services.answer_slots(
        meeting=meeting,
        party=party,
        by=user,
        answers={slot.pk: (value, comment) for slot in meeting.slots.active()},
    )


@pytest.fixture
def answered_meeting(meeting, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member):
    """Every required party has answered yes to every time: ready to confirm."""
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member)
    return meeting


@pytest.fixture
def scheduled_meeting(answered_meeting, slots, kommun, kommun_coordinator):
    services.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    answered_meeting.refresh_from_db()
    return answered_meeting

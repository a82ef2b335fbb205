"""Server time, queries and bytes of the main pages at named sizes, in a fresh test database.

    .venv/bin/python manage.py benchmark                 # every size, 30 requests per page
    .venv/bin/python manage.py benchmark --size grid --requests 50

Runs on SQLite by default and on PostgreSQL when DATABASE_URL says so; the
test database (test_<name>) is created for the run and dropped after it.
Time is measured in-process through the full middleware stack with Django's
test client: it is server time, without network or a WSGI server.
"""

import datetime
import gzip
import itertools
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment
from django.urls import reverse
from django.utils import timezone

from coordination import markdown
from coordination.models import (
    AgendaItem,
    Answer,
    Attendee,
    Invitation,
    Meeting,
    Membership,
    Party,
    Position,
    Slot,
)
from coordination.services import feeds

SIZES = {
    # parties, slots, agenda items (each with a position per party, capped), attendees
    "small": (3, 12, 8, 10),
    "large": (20, 100, 40, 100),
    "grid": (50, 100, 8, 10),
}
FEED_MEETINGS = 500


class Command(BaseCommand):
    help = "Measure the main pages at the sizes small, large and grid (and a 500-meeting feed) in a fresh database."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=[*SIZES, "all"], default="all")
        parser.add_argument("--requests", type=int, default=30, help="measured requests per page, after 3 warm-ups")

    def handle(self, *args, size, requests, **options):
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            self.stdout.write(f"database: {connection.vendor}; {requests} requests per page after 3 warm-ups")
            self.stdout.write(
                f"{'size':<6} {'page':<22} {'median ms':>9} {'p95 ms':>7} {'queries':>7} {'bytes':>9} {'gzip':>7} {'× floor':>8}"
            )
            for name in SIZES if size == "all" else [size]:
                self.measure_size(name, requests)
            if size in ("all", "small"):
                self.measure_feed(requests)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()

    def measure_size(self, name, requests):
        meeting, coordinator, answering, answered = build(name)
        client = Client(HTTP_ACCEPT_LANGUAGE="sv")
        client.force_login(coordinator)
        # Every party answers for itself: the answer pages are measured as a member of that party.
        answering_client, answered_client = Client(HTTP_ACCEPT_LANGUAGE="sv"), Client(HTTP_ACCEPT_LANGUAGE="sv")
        answering_client.force_login(answering.memberships.first().user)
        answered_client.force_login(answered.memberships.first().user)
        floor = self.measure(client, "floor (/healthz)", "GET", reverse("healthz"), requests, name, None)
        pages = [
            (client, "Mina möten", reverse("my_meetings")),
            (client, "meeting page", reverse("meeting_detail", args=[meeting.pk])),
            (answering_client, "answer form, blank", reverse("answer", args=[meeting.pk, answering.pk])),
            (answered_client, "answer form, filled", reverse("answer", args=[meeting.pk, answered.pk])),
            (client, "kallelse", reverse("kallelse", args=[meeting.pk])),
        ]
        for page_client, label, url in pages:
            self.measure(page_client, label, "GET", url, requests, name, floor)
        slots = list(meeting.slots.values_list("pk", flat=True))
        # Yes and no in turn, so every measured post changes every answer rather than repeating the last.
        payloads = [{f"answer_{pk}": value for pk in slots} for value in ("yes", "no")]
        url = reverse("answer", args=[meeting.pk, answering.pk])
        self.measure(answering_client, f"post {len(slots)} answers", "POST", url, requests, name, floor, payloads)
        schedule(meeting)
        self.measure(client, ".ics download", "GET", reverse("meeting_ics", args=[meeting.pk]), requests, name, floor)

    def measure_feed(self, requests):
        user = build_feed_user()
        token = feeds.new_feed_token(user)
        client = Client()
        floor = self.measure(client, "floor (/healthz)", "GET", reverse("healthz"), requests, "feed", None)
        self.measure(
            client, f"feed, {FEED_MEETINGS} meetings", "GET", reverse("feed", args=[token]), requests, "feed", floor
        )

    def measure(self, client, label, method, url, requests, size, floor, payloads=None):
        """Time ``requests`` requests after 3 warm-ups; a POST sends the ``payloads`` in turn."""
        payload = itertools.cycle(payloads or [None])

        def send():
            return client.post(url, next(payload)) if method == "POST" else client.get(url)

        for _ in range(3):
            send()
        times = []
        for _ in range(requests):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = send()
                times.append((time.perf_counter() - started) * 1000)
        # Not an assert (python -O drops those): figures of an error page must never pass for the real thing.
        if response.status_code not in (200, 302):
            raise CommandError(f"{label}: the page answered {response.status_code}")
        body = response.content
        median = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
        ratio = f"{median / floor:.1f}" if floor else "1.0"
        self.stdout.write(
            f"{size:<6} {label:<22} {median:>9.1f} {p95:>7.1f} {len(queries):>7} {len(body):>9} "
            f"{len(gzip.compress(body)):>7} {ratio:>8}"
        )
        return median


def build(size):
    """A meeting of the named size; returns it, a convener, a party without answers and one with them."""
    parties_n, slots_n, items_n, attendees_n = SIZES[size]
    User = get_user_model()
    parties = Party.objects.bulk_create(
        [
            Party(name=f"{size} part {i:02d}", short_name=f"P{i:02d}", email=f"p{i}@bench.example")
            for i in range(parties_n)
        ]
    )
    users = User.objects.bulk_create(
        [User(username=f"{size}-u{i}", first_name=f"Person {i}") for i in range(parties_n)]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=user, party=party, role=Membership.Role.COORDINATOR)
            for user, party in zip(users, parties, strict=True)
        ]
    )
    meeting = Meeting.objects.create(
        title=f"Benchmark {size}", status=Meeting.Status.POLLING, opened_at=timezone.now(), duration_minutes=120
    )
    Invitation.objects.bulk_create(
        [
            Invitation(
                meeting=meeting, party=party, role=Invitation.Role.CONVENING if i == 0 else Invitation.Role.INVITED
            )
            for i, party in enumerate(parties)
        ]
    )
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=10)
    slots = Slot.objects.bulk_create(
        [
            Slot(
                meeting=meeting,
                start=start + datetime.timedelta(hours=3 * i),
                end=start + datetime.timedelta(hours=3 * i + 2),
                proposed_by_party=parties[0],
                proposed_by=users[0],
            )
            for i in range(slots_n)
        ]
    )
    values = [Answer.Value.YES, Answer.Value.IF_NEED_BE, Answer.Value.NO]
    # Every party but the last has answered every slot; a comment on every seventh answer.
    Answer.objects.bulk_create(
        [
            Answer(
                slot=slot,
                party=party,
                value=values[(i + j) % 3],
                comment="Kan efter lunch" if (i + j) % 7 == 0 else "",
                answered_by=users[j],
            )
            for i, slot in enumerate(slots)
            for j, party in enumerate(parties[:-1])
        ]
    )
    items = AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                title=f"Punkt {i + 1}",
                proposed_by_party=parties[i % parties_n],
                presenting_party=parties[i % parties_n],
                status=AgendaItem.Status.ACCEPTED,
                order=i + 1,
            )
            for i in range(items_n)
        ]
    )
    Position.objects.bulk_create(
        [
            Position(
                agenda_item=item,
                party=party,
                text=(text := f"Ståndpunkt från {party.short_name}:\n\n- en punkt\n- en till"),
                html=markdown.render(text),
                state=Position.State.SHARED if j % 2 == 0 else Position.State.DRAFT,
            )
            for item in items
            for j, party in enumerate(parties[: min(parties_n, 20)])
        ]
    )
    Attendee.objects.bulk_create(
        [
            Attendee(meeting=meeting, party=parties[i % parties_n], name=f"Deltagare {i}", email=f"d{i}@bench.example")
            for i in range(attendees_n)
        ]
    )
    return meeting, users[0], parties[-1], parties[1]


def schedule(meeting):
    """Confirm the meeting's first slot, so that it has an invite to download."""
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.SCHEDULED, confirmed_slot=meeting.slots.first())


def build_feed_user():
    """One user whose party is in FEED_MEETINGS scheduled meetings over the coming year."""
    User = get_user_model()
    user = User.objects.create(username="feed-user", email="feed@bench.example")
    party = Party.objects.create(name="Feed party", short_name="Feed")
    Membership.objects.create(user=user, party=party, role=Membership.Role.MEMBER)
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(title=f"Möte {i}", status=Meeting.Status.POLLING, opened_at=start, location="Stadshuset")
            for i in range(FEED_MEETINGS)
        ]
    )
    Invitation.objects.bulk_create(
        [Invitation(meeting=m, party=party, role=Invitation.Role.CONVENING) for m in meetings]
    )
    slots = Slot.objects.bulk_create(
        [
            Slot(
                meeting=m,
                start=start + datetime.timedelta(hours=16 * i),
                end=start + datetime.timedelta(hours=16 * i + 2),
                proposed_by_party=party,
            )
            for i, m in enumerate(meetings)
        ]
    )
    for m, slot in zip(meetings, slots, strict=True):
        m.confirmed_slot, m.status = slot, Meeting.Status.SCHEDULED
    Meeting.objects.bulk_update(meetings, ["confirmed_slot", "status"])
    return user


# The life a party's meetings are in, in turn: most of them, as the years go by, held.
DASHBOARD_STATUSES = [
    Meeting.Status.POLLING,
    Meeting.Status.SCHEDULED,
    Meeting.Status.HELD,
    Meeting.Status.HELD,
    Meeting.Status.CANCELLED,
]


def build_dashboard(meetings, name="dash"):
    """A coordinator whose party convenes ``meetings`` meetings with one other party, for "Mina möten".

    In turn collecting answers (the other party has answered, the coordinator's has not, and the other
    party's agenda item waits for a decision), upcoming, held twice and cancelled; two times each, the
    first confirmed where the meeting has a time. Returns the coordinator.
    """
    User = get_user_model()
    user, guest = User.objects.bulk_create(
        [User(username=f"{name}-samordnare", first_name="Samordnare"), User(username=f"{name}-region")]
    )
    party, other = Party.objects.bulk_create(
        [Party(name=f"{name} kommun", short_name=f"{name}-K"), Party(name=f"{name} region", short_name=f"{name}-R")]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=user, party=party, role=Membership.Role.COORDINATOR),
            Membership(user=guest, party=other, role=Membership.Role.COORDINATOR),
        ]
    )
    now = timezone.now().replace(microsecond=0)
    statuses = [DASHBOARD_STATUSES[i % len(DASHBOARD_STATUSES)] for i in range(meetings)]
    created = Meeting.objects.bulk_create(
        [
            Meeting(title=f"Samråd {i + 1}", status=Meeting.Status.POLLING, opened_at=now, created_by=user)
            for i in range(meetings)
        ]
    )
    Invitation.objects.bulk_create(
        [
            invitation
            for meeting in created
            for invitation in (
                Invitation(meeting=meeting, party=party, role=Invitation.Role.CONVENING),
                Invitation(meeting=meeting, party=other, role=Invitation.Role.INVITED),
            )
        ]
    )
    # Held meetings lie behind today, the others ahead of it: one day apart each, two hours long.
    starts = [
        now + datetime.timedelta(days=-(i + 1) if status == Meeting.Status.HELD else i + 1)
        for i, status in enumerate(statuses)
    ]
    slots = Slot.objects.bulk_create(
        [
            Slot(
                meeting=meeting,
                start=start + shift,
                end=start + shift + datetime.timedelta(hours=2),
                proposed_by_party=party,
            )
            for meeting, start in zip(created, starts, strict=True)
            for shift in (datetime.timedelta(0), datetime.timedelta(hours=3))
        ]
    )
    polling = [
        (i, meeting)
        for i, (meeting, status) in enumerate(zip(created, statuses, strict=True))
        if status == Meeting.Status.POLLING
    ]
    Answer.objects.bulk_create(
        [Answer(slot=slots[2 * i], party=other, value=Answer.Value.YES, answered_by=guest) for i, _meeting in polling]
    )
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(meeting=meeting, title="Kameror", proposed_by_party=other, presenting_party=other, order=1)
            for _i, meeting in polling
        ]
    )
    for i, (meeting, status) in enumerate(zip(created, statuses, strict=True)):
        meeting.status = status
        meeting.confirmed_slot = slots[2 * i] if status != Meeting.Status.POLLING else None
    Meeting.objects.bulk_update(created, ["status", "confirmed_slot"])
    return user

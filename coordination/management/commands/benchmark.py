"""CPU time, instructions, server time, queries and bytes of the main pages at named sizes, in a fresh database.

    .venv/bin/python manage.py benchmark                                  # every size; about half an hour
    .venv/bin/python manage.py benchmark --size small --meetings 1,50     # a few minutes
    .venv/bin/python manage.py benchmark --size grid --requests 50 --no-instructions

Each page is requested through the full middleware stack with Django's test client (in-process: no network,
no WSGI server): 3 warm-ups, then ``--requests`` measured requests, of which the median and p95 of wall time
and the median of CPU time are shown (this process's CPU: on PostgreSQL the server's work is not in it).

When valgrind is installed, the same pages are then requested once more in a process of their own under
callgrind, which counts the instructions of ``--callgrind-requests`` requests per page after 3 warm-ups: the
figure that does not move with the machine's load. The process starts Django uninstrumented, turns
instrumentation on (callgrind_control), and collects only inside the measured requests (they run inside
math.fsum, a C function nothing else in a request calls: --toggle-collect), one dump per page.

Every page is set against a floor of its kind: a bare view that answers "ok", requested anonymously and
logged in, through the same middleware. The bare view is in a URLconf of this command's own (``urlpatterns``
below, the project's URLs and the floor), which ROOT_URLCONF names only while the command runs: it is never
reachable in the running app. "Mina möten" is measured at the sizes ``--meetings`` gives (1, 50 and 500
meetings by default), besides at each meeting size.

Runs on SQLite by default (the test database in a temporary file, which the callgrind process opens too) and
on PostgreSQL when DATABASE_URL says so (test_<name>); the test database is created for the run and dropped.
"""

import argparse
import datetime
import gzip
import itertools
import json
import math
import os
import shutil
import statistics

# An operator's benchmark command: it runs itself again under valgrind, with arguments of its own.
import subprocess  # nosec B404
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import path, reverse
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
from samrad import urls as project_urls

SIZES = {
    # parties, slots, agenda items (each with a position per party, capped), attendees
    "small": (3, 12, 8, 10),
    "large": (20, 100, 40, 100),
    "grid": (50, 100, 8, 10),
}
FEED_MEETINGS = 500
WARM_UPS = 3


def bare(request):
    """The floor: a view that does nothing, so that what it costs is the middleware around it."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


# This command's URLconf, named by ROOT_URLCONF only while it runs: the project's URLs and the floor.
urlpatterns = [path("benchmark/floor/", bare, name="benchmark_floor"), *project_urls.urlpatterns]
handler500 = project_urls.handler500


@dataclass
class Page:
    """One page to measure: how to ask for it, as whom (a user's pk, or None for anonymous), and its figures."""

    size: str
    label: str
    url: str
    user: int | None = None
    method: str = "GET"
    payloads: list | None = None  # a POST sends these in turn
    headers: dict = field(default_factory=dict)
    times: list = field(default_factory=list)
    cpu: list = field(default_factory=list)
    queries: int = 0
    body: bytes = b""
    instructions: float | None = None

    @property
    def kind(self):
        return "logged in" if self.user else "anonymous"


class Command(BaseCommand):
    help = "Measure the main pages (CPU time, instructions, queries, bytes) at named sizes in a fresh database."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=[*SIZES, "all", "none"], default="all", help="meeting sizes to measure")
        parser.add_argument(
            "--meetings",
            default="1,50,500",
            help='"Mina möten" for a person in this many meetings, comma-separated ("" for none)',
        )
        parser.add_argument("--requests", type=int, default=30, help="measured requests per page, after 3 warm-ups")
        parser.add_argument("--no-feed", action="store_true", help=f"leave out the {FEED_MEETINGS}-meeting feed")
        parser.add_argument(
            "--callgrind-requests", type=int, default=3, help="requests per page counted under callgrind"
        )
        parser.add_argument("--no-instructions", action="store_true", help="leave out callgrind even where installed")
        parser.add_argument("--callgrind-plan", help=argparse.SUPPRESS)  # the callgrind process's own

    def handle(self, *args, size, meetings, requests, no_feed, callgrind_requests, no_instructions, **options):
        if options["callgrind_plan"]:
            return run_plan(options["callgrind_plan"])
        counts = [int(n) for n in meetings.split(",") if n.strip()]
        with fresh_test_database("samrad-bench-") as folder:
            self.stdout.write(f"machine: {machine()}; load average before: {load_average()}")
            with override_settings(ROOT_URLCONF=__name__):
                plan = self.measure_all(size, counts, requests, no_feed)
                if not no_instructions:
                    self.count_instructions(plan, folder, callgrind_requests)
            self.report(plan, requests, callgrind_requests)
            # Other processes' load distorts the times (not the instructions); this says how much there was.
            self.stdout.write(f"load average after: {load_average()}")

    def measure_all(self, size, counts, requests, no_feed):
        """Build each size and measure its pages; returns the plan: pages and state changes, in order."""
        plan = []
        floor_user = build_floor_user()
        plan += [
            Page("floor", "bare view, anonymous", reverse("benchmark_floor")),
            Page("floor", "bare view, logged in", reverse("benchmark_floor"), user=floor_user.pk),
        ]
        self.measure(plan[-2:], requests)
        for name in SIZES if size == "all" else [] if size == "none" else [size]:
            self.stderr.write(f"measuring {name} …")
            meeting, coordinator, answering, answered = build(name)
            member, answerer = answering.memberships.first().user, answered.memberships.first().user
            pages = [
                Page(name, "Mina möten", reverse("my_meetings"), user=coordinator.pk),
                Page(name, "meeting page", reverse("meeting_detail", args=[meeting.pk]), user=coordinator.pk),
                # Every party answers for itself: the answer pages are measured as a member of that party.
                Page(name, "answer form, blank", reverse("answer", args=[meeting.pk, answering.pk]), user=member.pk),
                Page(name, "answer form, filled", reverse("answer", args=[meeting.pk, answered.pk]), user=answerer.pk),
                Page(name, "kallelse", reverse("kallelse", args=[meeting.pk]), user=coordinator.pk),
            ]
            slots = list(meeting.slots.values_list("pk", flat=True))
            # Yes and no in turn, so every measured post changes every answer rather than repeating the last.
            payloads = [{f"answer_{pk}": value for pk in slots} for value in ("yes", "no")]
            url = reverse("answer", args=[meeting.pk, answering.pk])
            pages.append(
                Page(name, f"post {len(slots)} answers", url, user=member.pk, method="POST", payloads=payloads)
            )
            self.measure(pages, requests)
            plan += [*pages, {"schedule": meeting.pk}]
            schedule(meeting)
            ics = Page(name, ".ics download", reverse("meeting_ics", args=[meeting.pk]), user=coordinator.pk)
            self.measure([ics], requests)
            plan.append(ics)
        for count in counts:
            label = f"Mina möten, {count} meeting{'' if count == 1 else 's'}"
            self.stderr.write(f"measuring {label} …")
            pages = [Page("mine", label, reverse("my_meetings"), user=build_dashboard(count, name=f"dash{count}").pk)]
            self.measure(pages, requests)
            plan += pages
        if not no_feed:
            self.stderr.write(f"measuring the feed of {FEED_MEETINGS} meetings …")
            url = reverse("feed", args=[feeds.new_feed_token(build_feed_user())])
            etag = Client().get(url)["ETag"]
            pages = [
                Page("feed", f"feed, {FEED_MEETINGS} meetings", url),
                Page("feed", "feed, 304", url, headers={"HTTP_IF_NONE_MATCH": etag}),
            ]
            self.measure(pages, requests)
            plan += pages
        return plan

    def measure(self, pages, requests):
        """Time ``requests`` requests of each page after the warm-ups: wall time, CPU time, queries, bytes."""
        for page in pages:
            send = sender(page)
            for _ in range(WARM_UPS):
                send()
            for _ in range(requests):
                with CaptureQueriesContext(connection) as queries:
                    started, cpu = time.perf_counter(), time.process_time()
                    response = send()
                    page.cpu.append((time.process_time() - cpu) * 1000)
                    page.times.append((time.perf_counter() - started) * 1000)
            check(page, response)
            page.queries, page.body = len(queries), response.content

    def count_instructions(self, plan, folder, requests):
        """Run the plan again in a process of its own under callgrind; each page's instructions per request."""
        if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
            self.stderr.write("valgrind is not installed (apt-get install valgrind): no instruction counts")
            return
        pages = [step for step in plan if isinstance(step, Page)]
        plan_file = folder / "plan.json"
        plan_file.write_text(json.dumps({"requests": requests, "steps": [as_step(step) for step in plan]}))
        out = folder / "callgrind.out"
        connection.close()  # SQLite: the other process writes too (sessions, answers)
        self.stderr.write(f"counting instructions under callgrind ({len(pages)} pages) …")
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            "--toggle-collect=math_fsum",
            "--dump-after=math_fsum",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "benchmark",
            "--callgrind-plan",
            str(plan_file),
        ]
        env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
        # valgrind from the PATH, as the README installs it; the arguments are the command's own.
        result = subprocess.run(command, env=env, capture_output=True, text=True)  # nosec B603 B607
        if result.returncode != 0:
            tail = "\n".join(result.stderr.splitlines()[-15:])
            self.stderr.write(f"callgrind run failed, no instruction counts:\n{tail}")
            return
        dumps = sorted(folder.glob("callgrind.out.*"), key=lambda dump: int(dump.suffix[1:]))
        if len(dumps) != len(pages):
            raise CommandError(f"callgrind wrote {len(dumps)} dumps for {len(pages)} pages")
        for page, dump in zip(pages, dumps, strict=True):
            page.instructions = callgrind_total(dump) / requests

    def report(self, plan, requests, callgrind_requests):
        pages = [step for step in plan if isinstance(step, Page)]
        counted = any(page.instructions for page in pages)
        floors = {page.kind: page for page in pages if page.size == "floor"}
        self.stdout.write(
            f"database: {connection.vendor}; {requests} requests per page after {WARM_UPS} warm-ups"
            + (f"; instructions: callgrind, {callgrind_requests} requests per page" if counted else "")
        )
        self.stdout.write(
            "× floor: "
            + ("instructions" if counted else "CPU time")
            + " per request over the bare view's of the same kind (anonymous or logged in)"
        )
        self.stdout.write(
            f"{'size':<6} {'page':<28} {'median ms':>9} {'p95 ms':>7} {'CPU ms':>7} {'M instr':>8} "
            f"{'queries':>7} {'bytes':>8} {'gzip':>6} {'× floor':>7}"
        )
        for page in pages:
            floor = floors[page.kind]
            if counted:
                ratio = page.instructions / floor.instructions
            else:
                ratio = statistics.median(page.cpu) / statistics.median(floor.cpu)
            instructions = f"{page.instructions / 1e6:.1f}" if page.instructions else "–"
            times = page.times
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
            self.stdout.write(
                f"{page.size:<6} {page.label:<28} {statistics.median(times):>9.1f} {p95:>7.1f} "
                f"{statistics.median(page.cpu):>7.1f} {instructions:>8} {page.queries:>7} {len(page.body):>8} "
                f"{len(gzip.compress(page.body)):>6} {ratio:>7.1f}"
            )


def sender(page):
    """A function that sends the page's request once, as its user (logged in once, here)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="sv")
    if page.user:
        client.force_login(get_user_model().objects.get(pk=page.user))
    payload = itertools.cycle(page.payloads or [None])
    if page.method == "POST":
        return lambda: client.post(page.url, next(payload), **page.headers)
    return lambda: client.get(page.url, **page.headers)


def check(page, response):
    # Not an assert (python -O drops those): figures of an error page must never pass for the real thing.
    expected = (304,) if "HTTP_IF_NONE_MATCH" in page.headers else (200, 302)
    if response.status_code not in expected:
        raise CommandError(f"{page.label}: the page answered {response.status_code}")


def as_step(step):
    if isinstance(step, Page):
        return {"page": {k: getattr(step, k) for k in ("label", "url", "user", "method", "payloads", "headers")}}
    return step


def run_plan(plan_file):
    """Under callgrind: the plan's pages, each's measured requests inside math.fsum (see the module's note)."""
    plan = json.loads(Path(plan_file).read_text())
    setup_test_environment()
    for step in plan["steps"]:
        if "schedule" in step:  # the meetings start as they were when their pages were first measured
            Meeting.objects.filter(pk=step["schedule"]).update(status=Meeting.Status.POLLING, confirmed_slot=None)
    # callgrind_control from the PATH, beside valgrind; it switches on this process's own instrumentation.
    switched = subprocess.run(  # nosec B603 B607
        ["callgrind_control", "--instr=on", str(os.getpid())], capture_output=True, text=True
    )
    if switched.returncode != 0:
        raise CommandError(f"callgrind_control could not switch instrumentation on: {switched.stderr}")
    with override_settings(ROOT_URLCONF=__name__):
        for step in plan["steps"]:
            if "schedule" in step:
                schedule(Meeting.objects.get(pk=step["schedule"]))
            elif "page" in step:
                page = Page(size="", **step["page"])
                send = sender(page)
                for _ in range(WARM_UPS):
                    send()
                responses = []

                def measured(send=send, responses=responses):
                    for _ in range(plan["requests"]):
                        responses.append(send())
                        yield 0.0

                math.fsum(measured())
                check(page, responses[-1])


def callgrind_total(dump):
    """The instructions a callgrind dump counted (its "totals:" line)."""
    for line in dump.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise CommandError(f"{dump} has no totals line")


@contextmanager
def fresh_test_database(prefix):
    """A test database made for one run and dropped after it; yields a temporary folder for the run's files.

    On SQLite the database is a file in that folder, not in memory, so that other processes (the
    callgrind run, the load test's server) open it too; on PostgreSQL it is test_<name>.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        folder = Path(folder)
        if connection.vendor == "sqlite":
            connection.settings_dict["TEST"]["NAME"] = str(folder / "bench.sqlite3")
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield folder
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()


def machine():
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown CPU")
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    return f"{os.cpu_count()} cores ({model}), {memory_kb / 1024 / 1024:.1f} GiB RAM"


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def database_url(database):
    """The DATABASE_URL of the test database, for the other processes of a run."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"], safe="") + (
        f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    )
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgres://{credentials}@{database['HOST']}{port}/{quote(database['NAME'], safe='')}"


def build_floor_user():
    """The logged-in floor's user: a coordinator of a party, like the people measured on the pages."""
    user = get_user_model().objects.create(username="floor-user", first_name="Golv")
    party = Party.objects.create(name="Floor party", short_name="Golv")
    Membership.objects.create(user=user, party=party, role=Membership.Role.COORDINATOR)
    return user


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

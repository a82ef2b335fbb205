"""Requests per second and p95 latency of the main pages under gunicorn with 2 workers, driven by wrk.

    .venv/bin/python manage.py bench_load                     # SQLite; make bench-load does the same
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/samrad_bench .venv/bin/python manage.py bench_load

Builds the benchmark's small and grid meetings and its 500-meeting feed (the builders of
``manage.py benchmark``) in a fresh test database: a file for SQLite, so that
other processes can open it, test_<name> for PostgreSQL. Then starts
scripts/serve (the production start: gunicorn, DEBUG off) with 2 workers on a
free port of 127.0.0.1 against it, logs a convener and an answering party's
member in (session cookies, kept in the database as in production), and runs
Debian's wrk for a fixed time per page. Reports requests/s, median and p95
latency, and each worker's resident memory before the load and after it, by when the workers have answered
at least 1,000 grid pages each on average; then the targets of issue 19.
"""

import http.client
import os
import shutil
import signal
import socket

# An operator's benchmark command: it starts the app's own server script and wrk, with fixed arguments.
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from coordination.services import feeds

from .benchmark import (
    FEED_MEETINGS,
    build,
    build_feed_user,
    database_url,
    fresh_test_database,
    load_average,
    machine,
    schedule,
)

WORKERS = 2
WRK_SCRIPT = settings.BASE_DIR / "scripts" / "wrk-summary.lua"
# Issue 19: the meeting page at demo size and at grid size (100 times × 50 parties); each worker's memory after
# 1,000 grid pages: the server is sent GRID_PAGES of them in all (wrk's, then one by one if wrk sent fewer).
TARGETS = {"meeting page": 500, "meeting page, grid": 150}
TARGET_WORKER_MB = 100
GRID_PAGES = 1000 * WORKERS


class Command(BaseCommand):
    help = "Load the main pages under gunicorn (2 workers) with wrk and report requests/s, p95 and RSS per worker."

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
        parser.add_argument("--threads", type=int, default=2, help="wrk threads")
        parser.add_argument("--connections", type=int, default=8, help="wrk connections, spread over the threads")

    def handle(self, *args, duration, threads, connections, **options):
        if not shutil.which("wrk"):
            raise CommandError("wrk is not installed: apt-get install wrk")
        self.wrk_options = [
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPT),
        ]
        with fresh_test_database("samrad-load-") as folder:
            pages = self.build_pages()
            connection.close()  # the server's workers have the database to themselves
            self.stdout.write(
                f"database: {connection.vendor}; gunicorn, {WORKERS} workers; "
                f"wrk {threads} threads, {connections} connections, {duration} s per page"
            )
            self.stdout.write(f"machine: {machine()}; load average before: {load_average()}")
            with Server(folder, database_url(connection.settings_dict)) as server:
                self.run_load(server, pages)
            # Other processes' load distorts the figures; this says how much there was.
            self.stdout.write(f"load average after: {load_average()}")

    def build_pages(self):
        """(label, path, session cookie or None, what to change first or None) per page, in load order."""
        meeting, coordinator, answering, _answered = build("small")
        convener = session_cookie(coordinator)
        member = session_cookie(answering.memberships.first().user)
        grid, grid_convener, _answering, _answered = build("grid")
        token = feeds.new_feed_token(build_feed_user())
        return [
            ("floor (/healthz)", reverse("healthz"), None, None),
            ("meeting page", reverse("meeting_detail", args=[meeting.pk]), convener, None),
            ("meeting page, grid", reverse("meeting_detail", args=[grid.pk]), session_cookie(grid_convener), None),
            ("Mina möten", reverse("my_meetings"), convener, None),
            ("answer form", reverse("answer", args=[meeting.pk, answering.pk]), member, None),
            ("kallelse", reverse("kallelse", args=[meeting.pk]), convener, None),
            # The pages above are loaded while the parties answer; an invite exists once a time is confirmed.
            (".ics download", reverse("meeting_ics", args=[meeting.pk]), convener, lambda: schedule(meeting)),
            (f"feed, {FEED_MEETINGS} meetings", reverse("feed", args=[token]), None, None),
        ]

    def run_load(self, server, pages):
        self.stdout.write(f"{'page':<22} {'req/s':>8} {'median ms':>9} {'p95 ms':>7} {'requests':>9} {'errors':>6}")
        rss_before = server.worker_rss()
        rates, counts = {}, {}
        for label, path, cookie, prepare in pages:
            if prepare:
                prepare()
                connection.close()
            headers = {"Accept-Language": "sv", **({"Cookie": cookie} if cookie else {})}
            # wrk counts a redirect (to the login page, say) as a success: make sure the page itself answers.
            status = server.status(path, headers)
            if status != 200:
                raise CommandError(f"{label}: {path} answered {status}, not 200; nothing measured")
            rate, median, p95, count, errors = self.wrk(server.url(path), headers)
            rates[label], counts[label] = rate, count
            self.stdout.write(f"{label:<22} {rate:>8.1f} {median:>9.1f} {p95:>7.1f} {count:>9} {errors:>6}")
            if label == "meeting page, grid":
                for _ in range(GRID_PAGES - count):
                    server.status(path, headers)
                counts[label] = max(count, GRID_PAGES)
        rss_after = server.worker_rss()
        self.stdout.write("RSS per worker, MB: at start        " + ", ".join(f"{mb:.1f}" for mb in rss_before))
        self.stdout.write("                    after the load  " + ", ".join(f"{mb:.1f}" for mb in rss_after))
        verdicts = [
            f"{label} {rates[label]:.0f} req/s (≥ {target}: {'met' if rates[label] >= target else 'missed'})"
            for label, target in TARGETS.items()
        ]
        largest, grid_pages = max(rss_after), counts["meeting page, grid"]
        memory = (
            f"largest worker {largest:.0f} MB after {grid_pages} grid pages among {WORKERS} workers and the pages "
            f"below (< {TARGET_WORKER_MB} MB: {'met' if largest < TARGET_WORKER_MB else 'missed'})"
        )
        self.stdout.write("targets: " + "; ".join([*verdicts, memory]))

    def wrk(self, url, headers):
        header_options = [option for name, value in headers.items() for option in ("-H", f"{name}: {value}")]
        # wrk from the PATH, as the README installs it; the arguments are the command's own and our URLs.
        result = subprocess.run(  # nosec B603 B607
            ["wrk", *self.wrk_options, *header_options, url], capture_output=True, text=True, check=True
        )
        line = next((line for line in result.stdout.splitlines() if line.startswith("samrad-load ")), None)
        if line is None:
            raise CommandError(f"wrk printed no summary for {url}:\n{result.stdout}{result.stderr}")
        rate, median, p95, count, errors = line.split()[1:]
        return float(rate), float(median), float(p95), int(count), int(errors)


def session_cookie(user):
    """A logged-in session for the user, stored in the database, as the Cookie header a browser sends."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """scripts/serve on a free port of 127.0.0.1, from start until its /healthz answers, to its stop.

    ``environment`` adds to or overrides the server's variables (the tests shorten gunicorn's timeout).
    """

    def __init__(self, folder, database_url, **environment):
        self.port = free_port()
        self.log_path = folder / "gunicorn.log"
        self.environment = {
            **os.environ,
            "PYTHON": sys.executable,
            "DATABASE_URL": database_url,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(WORKERS),
            "DEBUG": "False",
            # HTTPS-only settings and PostgreSQL only are for the public site; the pages are the same.
            "PRODUCTION": "False",
            "ALLOWED_HOSTS": "127.0.0.1",
            **environment,
        }

    def __enter__(self):
        self.log = self.log_path.open("w")
        # The project's own start script, with no argument from outside.
        self.process = subprocess.Popen(  # nosec B603
            [str(settings.BASE_DIR / "scripts" / "serve")],
            env=self.environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if self.status(reverse("healthz"), {}) == 200 and len(self.worker_pids()) == WORKERS:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise CommandError("the server did not start:\n" + self.log_path.read_text()[-3000:])

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def status(self, path, headers):
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            client.request("GET", path, headers=headers)
            response = client.getresponse()
            response.read()
            return response.status
        finally:
            client.close()

    def worker_pids(self):
        """The gunicorn master's children (scripts/serve execs gunicorn, so the master is our child)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return sorted(int(pid) for pid in children)

    def worker_rss(self):
        """Each worker's resident memory in MB, from /proc/<pid>/status."""
        sizes = []
        for pid in self.worker_pids():
            line = next(
                line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:")
            )
            sizes.append(int(line.split()[1]) / 1024)
        return sizes

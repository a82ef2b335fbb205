"""The core journey in a real headless Chromium, against the live server.

Coordinator proposes two times → the police answer → the county board answers
→ the convener confirms → an attendee is named → the county board's secretary
confirms attendance → the police download the .ics, which is parsed back.
Screenshots of each step land in test-artifacts/ for people to look at.
"""

import datetime
import os
import shutil
from pathlib import Path

import icalendar
import pytest
from django.db import connections

from coordination.models import Meeting, Slot
from coordination.times import STOCKHOLM

from .conftest import PASSWORD, create_meeting

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Flags for a sandboxed machine without a network: no background calls home, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: install Debian's chromium package (or set CHROMIUM)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    # Playwright's event loop gives the ORM another context and so another connection; the one
    # left behind would keep PostgreSQL from dropping the test database. Close them on both sides.
    connections.close_all()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


class Person:
    """One user in their own browser context, as if at their own desk."""

    def __init__(self, browser, live_server, username, journey):
        self.context = browser.new_context(locale="sv-SE", accept_downloads=True)
        self.page = self.context.new_page()
        self.base = live_server.url
        self.username = username
        self.journey = journey
        self.page.goto(f"{self.base}/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(f"{self.base}/")

    def go(self, path):
        self.page.goto(f"{self.base}{path}")

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.journey.append(name)
        self.page.screenshot(path=ARTIFACTS / f"core-{len(self.journey):02d}-{name}.png", full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def people(browser, live_server):
    opened = []
    journey = []

    def open_as(user):
        person = Person(browser, live_server, user.username, journey)
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        person.close()


def next_weekday(days):
    day = datetime.date.today() + datetime.timedelta(days=days)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def test_parties_agree_on_a_time_and_everyone_gets_the_invite(
    people, kommun, lansstyrelsen, polisen, kommun_coordinator, kommun_member, lansstyrelsen_secretary, polis_member
):
    meeting = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen])
    first, second = next_weekday(14), next_weekday(21)

    # The municipality's coordinator proposes two times and opens the meeting for answers.
    coordinator = people(kommun_coordinator)
    coordinator.go(f"/meetings/{meeting.pk}/")
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/slots/new/']")
    coordinator.page.fill("input[name='slots-0-date']", first.isoformat())
    coordinator.page.fill("input[name='slots-0-start_time']", "10:00")
    coordinator.page.fill("input[name='slots-1-date']", second.isoformat())
    coordinator.page.fill("input[name='slots-1-start_time']", "13:30")
    coordinator.page.fill("input[name='slots-1-end_time']", "15:00")
    coordinator.shot("propose-two-times")
    coordinator.page.click("main button[type=submit]")
    coordinator.page.click(f"form[action='/meetings/{meeting.pk}/open/'] button")
    coordinator.shot("open-for-answers")
    slots = list(Slot.objects.filter(meeting=meeting).order_by("start"))
    assert [s.start.astimezone(STOCKHOLM).time() for s in slots] == [datetime.time(10, 0), datetime.time(13, 30)]
    assert slots[1].end - slots[1].start == datetime.timedelta(minutes=90)

    # A member of the police answers for the police: yes to one, if need be to the other.
    police = people(polis_member)
    police.page.click(f"a[href='/meetings/{meeting.pk}/answers/{polisen.pk}/']")
    police.page.check(f"input[name='answer_{slots[0].pk}'][value='yes']")
    police.page.check(f"input[name='answer_{slots[1].pk}'][value='if_need_be']")
    police.page.fill(f"input[name='comment_{slots[1].pk}']", "Helst förmiddag")
    police.shot("police-answers")
    police.page.click("main button[type=submit]")
    police.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    assert "Helst förmiddag" in police.page.inner_text("#slots")

    # The county board's secretary answers for the county board.
    secretary = people(lansstyrelsen_secretary)
    secretary.go(f"/meetings/{meeting.pk}/answers/{lansstyrelsen.pk}/")
    secretary.page.check(f"input[name='answer_{slots[0].pk}'][value='yes']")
    secretary.page.check(f"input[name='answer_{slots[1].pk}'][value='yes']")
    secretary.page.click("main button[type=submit]")
    secretary.page.wait_for_url(f"**/meetings/{meeting.pk}/")

    # The convener sees who said what, and confirms the first time.
    coordinator.go(f"/meetings/{meeting.pk}/")
    coordinator.shot("grid-ready-to-confirm")
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/slots/{slots[0].pk}/confirm/']")
    assert "Polismyndigheten" in coordinator.page.inner_text("main")
    coordinator.shot("confirm-step")
    coordinator.page.click("main form button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED and meeting.confirmed_slot == slots[0]

    # The municipality names its chair as attendee; the county board's secretary confirms.
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/attendees/{kommun.pk}/new/']")
    coordinator.page.select_option("select[name='user']", label=kommun_member.get_full_name())
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    secretary.go(f"/meetings/{meeting.pk}/")
    attendee = meeting.attendees.get()
    secretary.page.click(f"form[action='/meetings/{meeting.pk}/attendees/{attendee.pk}/confirm/'] button")
    secretary.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    secretary.shot("attendance-confirmed")
    attendee.refresh_from_db()
    assert attendee.is_confirmed and attendee.confirmed_by == lansstyrelsen_secretary

    # The police download the invite; it parses and says the same as the app.
    police.go(f"/meetings/{meeting.pk}/")
    with police.page.expect_download() as download_info:
        police.page.click(f"a[href='/meetings/{meeting.pk}/samrad.ics']")
    download = download_info.value
    assert download.suggested_filename == "dialog-om-utokat-samarbete.ics"
    calendar = icalendar.Calendar.from_ical(Path(download.path()).read_bytes())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == meeting.calendar_uid
    assert event.decoded("DTSTART") == slots[0].start
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert str(event["ATTENDEE"]) == f"mailto:{kommun_member.email}"  # the one attendee named
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"

"""Proposing times in a real Chromium: rows added by the page's script, the same time on several dates, one submit.

Issue 16 found that six times took two submits (the form had three rows). Here
the coordinator adds a row, fills five dates at one time through "Samma tid på
flera datum", and proposes all six with one click; the summer-time question
shows only while a row's time is in the hour that repeats.
"""

import datetime

import pytest

from coordination.models import Slot
from coordination.times import STOCKHOLM

from .builders import create_meeting, next_weekday

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "slots"


def test_six_times_are_proposed_with_one_submit_through_the_script(
    people, kommun, lansstyrelsen, polisen, kommun_coordinator
):
    meeting = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen])
    thursdays = [next_weekday(2 + 7 * week) for week in range(6)]  # none a holiday, an eve or a klämdag
    coordinator = people(kommun_coordinator)
    coordinator.go(f"/meetings/{meeting.pk}/slots/new/")
    page = coordinator.page
    assert page.locator(".slot-row").count() == 6

    # A seventh row, added without a page load; the form's TOTAL_FORMS follows.
    page.click("#add-slot-row")
    assert page.locator(".slot-row").count() == 7
    assert page.input_value("input[name='slots-TOTAL_FORMS']") == "7"
    assert page.locator("#id_slots-6-date").evaluate("element => element === document.activeElement")
    page.fill("input[name='slots-6-date']", thursdays[5].isoformat())
    page.fill("input[name='slots-6-start_time']", "09:00")

    # The summer-time question appears only while the time is in the repeated hour.
    question = page.locator(".slot-row").nth(5).locator(".repeated-hour")
    assert question.is_hidden()
    page.fill("input[name='slots-5-date']", "2027-10-31")
    page.fill("input[name='slots-5-start_time']", "02:30")
    assert question.is_visible()
    coordinator.shot("repeated-hour-asked")
    page.fill("input[name='slots-5-date']", "")
    page.fill("input[name='slots-5-start_time']", "")
    assert question.is_hidden()

    # The same time on five dates: each date fills the next empty row.
    page.fill("#same-time-start", "13:00")
    page.fill("#same-time-end", "14:30")
    for day in thursdays[:5]:
        page.fill("#same-time-date", day.isoformat())
        page.click("#same-time-add")
    assert "Tid 5" in page.inner_text("#same-time-status")
    assert [page.input_value(f"input[name='slots-{i}-date']") for i in range(5)] == [
        day.isoformat() for day in thursdays[:5]
    ]
    coordinator.shot("six-times-filled")

    page.click("main button[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    coordinator.shot("six-times-proposed")
    starts = [slot.start.astimezone(STOCKHOLM) for slot in Slot.objects.filter(meeting=meeting).order_by("start")]
    assert [start.date() for start in starts] == thursdays
    assert [start.time() for start in starts] == [datetime.time(13)] * 5 + [datetime.time(9)]

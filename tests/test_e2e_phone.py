"""The core loop on a 390 px phone, in a real headless Chromium against the live server.

The police answer the poll → the municipality's coordinator proposes another
time → the county board's secretary confirms an attendee. Every page on the way
is checked with axe and must not scroll sideways, neither the page nor a table
in it: the answer form, the slot grid, the parties and the attendees stack into
cards on a phone. The names are as long as real ones.
"""

import pytest

from coordination.models import Answer, Party
from coordination.services import attendance
from coordination.times import STOCKHOLM

from .builders import future_day
from .e2e_steps import fits_the_screen, on_a_phone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "phone"


def open_from_the_meeting(person, meeting, path):
    """On the meeting page, the person follows the link to ``path``; both pages fit the phone."""
    person.go(f"/meetings/{meeting.pk}/")
    fits_the_screen(person)
    person.page.click(f"main a[href='{path}']")
    person.check()
    fits_the_screen(person)


def send_back_to_the_meeting(person, meeting, filled, sent):
    """The person sends the form they filled in and is back on the meeting; screenshots of both, both fit."""
    person.shot(filled)
    fits_the_screen(person)
    person.page.click("main button[type=submit]")
    person.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    person.shot(sent)
    fits_the_screen(person)


def test_on_a_phone_the_police_answer_the_convener_proposes_a_time_and_the_secretary_confirms_an_attendee(
    people, meeting, slots, kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_secretary, polis_member
):
    Party.objects.filter(pk=lansstyrelsen.pk).update(name="Länsstyrelsen i Uppsala län")
    attendee = attendance.name_attendee(
        meeting=meeting,
        party=polisen,
        by=polis_member,
        name="Åberg, Åsa",
        email="asa.aberg@polisen.example",
        title="Biträdande regionpolischef, polisregion Mitt",
    )

    # A member of the police answers for the police, on the phone: yes to one time, if need be to the other.
    police = on_a_phone(people(polis_member))
    open_from_the_meeting(police, meeting, f"/meetings/{meeting.pk}/answers/{polisen.pk}/")
    police.page.check(f"input[name='answer_{slots[0].pk}'][value='yes']")
    police.page.check(f"input[name='answer_{slots[1].pk}'][value='if_need_be']")
    comment = "Rikspolischefen föredrar i Stockholm samma förmiddag; en ersättare kan komma"
    police.page.fill(f"input[name='comment_{slots[1].pk}']", comment)
    send_back_to_the_meeting(police, meeting, "police-answer", "police-answered")
    assert comment in police.page.inner_text("#slots")
    answers = {answer.slot_id: (answer.value, answer.comment) for answer in Answer.objects.filter(party=polisen)}
    assert answers == {slots[0].pk: ("yes", ""), slots[1].pk: ("if_need_be", comment)}

    # The municipality's coordinator proposes a third time from the phone.
    coordinator = on_a_phone(people(kommun_coordinator))
    open_from_the_meeting(coordinator, meeting, f"/meetings/{meeting.pk}/slots/new/")
    day = future_day(28)
    coordinator.page.fill("input[name='slots-0-date']", day.isoformat())
    coordinator.page.fill("input[name='slots-0-start_time']", "13:00")
    send_back_to_the_meeting(coordinator, meeting, "propose-a-time", "time-proposed")
    assert [slot.start.astimezone(STOCKHOLM).date() for slot in meeting.slots.order_by("start")][-1] == day

    # The county board's secretary confirms the police's attendee from the attendee card.
    secretary = on_a_phone(people(lansstyrelsen_secretary))
    secretary.go(f"/meetings/{meeting.pk}/")
    fits_the_screen(secretary)
    secretary.page.click(f"form[action='/meetings/{meeting.pk}/attendees/{attendee.pk}/confirm/'] button")
    secretary.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    secretary.shot("attendee-confirmed")
    fits_the_screen(secretary)
    attendee.refresh_from_db()
    assert attendee.is_confirmed and attendee.confirmed_by == lansstyrelsen_secretary
    assert "Bekräftad av" in secretary.page.inner_text("#attendees")

"""Deciding and attending: the best time, moving a meeting, a member's own place in it, marking it held."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from coordination import rules
from coordination.formatting import slot_label
from coordination.models import Answer, Meeting, OutboxMessage, Slot
from coordination.overview import build_grid
from coordination.services import attendance, meetings
from coordination.times import stockholm_datetime, to_stockholm

from .browser import axe_violations
from .builders import PASSWORD, answer_all, future_day, spring_forward
from .views_support import db_state, detail_url, messages_of

pytestmark = pytest.mark.usefixtures("english")
YES = Answer.Value.YES


def page(client, user, meeting):
    client.force_login(user)
    response = client.get(detail_url(meeting))
    assert response.status_code == 200
    return response.content.decode()


def confirm_links(html, meeting):
    """(button classes, slot id) of each link to a confirmation, in page order."""
    pattern = rf'<a class="btn ([^"]*)" href="/meetings/{meeting.pk}/slots/(\d+)/confirm/"'
    return [(classes, int(slot_pk)) for classes, slot_pk in re.findall(pattern, html)]


# The best time: only once every required party has answered every time.


def test_no_time_is_best_while_a_required_party_has_a_time_left_to_answer(
    meeting, slots, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member
):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    meetings.answer_slots(meeting=meeting, party=polisen, by=polis_member, answers={slots[1].pk: (YES, "")})

    grid = build_grid(meeting)

    assert grid.best is None and not any(row.best for row in grid.rows)
    meetings.answer_slots(meeting=meeting, party=polisen, by=polis_member, answers={slots[0].pk: (YES, "")})
    assert build_grid(meeting).best.slot == slots[0]


def test_the_page_shows_no_best_time_until_every_required_party_has_answered(
    client, meeting, slots, lansstyrelsen, lansstyrelsen_secretary, kommun_coordinator
):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)

    html = page(client, kommun_coordinator, meeting)

    assert "★" not in html and "Best time" not in html


def test_the_best_time_leads_the_grid_and_has_the_one_primary_confirm_button(
    client, answered_meeting, slots, lansstyrelsen, lansstyrelsen_secretary, kommun_coordinator
):
    # The county board can only come to the second time if need be: the first is best.
    meetings.answer_slots(
        meeting=answered_meeting,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        answers={slots[1].pk: (Answer.Value.IF_NEED_BE, "")},
    )

    html = page(client, kommun_coordinator, answered_meeting)

    summary, grid = html.index("★ Best time:"), html.index("slot-grid")
    assert summary < grid and slot_label(slots[0]) in html[summary:grid]
    links = confirm_links(html, answered_meeting)
    assert links[0] == ("btn-primary mt-1", slots[0].pk)  # the summary's, above the grid
    assert {slot_pk for classes, slot_pk in links if "btn-primary" in classes.split()} == {slots[0].pk}
    assert [classes.split()[1] for classes, slot_pk in links if slot_pk == slots[1].pk] == ["btn-outline-primary"]


# Moving a meeting: the form, a time typed in, what the page and the mail then say.


def test_the_reschedule_form_shows_each_time_with_its_answers_and_day_flags(
    client, scheduled_meeting, slots, polisen, polis_member, kommun_coordinator
):
    saturday = future_day(28)
    saturday += datetime.timedelta(days=(5 - saturday.weekday()) % 7)
    start = stockholm_datetime(saturday, datetime.time(10))
    Slot.objects.filter(pk=slots[1].pk).update(start=start, end=start + datetime.timedelta(hours=2))
    Answer.objects.filter(slot=slots[1], party=polisen).update(value=Answer.Value.NO, comment="Helg")
    client.force_login(kommun_coordinator)

    html = client.get(reverse("reschedule", args=[scheduled_meeting.pk])).content.decode()

    option = html[html.index(f'value="{slots[1].pk}"') : html.index('value="new"')]
    assert "Weekend" in option
    assert re.search(r"Polisen:\s*<span class=\"a-no\">No</span> – “Helg”", option)
    assert f'value="{slots[0].pk}"' not in html  # the time it has now is no choice
    assert 'name="new-date"' in html and 'name="reason"' in html


def test_a_convener_moves_the_meeting_to_a_time_typed_in(client, scheduled_meeting, slots, kommun, kommun_coordinator):
    client.force_login(kommun_coordinator)
    day = future_day(40)

    response = client.post(
        reverse("reschedule", args=[scheduled_meeting.pk]),
        {
            "target": "new",
            "new-date": day.isoformat(),
            "new-start_time": "13:00",
            "new-end_time": "14:30",
            "reason": "Krock",
        },
    )

    assert response.status_code == 302 and messages_of(response) == [("success", "The meeting was rescheduled.")]
    meeting = Meeting.objects.select_related("confirmed_slot").get(pk=scheduled_meeting.pk)
    new = meeting.confirmed_slot
    assert (meeting.status, new.proposed_by_party, meeting.moved_from, meeting.moved_reason) == (
        Meeting.Status.SCHEDULED,
        kommun,
        slots[0],
        "Krock",
    )
    local = to_stockholm(new.start)
    assert (local.date(), local.hour, local.minute, new.end - new.start) == (day, 13, 0, datetime.timedelta(minutes=90))
    assert new.answers.get().value == YES  # the proposing party's, as for any proposed time


def test_a_typed_time_in_the_spring_gap_is_refused_in_words_and_nothing_moves(
    client, scheduled_meeting, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    gap_day = spring_forward(future_day(0).year + 1)
    before = db_state()

    response = client.post(
        reverse("reschedule", args=[scheduled_meeting.pk]),
        {"target": "new", "new-date": gap_day.isoformat(), "new-start_time": "02:30", "reason": "Krock"},
    )

    assert response.status_code == 200 and db_state() == before
    html = response.content.decode()
    assert "02:30 does not exist on" in html and "the clocks are put forward one hour" in html
    assert "Check the new time below." in html


def test_choosing_another_target_ignores_the_empty_time_fields(client, scheduled_meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)

    response = client.post(
        reverse("reschedule", args=[scheduled_meeting.pk]),
        {"target": str(slots[1].pk), "new-date": "", "new-start_time": "", "reason": "Krock"},
    )

    assert response.status_code == 302
    assert Meeting.objects.get(pk=scheduled_meeting.pk).confirmed_slot_id == slots[1].pk


def test_a_move_needs_a_reason(client, scheduled_meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(
        reverse("reschedule", args=[scheduled_meeting.pk]), {"target": str(slots[1].pk), "reason": " "}
    )

    assert response.status_code == 200 and "reason" in response.context["form"].errors and db_state() == before


def test_after_a_move_the_page_says_from_when_and_why(
    client, scheduled_meeting, slots, kommun, kommun_coordinator, polis_member
):
    meetings.reschedule(
        meeting=scheduled_meeting,
        by=kommun_coordinator,
        party=kommun,
        reason="Landshövdingen är förhindrad",
        slot=slots[1],
    )

    html = page(client, polis_member, scheduled_meeting)

    with translation.override("en"):
        old = slot_label(slots[0])
    assert f"The meeting was moved from {old}." in html and "Reason: Landshövdingen är förhindrad" in html


def test_the_update_mail_names_the_old_time(scheduled_with_attendee, slots, kommun, kommun_coordinator):
    meetings.reschedule(
        meeting=scheduled_with_attendee, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1]
    )

    update = OutboxMessage.objects.get(kind=OutboxMessage.Kind.UPDATE)
    with translation.override("sv"):  # the attendee has no account: Swedish
        old, new = slot_label(slots[0]), slot_label(slots[1])
    for text in (update.text, update.html):
        assert f"Mötet har flyttats från {old} till {new}." in text and "Skäl: Krock" in text


# A member's own place in the meeting, and the grid folded away once a time is confirmed.


def test_a_confirmed_attendee_sees_their_participation_first(
    client, scheduled_meeting, polisen, polis_coordinator, polis_member, lansstyrelsen_secretary, lansstyrelsen
):
    attendee = attendance.name_attendee(
        meeting=scheduled_meeting, party=polisen, by=polis_coordinator, user=polis_member, name="Rikspolischef"
    )
    attendance.confirm_attendance(attendee=attendee, by=lansstyrelsen_secretary, party=lansstyrelsen)

    html = page(client, polis_member, scheduled_meeting)

    summary = html[html.index("Your participation") : html.index('id="details-heading"')]
    assert f"Your role in {polisen.name}: member." in summary
    assert "You are a confirmed attendee for Polisen." in summary
    assert f'href="{reverse("meeting_ics", args=[scheduled_meeting.pk])}">Download the invitation (.ics)' in summary


def test_a_member_not_named_is_told_so_and_the_booked_meetings_grid_is_folded(
    client, scheduled_meeting, meeting, kommun_member
):
    html = page(client, kommun_member, scheduled_meeting)

    assert "You are not named as an attendee." in html
    assert '<details class="mb-2">' in html and "<summary>Answers per time and party</summary>" in html


def test_the_grid_is_open_while_the_parties_answer(client, meeting, kommun_member):
    assert '<details class="mb-2" open>' in page(client, kommun_member, meeting)


# Marking as held: offered only once the meeting has begun.


def test_mark_as_held_is_neither_allowed_nor_offered_before_the_start(client, scheduled_meeting, kommun_coordinator):
    access = rules.MeetingAccess.for_user(kommun_coordinator, scheduled_meeting)

    assert not rules.can_mark_held(access)
    assert "Mark as held" not in page(client, kommun_coordinator, scheduled_meeting)


def test_mark_as_held_is_offered_once_the_meeting_has_begun(client, past_meeting, kommun_coordinator):
    meeting = Meeting.objects.select_related("confirmed_slot").get(pk=past_meeting.pk)

    assert rules.can_mark_held(rules.MeetingAccess.for_user(kommun_coordinator, meeting))
    assert "Mark as held" in page(client, kommun_coordinator, meeting)


def test_the_service_refuses_before_the_start_and_says_when_it_can(scheduled_meeting, kommun, kommun_coordinator):
    with translation.override("sv"):
        label = slot_label(scheduled_meeting.confirmed_slot)
        with pytest.raises(meetings.RuleError) as refused:
            meetings.mark_held(meeting=scheduled_meeting, by=kommun_coordinator, party=kommun)
    assert str(refused.value) == (
        f"Mötet har inte börjat än. Du kan markera det som genomfört när det har börjat, {label}."
    )
    assert Meeting.objects.get(pk=scheduled_meeting.pk).status == Meeting.Status.SCHEDULED


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_reschedule_form_with_a_gap_time_has_no_axe_violations(browser, live_server, scheduled_meeting):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "kommun_coordinator")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/meetings/{scheduled_meeting.pk}/reschedule/")
    found = {"reschedule form": axe_violations(page)}
    page.check("input[name='target'][value='new']")
    page.fill("input[name='new-date']", str(spring_forward(future_day(0).year + 1)))
    page.fill("input[name='new-start_time']", "02:30")
    page.fill("textarea[name='reason']", "Krock")
    page.click("main button[type=submit]")
    assert "finns inte" in page.content()
    found["reschedule form with the gap error"] = axe_violations(page)
    context.close()
    assert not any(found.values()), found

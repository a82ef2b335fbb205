"""The rules: who may do what, when a slot is confirmable, and what each state change leaves behind."""

import pytest

from coordination import rules
from coordination.models import Answer, Event, Meeting, Slot
from coordination.overview import build_grid, dashboard_rows
from coordination.services import attendance, meetings
from coordination.services.base import RuleError

from .builders import answer_all, future_time

YES, MAYBE, NO = Answer.Value.YES, Answer.Value.IF_NEED_BE, Answer.Value.NO


def access(user, meeting):
    return rules.MeetingAccess.for_user(user, Meeting.objects.get(pk=meeting.pk))


# Rights, persona by persona, on a meeting that is open for answers.
RIGHTS = [
    # persona, propose, confirm, confirm attendance, edit
    ("kommun_coordinator", True, True, False, True),
    ("kommun_member", False, False, False, False),
    ("lansstyrelsen_coordinator", True, True, False, True),
    ("lansstyrelsen_secretary", False, False, True, False),
    ("polis_coordinator", True, False, False, False),
    ("polis_member", False, False, False, False),
    ("polis_secretary", False, False, False, False),
    ("outsider", False, False, False, False),
]


@pytest.mark.parametrize("persona, propose, confirm, attendance, edit", RIGHTS)
def test_each_persona_has_exactly_its_rights_while_polling(
    request, meeting, persona, propose, confirm, attendance, edit
):
    user = request.getfixturevalue(persona)
    user_access = access(user, meeting)
    assert rules.can_propose_slot(user_access) is propose
    assert rules.can_confirm(user_access) is confirm
    assert rules.can_confirm_attendance(user_access) is attendance
    assert rules.can_edit_meeting(user_access) is edit


def test_every_party_answers_only_for_itself(meeting, kommun, polisen, polis_member, kommun_member):
    assert rules.can_answer_for(access(polis_member, meeting), polisen.pk)
    assert not rules.can_answer_for(access(polis_member, meeting), kommun.pk)
    assert rules.can_answer_for(access(kommun_member, meeting), kommun.pk)


def test_nobody_answers_a_draft(draft_meeting, kommun, kommun_coordinator):
    assert not rules.can_answer_for(access(kommun_coordinator, draft_meeting), kommun.pk)


def test_a_draft_is_visible_to_the_convening_parties_only(
    draft_meeting, kommun_coordinator, lansstyrelsen_secretary, polis_coordinator, outsider
):
    visible = lambda user: Meeting.objects.visible_to(user).filter(pk=draft_meeting.pk).exists()  # noqa: E731
    assert visible(kommun_coordinator)
    assert visible(lansstyrelsen_secretary)
    assert not visible(polis_coordinator)
    assert not visible(outsider)


def test_a_polling_meeting_is_visible_to_every_party_of_it_and_nobody_else(
    meeting, polis_member, outsider, django_user_model
):
    no_party = django_user_model.objects.create_user("no_party", password="x" * 20)
    visible = lambda user: Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists()  # noqa: E731
    assert visible(polis_member)
    assert not visible(outsider)
    assert not visible(no_party)


def test_only_the_proposing_partys_coordinators_withdraw_a_slot(
    meeting, slots, kommun_coordinator, lansstyrelsen_coordinator, polis_coordinator
):
    assert rules.can_withdraw_slot(access(kommun_coordinator, meeting), slots[0])
    assert not rules.can_withdraw_slot(access(lansstyrelsen_coordinator, meeting), slots[0])
    assert not rules.can_withdraw_slot(access(polis_coordinator, meeting), slots[0])


def test_only_a_convening_partys_secretary_confirms_attendance(meeting, lansstyrelsen_secretary, polis_secretary):
    assert rules.can_confirm_attendance(access(lansstyrelsen_secretary, meeting))
    assert not rules.can_confirm_attendance(access(polis_secretary, meeting))


def test_the_ics_is_offered_once_the_meeting_is_scheduled(meeting, scheduled_meeting, polis_member):
    assert rules.can_download_ics(access(polis_member, scheduled_meeting))


def test_the_ics_is_not_offered_while_polling(meeting, polis_member):
    assert not rules.can_download_ics(access(polis_member, meeting))


# When a slot is confirmable.


def test_a_slot_is_not_confirmable_while_a_required_party_has_not_answered(meeting, slots, kommun_coordinator):
    assert rules.confirmation_problem(slots[0], meetings.required_party_ids(meeting), reason="") is not None


def test_a_slot_every_required_party_can_attend_is_confirmable(answered_meeting, slots):
    assert rules.confirmation_problem(slots[0], meetings.required_party_ids(answered_meeting), reason="") is None


def test_if_need_be_counts_as_able_to_attend(
    meeting, slots, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member
):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary, MAYBE)
    answer_all(meeting, polisen, polis_member, MAYBE)
    assert rules.confirmation_problem(slots[0], meetings.required_party_ids(meeting), reason="") is None


def test_confirming_against_a_no_needs_a_reason(
    meeting, slots, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member
):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member, NO)
    required = meetings.required_party_ids(meeting)
    assert rules.confirmation_problem(slots[0], required, reason="") is not None
    assert rules.confirmation_problem(slots[0], required, reason="   ") is not None
    assert rules.confirmation_problem(slots[0], required, reason="Rikspolischefen skickar ställföreträdare") is None


def test_an_optional_partys_no_does_not_block(
    kommun, lansstyrelsen, polisen, region, kommun_coordinator, polis_member, outsider
):
    from .builders import create_meeting

    meeting = create_meeting(kommun_coordinator, convening=[kommun], required=[polisen], optional=[region])
    meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(10)])
    meetings.open_polling(meeting=meeting, by=kommun_coordinator, party=kommun)
    answer_all(meeting, polisen, polis_member)
    answer_all(meeting, region, outsider, NO)
    slot = meeting.slots.get()
    assert rules.confirmation_problem(slot, meetings.required_party_ids(meeting), reason="") is None


# What the state changes leave behind.


def test_proposing_a_slot_records_the_proposing_partys_yes(meeting, slots, kommun):
    assert [a.value for a in Answer.objects.filter(slot=slots[0], party=kommun)] == [YES]
    assert Event.objects.filter(meeting=meeting, action=Event.Action.SLOT_PROPOSED).count() == 2


def test_the_same_time_cannot_be_proposed_twice(meeting, slots, polisen, polis_coordinator):
    with pytest.raises(RuleError):
        meetings.propose_slots(
            meeting=meeting, party=polisen, by=polis_coordinator, times=[(slots[0].start, slots[0].end)]
        )
    assert meeting.slots.count() == 2


def test_a_replaced_answer_lives_on_in_the_event_log(meeting, slots, polisen, polis_member, polis_coordinator):
    meetings.answer_slots(meeting=meeting, party=polisen, by=polis_member, answers={slots[0].pk: (YES, "")})
    meetings.answer_slots(meeting=meeting, party=polisen, by=polis_coordinator, answers={slots[0].pk: (NO, "Krock")})
    answer = Answer.objects.get(slot=slots[0], party=polisen)
    assert (answer.value, answer.comment, answer.answered_by) == (NO, "Krock", polis_coordinator)
    change = Event.objects.get(meeting=meeting, action=Event.Action.ANSWER_CHANGED)
    assert change.before == {"value": YES, "comment": ""}
    assert change.after == {"value": NO, "comment": "Krock"}
    assert change.actor == polis_coordinator and change.party == polisen


def test_an_unchanged_answer_writes_no_event(meeting, slots, polisen, polis_member):
    answers = {slots[0].pk: (YES, "")}
    meetings.answer_slots(meeting=meeting, party=polisen, by=polis_member, answers=answers)
    before = Event.objects.count()
    assert meetings.answer_slots(meeting=meeting, party=polisen, by=polis_member, answers=answers) == 0
    assert Event.objects.count() == before


def test_a_withdrawn_slot_cannot_be_answered(meeting, slots, kommun, kommun_coordinator, polisen, polis_member):
    meetings.withdraw_slot(slot=slots[0], by=kommun_coordinator, party=kommun)
    with pytest.raises(RuleError):
        meetings.answer_slots(meeting=meeting, party=polisen, by=polis_member, answers={slots[0].pk: (YES, "")})
    assert not Answer.objects.filter(slot=slots[0], party=polisen).exists()


def test_withdrawing_keeps_the_slot_its_answers_and_a_log_row(meeting, slots, kommun, kommun_coordinator):
    meetings.withdraw_slot(slot=slots[0], by=kommun_coordinator, party=kommun)
    slot = Slot.objects.get(pk=slots[0].pk)
    assert slot.is_withdrawn
    assert slot.answers.count() == 1
    assert Event.objects.filter(action=Event.Action.SLOT_WITHDRAWN, meeting=meeting).count() == 1


def test_confirming_schedules_the_meeting_and_raises_the_sequence(answered_meeting, slots, kommun, kommun_coordinator):
    assert meetings.confirm_slot(meeting=answered_meeting, slot=slots[1], by=kommun_coordinator, party=kommun)
    meeting = Meeting.objects.get(pk=answered_meeting.pk)
    assert (meeting.status, meeting.confirmed_slot, meeting.sequence) == (Meeting.Status.SCHEDULED, slots[1], 1)


def test_a_double_confirm_is_one_confirmation(answered_meeting, slots, kommun, kommun_coordinator):
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    assert not meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    assert Event.objects.filter(action=Event.Action.SLOT_CONFIRMED).count() == 1
    assert Meeting.objects.get(pk=answered_meeting.pk).sequence == 1


def test_confirming_another_slot_when_scheduled_is_refused(scheduled_meeting, slots, kommun, kommun_coordinator):
    with pytest.raises(RuleError):
        meetings.confirm_slot(meeting=scheduled_meeting, slot=slots[1], by=kommun_coordinator, party=kommun)
    assert Meeting.objects.get(pk=scheduled_meeting.pk).confirmed_slot == slots[0]


def test_confirming_against_a_no_keeps_the_reason(
    meeting, slots, kommun, kommun_coordinator, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member
):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member, NO)
    meetings.confirm_slot(meeting=meeting, slot=slots[0], by=kommun_coordinator, party=kommun, reason="Brådskande")
    assert Meeting.objects.get(pk=meeting.pk).confirmation_reason == "Brådskande"


def test_rescheduling_back_to_polling_keeps_the_answers(scheduled_meeting, slots, kommun, kommun_coordinator):
    answers_before = Answer.objects.count()
    meetings.reschedule(meeting=scheduled_meeting, by=kommun_coordinator, party=kommun, reason="Krock")
    meeting = Meeting.objects.get(pk=scheduled_meeting.pk)
    assert (meeting.status, meeting.confirmed_slot, meeting.sequence) == (Meeting.Status.POLLING, None, 2)
    assert Answer.objects.count() == answers_before


def test_rescheduling_straight_to_another_slot_keeps_the_uid(scheduled_meeting, slots, kommun, kommun_coordinator):
    uid = scheduled_meeting.uid
    meetings.reschedule(meeting=scheduled_meeting, by=kommun_coordinator, party=kommun, reason="Krock", slot=slots[1])
    meeting = Meeting.objects.get(pk=scheduled_meeting.pk)
    assert (meeting.status, meeting.confirmed_slot, meeting.sequence, meeting.uid) == (
        Meeting.Status.SCHEDULED,
        slots[1],
        2,
        uid,
    )


def test_cancelling_raises_the_sequence_and_keeps_the_reason(scheduled_meeting, kommun, kommun_coordinator):
    meetings.cancel_meeting(meeting=scheduled_meeting, by=kommun_coordinator, party=kommun, reason="Inställt")
    meeting = Meeting.objects.get(pk=scheduled_meeting.pk)
    assert (meeting.status, meeting.cancellation_reason, meeting.sequence) == (Meeting.Status.CANCELLED, "Inställt", 2)
    with pytest.raises(RuleError):
        meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Igen")


def test_confirming_attendance_is_recorded_once(
    scheduled_meeting, polisen, polis_coordinator, lansstyrelsen, lansstyrelsen_secretary
):
    attendee = attendance.name_attendee(
        meeting=scheduled_meeting,
        party=polisen,
        by=polis_coordinator,
        name="Rikspolischef",
        email="rpc@polisen.example",
    )
    attendance.confirm_attendance(attendee=attendee, by=lansstyrelsen_secretary, party=lansstyrelsen)
    attendance.confirm_attendance(attendee=attendee, by=lansstyrelsen_secretary, party=lansstyrelsen)
    attendee.refresh_from_db()
    assert attendee.is_confirmed and attendee.confirmed_by == lansstyrelsen_secretary
    assert Event.objects.filter(action=Event.Action.ATTENDANCE_CONFIRMED).count() == 1


def test_the_same_address_cannot_be_named_twice(scheduled_meeting, polisen, polis_coordinator):
    attendance.name_attendee(
        meeting=scheduled_meeting, party=polisen, by=polis_coordinator, name="A", email="a@polisen.example"
    )
    with pytest.raises(RuleError):
        attendance.name_attendee(
            meeting=scheduled_meeting, party=polisen, by=polis_coordinator, name="A", email="A@polisen.example"
        )


def test_changes_to_the_attendee_list_raise_the_sequence_once_scheduled(scheduled_meeting, polisen, polis_coordinator):
    attendee = attendance.name_attendee(
        meeting=scheduled_meeting, party=polisen, by=polis_coordinator, name="A", email="a@polisen.example"
    )
    attendance.remove_attendee(attendee=attendee, by=polis_coordinator)
    assert Meeting.objects.get(pk=scheduled_meeting.pk).sequence == 3


def test_editing_the_place_of_a_scheduled_meeting_raises_the_sequence(
    scheduled_meeting, kommun, lansstyrelsen, polisen, kommun_coordinator
):
    details = {name: getattr(scheduled_meeting, name) for name in meetings.DETAIL_FIELDS}
    meetings.save_meeting(
        meeting=scheduled_meeting,
        by=kommun_coordinator,
        party=kommun,
        details={**details, "location": "Länsstyrelsen"},
        convening={kommun, lansstyrelsen},
        required={polisen},
        optional=set(),
    )
    meeting = Meeting.objects.get(pk=scheduled_meeting.pk)
    assert (meeting.location, meeting.sequence) == ("Länsstyrelsen", 2)
    edit = Event.objects.get(action=Event.Action.MEETING_EDITED)
    assert (edit.before, edit.after) == ({"location": "Stadshuset, Uppsala"}, {"location": "Länsstyrelsen"})


# The grid and the dashboard.


def test_the_best_slot_is_the_one_all_can_attend_with_most_yeses(
    meeting, slots, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member
):
    meetings.answer_slots(
        meeting=meeting,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        answers={slots[0].pk: (MAYBE, ""), slots[1].pk: (YES, "")},
    )
    meetings.answer_slots(
        meeting=meeting, party=polisen, by=polis_member, answers={slots[0].pk: (YES, ""), slots[1].pk: (YES, "")}
    )
    grid = build_grid(meeting)
    assert [row.best for row in grid.rows] == [False, True]
    assert [(row.yes, row.if_need_be, row.no, row.missing) for row in grid.rows] == [(2, 1, 0, 0), (3, 0, 0, 0)]


def test_a_slot_a_required_party_cannot_attend_is_not_best(
    meeting, slots, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member
):
    meetings.answer_slots(
        meeting=meeting,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        answers={slots[0].pk: (YES, ""), slots[1].pk: (MAYBE, "")},
    )
    meetings.answer_slots(
        meeting=meeting, party=polisen, by=polis_member, answers={slots[0].pk: (NO, ""), slots[1].pk: (MAYBE, "")}
    )
    grid = build_grid(meeting)
    assert [row.best for row in grid.rows] == [False, True]
    assert grid.rows[0].needs_reason and not grid.rows[0].confirmable


def test_the_dashboard_shows_what_waits_for_each_persona(
    meeting, polis_member, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary, polisen
):
    [police_row] = dashboard_rows(polis_member)
    assert [(party, count) for party, count in police_row.unanswered] == [(polisen, 2)]
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member)
    [convener_row] = dashboard_rows(kommun_coordinator)
    assert convener_row.ready_to_confirm == 2 and convener_row.unanswered == []


def test_the_dashboard_asks_the_secretary_to_confirm_named_attendees(
    scheduled_meeting, polisen, polis_coordinator, lansstyrelsen_secretary
):
    attendance.name_attendee(meeting=scheduled_meeting, party=polisen, by=polis_coordinator, name="Rikspolischef")
    [row] = dashboard_rows(lansstyrelsen_secretary)
    assert row.attendance_to_confirm == 1

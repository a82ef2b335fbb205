"""The status properties that pages test instead of comparing status strings."""

import pytest

from coordination.models import AgendaItem, Attendee, Meeting

Status = Meeting.Status


@pytest.mark.parametrize(
    ("status", "polling", "confirmed_time", "cancelled"),
    [
        (Status.DRAFT, False, False, False),
        (Status.POLLING, True, False, False),
        (Status.SCHEDULED, False, True, False),
        (Status.HELD, False, True, False),
        (Status.CANCELLED, False, False, True),
    ],
)
def test_a_meeting_says_which_stage_it_is_in(status, polling, confirmed_time, cancelled):
    meeting = Meeting(status=status)
    assert (meeting.is_polling, meeting.has_confirmed_time, meeting.is_cancelled) == (
        polling,
        confirmed_time,
        cancelled,
    )


def test_only_a_declined_agenda_item_is_declined():
    assert AgendaItem(status=AgendaItem.Status.DECLINED).is_declined
    assert not AgendaItem(status=AgendaItem.Status.PROPOSED).is_declined
    assert not AgendaItem(status=AgendaItem.Status.ACCEPTED).is_declined


def test_a_deputy_is_told_from_a_principal():
    assert Attendee(kind=Attendee.Kind.DEPUTY).is_deputy
    assert not Attendee(kind=Attendee.Kind.PRINCIPAL).is_deputy

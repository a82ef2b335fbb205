"""A meeting that has begun, ready for minutes (a plugin of conftest.py)."""

import pytest

from coordination.services import attendance

from .agenda_support import add_item


@pytest.fixture
def held(past_meeting, kommun, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary):
    """The dialogue has begun, with two accepted items (``items``) and the police's confirmed attendee."""
    meeting = past_meeting
    meeting.items = [
        add_item(meeting, kommun, kommun_coordinator, title, accept_by=(kommun_coordinator, kommun))
        for title in ("Stöd från NOA", "Lokalt poliskontor i Gottsunda")
    ]
    meeting.attendee = attendance.name_attendee(
        meeting=meeting,
        party=meeting.invitations.get(role="invited").party,
        by=kommun_coordinator,
        name="Rikspolischef",
        email="rikspolischef@polisen.example",
    )
    attendance.confirm_attendance(attendee=meeting.attendee, by=lansstyrelsen_secretary, party=lansstyrelsen)
    return meeting

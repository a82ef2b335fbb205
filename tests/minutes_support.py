"""A meeting that has begun, ready for minutes (a plugin of conftest.py)."""

import datetime

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


@pytest.fixture
def written(held, kommun, lansstyrelsen, polisen, lansstyrelsen_secretary):
    """The held dialogue's draft minutes: the first item written, an agreement of all three and the police's
    action, the police's attendee present."""
    from coordination.services import minutes

    by = {"meeting": held, "party": lansstyrelsen, "by": lansstyrelsen_secretary}
    item = held.items[0]
    minutes.save_entry(**by, item=item, text="Polisen redogjorde för **NOA:s** stöd.", base_version=0)
    minutes.add_agreement(**by, item=item, text="Gemensam lägesbild", parties=[kommun, lansstyrelsen, polisen])
    minutes.add_action(
        **by, item=item, what="Utse kontaktperson för NOA", owner_party=polisen, due_on=datetime.date(2026, 12, 15)
    )
    minutes.record_presence(**by, present_ids=[held.attendee.pk])
    return held


@pytest.fixture
def under_review(written, lansstyrelsen, lansstyrelsen_secretary):
    """The written minutes sent for review: version 1."""
    from coordination.services import review

    written.review_version = review.send_for_review(meeting=written, party=lansstyrelsen, by=lansstyrelsen_secretary)
    return written


@pytest.fixture
def approve_by_everyone(
    kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_coordinator, polis_coordinator
):
    """``approve_by_everyone(meeting, version=1)``: each party's coordinators approve the version, as they review for
    a party that named no reviewer of its own; the last approval locks the minutes."""
    from coordination.services import review

    def approve(meeting, version=1):
        for party, user in (
            (kommun, kommun_coordinator),
            (lansstyrelsen, lansstyrelsen_coordinator),
            (polisen, polis_coordinator),
        ):
            review.approve(meeting=meeting, party=party, by=user, version=version)
        return meeting

    return approve

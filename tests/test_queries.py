"""Pages cost the same number of queries with one slot or three, one party's answers or three.

Counts include the session and user lookups of every logged-in request.
"""

import pytest
from django.urls import reverse

from coordination import services

from .conftest import answer_all, future_time


@pytest.fixture
def more(meeting, kommun, kommun_coordinator, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member):
    """Grow the meeting: one more slot, every party's answers, two attendees."""

    def grow():
        services.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(28)])
        answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
        answer_all(meeting, polisen, polis_member)
        for name in ("Rikspolischef", "Stabschef"):
            services.name_attendee(meeting=meeting, party=polisen, by=polis_member, name=name)

    return grow


@pytest.mark.parametrize(
    "url_name, queries",
    [("meeting_detail", 11), ("event_log", 6), ("answer", 7), ("propose_slots", 5)],
)
def test_a_meeting_page_does_not_grow_with_its_data(client, django_assert_num_queries, meeting, more, kommun, kommun_coordinator, url_name, queries):
    client.force_login(kommun_coordinator)
    kwargs = {"pk": meeting.pk, "party_pk": kommun.pk} if url_name == "answer" else {"pk": meeting.pk}
    url = reverse(url_name, kwargs=kwargs)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    more()
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_my_meetings_does_not_grow_with_meetings_or_slots(client, django_assert_num_queries, meeting, more, kommun, lansstyrelsen, polisen, kommun_coordinator):
    from .conftest import create_meeting

    client.force_login(kommun_coordinator)
    with django_assert_num_queries(9):
        assert client.get(reverse("my_meetings")).status_code == 200
    more()
    for title in ("Uppföljning", "Återkoppling"):
        other = create_meeting(kommun_coordinator, convening=[kommun], required=[polisen, lansstyrelsen], title=title)
        services.propose_slots(meeting=other, party=kommun, by=kommun_coordinator, times=[future_time(30), future_time(31)])
    with django_assert_num_queries(9):
        response = client.get(reverse("my_meetings"))
    assert len(response.context["rows"]) == 3


def test_the_ics_does_not_grow_with_attendees(client, django_assert_num_queries, scheduled_meeting, polisen, polis_coordinator):
    client.force_login(polis_coordinator)
    url = reverse("meeting_ics", args=[scheduled_meeting.pk])
    with django_assert_num_queries(9):
        client.get(url)
    for name in ("A", "B", "C"):
        services.name_attendee(meeting=scheduled_meeting, party=polisen, by=polis_coordinator, name=name, email=f"{name}@polisen.example")
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200

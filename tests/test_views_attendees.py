"""Attendees named by a party's coordinators and secretaries, confirmed by a convening secretary; the .ics."""

import datetime

import pytest
from django.urls import reverse

from coordination.models import Attendee, Event, Membership

from .views_support import action_data, db_state, url_for

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")
Role = Membership.Role
UTC = datetime.UTC


# Attendees: named by a party's coordinators and secretaries, confirmed by a convening secretary.


@pytest.mark.parametrize(
    "persona, party",
    [
        ("kommun_coordinator", "kommun"),
        ("lansstyrelsen_secretary", "lansstyrelsen"),
        ("polis_coordinator", "polisen"),
        ("polis_secretary", "polisen"),
    ],
)
def test_coordinators_and_secretaries_name_attendees_for_their_own_party(client, request, meeting, persona, party):
    user, party = request.getfixturevalue(persona), request.getfixturevalue(party)
    client.force_login(user)

    response = client.post(
        url_for("attendee_create", meeting, party=party),
        {"user": "", "name": "Landshövding", "email": "landshovding@example.se", "title": "", "kind": "principal"},
    )

    assert response.status_code == 302
    attendee = Attendee.objects.get(meeting=meeting)
    assert (attendee.party, attendee.name, attendee.status) == (party, "Landshövding", Attendee.Status.NAMED)


@pytest.mark.parametrize(
    "persona, party",
    [
        ("polis_member", "polisen"),
        ("kommun_member", "kommun"),
        ("polis_coordinator", "kommun"),
        ("lansstyrelsen_secretary", "kommun"),
        ("kommun_coordinator", "polisen"),
        ("polis_secretary", "lansstyrelsen"),
    ],
)
def test_nobody_names_attendees_for_another_party_and_members_name_none(client, request, meeting, persona, party):
    client.force_login(request.getfixturevalue(persona))
    url = url_for("attendee_create", meeting, party=request.getfixturevalue(party))
    before = db_state()

    assert client.get(url).status_code == 403
    response = client.post(url, action_data("attendee_create", meeting))

    assert response.status_code == 403
    assert db_state() == before


def test_the_same_person_cannot_be_named_twice(client, meeting_with_attendee, kommun, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(
        url_for("attendee_create", meeting_with_attendee, party=kommun),
        {"user": "", "name": "Ordföranden", "email": "KS.Ordforande@uppsala.example", "title": "", "kind": "deputy"},
    )

    assert response.status_code == 200
    assert len(response.context["form"].non_field_errors()) == 1
    assert db_state() == before


def test_a_coordinator_removes_an_attendee_of_their_own_party(client, meeting_with_attendee, kommun_coordinator):
    client.force_login(kommun_coordinator)
    url = url_for("attendee_remove", meeting_with_attendee)

    page = client.get(url)
    assert page.status_code == 200 and Attendee.objects.count() == 1
    response = client.post(url)

    assert response.status_code == 302
    assert not Attendee.objects.exists()
    assert Event.objects.filter(action=Event.Action.ATTENDEE_REMOVED).count() == 1


def test_the_county_board_secretary_confirms_attendance(client, meeting_with_attendee, lansstyrelsen_secretary):
    client.force_login(lansstyrelsen_secretary)

    response = client.post(url_for("attendee_confirm", meeting_with_attendee))

    assert response.status_code == 302
    attendee = Attendee.objects.get()
    assert (attendee.status, attendee.confirmed_by) == (Attendee.Status.CONFIRMED, lansstyrelsen_secretary)


# The calendar file.


@pytest.mark.parametrize("meeting_fixture", ["draft_meeting", "meeting"])
def test_the_ics_is_refused_before_the_meeting_is_scheduled(client, request, meeting_fixture, kommun_coordinator):
    the_meeting = request.getfixturevalue(meeting_fixture)
    client.force_login(kommun_coordinator)

    response = client.get(reverse("meeting_ics", args=[the_meeting.pk]))

    assert response.status_code == 403
    assert "BEGIN:VCALENDAR" not in response.content.decode()


@pytest.mark.parametrize("persona", ["kommun_coordinator", "lansstyrelsen_secretary", "polis_member"])
def test_every_party_downloads_the_ics_once_the_meeting_is_scheduled(client, request, scheduled_meeting, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("meeting_ics", args=[scheduled_meeting.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR")
    assert f"UID:{scheduled_meeting.calendar_uid}" in body

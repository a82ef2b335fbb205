"""Attendees named by a party's coordinators and secretaries, confirmed by a convening secretary; the .ics."""

import datetime
import re

import pytest
from django.urls import reverse

from coordination.models import Attendee, Event, Membership
from coordination.services import attendance

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


def name(meeting, party, by, who):
    return attendance.name_attendee(meeting=meeting, party=party, by=by, name=who, email=f"{who.lower()}@example.se")


def test_the_secretary_confirms_all_of_a_party_in_one_step_and_is_told_so_in_the_attendee_list(
    client, meeting, kommun, polisen, kommun_coordinator, polis_coordinator, lansstyrelsen_secretary
):
    name(meeting, polisen, polis_coordinator, "Chief")
    deputy = name(meeting, polisen, polis_coordinator, "Deputy")
    name(meeting, kommun, kommun_coordinator, "Mayor")
    attendance.confirm_attendance(attendee=deputy, by=lansstyrelsen_secretary, party=deputy.party)
    client.force_login(lansstyrelsen_secretary)
    page = client.get(url_for("meeting_detail", meeting)).content.decode()
    # Grouped by party, a heading each; "Confirm all" only where someone waits.
    assert re.findall(r'<h3 class="h5 mb-0" id="attendees-\d+">([^<]+)</h3>', page) == ["Polisen", "Kommunen"]
    confirm_all = reverse("attendees_confirm_party", args=[meeting.pk, polisen.pk])
    assert f'action="{confirm_all}"' in page and ">Confirm all for Polisen</button>" in page

    response = client.post(confirm_all, follow=True)

    assert response.redirect_chain == [(url_for("meeting_detail", meeting) + "#attendees", 302)]
    statuses = {a.name: a.status for a in Attendee.objects.all()}
    assert statuses == {"Chief": "confirmed", "Deputy": "confirmed", "Mayor": "named"}
    confirmed = Event.objects.filter(action=Event.Action.ATTENDANCE_CONFIRMED).order_by("pk")
    assert [event.subject for event in confirmed] == ["Deputy", "Chief"]
    # The message is in the attendees' section, where the user clicked, not at the top of the page.
    page = response.content.decode()
    section = page[page.index('id="attendees"') : page.index("</section>", page.index('id="attendees"'))]
    assert "The attendance of 1 person for Polisen is confirmed." in section
    assert page.count("The attendance of 1 person for Polisen is confirmed.") == 1
    assert ">Confirm all for Polisen</button>" not in page and ">Confirm all for Kommunen</button>" in page


def test_confirm_all_when_everyone_is_confirmed_changes_nothing(
    client, meeting, polisen, polis_coordinator, lansstyrelsen_secretary
):
    attendance.confirm_attendance(
        attendee=name(meeting, polisen, polis_coordinator, "Chief"), by=lansstyrelsen_secretary, party=polisen
    )
    client.force_login(lansstyrelsen_secretary)
    before = db_state()

    response = client.post(reverse("attendees_confirm_party", args=[meeting.pk, polisen.pk]), follow=True)

    assert "Every attendee for Polisen was already confirmed." in response.content.decode()
    assert db_state() == before


def test_the_secretary_takes_back_one_confirmation(client, meeting_with_attendee, lansstyrelsen_secretary):
    attendee = meeting_with_attendee.attendees.get()
    attendance.confirm_attendance(attendee=attendee, by=lansstyrelsen_secretary, party=attendee.party)
    client.force_login(lansstyrelsen_secretary)
    page = client.get(url_for("meeting_detail", meeting_with_attendee)).content.decode()
    undo = reverse("attendee_unconfirm", args=[meeting_with_attendee.pk, attendee.pk])
    assert f'action="{undo}"' in page

    response = client.post(undo, follow=True)

    attendee.refresh_from_db()
    assert (attendee.status, attendee.confirmed_by, attendee.confirmed_at) == (Attendee.Status.NAMED, None, None)
    event = Event.objects.get(action=Event.Action.ATTENDANCE_UNCONFIRMED)
    assert (event.subject, event.before["status"], event.after["status"]) == (attendee.name, "confirmed", "named")
    assert "was taken back" in response.content.decode()
    # Again: nothing more to take back, nothing changes.
    before = db_state()
    client.post(undo)
    assert db_state() == before


@pytest.mark.parametrize("persona", ["kommun_coordinator", "polis_secretary", "polis_member"])
def test_only_a_convening_secretary_confirms_all_or_takes_back(client, request, meeting_with_attendee, persona):
    attendee = meeting_with_attendee.attendees.get()
    client.force_login(request.getfixturevalue(persona))
    before = db_state()
    for url in (
        reverse("attendees_confirm_party", args=[meeting_with_attendee.pk, attendee.party_id]),
        reverse("attendee_unconfirm", args=[meeting_with_attendee.pk, attendee.pk]),
    ):
        assert client.post(url).status_code == 403
    assert db_state() == before


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

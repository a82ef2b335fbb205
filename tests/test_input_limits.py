"""The ceilings on what a request may carry and what a meeting may hold, and text that is refused.

Each of these was found or motivated by tests/test_fuzz.py; here they are
pinned down one by one, with the message the user reads.
"""

import datetime
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coordination.forms import AgendaItemForm, AnswerForm, AttendeeForm, MeetingForm, PositionForm
from coordination.models import AgendaItem, Answer, Attendee, Event, Meeting, Position, Slot
from coordination.services import agenda, meetings
from coordination.services.base import RuleError

from .builders import answer_all, future_time, next_weekday

CONTROL_ERROR = "Texten innehåller osynliga styrtecken"


def meeting_form(**changes):
    data = {
        "title": "Dialog om utökat samarbete",
        "purpose": "",
        "location": "",
        "video_link": "",
        "duration_minutes": "120",
        "answer_deadline": "",
    }
    return {**data, **changes}


@pytest.fixture
def coordinator_client(client, kommun_coordinator, kommun):
    client.force_login(kommun_coordinator)
    return client


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "Dialog\x1b[31m"),
        ("title", "Möte\nBcc: alla@example.org"),
        ("location", "Stads\rhuset"),
        ("title", "\u202egnitöm"),
        ("purpose", "Stöd från NOA\x07"),
    ],
)
def test_control_characters_and_one_line_breaks_are_refused_with_a_message(coordinator_client, kommun, field, value):
    data = meeting_form(convening=[kommun.pk], **{field: value})
    response = coordinator_client.post(reverse("meeting_create"), data)
    assert response.status_code == 200
    assert any(CONTROL_ERROR in error for error in response.context["form"].errors[field])
    assert not Meeting.objects.exists()


def test_a_longer_text_keeps_its_line_breaks_and_tabs(coordinator_client, kommun):
    purpose = "Stöd från NOA.\r\n\r\n\tKameror för brottsutredning."
    response = coordinator_client.post(reverse("meeting_create"), meeting_form(convening=[kommun.pk], purpose=purpose))
    assert response.status_code == 302
    assert Meeting.objects.get().purpose == purpose


def test_a_nul_byte_is_refused_before_it_reaches_the_database(coordinator_client, kommun):
    response = coordinator_client.post(reverse("meeting_create"), meeting_form(convening=[kommun.pk], title="a\x00b"))
    assert response.status_code == 200 and response.context["form"].errors["title"]


def test_a_party_id_beyond_any_integer_is_a_form_error(coordinator_client):
    response = coordinator_client.post(reverse("meeting_create"), meeting_form(convening=["9" * 30]))
    assert response.status_code == 200 and response.context["form"].errors["convening"]


def test_an_answer_to_a_slot_id_beyond_any_integer_is_refused_not_a_crash(
    client, meeting, slots, polisen, polis_member
):
    client.force_login(polis_member)
    data = {f"answer_{slots[0].pk}": "yes", f"comment_{slots[0].pk}": "", f"answer_{'9' * 30}": "yes", "answer_²": "no"}
    response = client.post(reverse("answer", args=[meeting.pk, polisen.pk]), data)
    assert response.status_code == 302
    assert polisen.pk in {answer.party_id for answer in slots[0].answers.all()}


def test_an_e_mail_address_longer_than_the_database_keeps_is_a_form_error(client, meeting, polisen, polis_coordinator):
    client.force_login(polis_coordinator)
    email = "a" * 250 + "@polisen.se"  # valid for Django's validator (up to 320), too long for the column (254)
    data = {"name": "Rikspolischef", "email": email, "title": "", "kind": "principal", "user": ""}
    response = client.post(reverse("attendee_create", args=[meeting.pk, polisen.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors["email"]
    assert not Attendee.objects.exists()


def test_no_form_takes_a_longer_text_than_its_column_holds(meeting, slots, polisen):
    comment = AnswerForm(meeting=meeting, current={}, party=polisen).fields[f"comment_{slots[0].pk}"]
    stored_as = [
        *[(MeetingForm.base_fields[name], Meeting, name) for name in ("title", "purpose", "location", "video_link")],
        *[(AttendeeForm.base_fields[name], Attendee, name) for name in ("name", "email", "title")],
        (comment, Answer, "comment"),
        *[(AgendaItemForm.base_fields[name], AgendaItem, name) for name in ("title", "description")],
        (PositionForm.base_fields["text"], Position, "text"),
    ]
    for form_field, model, name in stored_as:
        assert form_field.max_length is not None, (model.__name__, name)
        assert form_field.max_length <= model._meta.get_field(name).max_length, (model.__name__, name)


def test_a_full_name_longer_than_a_stored_name_is_cut_to_fit(client, meeting, polisen, polis_coordinator, polis_member):
    """First and last name may together have 301 characters; the attendee, the log and the mail keep 200."""
    polis_member.first_name, polis_member.last_name = "Å" * 150, "Ö" * 150
    polis_member.save()
    client.force_login(polis_coordinator)
    data = {"user": polis_member.memberships.get().pk, "name": "", "email": "", "title": "", "kind": "principal"}
    assert client.post(reverse("attendee_create", args=[meeting.pk, polisen.pk]), data).status_code == 302
    answer_all(meeting, polisen, polis_member)

    assert Attendee.objects.get().name == "Å" * 150 + " " + "Ö" * 49
    assert {len(name) for name in Event.objects.filter(actor=polis_member).values_list("actor_name", flat=True)} == {
        200
    }


def test_a_date_long_past_is_refused_as_past(client, meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    data = {
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-0-date": "0001-01-01",
        "slots-0-start_time": "00:30",
    }
    response = client.post(reverse("propose_slots", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["start_time"] == [
        "Tiden har redan passerat. Föreslå en tid längre fram."
    ]


def add_slots(meeting, party, count):
    """``count`` more slots, an hour apart, straight into the table (the limit, not the form, is tested)."""
    first, _end = future_time(30)
    first += datetime.timedelta(days=meeting.slots.count())
    Slot.objects.bulk_create(
        Slot(
            meeting=meeting,
            proposed_by_party=party,
            start=first + datetime.timedelta(hours=n),
            end=first + datetime.timedelta(hours=n, minutes=30),
        )
        for n in range(count)
    )


def test_a_meeting_takes_at_most_200_times_withdrawn_ones_included(meeting, kommun, kommun_coordinator):
    add_slots(meeting, kommun, meetings.MAX_SLOTS - meeting.slots.count() - 1)
    meeting.slots.update(withdrawn_at=timezone.now())
    meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(90)])
    assert meeting.slots.count() == 200

    with pytest.raises(RuleError, match="högst 200 tidsförslag, tillbakadragna förslag inräknade"):
        meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(91)])
    assert meeting.slots.count() == 200


def test_the_view_says_why_a_201st_time_is_refused(client, meeting, kommun, kommun_coordinator):
    add_slots(meeting, kommun, meetings.MAX_SLOTS - meeting.slots.count())
    client.force_login(kommun_coordinator)
    data = {
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-0-date": next_weekday(95).isoformat(),
        "slots-0-start_time": "10:00",
    }
    response = client.post(reverse("propose_slots", args=[meeting.pk]), data, follow=True)
    assert "Ett möte kan ha högst 200 tidsförslag" in response.content.decode()
    assert meeting.slots.count() == 200


def test_a_meeting_takes_at_most_100_agenda_items_declined_ones_included(
    meeting, polisen, polis_member, kommun, kommun_coordinator
):
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, title=f"Punkt {n}", proposed_by_party=polisen, status=AgendaItem.Status.DECLINED)
        for n in range(agenda.MAX_AGENDA_ITEMS - 1)
    )
    agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Den hundrade")

    with pytest.raises(RuleError, match="högst 100 dagordningspunkter, avslagna punkter inräknade"):
        agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="En för mycket")
    assert meeting.agenda_items.count() == 100


@pytest.fixture
def position_url(meeting, polisen, polis_member):
    item = agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Kameror")
    return reverse("position_edit", args=[meeting.pk, item.pk, polisen.pk])


def csrf_client(user, url):
    """CSRF checks on, as in production, with the cookie a browser would have: the middleware reads the body first."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(url)
    return client


def test_a_request_body_over_a_megabyte_is_a_bad_request(position_url, polis_member):
    client = csrf_client(polis_member, position_url)
    response = client.post(position_url, {"text": "a" * (1024 * 1024 + 1), "base_version": "0"})
    assert response.status_code == 400


def test_a_request_with_too_many_fields_is_a_bad_request(position_url, polis_member):
    client = csrf_client(polis_member, position_url)
    response = client.post(position_url, {f"field{n}": "x" for n in range(1001)})
    assert response.status_code == 400


def test_the_longest_position_fits_in_a_request_even_in_four_byte_characters(client, position_url, polis_member):
    client.force_login(polis_member)
    body = urlencode({"text": "😀" * 20000, "base_version": "0"})
    response = client.post(position_url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302

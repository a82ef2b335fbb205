"""The views at every permission boundary: who sees a meeting, who acts for whom, and bad input.

Every refused request also proves that nothing changed: ``db_state()`` is a
snapshot of every row a meeting view could touch, taken before and after.
Pages are read in English (the msgids), so the tests do not depend on the
Swedish translation being written alongside.
"""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from coordination import rules
from coordination.formatting import slot_label
from coordination.models import Answer, Attendee, Event, Invitation, Meeting, Membership, Slot
from coordination.services import attendance, meetings
from coordination.services.base import RuleError
from coordination.times import to_stockholm

from .builders import answer_data, create_meeting, edit_data, future_time, make_user, slot_formset, slot_row

Role = Membership.Role
# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")
UTC = datetime.timezone.utc

# Every URL that belongs to one meeting. These change state (the export writes the log) and take POST only.
POST_ONLY = ["open_polling", "mark_held", "attendee_confirm", "event_log_csv", "event_log_json", "hold_times"]
MEETING_URLS = [
    "meeting_detail",
    "meeting_edit",
    "propose_slots",
    "withdraw_slot",
    "confirm",
    "answer",
    "reschedule",
    "cancel",
    "attendee_create",
    "attendee_remove",
    "event_log",
    "meeting_ics",
    *POST_ONLY,
]


# Helpers and fixtures of this module.


@pytest.fixture
def meeting_with_attendee(meeting, kommun, kommun_coordinator):
    attendance.name_attendee(
        meeting=meeting, party=kommun, by=kommun_coordinator, name="Kommunstyrelsens ordförande",
        email="ks.ordforande@uppsala.example",
    )
    return meeting


@pytest.fixture
def draft_with_attendee(draft_meeting, kommun, kommun_coordinator):
    attendance.name_attendee(meeting=draft_meeting, party=kommun, by=kommun_coordinator, name="Kommundirektör")
    return draft_meeting


@pytest.fixture
def scheduled_with_attendee(scheduled_meeting, kommun, kommun_coordinator):
    attendance.name_attendee(
        meeting=scheduled_meeting, party=kommun, by=kommun_coordinator, name="Kommunstyrelsens ordförande",
        email="ks.ordforande@uppsala.example",
    )
    return scheduled_meeting


@pytest.fixture
def past_meeting(scheduled_meeting):
    """A scheduled meeting whose confirmed time has already begun: it can be marked as held."""
    now = timezone.now()
    Slot.objects.filter(pk=scheduled_meeting.confirmed_slot_id).update(
        start=now - datetime.timedelta(hours=3), end=now - datetime.timedelta(hours=1)
    )
    return scheduled_meeting


def db_state():
    """Every row a meeting view could change; equal snapshots mean nothing happened."""
    return {
        "meetings": list(
            Meeting.objects.order_by("pk").values_list(
                "pk", "title", "status", "sequence", "confirmed_slot_id", "confirmation_reason",
                "cancellation_reason",
            )
        ),
        "invitations": list(
            Invitation.objects.order_by("pk").values_list("meeting_id", "party_id", "role", "required")
        ),
        "slots": list(
            Slot.objects.order_by("pk").values_list("pk", "start", "end", "proposed_by_party_id", "withdrawn_at")
        ),
        "answers": list(Answer.objects.order_by("pk").values_list("slot_id", "party_id", "value", "comment")),
        "attendees": list(Attendee.objects.order_by("pk").values_list("pk", "party_id", "name", "status")),
        "events": list(Event.objects.order_by("pk").values_list("pk", "action")),
    }


def send(client, method, url, data):
    """GET without data (a link), or POST the form's data."""
    return client.get(url) if method == "get" else client.post(url, data)


def messages_of(response):
    """(level, text) of each message the response queued for the next page."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def refusal(service, **kwargs):
    """The message a service function refuses with, in English: what the view must pass on."""
    with translation.override("en"), pytest.raises(RuleError) as info:
        service(**kwargs)
    return str(info.value)


def forbidden(response):
    return response.status_code == 403 and "403.html" in [t.name for t in response.templates]


def detail_url(meeting):
    return reverse("meeting_detail", args=[meeting.pk])


def first_slot(meeting):
    return meeting.slots.active().order_by("start").first()


def invited_party(meeting):
    return meeting.invitations.get(role=Invitation.Role.INVITED).party


def url_for(name, meeting, party=None):
    """The URL ``name`` of ``meeting``: its first active slot, first attendee, or ``party``."""
    if name in ("withdraw_slot", "confirm"):
        args = [meeting.pk, first_slot(meeting).pk]
    elif name in ("answer", "attendee_create", "event_log_csv", "event_log_json"):
        args = [meeting.pk, (party or invited_party(meeting)).pk]
    elif name in ("attendee_remove", "attendee_confirm"):
        args = [meeting.pk, meeting.attendees.order_by("pk").first().pk]
    else:
        args = [meeting.pk]
    return reverse(name, args=args)


def action_data(name, meeting):
    """POST data that would do the action for someone allowed to: a refusal then proves the rule."""
    start, _ = future_time(40, hour=13)
    local = to_stockholm(start)
    return {
        "meeting_edit": lambda: edit_data(meeting, title="Smygändrad titel"),
        "propose_slots": lambda: slot_formset(slot_row(local.date(), "13:00")),
        "confirm": lambda: {"reason": "Vi ses ändå"},
        "answer": lambda: answer_data(meeting),
        "reschedule": lambda: {"target": "polling", "reason": "Rikspolischefen är förhindrad"},
        "cancel": lambda: {"reason": "Inget behov längre"},
        "attendee_create": lambda: {"user": "", "name": "Obehörig", "email": "", "title": "", "kind": "principal"},
    }.get(name, dict)()




# Anonymous users.


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", MEETING_URLS)
def test_anonymous_user_is_sent_to_the_login_page(client, scheduled_with_attendee, name, method):
    url = url_for(name, scheduled_with_attendee)
    before = db_state()

    response = send(client, method, url, action_data(name, scheduled_with_attendee))

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert target.path == reverse("login")
    assert parse_qs(target.query)["next"] == [url]
    assert db_state() == before


def test_anonymous_user_is_sent_to_the_login_page_from_my_meetings(client, db):
    response = client.get(reverse("my_meetings"))
    assert response.status_code == 302
    assert urlsplit(response.url).path == reverse("login")


# Who sees a meeting at all: outsiders get 404 everywhere, and drafts hide from invited parties.


def assert_hidden(response, meeting, name, method):
    """404 - or, for a GET on a POST-only URL, 405, which a meeting that does not exist gets too."""
    expected = 405 if method == "get" and name in POST_ONLY else 404
    assert response.status_code == expected
    assert meeting.title not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", MEETING_URLS)
@pytest.mark.parametrize("persona", ["outsider", "partyless"])
def test_a_user_outside_the_meeting_gets_404_on_every_meeting_url(
    client, request, scheduled_with_attendee, region, persona, name, method
):
    """Region Uppsala's coordinator (even acting for Region Uppsala) and an account without a party."""
    client.force_login(request.getfixturevalue(persona))
    url = url_for(name, scheduled_with_attendee, party=region)
    before = db_state()

    response = send(client, method, url, action_data(name, scheduled_with_attendee))

    assert_hidden(response, scheduled_with_attendee, name, method)
    assert db_state() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", MEETING_URLS)
@pytest.mark.parametrize("persona", ["polis_coordinator", "polis_member"])
def test_the_police_get_404_on_every_url_of_a_draft(client, request, draft_with_attendee, persona, name, method):
    client.force_login(request.getfixturevalue(persona))
    url = url_for(name, draft_with_attendee)  # the police's own party for answer and attendee URLs
    before = db_state()

    response = send(client, method, url, action_data(name, draft_with_attendee))

    assert_hidden(response, draft_with_attendee, name, method)
    assert db_state() == before


@pytest.mark.parametrize("persona", ["kommun_coordinator", "kommun_member", "lansstyrelsen_secretary"])
def test_members_of_a_convening_party_see_a_draft(client, request, draft_meeting, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(detail_url(draft_meeting))

    assert response.status_code == 200
    assert response.context["meeting"] == draft_meeting
    assert draft_meeting.title in response.content.decode()


@pytest.mark.parametrize("persona", ["polis_coordinator", "polis_member", "polis_secretary"])
def test_the_police_see_the_meeting_once_it_is_open_for_answers(client, request, meeting, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(detail_url(meeting))

    assert response.status_code == 200
    assert meeting.title in response.content.decode()


def test_the_dashboard_lists_a_meeting_only_for_its_parties(client, meeting, outsider, polis_member):
    client.force_login(outsider)
    assert meeting.title not in client.get(reverse("my_meetings")).content.decode()

    client.force_login(polis_member)
    assert meeting.title in client.get(reverse("my_meetings")).content.decode()


def test_the_event_log_is_shown_to_an_invited_party(client, meeting, polis_member):
    client.force_login(polis_member)

    response = client.get(reverse("event_log", args=[meeting.pk]))

    assert response.status_code == 200
    actions = {event.action for event in response.context["events"]}
    assert {Event.Action.MEETING_CREATED, Event.Action.SLOT_PROPOSED, Event.Action.POLLING_OPENED} <= actions


# Refusals of people who see the meeting but may not do this: 403 and nothing changes.

FORBIDDEN = [
    # url name, meeting fixture, persona
    ("meeting_edit", "meeting", "polis_coordinator"),
    ("meeting_edit", "meeting", "lansstyrelsen_secretary"),
    ("meeting_edit", "meeting", "kommun_member"),
    ("open_polling", "draft_meeting", "lansstyrelsen_secretary"),
    ("open_polling", "draft_meeting", "kommun_member"),
    ("propose_slots", "meeting", "polis_member"),
    ("propose_slots", "meeting", "polis_secretary"),
    ("propose_slots", "meeting", "kommun_member"),
    ("propose_slots", "meeting", "lansstyrelsen_secretary"),
    ("withdraw_slot", "meeting", "lansstyrelsen_coordinator"),
    ("withdraw_slot", "meeting", "polis_coordinator"),
    ("withdraw_slot", "meeting", "kommun_member"),
    ("confirm", "answered_meeting", "polis_coordinator"),
    ("confirm", "answered_meeting", "lansstyrelsen_secretary"),
    ("confirm", "answered_meeting", "kommun_member"),
    ("reschedule", "scheduled_meeting", "polis_coordinator"),
    ("reschedule", "scheduled_meeting", "lansstyrelsen_secretary"),
    ("reschedule", "scheduled_meeting", "kommun_member"),
    ("cancel", "meeting", "polis_coordinator"),
    ("cancel", "meeting", "lansstyrelsen_secretary"),
    ("cancel", "meeting", "kommun_member"),
    ("mark_held", "past_meeting", "polis_coordinator"),
    ("mark_held", "past_meeting", "lansstyrelsen_secretary"),
    ("mark_held", "past_meeting", "kommun_member"),
    ("attendee_confirm", "meeting_with_attendee", "polis_secretary"),
    ("attendee_confirm", "meeting_with_attendee", "kommun_coordinator"),
    ("attendee_confirm", "meeting_with_attendee", "lansstyrelsen_coordinator"),
    ("attendee_remove", "meeting_with_attendee", "polis_coordinator"),
    ("attendee_remove", "meeting_with_attendee", "lansstyrelsen_secretary"),
    ("attendee_remove", "meeting_with_attendee", "kommun_member"),
    ("event_log_csv", "meeting", "polis_coordinator"),
    ("event_log_csv", "meeting", "polis_member"),
    ("event_log_json", "meeting", "lansstyrelsen_secretary"),
    ("event_log_json", "meeting", "kommun_coordinator"),
]


@pytest.mark.parametrize("name, meeting_fixture, persona", FORBIDDEN)
def test_a_party_member_without_the_right_is_refused_with_403(client, request, name, meeting_fixture, persona):
    the_meeting = request.getfixturevalue(meeting_fixture)
    client.force_login(request.getfixturevalue(persona))
    url = url_for(name, the_meeting)
    before = db_state()

    if name not in POST_ONLY:
        assert client.get(url).status_code == 403
    response = client.post(url, action_data(name, the_meeting))

    assert forbidden(response)
    assert db_state() == before


# Answers: every party answers for itself.


@pytest.mark.parametrize(
    "persona, party",
    [
        ("polis_member", "kommun"),
        ("polis_coordinator", "lansstyrelsen"),
        ("kommun_member", "polisen"),
        ("kommun_coordinator", "lansstyrelsen"),
        ("lansstyrelsen_secretary", "polisen"),
        ("polis_member", "region"),
    ],
)
def test_nobody_answers_for_another_party(client, request, meeting, persona, party):
    client.force_login(request.getfixturevalue(persona))
    url = url_for("answer", meeting, party=request.getfixturevalue(party))
    before = db_state()

    assert client.get(url).status_code == 403
    response = client.post(url, answer_data(meeting))

    assert response.status_code == 403
    assert db_state() == before


def test_police_member_cannot_answer_for_the_municipality(client, meeting, polis_member, kommun):
    client.force_login(polis_member)

    response = client.post(url_for("answer", meeting, party=kommun), answer_data(meeting, value="no"))

    assert response.status_code == 403
    assert not Answer.objects.filter(party=kommun, value="no").exists()
    assert set(Answer.objects.filter(party=kommun).values_list("value", flat=True)) == {"yes"}


@pytest.mark.parametrize(
    "persona, party",
    [
        ("polis_member", "polisen"),
        ("polis_secretary", "polisen"),
        ("polis_coordinator", "polisen"),
        ("kommun_member", "kommun"),
        ("lansstyrelsen_secretary", "lansstyrelsen"),
    ],
)
def test_any_member_answers_for_their_own_party_while_polling(client, request, meeting, persona, party):
    user, party = request.getfixturevalue(persona), request.getfixturevalue(party)
    client.force_login(user)
    url = url_for("answer", meeting, party=party)

    page = client.get(url)
    response = client.post(url, answer_data(meeting, value="if_need_be", comment="Med ersättare"))

    assert page.status_code == 200 and page.context["party"] == party
    assert response.status_code == 302 and response.url == detail_url(meeting)
    answers = Answer.objects.filter(party=party, slot__meeting=meeting)
    assert answers.count() == meeting.slots.active().count() == 2
    assert {(a.value, a.comment, a.answered_by) for a in answers} == {("if_need_be", "Med ersättare", user)}
    [(level, text)] = messages_of(response)
    assert level == "success" and party.short_name in text and "2" in text


def test_a_party_cannot_answer_once_the_meeting_is_scheduled(client, scheduled_meeting, polis_member, polisen):
    client.force_login(polis_member)
    before = db_state()

    response = client.post(url_for("answer", scheduled_meeting, party=polisen), answer_data(scheduled_meeting))

    assert response.status_code == 403
    assert db_state() == before


def test_a_form_posted_after_its_slot_was_withdrawn_stores_no_answer_to_that_slot(
    client, meeting, slots, kommun, kommun_coordinator, polis_member, polisen
):
    client.force_login(polis_member)
    stale_form = answer_data(meeting, value="yes")  # the form as the police saw it
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)

    response = client.post(url_for("answer", meeting, party=polisen), stale_form)

    assert response.status_code == 302
    assert not Answer.objects.filter(slot=slots[1], party=polisen).exists()
    assert len(messages_of(response)) == 1  # the user is told something


def test_a_form_posted_after_one_of_its_slots_was_withdrawn_is_refused_with_a_message(
    client, meeting, slots, kommun, kommun_coordinator, polis_member, polisen
):
    client.force_login(polis_member)
    stale_form = answer_data(meeting, value="yes")
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    before = db_state()

    response = client.post(url_for("answer", meeting, party=polisen), stale_form)

    assert db_state() == before
    stale_answers = {slot.pk: ("yes", "Kan inte då") for slot in slots}
    expected = refusal(meetings.answer_slots, meeting=meeting, party=polisen, by=polis_member, answers=stale_answers)
    assert messages_of(response) == [("error", expected)]


def test_a_comment_without_an_answer_is_a_form_error(client, meeting, slots, polis_member, polisen):
    client.force_login(polis_member)
    before = db_state()

    response = client.post(url_for("answer", meeting, party=polisen), {f"comment_{slots[0].pk}": "Kanske"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [f"answer_{slots[0].pk}"]
    assert db_state() == before


# Proposing and withdrawing slots.


@pytest.mark.parametrize(
    "persona, party", [("polis_coordinator", "polisen"), ("lansstyrelsen_coordinator", "lansstyrelsen")]
)
def test_a_coordinator_of_any_party_proposes_a_slot(client, request, meeting, persona, party):
    user, party = request.getfixturevalue(persona), request.getfixturevalue(party)
    client.force_login(user)
    start, end = future_time(40, hour=13)

    response = client.post(
        reverse("propose_slots", args=[meeting.pk]), slot_formset(slot_row(start.date(), "13:00", "15:00"))
    )

    assert response.status_code == 302 and response.url == detail_url(meeting)
    slot = meeting.slots.get(start=start)
    assert (slot.end, slot.proposed_by_party, slot.proposed_by) == (end, party, user)
    assert Answer.objects.get(slot=slot).party == party  # a party proposes times it can attend
    [(level, text)] = messages_of(response)
    assert level == "success" and "1" in text


def test_the_proposing_coordinator_sees_a_confirmation_page_before_withdrawing(
    client, meeting, slots, kommun_coordinator
):
    client.force_login(kommun_coordinator)

    response = client.get(url_for("withdraw_slot", meeting))

    assert response.status_code == 200
    with translation.override("en"):
        assert slot_label(slots[0]) in response.context["question"]
    slots[0].refresh_from_db()
    assert slots[0].withdrawn_at is None


def test_the_proposing_coordinator_withdraws_a_slot_and_the_row_remains(client, meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)
    slot_count = Slot.objects.count()

    response = client.post(reverse("withdraw_slot", args=[meeting.pk, slots[0].pk]))

    assert response.status_code == 302 and response.url == detail_url(meeting)
    assert Slot.objects.count() == slot_count
    slots[0].refresh_from_db()
    assert slots[0].withdrawn_at is not None
    assert Answer.objects.filter(slot=slots[0]).exists()  # the answers stay too
    assert Event.objects.filter(meeting=meeting, action=Event.Action.SLOT_WITHDRAWN).count() == 1
    assert [level for level, _ in messages_of(response)] == ["success"]


def test_only_the_police_coordinators_withdraw_a_police_slot(
    client, meeting, polisen, polis_coordinator, kommun_coordinator
):
    [slot] = meetings.propose_slots(meeting=meeting, party=polisen, by=polis_coordinator, times=[future_time(30)])
    url = reverse("withdraw_slot", args=[meeting.pk, slot.pk])
    before = db_state()

    client.force_login(kommun_coordinator)
    assert client.post(url).status_code == 403
    assert db_state() == before

    client.force_login(polis_coordinator)
    assert client.post(url).status_code == 302
    slot.refresh_from_db()
    assert slot.is_withdrawn


# The convening parties' coordinators: edit, open, confirm, reschedule, cancel, mark as held.


@pytest.mark.parametrize("persona", ["kommun_coordinator", "lansstyrelsen_coordinator"])
def test_a_convening_coordinator_edits_the_meeting(client, request, meeting, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("meeting_edit", args=[meeting.pk]), edit_data(meeting, title="Ny titel"))

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Ny titel"


def test_a_convening_coordinator_opens_a_draft_for_answers(client, draft_meeting, lansstyrelsen_coordinator):
    client.force_login(lansstyrelsen_coordinator)

    response = client.post(reverse("open_polling", args=[draft_meeting.pk]))

    assert response.status_code == 302
    draft_meeting.refresh_from_db()
    assert draft_meeting.status == Meeting.Status.POLLING
    assert [level for level, _ in messages_of(response)] == ["success"]


@pytest.mark.parametrize("persona", ["kommun_coordinator", "lansstyrelsen_coordinator"])
def test_a_convening_coordinator_confirms_a_slot_everybody_can_attend(
    client, request, answered_meeting, slots, persona
):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("confirm", args=[answered_meeting.pk, slots[0].pk]))
    response = client.post(reverse("confirm", args=[answered_meeting.pk, slots[0].pk]), {"reason": ""})

    assert page.status_code == 200 and page.context["row"].slot == slots[0]
    assert response.status_code == 302
    answered_meeting.refresh_from_db()
    assert (answered_meeting.status, answered_meeting.confirmed_slot) == (Meeting.Status.SCHEDULED, slots[0])
    assert [level for level, _ in messages_of(response)] == ["success"]


def test_a_convening_coordinator_reschedules_back_to_polling(client, scheduled_meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    sequence = scheduled_meeting.sequence

    response = client.post(
        reverse("reschedule", args=[scheduled_meeting.pk]), {"target": "polling", "reason": "Krock med budget"}
    )

    assert response.status_code == 302
    scheduled_meeting.refresh_from_db()
    assert (scheduled_meeting.status, scheduled_meeting.confirmed_slot) == (Meeting.Status.POLLING, None)
    assert scheduled_meeting.sequence == sequence + 1


def test_a_convening_coordinator_cancels_with_a_reason_shown_on_the_page(client, meeting, lansstyrelsen_coordinator):
    client.force_login(lansstyrelsen_coordinator)

    response = client.post(reverse("cancel", args=[meeting.pk]), {"reason": "Inget behov längre"}, follow=True)

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert "Inget behov längre" in response.content.decode()


def test_cancelling_without_a_reason_is_a_form_error(client, meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("cancel", args=[meeting.pk]), {"reason": "  "})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert db_state() == before


def test_a_convening_coordinator_marks_a_meeting_that_has_begun_as_held(client, past_meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)

    response = client.post(reverse("mark_held", args=[past_meeting.pk]))

    assert response.status_code == 302
    past_meeting.refresh_from_db()
    assert past_meeting.status == Meeting.Status.HELD


def test_a_meeting_that_has_not_begun_cannot_be_marked_as_held(client, scheduled_meeting, kommun, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("mark_held", args=[scheduled_meeting.pk]))

    assert response.status_code == 302
    assert db_state() == before
    expected = refusal(meetings.mark_held, meeting=scheduled_meeting, by=kommun_coordinator, party=kommun)
    assert messages_of(response) == [("error", expected)]


# Confirming: the rules about answers, and doing it twice.


def test_confirming_while_a_required_party_has_not_answered_is_refused(client, meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[meeting.pk, slots[0].pk]), {"reason": "Brådskande"})

    assert response.status_code == 302 and response.url == detail_url(meeting)
    assert db_state() == before
    with translation.override("en"):
        expected = str(rules.confirmation_problem(slots[0], meetings.required_party_ids(meeting), "Brådskande"))
    assert messages_of(response) == [("error", expected)]


@pytest.fixture
def police_said_no(answered_meeting, slots, polisen, polis_member):
    meetings.answer_slots(
        meeting=answered_meeting,
        party=polisen,
        by=polis_member,
        answers={slots[0].pk: ("no", "Rikspolischefen är bortrest")},
    )
    return answered_meeting


def test_confirming_against_a_required_no_without_a_reason_is_a_form_error(
    client, police_said_no, slots, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[police_said_no.pk, slots[0].pk]), {"reason": ""})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    assert response.context["row"].needs_reason
    assert db_state() == before


def test_confirming_against_a_required_no_with_a_reason_shows_the_reason_to_all(
    client, police_said_no, slots, kommun_coordinator, polis_member
):
    client.force_login(kommun_coordinator)

    response = client.post(
        reverse("confirm", args=[police_said_no.pk, slots[0].pk]), {"reason": "Biträdande rikspolischef deltar"}
    )

    assert response.status_code == 302
    police_said_no.refresh_from_db()
    assert police_said_no.status == Meeting.Status.SCHEDULED
    assert police_said_no.confirmation_reason == "Biträdande rikspolischef deltar"
    client.force_login(polis_member)
    page = client.get(detail_url(police_said_no)).content.decode()
    assert "Biträdande rikspolischef deltar" in page


def test_a_double_click_on_confirm_gives_exactly_one_event(client, answered_meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)
    url = reverse("confirm", args=[answered_meeting.pk, slots[0].pk])

    client.post(url, {"reason": ""})
    client.post(url, {"reason": ""})

    assert Event.objects.filter(meeting=answered_meeting, action=Event.Action.SLOT_CONFIRMED).count() == 1
    answered_meeting.refresh_from_db()
    assert answered_meeting.confirmed_slot == slots[0]


def test_the_second_click_of_a_double_click_on_confirm_lands_on_the_meeting_page(
    client, answered_meeting, slots, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    url = reverse("confirm", args=[answered_meeting.pk, slots[0].pk])

    client.post(url, {"reason": ""})
    response = client.post(url, {"reason": ""})

    assert response.status_code == 302 and response.url == detail_url(answered_meeting)


def test_confirming_another_slot_of_a_scheduled_meeting_is_refused_with_an_explanation(
    client, scheduled_meeting, slots, kommun, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[scheduled_meeting.pk, slots[1].pk]), {"reason": "Bättre tid"})

    # Typically a second convener whose page was opened before the first confirmed: told which time holds.
    expected = refusal(meetings.confirm_slot, meeting=scheduled_meeting, slot=slots[1], by=kommun_coordinator, party=kommun)
    assert (response.status_code, messages_of(response)) == (302, [("error", expected)])
    assert db_state() == before
    scheduled_meeting.refresh_from_db()
    assert scheduled_meeting.confirmed_slot == slots[0]


def test_confirming_a_withdrawn_slot_is_refused_with_a_message(
    client, answered_meeting, slots, kommun, kommun_coordinator
):
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[answered_meeting.pk, slots[1].pk]), {"reason": ""})

    assert response.status_code == 302
    assert db_state() == before
    expected = refusal(
        meetings.confirm_slot, meeting=answered_meeting, slot=slots[1], by=kommun_coordinator, party=kommun
    )
    assert messages_of(response) == [("error", expected)]


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


# Bad input when proposing slots: a clear message, and nothing is stored.


def propose(client, meeting, *rows):
    return client.post(reverse("propose_slots", args=[meeting.pk]), slot_formset(*rows))


def names_the_wall_clock(message, day, minutes):
    """The message names 02:30 (or 02.30) and the day, however the date is formatted."""
    return bool(re.search(rf"\b0?2[.:]{minutes}\b", message)) and str(day.year) in message and (
        day.isoformat() in message or re.search(rf"\b{day.day}\b", message)
    )


def slot_errors(response, index=0):
    return response.context["formset"].forms[index].errors


@pytest.fixture
def proposer(client, meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    return client


def test_a_slot_that_ends_before_it_starts_is_refused(proposer, meeting):
    day = future_time(30)[0].date()
    before = db_state()

    response = propose(proposer, meeting, slot_row(day, "14:00", "13:00"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["end_time"]
    assert db_state() == before


def test_a_slot_in_the_past_is_refused(proposer, meeting):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    before = db_state()

    response = propose(proposer, meeting, slot_row(yesterday, "10:00", "12:00"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["start_time"]
    assert db_state() == before


def test_a_start_in_the_spring_dst_gap_is_refused_with_a_message_naming_it(proposer, meeting, clock_changes):
    before = db_state()

    response = propose(proposer, meeting, slot_row(clock_changes.spring, "02:30", "04:00"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["start_time"]
    [message] = slot_errors(response)["start_time"]
    assert names_the_wall_clock(message, clock_changes.spring, "30")
    assert "does not exist" in message
    assert db_state() == before


def test_the_autumn_repeated_hour_without_a_choice_is_refused(proposer, meeting, clock_changes):
    before = db_state()

    response = propose(proposer, meeting, slot_row(clock_changes.autumn, "02:30", "04:30"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["repeated_hour"]
    [message] = slot_errors(response)["repeated_hour"]
    assert names_the_wall_clock(message, clock_changes.autumn, "30")
    assert "twice" in message
    assert db_state() == before


@pytest.mark.parametrize("repeated_hour, utc_hour", [("summer", 0), ("standard", 1)])
def test_the_autumn_repeated_hour_with_a_choice_is_stored_at_the_right_instant(
    proposer, meeting, clock_changes, repeated_hour, utc_hour
):
    autumn = clock_changes.autumn
    response = propose(proposer, meeting, slot_row(autumn, "02:30", "04:30", repeated_hour))

    assert response.status_code == 302
    slot = meeting.slots.latest("created_at")
    assert slot.start == datetime.datetime.combine(autumn, datetime.time(utc_hour, 30), tzinfo=UTC)
    assert slot.end == datetime.datetime.combine(autumn, datetime.time(3, 30), tzinfo=UTC)  # 04:30 CET


@pytest.mark.parametrize(
    "change, start, repeated_hour",
    [("spring", "01:00", ""), ("autumn", "02:30", "summer"), ("autumn", "01:30", "")],
    ids=["spring", "autumn-summer-time", "autumn-before-the-repeated-hour"],
)
def test_a_slot_without_an_end_lasts_the_planned_duration_across_a_dst_change(
    proposer, meeting, clock_changes, change, start, repeated_hour
):

# Pages are read in English, the msgids.
    day = getattr(clock_changes, change)
    response = propose(proposer, meeting, slot_row(day, start, "", repeated_hour))

    assert response.status_code == 302
    slot = meeting.slots.latest("created_at")
    assert slot.end - slot.start == datetime.timedelta(minutes=meeting.duration_minutes)


def test_a_slot_already_proposed_is_refused(proposer, meeting, slots):
    start, end = to_stockholm(slots[0].start), to_stockholm(slots[0].end)
    before = db_state()

    response = propose(proposer, meeting, slot_row(start.date(), f"{start:%H:%M}", f"{end:%H:%M}"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["start_time"]
    assert db_state() == before


def test_the_same_slot_twice_in_one_proposal_is_refused(proposer, meeting):
    day = future_time(30)[0].date()
    before = db_state()

    response = propose(proposer, meeting, slot_row(day, "09:00", "11:00"), slot_row(day, "09:00", "11:00"))

    assert response.status_code == 200
    assert len(response.context["formset"].non_form_errors()) == 1
    assert not any(form.errors for form in response.context["formset"].forms)
    assert db_state() == before


def test_a_withdrawn_time_can_be_proposed_again(proposer, meeting, slots, kommun, kommun_coordinator):
    meetings.withdraw_slot(slot=slots[0], by=kommun_coordinator, party=kommun)
    start, end = to_stockholm(slots[0].start), to_stockholm(slots[0].end)

    response = propose(proposer, meeting, slot_row(start.date(), f"{start:%H:%M}", f"{end:%H:%M}"))

    assert response.status_code == 302
    assert meeting.slots.filter(start=slots[0].start).count() == 2  # the withdrawn row stays


def test_an_empty_proposal_is_refused(proposer, meeting):
    before = db_state()

    response = propose(proposer, meeting, {"date": "", "start_time": "", "end_time": "", "repeated_hour": ""})

    assert response.status_code == 200
    assert len(response.context["formset"].non_form_errors()) == 1
    assert db_state() == before


# A GET never changes anything.

SAFE_GETS = [
    # url name, meeting fixture, persona, status
    ("open_polling", "draft_meeting", "kommun_coordinator", 405),
    ("mark_held", "past_meeting", "kommun_coordinator", 405),
    ("attendee_confirm", "meeting_with_attendee", "lansstyrelsen_secretary", 405),
    ("withdraw_slot", "meeting", "kommun_coordinator", 200),
    ("attendee_remove", "meeting_with_attendee", "kommun_coordinator", 200),
    ("confirm", "answered_meeting", "kommun_coordinator", 200),
    ("reschedule", "scheduled_meeting", "kommun_coordinator", 200),
    ("cancel", "meeting", "kommun_coordinator", 200),
    ("meeting_edit", "meeting", "kommun_coordinator", 200),
    ("propose_slots", "meeting", "kommun_coordinator", 200),
    ("answer", "meeting", "polis_member", 200),
    ("attendee_create", "meeting", "polis_secretary", 200),
]


@pytest.mark.parametrize("name, meeting_fixture, persona, status", SAFE_GETS)
def test_a_get_never_changes_anything(client, request, name, meeting_fixture, persona, status):
    the_meeting = request.getfixturevalue(meeting_fixture)
    client.force_login(request.getfixturevalue(persona))
    before = db_state()

    response = client.get(url_for(name, the_meeting), action_data(name, the_meeting))

    assert response.status_code == status
    if status == 405:
        assert response["Allow"] == "POST"
    assert db_state() == before


# Who the event log says acted.


@pytest.fixture
def region_meeting(kommun, region):
    """Convened by Region Uppsala; the municipality (a party with a lower id) is invited.

    Its coordinator also coordinates the municipality, so the view must pick the convening party.
    """
    user = make_user("dubbel_samordnare", kommun, Role.COORDINATOR, "Samordnare, kommun och region")
    Membership.objects.create(user=user, party=region, role=Role.COORDINATOR)
    the_meeting = create_meeting(user, convening=[region], required=[kommun], title="Regional samverkan")
    meetings.propose_slots(meeting=the_meeting, party=region, by=user, times=[future_time(14)])
    return the_meeting, user


@pytest.mark.parametrize("name", ["open_polling", "mark_held"])
def test_the_event_log_credits_the_convening_party(client, region_meeting, region, kommun, name):
    the_meeting, user = region_meeting
    if name == "mark_held":
        the_meeting = meetings.open_polling(meeting=the_meeting, by=user, party=region)
        slot = the_meeting.slots.get()
        meetings.answer_slots(meeting=the_meeting, party=kommun, by=user, answers={slot.pk: ("yes", "")})
        meetings.confirm_slot(meeting=the_meeting, slot=slot, by=user, party=region)
        now = timezone.now()
        Slot.objects.filter(pk=slot.pk).update(
            start=now - datetime.timedelta(hours=3), end=now - datetime.timedelta(hours=1)
        )
    client.force_login(user)

    response = client.post(reverse(name, args=[the_meeting.pk]))

    assert response.status_code == 302
    assert the_meeting.events.order_by("-pk").first().party == region


def test_each_row_of_the_grid_links_to_its_own_time(client, answered_meeting, slots, kommun_coordinator):
    """The grid fills its rows' links in from one reversed address; each must still name its own slot."""
    client.force_login(kommun_coordinator)
    body = client.get(reverse("meeting_detail", args=[answered_meeting.pk])).content.decode()
    for slot in slots:
        assert f'href="{reverse("confirm", args=[answered_meeting.pk, slot.pk])}"' in body
        assert f'href="{reverse("withdraw_slot", args=[answered_meeting.pk, slot.pk])}"' in body


def test_an_edit_from_a_form_opened_before_another_edit_is_refused_and_shows_what_changed(client, meeting, lansstyrelsen_coordinator):
    client.force_login(lansstyrelsen_coordinator)
    url = reverse("meeting_edit", args=[meeting.pk])
    base = client.get(url).context["form"]["base_version"].value()
    assert client.post(url, edit_data(meeting, location="Stadshuset", base_version=base)).status_code == 302
    events = Event.objects.count()

    response = client.post(url, edit_data(meeting, title="Dialog om trygghet", base_version=base))

    assert response.status_code == 409
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Dialog om utökat samarbete", "Stadshuset")
    assert Event.objects.count() == events
    page = response.content.decode()
    assert "Someone else changed this meeting while you were editing it." in page
    assert "Changed meanwhile to: Stadshuset" in page
    assert 'value="Dialog om trygghet"' in page
    # Saving again from that page is a choice made knowing the change: it goes through.
    again = response.context["form"]["base_version"].value()
    saved = client.post(url, edit_data(meeting, title="Dialog om trygghet", base_version=again))
    assert saved.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Dialog om trygghet", "Stadshuset")


def test_inviting_another_party_is_a_new_edit_version(meeting, lansstyrelsen, lansstyrelsen_coordinator, outsider):
    region = outsider.memberships.get().party
    before = meeting.edit_version
    invitations = list(meeting.invitations.select_related("party"))
    meetings.save_meeting(
        meeting=meeting,
        by=lansstyrelsen_coordinator,
        party=lansstyrelsen,
        details={name: getattr(meeting, name) for name in meetings.DETAIL_FIELDS},
        convening={i.party for i in invitations if i.is_convening},
        required={i.party for i in invitations if not i.is_convening and i.required} | {region},
        optional={i.party for i in invitations if not i.is_convening and not i.required},
        base_version=before,
    )
    meeting.refresh_from_db()
    assert meeting.edit_version != before

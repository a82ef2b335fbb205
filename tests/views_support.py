"""What the view tests share: the URLs of a meeting, snapshots, the meetings with an attendee, helpers.

Not a test module itself: conftest.py registers its fixtures once; the view
test modules import its helpers.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from coordination.models import Answer, Attendee, Event, Invitation, Meeting, Membership, OutboxMessage, Slot
from coordination.services import attendance, meetings
from coordination.services.base import RuleError

from .builders import answer_data, bring_in_region, edit_data, next_weekday, slot_formset, slot_row

Role = Membership.Role


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
    "resend_mail",
    "event_log",
    "meeting_ics",
    *POST_ONLY,
]


@pytest.fixture
def meeting_with_attendee(meeting, kommun, kommun_coordinator):
    attendance.name_attendee(
        meeting=meeting,
        party=kommun,
        by=kommun_coordinator,
        name="Kommunstyrelsens ordförande",
        email="ks.ordforande@uppsala.example",
    )
    return meeting


@pytest.fixture
def draft_with_attendee(draft_meeting, kommun, kommun_coordinator):
    attendance.name_attendee(meeting=draft_meeting, party=kommun, by=kommun_coordinator, name="Kommundirektör")
    return draft_meeting


@pytest.fixture
def cancelled_draft(draft_with_attendee, kommun, kommun_coordinator):
    """Cancelled before it was ever opened for answers: it stays the conveners' own."""
    return meetings.cancel_meeting(meeting=draft_with_attendee, by=kommun_coordinator, party=kommun, reason="Inställt")


@pytest.fixture
def cancelled_after_opening(meeting_with_attendee, kommun, kommun_coordinator):
    """Cancelled while the parties were answering: every party still sees what happened."""
    return meetings.cancel_meeting(
        meeting=meeting_with_attendee, by=kommun_coordinator, party=kommun, reason="Inställt"
    )


@pytest.fixture
def scheduled_with_attendee(scheduled_meeting, kommun, kommun_coordinator):
    attendance.name_attendee(
        meeting=scheduled_meeting,
        party=kommun,
        by=kommun_coordinator,
        name="Kommunstyrelsens ordförande",
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
                "pk",
                "title",
                "status",
                "sequence",
                "confirmed_slot_id",
                "confirmation_reason",
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
    elif name == "resend_mail":  # a meeting without mail: any id, the meeting is refused first
        args = [meeting.pk, getattr(meeting.outbox.order_by("pk").first(), "pk", 1)]
    else:
        args = [meeting.pk]
    return reverse(name, args=args)


def action_data(name, meeting):
    """POST data that would do the action for someone allowed to: a refusal then proves the rule."""
    return {
        "meeting_edit": lambda: edit_data(meeting, title="Smygändrad titel"),
        "propose_slots": lambda: slot_formset(slot_row(next_weekday(40), "13:00")),
        "confirm": lambda: {"reason": "Vi ses ändå"},
        "answer": lambda: answer_data(meeting),
        "reschedule": lambda: {"target": "polling", "reason": "Rikspolischefen är förhindrad"},
        "cancel": lambda: {"reason": "Inget behov längre"},
        "attendee_create": lambda: {"user": "", "name": "Obehörig", "email": "", "title": "", "kind": "principal"},
    }.get(name, dict)()


@pytest.fixture
def region_invited(client, meeting, kommun_coordinator):
    """Uppsala kommun's coordinator brings Region Uppsala into the meeting open for answers."""
    client.force_login(kommun_coordinator)
    response = bring_in_region(client, meeting)
    assert response.status_code == 302
    client.logout()
    return OutboxMessage.objects.get(kind=OutboxMessage.Kind.ACTIVATION)

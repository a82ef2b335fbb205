"""The conveners see, in plain words, a mail the outbox gave up on, and correct the address to send it again.

The refusal comes from a real SMTP server (aiosmtpd answering 550), as the municipality's relay would say it.
"""

import icalendar
import pytest
from django.conf import settings
from django.urls import reverse

from coordination.models import Event, Meeting, OutboxMessage
from coordination.outbox import send_due
from coordination.services import attendance, meetings

from .builders import in_english

WRONG, RIGHT = "rikspolischef@polisen.exmaple", "rikspolischef@polisen.example"


@pytest.fixture
def refused(smtp_server, answered_meeting, slots, kommun, kommun_coordinator, polisen, polis_coordinator):
    """The police chief named with a mistyped address; the invitation was refused with 550."""
    attendance.name_attendee(
        meeting=answered_meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email=WRONG
    )
    smtp_server.refuse[WRONG] = "550 5.1.2 Host unknown"
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    send_due()  # the conveners' notice that everyone has answered goes; the invitation is refused
    message = OutboxMessage.objects.get(recipient=WRONG)
    assert message.has_failed
    return message


def page(client, user, meeting, language="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()


def resend_url(message):
    return reverse("resend_mail", args=[message.meeting_id, message.pk])


def test_the_convener_reads_why_in_plain_words_not_the_servers_error(client, refused, kommun_coordinator):
    html = page(client, kommun_coordinator, refused.meeting)
    assert (
        f"Could not be delivered to {WRONG} — the address was refused by the recipient’s mail server. "
        "Correct the address and send again." in html.replace("&#x27;", "’").replace("'", "’")
    )
    assert resend_url(refused) in html
    assert "550" not in html and "SMTPRecipientsRefused" not in html and "Host unknown" not in html
    assert "SMTPRecipientsRefused" in refused.last_error  # kept for the administrator


def test_the_reason_reads_in_swedish(client, refused, kommun_coordinator):
    html = page(client, kommun_coordinator, refused.meeting, language="sv")
    assert f"Kunde inte levereras till {WRONG}" in html
    assert "Rätta adressen och skicka igen" in html


def test_correcting_the_address_sends_the_mail_there_and_the_attendee_keeps_the_new_address(
    client, smtp_server, refused, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    form = in_english(client).get(resend_url(refused)).content.decode()
    assert f'value="{WRONG}"' in form

    response = client.post(resend_url(refused), {"email": RIGHT})

    assert response.status_code == 302 and response["Location"].endswith("#delivery")
    message = OutboxMessage.objects.get(pk=refused.pk)
    assert (message.recipient, message.failed_at, message.failure, message.attempts) == (RIGHT, None, "", 0)
    assert refused.meeting.attendees.get(name="Rikspolischef").email == RIGHT
    event = Event.objects.get(action=Event.Action.MAIL_RESENT)
    assert (event.actor, event.before, event.after) == (kommun_coordinator, {"email": WRONG}, {"email": RIGHT})
    assert event.party.short_name == "Kommunen"
    assert send_due() == (1, 0)
    assert RIGHT in smtp_server.recipients()
    # The calendar in it names the person at the new address, so their calendar's answer is recorded.
    [received] = [r for r in smtp_server.received if r.rcpt_tos == [RIGHT]]
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    [event] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    attendees = event.get("ATTENDEE")
    listed = {str(a).lower(): a.params["CN"] for a in (attendees if isinstance(attendees, list) else [attendees])}
    assert listed[f"mailto:{RIGHT}"] == "Rikspolischef" and f"mailto:{WRONG}" not in listed


def test_a_second_post_of_the_same_correction_changes_nothing(client, refused, kommun_coordinator):
    in_english(client)
    client.force_login(kommun_coordinator)
    client.post(resend_url(refused), {"email": RIGHT})
    response = client.post(resend_url(refused), {"email": "tredje@polisen.example"}, follow=True)
    assert "This mail is not waiting for a correction." in response.content.decode()
    assert OutboxMessage.objects.get(pk=refused.pk).recipient == RIGHT
    assert Event.objects.filter(action=Event.Action.MAIL_RESENT).count() == 1


def test_the_address_of_another_attendee_is_refused(client, refused, kommun_coordinator, kommun, kommun_member):
    attendance.name_attendee(
        meeting=refused.meeting, party=kommun, by=kommun_coordinator, name="KSO", email="kso@uppsala.example"
    )
    in_english(client)
    client.force_login(kommun_coordinator)
    response = client.post(resend_url(refused), {"email": "kso@uppsala.example"}, follow=True)
    assert "Another attendee already has this address." in response.content.decode()
    assert OutboxMessage.objects.get(pk=refused.pk).failed_at is not None


def test_a_mail_still_being_tried_is_not_corrected(client, mail_settings, scheduled_meeting, kommun_coordinator):
    message = OutboxMessage.objects.create(
        meeting=scheduled_meeting,
        kind="invitation",
        recipient=WRONG,
        subject="s",
        text="t",
        html="h",
        next_attempt_at=scheduled_meeting.created_at,
    )
    client.force_login(kommun_coordinator)
    assert client.post(resend_url(message), {"email": RIGHT}).status_code == 302
    assert OutboxMessage.objects.get(pk=message.pk).recipient == WRONG


@pytest.mark.parametrize(
    "who, status", [("polis_coordinator", 403), ("outsider", 404), ("lansstyrelsen_secretary", 302)]
)
def test_only_the_conveners_correct(client, request, refused, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.post(resend_url(refused), {"email": RIGHT}).status_code == status
    assert (OutboxMessage.objects.get(pk=refused.pk).recipient == RIGHT) == (status == 302)


def test_the_meeting_stays_as_it_was(client, refused, kommun_coordinator):
    before = Meeting.objects.filter(pk=refused.meeting_id).values("sequence", "status").get()
    client.force_login(kommun_coordinator)
    client.post(resend_url(refused), {"email": RIGHT})
    assert Meeting.objects.filter(pk=refused.meeting_id).values("sequence", "status").get() == before


def test_the_delivery_table_calls_a_cancellation_installt_avbokning(
    client, answered_meeting, slots, kommun, kommun_coordinator, polisen, polis_coordinator
):
    attendance.name_attendee(
        meeting=answered_meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email=RIGHT
    )
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    meetings.cancel_meeting(meeting=answered_meeting, by=kommun_coordinator, party=kommun, reason="Frågan är löst")
    html = page(client, kommun_coordinator, answered_meeting, language="sv")
    delivery = html[html.index('id="delivery"') :]
    assert "<td>Inbjudan</td>" in delivery and "<td>Inställt/avbokning</td>" in delivery
    assert "Inställelse" not in html

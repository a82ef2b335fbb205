"""One meeting's life as the attendees' calendars see it: every message, read back by two parsers.

The conveners and the secretary act through the pages (Django's test client);
every mail leaves through the outbox worker to the strict SMTP server of
tests/smtp_server.py; each attendee answers from the invitation they received,
as a calendar client does (METHOD:REPLY to the ORGANIZER), into a real IMAP
mailbox that the ``read_replies`` command reads. Every calendar that passes is
read with icalendar and with vobject, which must agree on its METHOD, SEQUENCE
and each ATTENDEE's PARTSTAT and RSVP.

Run with ``-s`` to print the table of the life (for a release note).
"""

import email
import io
from email import policy

import pytest
from django.core.management import call_command
from django.urls import reverse

from coordination.models import CalendarReply, OutboxMessage
from coordination.outbox import send_due
from coordination.services import attendance

from .builders import calendar_of, calendar_reply, calendar_state

CHIEF, CHAIR = "rpc@polisen.example", "kso@uppsala.example"
ORGANIZER = "svar@samrad.example"


@pytest.fixture(autouse=True)
def organizer(settings):
    settings.CALENDAR_ORGANIZER_EMAIL = ORGANIZER


def as_table(rows):
    lines = ["| Step | Message | From → to | METHOD | SEQUENCE | PARTSTAT |", "|---|---|---|---|---|---|"]
    for step, what, route, method, sequence, attendees in rows:
        partstats = ", ".join(f"{address} {partstat}" for address, (partstat, _) in sorted(attendees.items()))
        lines.append(f"| {step} | {what} | {route} | {method} | {sequence} | {partstats} |")
    return "\n".join(lines)


def test_one_meetings_life_in_the_attendees_calendars(
    client,
    smtp_server,
    reply_mailbox,
    answered_meeting,
    slots,
    kommun,
    polisen,
    kommun_coordinator,
    polis_coordinator,
    lansstyrelsen_secretary,
):
    meeting = answered_meeting
    chief = attendance.name_attendee(
        meeting=meeting, party=polisen, by=polis_coordinator, name="Rikspolischef", email=CHIEF
    )
    chair = attendance.name_attendee(
        meeting=meeting, party=kommun, by=kommun_coordinator, name="Kommunstyrelsens ordförande", email=CHAIR
    )
    client.force_login(lansstyrelsen_secretary)
    client.post(reverse("attendee_confirm", args=[meeting.pk, chief.pk]))  # attendance, not a calendar answer
    OutboxMessage.objects.all().delete()  # the notices of the planning: the calendars' messages are followed
    client.force_login(kommun_coordinator)
    rows = []
    seen = 0

    def sent(step, kind):
        """Send what the step queued; each message, read by both parsers, becomes a row of the table."""
        nonlocal seen
        send_due()
        received = smtp_server.received[seen:]
        seen = len(smtp_server.received)
        result = {}
        for message in received:
            body, mime_method = calendar_of(message.message)
            method, sequence, attendees = calendar_state(body)
            assert mime_method == method
            [address] = message.rcpt_tos
            rows.append((step, kind, f"Samråd → {address}", method, sequence, attendees))
            result[address] = (message.message, method, sequence, attendees)
        return result

    def answer(step, invitation, address, partstat):
        raw = calendar_reply(invitation, address, partstat)
        reply_mailbox.deliver(raw)
        call_command("read_replies", stdout=io.StringIO())
        assert CalendarReply.objects.latest("pk").outcome == CalendarReply.Outcome.APPLIED
        method, sequence, attendees = calendar_state(
            calendar_of(email.message_from_bytes(raw, policy=policy.default))[0]
        )
        rows.append((step, "reply", f"{address} → Samråd", method, sequence, attendees))

    def attendee_list():
        page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
        return page[page.index('id="attendees"') : page.index('id="delivery"')]

    awaiting = ("NEEDS-ACTION", "TRUE")

    # 1. Invitation: the chief's attendance is confirmed by the secretary, yet their calendar is asked.
    response = client.post(reverse("confirm", args=[meeting.pk, slots[0].pk]), {"reason": ""})
    assert response.status_code == 302
    invited = sent("1 invite", "invitation")
    assert {address: calendar[1:] for address, calendar in invited.items()} == {
        address: ("REQUEST", 1, {CHIEF: awaiting, CHAIR: awaiting}) for address in (CHIEF, CHAIR)
    }

    # 2. The chief accepts from their calendar.
    answer("2 reply", invited[CHIEF][0], CHIEF, "ACCEPTED")
    assert "Accepterat i kalendern" in attendee_list()

    # 3. A new time: the update asks everyone again, and the page no longer says the chief accepted.
    response = client.post(reverse("reschedule", args=[meeting.pk]), {"target": slots[1].pk, "reason": "Krock"})
    assert response.status_code == 302
    updated = sent("3 new time", "update")
    assert {address: calendar[1:] for address, calendar in updated.items()} == {
        address: ("REQUEST", 2, {CHIEF: awaiting, CHAIR: awaiting}) for address in (CHIEF, CHAIR)
    }
    listed = attendee_list()
    assert "Accepterat i kalendern" not in listed and listed.count("Inget svar från kalendern ännu") == 2

    # 4. Both answer the new time.
    answer("4 reply", updated[CHIEF][0], CHIEF, "ACCEPTED")
    answer("4 reply", updated[CHAIR][0], CHAIR, "TENTATIVE")

    # 5. The municipality takes its chair off: only the chair hears, and hears that, not a cancellation.
    assert client.post(reverse("attendee_remove", args=[meeting.pk, chair.pk])).status_code == 302
    removed = sent("5 removed attendee", "no longer called")
    assert list(removed) == [CHAIR]
    message, method, sequence, attendees = removed[CHAIR]
    assert (method, sequence, attendees) == ("CANCEL", 3, {CHAIR: ("TENTATIVE", "TRUE")})
    text = message.get_body(("plain",)).get_content()
    assert (
        f"Du är inte längre kallad till mötet ”{meeting.title}”, eftersom {kommun.short_name} har tagit bort dig"
        in text
    )
    assert "är inställt." not in text

    # 6. The meeting is cancelled: the chief's calendar drops it, their own answer still theirs.
    response = client.post(reverse("cancel", args=[meeting.pk]), {"reason": "Frågan är löst"})
    assert response.status_code == 302
    cancelled = sent("6 cancel", "cancellation")
    assert [(m, s, a) for _, m, s, a in cancelled.values()] == [("CANCEL", 4, {CHIEF: ("ACCEPTED", "TRUE")})]

    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    delivery = page[page.index('id="delivery"') :]
    for word in ("Inbjudan", "Ändring", "Inte längre kallad till mötet", "Inställt/avbokning"):
        assert f"<td>{word}</td>" in delivery
    assert "Inställelse" not in page
    print("\n" + as_table(rows))

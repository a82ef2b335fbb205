"""The meeting's video link is shown and linked only when it is a web address, however the row was written."""

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from coordination import ics
from coordination.models import Meeting, OutboxMessage
from coordination.services import invites

HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "https:alert(1)",
]
SAFE = "https://meet.example/samrad?pwd=1"


@pytest.mark.parametrize("link", HOSTILE)
def test_a_link_that_is_not_a_web_address_is_not_a_safe_video_link(link):
    assert Meeting(video_link=link).safe_video_link == ""


@pytest.mark.parametrize("link", [SAFE, "http://meet.example/", "HTTPS://MEET.EXAMPLE/x", f" {SAFE} "])
def test_a_web_address_is_the_safe_video_link(link):
    assert Meeting(video_link=link).safe_video_link == link.strip()


def store(meeting, link):
    """As the admin, an old row or a direct write would: past the form's validation."""
    Meeting.objects.filter(pk=meeting.pk).update(video_link=link)
    meeting.refresh_from_db()


@pytest.mark.parametrize("link", HOSTILE)
def test_the_meeting_page_and_the_kallelse_leave_a_hostile_link_out(client, scheduled_meeting, polis_member, link):
    store(scheduled_meeting, link)
    client.force_login(polis_member)

    page = client.get(reverse("meeting_detail", args=[scheduled_meeting.pk])).content.decode()
    kallelse = client.get(reverse("kallelse", args=[scheduled_meeting.pk])).content.decode()

    for html in (page, kallelse):
        assert "alert(1)" not in html
        assert "msgbox" not in html
        assert "evil.example" not in html


def test_the_meeting_page_links_a_web_address(client, scheduled_meeting, polis_member):
    store(scheduled_meeting, SAFE)
    client.force_login(polis_member)

    page = client.get(reverse("meeting_detail", args=[scheduled_meeting.pk])).content.decode()

    assert 'href="https://meet.example/samrad?pwd=1"' in page


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>"])
def test_the_invitation_mail_and_its_calendar_event_leave_a_hostile_link_out(scheduled_with_attendee, link):
    store(scheduled_with_attendee, link)

    invites.queue(scheduled_with_attendee, kind=OutboxMessage.Kind.INVITATION)
    event = ics.build_event(invites.calendar_entry(scheduled_with_attendee), now=timezone.now())

    mail = OutboxMessage.objects.filter(meeting=scheduled_with_attendee, kind=OutboxMessage.Kind.INVITATION).latest(
        "pk"
    )
    assert "alert(1)" not in mail.text + mail.html
    assert "alert(1)" not in icalendar.Event.to_ical(event).decode()


def test_the_invitation_mail_and_its_calendar_event_carry_a_web_address(scheduled_with_attendee):
    store(scheduled_with_attendee, SAFE)

    invites.queue(scheduled_with_attendee, kind=OutboxMessage.Kind.INVITATION)
    event = ics.build_event(invites.calendar_entry(scheduled_with_attendee), now=timezone.now())

    mail = OutboxMessage.objects.filter(meeting=scheduled_with_attendee, kind=OutboxMessage.Kind.INVITATION).latest(
        "pk"
    )
    assert SAFE in mail.text
    assert 'href="https://meet.example/samrad?pwd=1"' in mail.html
    assert SAFE in str(event["DESCRIPTION"])

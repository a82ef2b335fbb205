"""Reminders of the answer deadline: to those who have not answered, once per occasion, or by hand."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.models import Event, Meeting, OutboxMessage
from coordination.services import meetings
from coordination.services.reminders import send_due_reminders

from .builders import answer_all, in_english


@pytest.fixture
def polling(meeting, lansstyrelsen, lansstyrelsen_secretary, polis_coordinator, polis_member):
    """The county board has answered every time; the police have not."""
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    return meeting


def set_deadline(meeting, days):
    deadline = timezone.localdate() + datetime.timedelta(days=days)
    Meeting.objects.filter(pk=meeting.pk).update(answer_deadline=deadline)
    return deadline


def reminded():
    return sorted(OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REMINDER).values_list("recipient", flat=True))


def test_two_days_before_the_deadline_the_party_that_has_not_answered_is_reminded(polling):
    set_deadline(polling, 2)
    assert send_due_reminders(timezone.localdate()) == 2
    assert reminded() == ["polis_coordinator@samrad.example", "polis_member@samrad.example"]


def test_a_reminder_goes_once_per_occasion(polling):
    set_deadline(polling, 2)
    send_due_reminders(timezone.localdate())
    assert send_due_reminders(timezone.localdate()) == 0
    assert len(reminded()) == 2


def test_on_the_day_the_party_is_reminded_again(polling):
    deadline = set_deadline(polling, 2)
    send_due_reminders(timezone.localdate())
    assert send_due_reminders(deadline) == 2
    assert len(reminded()) == 4


def test_a_moved_deadline_gets_reminders_of_its_own(polling):
    set_deadline(polling, 2)
    send_due_reminders(timezone.localdate())
    set_deadline(polling, 4)
    assert send_due_reminders(timezone.localdate() + datetime.timedelta(days=2)) == 2


def test_no_reminder_once_every_required_party_has_answered(polling, polisen, polis_member):
    answer_all(polling, polisen, polis_member)
    set_deadline(polling, 2)
    assert send_due_reminders(timezone.localdate()) == 0


def test_no_reminder_on_other_days_or_for_a_scheduled_meeting(polling, scheduled_meeting):
    set_deadline(polling, 5)
    assert send_due_reminders(timezone.localdate()) == 0


def test_the_reminder_links_to_the_partys_answer_page(polling, polisen):
    set_deadline(polling, 0)
    send_due_reminders(timezone.localdate())
    message = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REMINDER).first()
    assert reverse("answer", args=[polling.pk, polisen.pk]) in message.text
    assert "Polisen har ännu inte svarat" in message.text
    assert message.subject.startswith("Påminnelse: ")


def test_the_convener_reminds_by_hand(client, polling, kommun_coordinator):
    client.force_login(kommun_coordinator)
    response = client.post(reverse("remind", args=[polling.pk]))
    assert response.status_code == 302
    assert len(reminded()) == 2
    assert Event.objects.filter(meeting=polling, action=Event.Action.REMINDER_SENT).count() == 1


@pytest.mark.parametrize("persona", ["polis_coordinator", "lansstyrelsen_secretary", "kommun_member"])
def test_only_the_conveners_coordinators_remind(client, request, polling, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("remind", args=[polling.pk])).status_code == 403
    assert reminded() == []


def test_after_the_deadline_the_convener_sees_who_never_answered(client, polling, kommun_coordinator):
    set_deadline(polling, -1)
    client.force_login(kommun_coordinator)
    in_english(client)
    page = client.get(reverse("meeting_detail", args=[polling.pk])).content.decode()
    assert "has passed." in page
    assert "Not yet answered every time: Polisen." in page


def test_reminders_are_sent_by_the_outbox_like_any_mail(polling, settings):
    from coordination.outbox import send_due

    set_deadline(polling, 2)
    send_due_reminders(timezone.localdate())
    assert send_due() == (2, 0)
    from django.core import mail

    assert len(mail.outbox) == 2
    assert not [part for part in mail.outbox[0].message().walk() if part.get_content_type() == "text/calendar"]


def test_cancelled_meetings_are_not_reminded(polling, kommun, kommun_coordinator):
    set_deadline(polling, 2)
    meetings.cancel_meeting(meeting=polling, by=kommun_coordinator, party=kommun, reason="Inställt")
    assert send_due_reminders(timezone.localdate()) == 0

"""Every kind of mail the app sends, over real SMTP to a server as strict as production.

The demo data, its people renamed as a Swedish directory names them
("Efternamn, Förnamn", with å, ä and ö), is driven through a meeting's life;
whatever that puts into the outbox is sent by the worker with Django's SMTP
backend to the strict server of tests/smtp_server.py, and each message that
arrives is read back and matched to its outbox row: one recipient, that
name, that address. A kind added later (the notices) is covered as soon as
the life queues it, and the test fails until it does.
"""

import datetime
import io
import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from coordination.models import (
    AgendaItem,
    Answer,
    Attendee,
    Meeting,
    NoticeKind,
    NoticePreferences,
    OutboxMessage,
    Party,
    Slot,
)
from coordination.outbox import send_due
from coordination.services import (
    agenda,
    attendance,
    guests,
    holds,
    meetings,
    minutes,
    notices,
    people,
    reminders,
    review,
)

from .builders import PASSWORD, future_time

Delivery = NoticePreferences.Delivery

# The demo's people, as the directory writes them: surname first, after a comma.
NAMES = {
    "kommun.samordnare": "Lindström, Åsa",
    "kommun.ordforande": "Öberg, Märta",
    "lst.samordnare": "Åkesson, Björn",
    "lst.sekreterare": "Hällström, Åke",
    "lst.landshovding": "Ängström, Örjan",
    "polis.samordnare": "Sjöberg, Käthe",
    "polis.handlaggare": "Nordström, Gösta",
    "polis.rikspolischef": "Törnqvist, Ylva",
}
MESSAGE_ID = re.compile(r"<samrad-(\d+)-")


def demo_with_directory_names():
    """The demo data, its users made first with the directory's names (load_demo keeps an existing user)."""
    for username, name in NAMES.items():
        get_user_model().objects.create_user(
            username=username, password=PASSWORD, email=f"{username}@samrad.example", first_name=name
        )
    call_command("load_demo", stdout=io.StringIO())
    for attendee in Attendee.objects.filter(user__isnull=False).select_related("user"):
        attendee.name = attendee.user.first_name
        attendee.save(update_fields=["name"])
    users = {user.username: user for user in get_user_model().objects.all()}
    parties = {party.short_name: party for party in Party.objects.all()}
    return users, parties


def live_a_meeting(client, users, parties):
    """After the demo's opening for answers and its answers: hold times, remind, the police's agenda item and
    position (one convener hears at once, the other in the digest), a guest's link and code, name an attendee,
    confirm, reschedule,
    take the police off the meeting, cancel, and ask for a new password."""
    kommun, coordinator = parties["Kommunen"], users["kommun.samordnare"]
    dialogue = Meeting.objects.get(title="Dialog om utökat samarbete")
    earlier = Meeting.objects.get(title="Avstämning inför dialogen om Gottsunda")
    holds.hold_times(meeting=dialogue, user=users["polis.rikspolischef"])
    agreed = [slot for slot in dialogue.slots.order_by("start") if not slot.answers.filter(value=Answer.Value.NO)]
    # A time proposed late, that the police have not answered: the convener reminds them.
    meetings.propose_slots(meeting=dialogue, party=kommun, by=coordinator, times=[future_time(40)])
    reminders.remind_by_hand(
        meeting=Meeting.objects.for_meeting_page().get(pk=dialogue.pk), by=coordinator, party=kommun
    )
    notices.choose_delivery(
        user=users["lst.samordnare"],
        choices={NoticeKind.AGENDA_PROPOSED: Delivery.IMMEDIATELY, NoticeKind.POSITION_SHARED: Delivery.IMMEDIATELY},
    )
    police, police_coordinator = parties["Polisen"], users["polis.samordnare"]
    agenda.propose_agenda_item(meeting=dialogue, party=police, by=police_coordinator, title="Kameror i Gottsunda")
    item = dialogue.agenda_items.filter(status=AgendaItem.Status.ACCEPTED).exclude(positions__party=police).first()
    position = agenda.save_position(item=item, party=police, by=police_coordinator, text="Polisens syn", base_version=0)
    agenda.set_position_shared(position=position, by=police_coordinator, shared=True)
    notices.send_due_digests(timezone.now() + notices.digest_interval())
    # The police's guest expert gets the personal link, and then the one-time code.
    expert = guests.add_guest(
        meeting=dialogue, party=police, by=police_coordinator, name="Ekström, Eva", email="eva@expert.example"
    )
    guests.send_code(expert)
    member = users["kommun.ordforande"]
    attendance.name_attendee(
        meeting=dialogue, party=kommun, by=coordinator, user=member, name=member.first_name, email=member.email
    )
    meetings.confirm_slot(meeting=dialogue, slot=agreed[0], by=coordinator, party=kommun)
    meetings.reschedule(
        meeting=dialogue, by=coordinator, party=kommun, reason="Landshövdingen är bortrest", slot=agreed[1]
    )
    dialogue.refresh_from_db()
    meetings.save_meeting(  # the police leave: their named attendee is no longer called
        meeting=dialogue,
        by=coordinator,
        party=kommun,
        details={name: getattr(dialogue, name) for name in meetings.DETAIL_FIELDS},
        convening={kommun, parties["Länsstyrelsen"]},
        required=set(),
        optional=set(),
    )
    # Region Uppsala is brought in, its first coordinator activating by the link; a person of no party joins.
    people.bring_in_new_party(
        request=None,
        meeting=dialogue,
        by=coordinator,
        acting_party=kommun,
        name="Region Uppsala",
        short_name="Regionen",
        person="Ekström, Åsa",
        email="asa.ekstrom@region.example",
    )
    loner = get_user_model().objects.create_user(
        "fristaende", email="fristaende@samrad.example", password=PASSWORD, first_name="Fristående, Märta"
    )
    people.invite_person(request=None, party=police, by=police_coordinator, person="", email=loner.email, role="member")
    meetings.cancel_meeting(meeting=earlier, by=coordinator, party=kommun, reason="Ersätts av dialogen")
    assert client.post(reverse("password_reset"), {"email": users["polis.handlaggare"].email}).status_code == 302
    # The dialogue begins; the county board's secretary minutes an action of the municipality's, due yesterday.
    dialogue.refresh_from_db()
    Slot.objects.filter(pk=dialogue.confirmed_slot_id).update(
        start=timezone.now() - datetime.timedelta(days=2), end=timezone.now() - datetime.timedelta(days=2, hours=-2)
    )
    item = dialogue.agenda_items.filter(status=AgendaItem.Status.ACCEPTED).first()
    minutes.add_action(
        meeting=dialogue,
        item=item,
        party=parties["Länsstyrelsen"],
        by=users["lst.sekreterare"],
        what="Ta fram en gemensam lägesbild",
        owner_party=kommun,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert minutes.send_overdue_action_reminders(timezone.localdate()) > 0
    # Sent for review to each party's coordinators ("Ekström, Åsa" of the region among them), approved by all three:
    # the approved minutes go to the attendee.
    review.send_for_review(meeting=dialogue, party=parties["Länsstyrelsen"], by=users["lst.sekreterare"])
    # The municipality's coordinator comments: the others who keep the minutes hear of it at once.
    review.comment(meeting=dialogue, item=item, party=kommun, by=coordinator, text="Ange datum", version=1)
    region = Party.objects.get(short_name="Regionen")
    for party, user in (
        (kommun, coordinator),
        (parties["Länsstyrelsen"], users["lst.samordnare"]),
        (region, region.memberships.get().user),
    ):
        review.approve(meeting=dialogue, party=party, by=user, version=1)


def send_everything():
    while True:
        sent, failed = send_due()
        assert failed == 0, list(OutboxMessage.objects.exclude(last_error="").values_list("kind", "last_error"))
        if not sent:
            return


def test_every_kind_of_mail_reaches_a_strict_smtp_server_addressed_to_its_one_recipient(
    db, client, settings, smtp_server
):
    users, parties = demo_with_directory_names()
    live_a_meeting(client, users, parties)
    queued = {message.pk: message for message in OutboxMessage.objects.all()}

    send_everything()

    assert smtp_server.refused == []
    assert {message.kind for message in queued.values()} == set(OutboxMessage.Kind), (
        "a kind of mail that the meeting's life above does not send: drive it there"
    )
    assert sorted(int(MESSAGE_ID.match(r.message["Message-ID"]).group(1)) for r in smtp_server.received) == sorted(
        queued
    )
    for received in smtp_server.received:
        row = queued[int(MESSAGE_ID.match(received.message["Message-ID"]).group(1))]
        assert "," in row.recipient_name, row.recipient_name
        assert received.rcpt_tos == [row.recipient]
        assert [(a.display_name, a.addr_spec) for a in received.message["To"].addresses] == [
            (row.recipient_name, row.recipient)
        ]
        # Django folds a long encoded subject after an empty first line ("Subject: \n =?utf-8?q?…"), which
        # Python's parser reads with one leading space; mail clients drop it.
        assert received.message["Subject"].lstrip() == row.subject
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def raw_message(to):
    return (
        f"From: Samrad <samrad@samrad.example>\r\nTo: {to}\r\nSubject: Test\r\n"
        "Message-ID: <raw@samrad.example>\r\n\r\nHej\r\n"
    ).encode()


@pytest.mark.parametrize(
    "to",
    [
        "Lindström, Åsa <asa.lindstrom@uppsala.example>",  # as typed: 8-bit, and two addresses
        "=?utf-8?q?Lindstr=C3=B6m?=, =?utf-8?q?=C3=85sa?= <asa.lindstrom@uppsala.example>",  # encoded, still two
    ],
)
def test_the_strict_server_refuses_a_directory_name_written_unquoted_into_to(smtp_server, to):
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as connection:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            connection.sendmail("samrad@samrad.example", ["asa.lindstrom@uppsala.example"], raw_message(to))
    assert refused.value.smtp_code == 554
    assert smtp_server.received == []


def test_the_strict_server_takes_the_name_encoded_as_one_address(smtp_server):
    header = "=?utf-8?q?Lindstr=C3=B6m=2C_=C3=85sa?= <asa.lindstrom@uppsala.example>"
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as connection:
        connection.sendmail("samrad@samrad.example", ["asa.lindstrom@uppsala.example"], raw_message(header))
    [received] = smtp_server.received
    assert [(a.display_name, a.addr_spec) for a in received.message["To"].addresses] == [
        ("Lindström, Åsa", "asa.lindstrom@uppsala.example")
    ]


# What a strict server answers: our handler's 550 for an address without a domain, aiosmtpd's own 553 and 501
# for what does not even parse as an address in angle brackets.
@pytest.mark.parametrize(
    "recipient, answer",
    [
        ("<asa>", (550, b"5.1.3 Bad recipient address syntax")),
        ("<@uppsala.example>", (553, b"5.1.3 Error: malformed address")),
        ("<Lindstrom, Asa@uppsala.example>", (501, b"Syntax: RCPT TO: <address> [SP <mail-parameters>]")),
    ],
)
def test_the_strict_server_refuses_a_recipient_that_is_not_one_address(smtp_server, recipient, answer):
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as connection:
        connection.ehlo()
        connection.mail("samrad@samrad.example")
        assert connection.docmd("RCPT", f"TO:{recipient}") == answer

"""Secrecy marking (issue 18, section 3): an agenda item, a position or a document marked "Sekretessprövas" or
"Omfattas av sekretess" shows its marking wherever it is shown, and never leaves Samråd in a mail or a calendar
file, which carry its title and its marking only."""

import datetime
import email
import email.policy
import hashlib
import io
import re

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from coordination.models import (
    AgendaItem,
    Document,
    Event,
    Meeting,
    NoticeKind,
    OutboxMessage,
    Position,
    Secrecy,
    Slot,
)
from coordination.services import (
    agenda,
    attendance,
    copies,
    diarium,
    feeds,
    guests,
    holds,
    meetings,
    minutes,
    notices,
    reminders,
    secrecy,
)
from coordination.services.base import RuleError
from coordination.views.guests import GUEST_KEY

from .agenda_support import add_item, attach, body_of
from .builders import answer_all, pdf_module
from .test_smtp_delivery import send_everything

OSL = "OSL 18 kap. 1 §"
COVERED = f"Omfattas av sekretess ({OSL})"
# In every text that must never leave: the item's description, the position's text, the documents' names and
# contents. Upper and lower case, as a file name may be changed in either.
TOKEN = "HEMLIG-Q7X3"


def mark(record, by, party, marking=Secrecy.COVERED, provision=OSL, **kwargs):
    return secrecy.mark_secrecy(record=record, party=party, by=by, secrecy=marking, provision=provision, **kwargs)


@pytest.fixture
def item(meeting, polisen, kommun, polis_coordinator, kommun_coordinator):
    """An accepted item the police proposed, with a description that must stay in Samråd."""
    return add_item(
        meeting,
        polisen,
        polis_coordinator,
        "Kameror för brottsutredning",
        accept_by=(kommun_coordinator, kommun),
        description=f"Underlag om placeringar: {TOKEN}",
    )


# The service and its event.


def test_marking_keeps_who_and_when_and_is_logged_as_a_sentence(item, polisen, polis_coordinator):
    assert mark(item, polis_coordinator, polisen) is True

    item.refresh_from_db()
    assert (item.secrecy, item.secrecy_provision, item.secrecy_version) == (Secrecy.COVERED, OSL, 1)
    assert item.secrecy_marked_by == polis_coordinator
    assert item.secrecy_marked_by_name == polis_coordinator.get_full_name()
    assert item.secrecy_marked_at is not None and item.secrecy_marked_at <= timezone.now()
    with translation.override("sv"):
        assert str(item.secrecy_label) == COVERED
    event = Event.objects.latest("pk")
    assert (event.action, event.party, event.private) == (Event.Action.SECRECY_MARKED, polisen, False)
    assert event.after == {"marking": {"secrecy": "covered", "provision": OSL}, "record": "agenda_item"}


def test_the_same_marking_again_changes_nothing_and_unmarking_is_logged_too(item, polisen, polis_coordinator):
    mark(item, polis_coordinator, polisen)
    events = Event.objects.count()

    assert mark(item, polis_coordinator, polisen, base_version=0) is False
    assert Event.objects.count() == events
    assert mark(item, polis_coordinator, polisen, marking="", provision="ignored", base_version=1) is True

    item.refresh_from_db()
    assert (item.secrecy, item.secrecy_provision, item.secrecy_version) == ("", "", 2)
    assert Event.objects.latest("pk").action == Event.Action.SECRECY_UNMARKED


def test_covered_needs_its_provision_and_review_does_not(item, polisen, polis_coordinator):
    with pytest.raises(RuleError):
        mark(item, polis_coordinator, polisen, provision="  ")
    assert mark(item, polis_coordinator, polisen, marking=Secrecy.REVIEW, provision="") is True
    item.refresh_from_db()
    with translation.override("sv"):
        assert str(item.secrecy_label) == "Sekretessprövas"


def test_a_marking_from_a_stale_form_is_a_conflict_and_writes_nothing(item, polisen, polis_coordinator):
    mark(item, polis_coordinator, polisen, marking=Secrecy.REVIEW, provision="")
    events = Event.objects.count()

    with pytest.raises(secrecy.SecrecyConflict) as conflict:
        mark(item, polis_coordinator, polisen, base_version=0)

    assert conflict.value.current.secrecy == Secrecy.REVIEW
    assert Event.objects.count() == events


def test_the_marking_of_a_draft_is_its_own_party_s_event(item, polisen, lansstyrelsen_coordinator, polis_member):
    position = agenda.save_position(item=item, party=polisen, by=polis_member, text=TOKEN, base_version=0)
    mark(position, polis_member, polisen)

    event = Event.objects.latest("pk")
    assert (event.action, event.private, event.party) == (Event.Action.SECRECY_MARKED, True, polisen)
    assert not Event.objects.visible_to(lansstyrelsen_coordinator).filter(pk=event.pk).exists()


def test_a_marked_accepted_item_of_a_scheduled_meeting_raises_the_calendar_sequence(
    scheduled_meeting, polisen, kommun, polis_coordinator, kommun_coordinator
):
    item = add_item(scheduled_meeting, polisen, polis_coordinator, "Punkt", accept_by=(kommun_coordinator, kommun))
    before = Meeting.objects.get(pk=scheduled_meeting.pk).sequence

    mark(item, polis_coordinator, polisen)

    assert Meeting.objects.get(pk=scheduled_meeting.pk).sequence == before + 1


def test_a_replacing_document_and_a_copied_meeting_keep_the_marking(
    meeting, item, polisen, kommun, polis_member, kommun_coordinator
):
    document = attach(item, polisen, polis_member, "PM.txt", b"1\n")
    mark(document, polis_member, polisen)
    mark(item, kommun_coordinator, kommun, marking=Secrecy.REVIEW, provision="")

    replacing = agenda.attach_document(
        item=item,
        party=polisen,
        by=polis_member,
        upload=ContentFile(b"2\n", name="PM2.txt"),
        content_type="text/plain",
        sha256=hashlib.sha256(b"2\n").hexdigest(),
        replaces=document,
    )
    assert (replacing.secrecy, replacing.secrecy_provision, replacing.secrecy_marked_by) == (
        Secrecy.COVERED,
        OSL,
        polis_member,
    )

    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Flyttas")
    copy = copies.copy_to_new_draft(meeting=meeting, by=kommun_coordinator, party=kommun)
    copied = copy.agenda_items.get(title=item.title)
    assert copied.secrecy == Secrecy.REVIEW
    assert Document.objects.get(agenda_item=copied).secrecy == Secrecy.COVERED


# The form.


def test_the_form_marks_and_goes_back_to_the_item(client, item, polisen, polis_secretary):
    client.force_login(polis_secretary)
    url = reverse("secrecy_item", args=[item.meeting_id, item.pk])

    page = client.get(url)
    response = client.post(url, {"secrecy": "covered", "provision": OSL, "base_version": "0"})

    assert page.status_code == 200 and 'name="secrecy"' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda_item_detail", args=[item.meeting_id, item.pk])
    assert AgendaItem.objects.get(pk=item.pk).secrecy_marked_by == polis_secretary


def test_covered_without_a_provision_is_asked_again(client, item, polis_secretary):
    client.force_login(polis_secretary)
    url = reverse("secrecy_item", args=[item.meeting_id, item.pk])

    response = client.post(url, {"secrecy": "covered", "provision": "", "base_version": "0"})

    assert response.status_code == 200
    assert "OSL 18 kap. 1 §" in response.content.decode()
    assert AgendaItem.objects.get(pk=item.pk).secrecy == ""


def test_no_choice_at_all_is_refused_rather_than_taken_as_unmarking(client, item, polisen, polis_secretary):
    mark(item, polis_secretary, polisen)
    client.force_login(polis_secretary)

    response = client.post(reverse("secrecy_item", args=[item.meeting_id, item.pk]), {"base_version": "1"})

    assert response.status_code == 200
    assert AgendaItem.objects.get(pk=item.pk).secrecy == Secrecy.COVERED


def test_a_stale_form_shows_the_marking_as_it_is_and_keeps_the_choice(
    client, item, polisen, polis_secretary, polis_coordinator
):
    client.force_login(polis_secretary)
    url = reverse("secrecy_item", args=[item.meeting_id, item.pk])
    mark(item, polis_coordinator, polisen, marking=Secrecy.REVIEW, provision="")

    response = client.post(url, {"secrecy": "covered", "provision": OSL, "base_version": "0"})

    page = response.content.decode()
    assert response.status_code == 409
    assert "Sekretessprövas" in page and 'value="1"' in page and OSL in page
    assert AgendaItem.objects.get(pk=item.pk).secrecy == Secrecy.REVIEW
    assert client.post(url, {"secrecy": "covered", "provision": OSL, "base_version": "1"}).status_code == 302


# Wherever the record is shown.


@pytest.fixture
def marked(item, polisen, polis_member, polis_coordinator):
    """The item, a shared position on it and a document on the item, each marked."""
    position = agenda.save_position(item=item, party=polisen, by=polis_member, text=f"Text {TOKEN}", base_version=0)
    position = agenda.set_position_shared(position=position, by=polis_member, shared=True)
    document = attach(item, polisen, polis_member, f"{TOKEN}-pm.txt", f"{TOKEN}\n".encode())
    mark(item, polis_coordinator, polisen)
    mark(position, polis_member, polisen, marking=Secrecy.REVIEW, provision="OSL 15 kap. 1 §")
    mark(document, polis_member, polisen, marking=Secrecy.REVIEW, provision="")
    return item, Position.objects.get(pk=position.pk), Document.objects.get(pk=document.pk)


POSITION_MARK = "Sekretessprövas (OSL 15 kap. 1 §)"


def texts_in(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_meeting_page_the_item_page_and_the_versions_show_each_marking(
    client, marked, polis_member, kommun_coordinator
):
    item, position, document = marked
    client.force_login(kommun_coordinator)
    meeting_page = texts_in(client.get(reverse("meeting_detail", args=[item.meeting_id])).content.decode())
    item_page = client.get(reverse("agenda_item_detail", args=[item.meeting_id, item.pk])).content.decode()
    versions = client.get(reverse("position_versions", args=[item.meeting_id, position.pk])).content.decode()

    for page in (meeting_page, texts_in(item_page)):
        assert COVERED in page and POSITION_MARK in page and page.count("Sekretessprövas") >= 2
    assert f"markerad av {item.secrecy_marked_by_name}" in texts_in(item_page)
    assert POSITION_MARK in texts_in(versions)
    # The convener may mark the item, not the police's position or document.
    assert reverse("secrecy_item", args=[item.meeting_id, item.pk]) in item_page
    assert reverse("secrecy_position", args=[item.meeting_id, position.pk]) not in item_page
    assert reverse("secrecy_document", args=[item.meeting_id, document.pk]) not in item_page
    client.force_login(polis_member)
    own = client.get(reverse("agenda_item_detail", args=[item.meeting_id, item.pk])).content.decode()
    assert reverse("secrecy_position", args=[item.meeting_id, position.pk]) in own
    assert reverse("secrecy_document", args=[item.meeting_id, document.pk]) in own
    assert reverse("secrecy_item", args=[item.meeting_id, item.pk]) not in own


def test_the_kallelse_and_its_pdf_show_each_marking(client, marked, kommun_coordinator):
    item = marked[0]
    client.force_login(kommun_coordinator)

    page = texts_in(client.get(reverse("kallelse", args=[item.meeting_id])).content.decode())

    assert COVERED in page and POSITION_MARK in page and "(Sekretessprövas)" in page
    pdf_module()
    response = client.get(reverse("kallelse_pdf", args=[item.meeting_id]))
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert COVERED in text and POSITION_MARK in text and "(Sekretessprövas)" in text


def test_the_guest_page_shows_each_marking(client, marked, polisen, polis_coordinator):
    item = marked[0]
    guest = guests.add_guest(
        meeting=item.meeting, party=polisen, by=polis_coordinator, name="Eva Expert", email="eva@expert.example"
    )
    session = SessionStore()
    session[GUEST_KEY] = guest.pk
    session.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    page = texts_in(client.get(reverse("guest_meeting")).content.decode())

    assert COVERED in page and POSITION_MARK in page and "Sekretessprövas" in page
    assert "Sekretessmarkera" not in page


def test_the_diarium_manifest_gives_each_record_s_marking(marked, polisen, polis_secretary):
    item = marked[0]
    meeting = Meeting.objects.for_kallelse().get(pk=item.meeting_id)
    with translation.override("sv"):
        package = diarium.diarium_package(meeting=meeting, party=polisen, by=polis_secretary, kallelse=("k.html", b""))
        b"".join(package.stream())
        rows = {row["title"]: row["secrecy"] for row in package.manifest_rows()}
    assert rows[f"{TOKEN}-pm.txt"] == "Sekretessprövas"
    assert rows[f"Kallelse: {item.meeting.title}"] == "innehåller sekretessmarkerade handlingar"
    assert rows[f"Ståndpunkt från Polismyndigheten om {item.title}"] == POSITION_MARK


# Nothing of a marked record leaves Samråd: every mail, calendar file and the feed of a meeting's life.


def without_token(texts):
    return [text[:200] for text in texts if TOKEN.lower() in text.lower()]


def mail_parts(received):
    """Every part of a message as it arrived, decoded: bodies, the calendar, and the names of attachments."""
    message = email.message_from_bytes(received.raw, policy=email.policy.default)
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append(
            part.get_content() if part.get_content_maintype() == "text" else part.get_payload(decode=True).decode()
        )
        parts.append(part.get_filename() or "")
    return parts


def test_nothing_of_a_marked_record_leaves_samrad_in_mail_calendars_or_the_feed(
    client,
    smtp_server,
    draft_meeting,
    kommun,
    lansstyrelsen,
    polisen,
    kommun_coordinator,
    lansstyrelsen_coordinator,
    lansstyrelsen_secretary,
    polis_coordinator,
    polis_member,
):
    """Opened, answered, confirmed, moved and cancelled, with an item, a position and documents marked, their
    texts holding TOKEN: no mail (sent through a strict SMTP server), no calendar file and no feed holds it;
    each gives the item's title with its marking."""
    # Opened for answers once everyone is there, so that the police's people hear of it.
    meeting = meetings.open_polling(meeting=draft_meeting, by=kommun_coordinator, party=kommun)
    # The conveners hear of the police's agenda item and position: the municipality at once, the county board in
    # the digest. The police's member keeps the times free in their calendar.
    notices.choose_delivery(
        user=kommun_coordinator,
        choices={NoticeKind.AGENDA_PROPOSED: "immediately", NoticeKind.POSITION_SHARED: "immediately"},
    )
    holds.hold_times(meeting=meeting, user=polis_member)
    client.force_login(polis_member)
    downloads = [body_of(client.get(reverse("holds_ics", args=[meeting.pk])))]
    # The police's item, accepted and marked; its document marked; a draft position marked, then shared.
    item = add_item(
        meeting,
        polisen,
        polis_coordinator,
        "Kameror för brottsutredning",
        accept_by=(kommun_coordinator, kommun),
        description=f"Placeringar: {TOKEN}",
    )
    mark(item, polis_coordinator, polisen)
    document = attach(item, polisen, polis_member, f"{TOKEN}-placeringar.txt", f"Innehåll {TOKEN}\n".encode())
    mark(document, polis_member, polisen, marking=Secrecy.REVIEW, provision="")
    position = agenda.save_position(item=item, party=polisen, by=polis_member, text=f"Vi {TOKEN}", base_version=0)
    mark(position, polis_member, polisen)
    attach(item, polisen, polis_member, f"bilaga-{TOKEN}.txt", f"{TOKEN}\n".encode(), position=position)
    agenda.set_position_shared(position=position, by=polis_member, shared=True)
    # The police are reminded, then everyone answers; two attendees named, a guest added.
    reminders.remind_by_hand(
        meeting=Meeting.objects.for_meeting_page().get(pk=meeting.pk), by=kommun_coordinator, party=kommun
    )
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member)
    for party, user in ((polisen, polis_member), (kommun, kommun_coordinator)):
        attendance.name_attendee(
            meeting=meeting, party=party, by=user, user=user, name=user.first_name, email=user.email
        )
    guest = guests.add_guest(meeting=meeting, party=polisen, by=polis_coordinator, name="Eva", email="eva@gast.example")
    # Confirmed (invitations, holds released), the marked item edited, moved (the update), the digest.
    slots = list(meeting.slots.order_by("start"))
    meetings.confirm_slot(meeting=meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    agenda.edit_agenda_item(
        item=item,
        party=polisen,
        by=polis_coordinator,
        title=item.title,
        description=f"Nya placeringar: {TOKEN}",
        presenting_party=None,
        planned_minutes=20,
    )
    meetings.reschedule(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Krockar", slot=slots[1])
    notices.send_due_digests(timezone.now() + notices.digest_interval())
    # The calendar files a person downloads: the meeting's, a guest's, and the feed.
    downloads.append(body_of(client.get(reverse("meeting_ics", args=[meeting.pk]))))
    session = SessionStore()
    session[GUEST_KEY] = guest.pk
    session.create()
    guest_client = Client()
    guest_client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    downloads.append(body_of(guest_client.get(reverse("guest_ics"))))
    token = feeds.new_feed_token(polis_member)
    downloads.append(body_of(client.get(reverse("feed", args=[token]))))
    # The meeting is held; an action on the marked item overdue; then the meeting is cancelled after all.
    meeting.refresh_from_db()
    Slot.objects.filter(pk=meeting.confirmed_slot_id).update(
        start=timezone.now() - datetime.timedelta(days=2), end=timezone.now() - datetime.timedelta(days=2, hours=-2)
    )
    minutes.add_action(
        meeting=meeting,
        item=item,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        what=f"Besluta om placeringarna {TOKEN}",
        owner_party=kommun,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    minutes.send_overdue_action_reminders(timezone.localdate())
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Ersätts")

    queued = list(OutboxMessage.objects.all())
    send_everything()

    kinds = {message.kind for message in queued}
    Kind = OutboxMessage.Kind
    assert {
        Kind.OPEN_FOR_ANSWERS,
        Kind.AGENDA_PROPOSED,
        Kind.POSITION_SHARED,
        Kind.NOTICE_DIGEST,
        Kind.REMINDER,
        Kind.GUEST_LINK,
        Kind.INVITATION,
        Kind.UPDATE,
        Kind.HOLDS_RELEASED,
        Kind.ACTION_OVERDUE,
        Kind.CANCELLATION,
    } <= kinds
    stored = [getattr(message, name) for message in queued for name in ("subject", "text", "html", "calendar")]
    assert without_token(stored) == []
    assert len(smtp_server.received) >= len(queued)
    sent = [part for received in smtp_server.received for part in mail_parts(received)]
    assert without_token(sent) == []
    assert without_token([received.raw.decode("utf-8", "replace") for received in smtp_server.received]) == []
    # Nothing is attached but the invitation's own calendar file.
    attachments = {
        part.get_filename()
        for received in smtp_server.received
        for part in email.message_from_bytes(received.raw, policy=email.policy.default).walk()
        if part.get_filename()
    }
    assert attachments <= {"invite.ics"}
    assert without_token(downloads) == []
    # What does leave: the item's title with its marking, in the invitation, its calendar, the feed, the notices.
    invitation = next(m for m in queued if m.kind == Kind.INVITATION)
    assert f"Kameror för brottsutredning – {COVERED}" in invitation.text
    assert f"Kameror för brottsutredning – {COVERED}" in invitation.calendar.replace("\r\n ", "").replace("\\", "")
    assert f"Kameror för brottsutredning – {COVERED}" in downloads[-1].replace("\\", "")
    shared = next(m for m in queued if m.kind == Kind.POSITION_SHARED)
    assert f"Ståndpunkten är markerad: {COVERED}." in shared.text
    digest = next(m for m in queued if m.kind == Kind.NOTICE_DIGEST)
    assert f"Dagordningspunkten är markerad: {COVERED}." in digest.text
    overdue = next(m for m in queued if m.kind == Kind.ACTION_OVERDUE)
    assert "Kameror för brottsutredning" in overdue.text and COVERED in overdue.text


def test_a_digest_written_after_a_marking_gives_it(
    meeting, polisen, kommun, polis_coordinator, kommun_coordinator, lansstyrelsen_coordinator
):
    """A notice waiting for the digest names its record: the digest reads the marking as it is when written. A
    mail already written (at once) keeps what it had, the title alone, which is all any mail gives of it."""
    notices.choose_delivery(user=kommun_coordinator, choices={NoticeKind.AGENDA_PROPOSED: "immediately"})
    item = agenda.propose_agenda_item(
        meeting=meeting, party=polisen, by=polis_coordinator, title="Resurser", description=f"Siffror {TOKEN}"
    )
    at_once = OutboxMessage.objects.get(kind=OutboxMessage.Kind.AGENDA_PROPOSED)
    mark(item, polis_coordinator, polisen)

    notices.send_due_digests(timezone.now() + notices.digest_interval())

    digest = OutboxMessage.objects.get(kind=OutboxMessage.Kind.NOTICE_DIGEST, recipient=lansstyrelsen_coordinator.email)
    assert f"Dagordningspunkten är markerad: {COVERED}." in digest.text
    assert "Resurser" in at_once.text and "markerad" not in at_once.text
    assert without_token([at_once.text, at_once.html, digest.text, digest.html]) == []

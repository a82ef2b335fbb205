"""Guests by personal link: added by a party's coordinator, let in by the link and a mailed code, read only
what every party sees, answer only if allowed; expired, revoked, tampered and locked links refused clearly.
"""

import datetime
import logging
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coordination import rules
from coordination.models import Answer, Event, Guest, OutboxMessage, Slot
from coordination.services import guests, meetings
from coordination.services.guests import GuestRefused
from coordination.views.guests import REMEMBER_COOKIE

from .agenda_support import THINGS, body_of
from .builders import answer_data

Kind = OutboxMessage.Kind
SECURITY = "samrad.security"


def mail_to(address, kind):
    return OutboxMessage.objects.filter(recipient=address, kind=kind).latest("pk")


def link_path(guest):
    return urlsplit(re.search(r"https?://\S+", mail_to(guest.email, Kind.GUEST_LINK).text).group()).path


def mailed_code(guest):
    return re.search(r"^(\d{6})$", mail_to(guest.email, Kind.GUEST_CODE).text, re.MULTILINE).group(1)


def main_of(response):
    """The page's own content, without the header (its CSRF token differs from one answer to the next)."""
    return re.search(r"<main.*</main>", response.content.decode(), re.DOTALL).group()


def add(meeting, party, by, *, name="Eva Expert", email="eva@expert.example", may_answer=False):
    return guests.add_guest(meeting=meeting, party=party, by=by, name=name, email=email, may_answer=may_answer)


def sign_in(client, guest):
    """The whole way in: the link, the button that mails the code, the code."""
    path = link_path(guest)
    assert client.get(path).status_code == 200
    assert client.post(path)["Location"] == reverse("guest_code")
    response = client.post(reverse("guest_code"), {"code": mailed_code(guest)})
    assert response.status_code == 302 and response["Location"] == reverse("guest_meeting")
    return response


@pytest.fixture
def guest(scheduled_meeting, polisen, polis_coordinator):
    return add(scheduled_meeting, polisen, polis_coordinator)


@pytest.fixture
def answering_guest(meeting, polisen, polis_coordinator):
    return add(meeting, polisen, polis_coordinator, name="Ali Ersättare", email="ali@polisen.example", may_answer=True)


# Adding, the mail, the list on the meeting page, revoking.


def test_a_coordinator_adds_a_guest_who_gets_a_swedish_mail_with_the_link(
    client, scheduled_meeting, polisen, polis_coordinator
):
    client.force_login(polis_coordinator)
    url = reverse("guest_add", args=[scheduled_meeting.pk, polisen.pk])
    data = {"name": "Eva Expert", "email": "eva@expert.example", "may_answer": ""}
    response = client.post(url, data)
    assert response.status_code == 302
    guest = Guest.objects.get()
    assert (guest.party, guest.may_answer, guest.added_by) == (polisen, False, polis_coordinator)
    message = mail_to("eva@expert.example", Kind.GUEST_LINK)
    assert message.subject == f"Du är inbjuden som gäst: {scheduled_meeting.title}"
    assert f"{polis_coordinator.get_full_name()} på Polisen har bjudit in dig" in message.text
    assert "Länken gäller till" in message.text
    assert "svara för parten" not in message.text
    # Only the hash of the link is kept.
    token = link_path(guest).rstrip("/").rsplit("/", 1)[1]
    assert token not in guest.link_hash and len(guest.link_hash) == 64
    event = Event.objects.get(action=Event.Action.GUEST_ADDED)
    assert event.private and event.party == polisen
    page = client.get(reverse("meeting_detail", args=[scheduled_meeting.pk])).content.decode()
    assert "Eva Expert" in page and reverse("guest_revoke", args=[scheduled_meeting.pk, guest.pk]) in page


def test_the_guests_of_a_party_are_not_listed_to_another_party(
    client, guest, scheduled_meeting, kommun_coordinator, polis_member
):
    for user in (kommun_coordinator, polis_member):
        client.force_login(user)
        assert "Eva Expert" not in client.get(reverse("meeting_detail", args=[scheduled_meeting.pk])).content.decode()


def test_revoking_ends_the_link_and_the_open_session_at_once(client, guest, polis_coordinator, caplog):
    sign_in(client, guest)
    assert client.get(reverse("guest_meeting")).status_code == 200
    coordinator = Client()
    coordinator.force_login(polis_coordinator)
    url = reverse("guest_revoke", args=[guest.meeting_id, guest.pk])
    assert "Återkalla" in coordinator.get(url).content.decode()
    with caplog.at_level(logging.INFO, logger=SECURITY):
        assert coordinator.post(url).status_code == 302
    assert f"guest_revoked by_user_id={polis_coordinator.pk} guest_id={guest.pk}" in caplog.text
    response = client.get(reverse("guest_meeting"))
    assert response.status_code == 410 and "återkallat länken" in response.content.decode()
    assert client.get(link_path(guest)).status_code == 410
    assert Event.objects.filter(action=Event.Action.GUEST_REVOKED).count() == 1


# The way in.


def test_the_link_opened_by_a_get_sends_no_code(client, guest):
    """Mail scanners open every link in a mail: only the button mails a code."""
    client.get(link_path(guest))
    assert not OutboxMessage.objects.filter(kind=Kind.GUEST_CODE).exists()


def test_the_code_lets_the_guest_in_and_the_browser_is_remembered_for_that_guest_only(
    client, guest, settings, caplog, polisen, polis_coordinator
):
    settings.SESSION_COOKIE_SECURE = True
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = sign_in(client, guest)
    cookie = response.cookies[REMEMBER_COOKIE]
    assert cookie["httponly"] and cookie["secure"]
    assert 0 < int(cookie["max-age"]) <= (guest.valid_until - timezone.now()).total_seconds()
    assert f"guest_code_sent guest_id={guest.pk}" in caplog.text
    assert f"guest_signed_in guest_id={guest.pk}" in caplog.text
    assert mailed_code(guest) not in caplog.text
    # A new session in the same browser: the link opens the meeting without a new code.
    client.cookies.pop("sessionid")
    codes = OutboxMessage.objects.filter(kind=Kind.GUEST_CODE).count()
    assert client.get(link_path(guest))["Location"] == reverse("guest_meeting")
    assert OutboxMessage.objects.filter(kind=Kind.GUEST_CODE).count() == codes
    # The same browser with another guest's link must still get a code.
    other = add(guest.meeting, polisen, polis_coordinator, name="Bo Biträde", email="bo@polisen.example")
    assert client.get(link_path(other)).status_code == 200


def test_a_used_code_does_not_work_again(client, guest):
    sign_in(client, guest)
    code = mailed_code(guest)
    other = Client()
    other.post(link_path(guest))
    # The second browser got a new code; the first code is spent (and was replaced anyway).
    response = other.post(reverse("guest_code"), {"code": code})
    assert response.status_code == 200 and "inte rätt" in response.content.decode()
    other.post(reverse("guest_code"), {"code": mailed_code(guest)})
    again = Client()
    again.post(link_path(guest))
    Guest.objects.filter(pk=guest.pk).update(code_hash="")  # as after its use
    response = again.post(reverse("guest_code"), {"code": mailed_code(guest)})
    assert response.status_code == 410 and "redan använts" in response.content.decode()


def test_a_code_expires(client, guest):
    client.post(link_path(guest))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        response = client.post(reverse("guest_code"), {"code": mailed_code(guest)})
    assert response.status_code == 410 and "för gammal" in response.content.decode()


def test_too_many_wrong_codes_lock_the_link_for_a_while(client, guest, settings, caplog):
    client.post(link_path(guest))
    code = mailed_code(guest)
    wrong = "000000" if code != "000000" else "111111"
    with caplog.at_level(logging.INFO, logger=SECURITY):
        for _ in range(settings.GUEST_CODE_ATTEMPTS - 1):
            assert client.post(reverse("guest_code"), {"code": wrong}).status_code == 200
        locked = client.post(reverse("guest_code"), {"code": wrong})
    assert locked.status_code == 429 and "Vänta 15 minuter" in locked.content.decode()
    assert "guest_refused reason=locked" in caplog.text
    # Locked: even the right code and a new code are refused, from any browser.
    assert Client().post(link_path(guest)).status_code == 429
    assert not OutboxMessage.objects.filter(kind=Kind.GUEST_CODE).exclude(text__contains=code).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=settings.GUEST_LOCK_MINUTES, seconds=1)):
        sign_in(Client(), guest)


def test_a_tampered_link_and_an_unknown_one_get_the_same_page(client, guest):
    path = link_path(guest)
    tampered = client.get(path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:])
    unknown = client.get(reverse("guest_link", args=["x" * 43]))
    assert tampered.status_code == unknown.status_code == 404
    assert main_of(tampered) == main_of(unknown)
    assert "inte giltig" in unknown.content.decode()


def test_an_expired_link_and_session_are_refused_clearly(client, guest, settings):
    assert guest.valid_until == guest.meeting.confirmed_slot.end + datetime.timedelta(
        days=settings.GUEST_LINK_DAYS_AFTER
    )
    path = link_path(guest)
    with time_machine.travel(guest.valid_until + datetime.timedelta(seconds=1)):
        response = client.get(path)
        assert response.status_code == 410 and "har slutat gälla" in response.content.decode()
    # An open session ends with the link. Sessions idle out within hours, so the link's end is brought near.
    sign_in(client, guest)
    settings.GUEST_LINK_DAYS_AFTER = 0
    Slot.objects.filter(pk=guest.meeting.confirmed_slot_id).update(
        start=timezone.now() - datetime.timedelta(hours=3), end=timezone.now() - datetime.timedelta(hours=1)
    )
    response = client.get(reverse("guest_meeting"))
    assert response.status_code == 410 and "har slutat gälla" in response.content.decode()


def test_guest_pages_without_a_guest_ask_for_the_link(client, polis_member):
    member = Client()
    member.force_login(polis_member)
    for browser in (client, member):
        response = browser.get(reverse("guest_meeting"))
        assert response.status_code == 403 and "personliga länken" in response.content.decode()


# What a guest sees and may do.


@pytest.mark.usefixtures("english")
def test_a_guest_sees_what_every_party_sees_of_the_accepted_agenda_and_nothing_else(
    client, scenario, polisen, polis_coordinator
):
    guest = add(scenario.meeting, polisen, polis_coordinator)
    sign_in(client, guest)
    page = body_of(client.get(reverse("guest_meeting")))
    for thing in THINGS:
        assert (thing.marker in page) == thing.in_kallelse, thing.key
        if thing.document_attr:
            document = getattr(scenario, thing.document_attr)
            response = client.get(reverse("guest_document", args=[document.pk]))
            assert response.status_code == (200 if thing.in_kallelse else 404), thing.key
            assert (thing.content in b"".join(getattr(response, "streaming_content", [b""]))) == thing.in_kallelse
    ics = client.get(reverse("guest_ics"))
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content


def test_a_guest_is_no_user_everywhere_else(client, guest):
    sign_in(client, guest)
    for url in (
        reverse("meeting_detail", args=[guest.meeting_id]),
        reverse("event_log", args=[guest.meeting_id]),
        reverse("my_meetings"),
        reverse("account"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_a_guest_answers_for_the_party_only_when_allowed(client, answering_guest, meeting, polisen, polis_coordinator):
    sign_in(client, answering_guest)
    response = client.post(reverse("guest_answer"), answer_data(meeting, value="if_need_be", comment="Kanske"))
    assert response.status_code == 302
    answers = Answer.objects.filter(slot__meeting=meeting, party=polisen)
    assert {a.value for a in answers} == {"if_need_be"} and all(a.answered_by is None for a in answers)
    assert Event.objects.filter(action=Event.Action.ANSWER_GIVEN, actor_name="Ali Ersättare (gäst)").exists()
    reader = Client()
    sign_in(reader, add(meeting, polisen, polis_coordinator))
    assert reader.get(reverse("guest_answer")).status_code == 403


# The rules.


def test_the_rules_of_guests(answering_guest, meeting, polisen, kommun, polis_coordinator, polis_member):
    access = rules.MeetingAccess.for_guest(answering_guest)
    assert rules.can_read_as_guest(access)
    assert rules.can_answer_for(access, polisen.pk) and not rules.can_answer_for(access, kommun.pk)
    assert not any(value for key, value in access.rights().items() if key != "answer_party_ids")
    assert rules.answerable_party_ids(access) == []  # a guest's answer page is their own, not the party list's
    coordinator = rules.MeetingAccess.for_user(polis_coordinator, meeting)
    member = rules.MeetingAccess.for_user(polis_member, meeting)
    assert rules.can_add_guest_for(coordinator, polisen.pk) and not rules.can_add_guest_for(coordinator, kommun.pk)
    assert not rules.can_add_guest_for(member, polisen.pk)
    assert rules.can_revoke_guest(coordinator, answering_guest) and not rules.can_revoke_guest(member, answering_guest)


def test_no_guest_is_added_to_a_draft_or_a_meeting_that_is_over(
    draft_meeting, meeting, polisen, kommun, kommun_coordinator, polis_coordinator
):
    assert not rules.can_add_guest_for(rules.MeetingAccess.for_user(kommun_coordinator, draft_meeting), kommun.pk)
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Behövs inte")
    meeting.refresh_from_db()
    assert not rules.can_add_guest_for(rules.MeetingAccess.for_user(polis_coordinator, meeting), polisen.pk)
    with pytest.raises(guests.RuleError):
        add(meeting, polisen, polis_coordinator)


def test_check_code_refuses_without_a_code(guest):
    with pytest.raises(GuestRefused) as refused:
        guests.check_code(guest, "123456")
    assert refused.value.reason == GuestRefused.NO_CODE
    assert Guest.objects.get(pk=guest.pk).failed_codes == 1


def test_a_guest_whose_party_leaves_the_meeting_is_refused_clearly(client, guest, kommun, kommun_coordinator):
    sign_in(client, guest)
    meeting = guest.meeting
    meetings.save_meeting(
        meeting=meeting,
        by=kommun_coordinator,
        party=kommun,
        details={name: getattr(meeting, name) for name in meetings.DETAIL_FIELDS},
        convening=set(inv.party for inv in meeting.invitations.filter(role="convening")),
        required=set(),
        optional=set(),
    )
    for response in (client.get(reverse("guest_meeting")), client.get(link_path(guest))):
        assert response.status_code == 410 and "deltar inte längre" in response.content.decode()

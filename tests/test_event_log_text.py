"""Every kind of event reads as a sentence, from the data the real services write, with nothing raw in it."""

import datetime
import hashlib
import io
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from coordination import eventlog_text
from coordination.models import (
    AgendaItem,
    Answer,
    Attendee,
    Event,
    Invitation,
    Meeting,
    OutboxMessage,
    Party,
    Position,
    Secrecy,
)
from coordination.services import (
    agenda,
    answer_export,
    attendance,
    copies,
    diarium,
    eventlog,
    guests,
    meetings,
    minutes,
    people,
    reminders,
    replies,
    review,
    secrecy,
)
from coordination.services.delivery import correct_and_resend

from .builders import future_time

# Choice codes that must never reach a reader: each kind of event, and the stored values of every choice.
CODES = {
    choice
    for choices in (
        Event.Action,
        Answer.Value,
        Attendee.Kind,
        Attendee.Status,
        Attendee.Rsvp,
        Position.State,
        Invitation.Role,
        Meeting.Status,
        AgendaItem.Status,
        Secrecy,
    )
    for choice in choices.values
}
# In English the stored codes are English words too ("held", "principal"): there only the other patterns apply.
RAW = [
    (re.compile(r"[\[\]{}]"), "a list or a dictionary"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "an ISO date"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "a SHA-256 checksum"),
    (re.compile(r"\b(None|True|False)\b"), "a Python value"),
    (re.compile(r"\b({})\b".format("|".join(re.escape(code) for code in CODES))), "a stored code"),
]


def raw_values(text, language="sv"):
    patterns = RAW if language == "sv" else RAW[:-1]
    return [(why, match.group(0)) for pattern, why in patterns for match in [pattern.search(text)] if match]


@pytest.fixture
def lived_log(db):
    """The demo, and then the dialogue lived on through the services until every kind of event is in its log."""
    call_command("load_demo", stdout=io.StringIO())
    users = {user.username: user for user in get_user_model().objects.all()}
    kommun, lst, polisen = (Party.objects.get(short_name=name) for name in ("Kommunen", "Länsstyrelsen", "Polisen"))
    coordinator, secretary = users["kommun.samordnare"], users["lst.sekreterare"]
    dialogue = Meeting.objects.get(title="Dialog om utökat samarbete")
    slots = list(dialogue.slots.order_by("start"))
    # Answers changed, a time added and one withdrawn, the police reminded.
    meetings.answer_slots(
        meeting=dialogue,
        party=polisen,
        by=users["polis.samordnare"],
        answers={slots[0].pk: (Answer.Value.IF_NEED_BE, "Om rikspolischefen hinner tillbaka")},
    )
    late = meetings.propose_slots(meeting=dialogue, party=kommun, by=coordinator, times=[future_time(40)])[0]
    reminders.remind_by_hand(
        meeting=Meeting.objects.for_meeting_page().get(pk=dialogue.pk), by=coordinator, party=kommun
    )
    meetings.withdraw_slot(slot=late, by=coordinator, party=kommun)
    dialogue.refresh_from_db()
    details = {name: getattr(dialogue, name) for name in meetings.DETAIL_FIELDS}
    meetings.save_meeting(
        meeting=dialogue,
        by=coordinator,
        party=kommun,
        details={
            **details,
            "location": "Länsstyrelsen, Hamnesplanaden 3",
            "duration_minutes": 90,
            "answer_deadline": details["answer_deadline"] + datetime.timedelta(days=2),
        },
        convening={kommun, lst},
        required=set(),
        optional={polisen},
    )
    # A new party brought in, and taken off again.
    people.bring_in_new_party(
        request=None,
        meeting=dialogue,
        by=coordinator,
        acting_party=kommun,
        name="Brottsförebyggande rådet",
        short_name="Brå",
        person="Lind, Åsa",
        email="asa.lind@bra.example",
    )
    meetings.save_meeting(
        meeting=dialogue,
        by=coordinator,
        party=kommun,
        details={},
        convening={kommun, lst},
        required={polisen},
        optional=set(),
    )
    # The agenda: edited, declined, moved; a position withdrawn; a document replaced.
    items = {item.title: item for item in dialogue.agenda_items.all()}
    gottsunda = items["Lokalt poliskontor i Gottsunda"]
    agenda.edit_agenda_item(
        item=gottsunda,
        party=kommun,
        by=coordinator,
        title=gottsunda.title + " och Valsätra",
        description=gottsunda.description,
        presenting_party=gottsunda.presenting_party,
        planned_minutes=30,
    )
    agenda.decline_agenda_item(
        item=items["Polisens nationella resursfördelning 2027"],
        party=kommun,
        by=coordinator,
        reason="Tas på nästa möte",
    )
    agenda.move_agenda_item(item=gottsunda, party=kommun, by=coordinator, step=-1)
    position = Position.objects.get(agenda_item=gottsunda, party=kommun)
    document = position.documents.get()
    content = b"Underlag, reviderat"
    revised = agenda.attach_document(
        item=gottsunda,
        position=position,
        party=kommun,
        by=coordinator,
        upload=ContentFile(content, name="Underlag reviderat.txt"),
        content_type="text/plain",
        sha256=hashlib.sha256(content).hexdigest(),
        replaces=document,
    )
    # Secrecy: the item covered, the position under review while shared, the document marked and unmarked.
    osl = "OSL 18 kap. 1 §"
    secrecy.mark_secrecy(record=gottsunda, party=kommun, by=coordinator, secrecy=Secrecy.COVERED, provision=osl)
    secrecy.mark_secrecy(record=position, party=kommun, by=coordinator, secrecy=Secrecy.REVIEW)
    secrecy.mark_secrecy(record=revised, party=kommun, by=coordinator, secrecy=Secrecy.REVIEW, provision=osl)
    secrecy.mark_secrecy(record=revised, party=kommun, by=coordinator, secrecy="")
    agenda.set_position_shared(position=position, by=coordinator, shared=False)
    # A guest for the police, and the link revoked; a registration number.
    police_coordinator = users["polis.samordnare"]
    expert = guests.add_guest(
        meeting=dialogue, party=polisen, by=police_coordinator, name="Ekström, Eva", email="eva@expert.example"
    )
    guests.revoke_guest(guest=expert, by=police_coordinator, party=polisen)
    meetings.set_registration_number(meeting=dialogue, party=lst, by=secretary, number="LST 2026-1234")
    # Confirmed, an attendee confirmed, answered from the calendar; an address corrected; moved, and back to polling.
    chief = dialogue.attendees.get()
    answered = [slot for slot in slots if not slot.answers.filter(value=Answer.Value.NO).exists()]
    meetings.confirm_slot(meeting=dialogue, slot=answered[0], by=coordinator, party=kommun)
    attendance.confirm_attendance(attendee=chief, by=secretary, party=lst)
    attendance.undo_confirmation(attendee=chief, by=secretary, party=lst)
    attendance.confirm_attendance(attendee=chief, by=secretary, party=lst)
    replies._record_answer(chief, Attendee.Rsvp.TENTATIVE, "Beroende på flyget från Bryssel")
    invite = OutboxMessage.objects.filter(meeting=dialogue, recipient=chief.email).latest("pk")
    OutboxMessage.objects.filter(pk=invite.pk).update(
        failed_at=timezone.now(), failure=OutboxMessage.Failure.UNREACHABLE
    )
    invite.refresh_from_db()
    correct_and_resend(message=invite, email="rikspolischefen@polisen.example", by=coordinator, party=kommun)
    meetings.reschedule(
        meeting=dialogue, by=coordinator, party=kommun, reason="Landshövdingen är bortrest", slot=answered[1]
    )
    meetings.reschedule(meeting=dialogue, by=coordinator, party=kommun, reason="Vi behöver fler tider")
    attendance.remove_attendee(attendee=dialogue.attendees.get(), by=police_coordinator)
    eventlog.export_event_log(meeting=dialogue, party=lst, by=secretary, file_format="csv")
    diarium.diarium_package(meeting=dialogue, party=lst, by=secretary, kallelse=("kallelse.html", b"<p>Kallelse</p>"))
    answer_export.export_answers(meeting=dialogue, party=kommun, by=coordinator, file_format="xlsx")
    # The earlier meeting is held, the dialogue in the end cancelled.
    earlier = Meeting.objects.get(title="Avstämning inför dialogen om Gottsunda")
    topic = agenda.propose_agenda_item(meeting=earlier, party=kommun, by=coordinator, title="Lägesbild Gottsunda")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=14)):
        meetings.mark_held(meeting=earlier, by=coordinator, party=kommun)
        # Its minutes: a minute-taker of the police, the text of the item, who was there, an agreement with the
        # municipality's decision on it, and an action dropped.
        by = {"meeting": earlier, "party": lst, "by": secretary}
        minutes.name_minute_taker(meeting=earlier, party=kommun, by=coordinator, user=police_coordinator)
        minutes.save_entry(**by, item=topic, text="- Läget i Gottsunda", base_version=0)
        confirmed = earlier.attendees.filter(status=Attendee.Status.CONFIRMED)
        minutes.record_presence(**by, present_ids=[confirmed.first().pk])
        minutes.add_present_person(**by, name="Lind, Åsa", person_party=polisen)
        agreement = minutes.add_agreement(**by, item=topic, text="En gemensam lägesbild", parties=[kommun, polisen])
        minutes.record_decision(
            agreement=agreement,
            party=kommun,
            by=coordinator,
            body="kommunstyrelsen",
            decided_on=timezone.localdate(),
            registration_number="KS 2026/12",
        )
        action = minutes.add_action(
            **by,
            item=topic,
            what="Utse kontaktpersoner",
            owner_party=polisen,
            person="Lind, Åsa",
            due_on=timezone.localdate() + datetime.timedelta(days=30),
        )
        minutes.set_action_status(action=action, party=lst, by=secretary, status="dropped", reason="Redan gjort")
        copies.plan_follow_up(meeting=earlier, by=coordinator, party=kommun)
        # Their review: the police name a reviewer; sent, commented on, taken back, revised and sent again; approved
        # by every party and so locked; a correction.
        police_reviewer = users["polis.handlaggare"]
        review.name_reviewer(meeting=earlier, party=polisen, by=police_coordinator, user=police_reviewer)
        review.send_for_review(**by)
        review.comment(meeting=earlier, item=topic, party=polisen, by=police_reviewer, text="Nämn Valsätra", version=1)
        review.take_back(**by, version=1)
        minutes.save_entry(**by, item=topic, text="- Läget i Gottsunda och Valsätra", base_version=1)
        review.send_for_review(**by)
        for party, reviewer in ((kommun, coordinator), (lst, users["lst.samordnare"]), (polisen, police_reviewer)):
            review.approve(meeting=earlier, party=party, by=reviewer, version=2)
        review.correct(**by, item=topic, text="Mötet hölls i Gottsunda, inte i Valsätra.")
    meetings.cancel_meeting(meeting=dialogue, by=coordinator, party=kommun, reason="Dialogen tas upp i höst i stället")
    copies.copy_to_new_draft(meeting=dialogue, by=coordinator, party=kommun)
    return dialogue


def test_every_kind_of_event_has_its_describer():
    assert set(eventlog_text.DESCRIBERS) == set(Event.Action)


def test_every_kind_of_event_reads_as_a_sentence_without_raw_values(lived_log):
    """One walk over every kind: the lived log is made once, not once per kind."""
    events = Event.objects.select_related("party")
    for action in Event.Action.values:
        assert any(event.action == action for event in events), (
            f"the lived log has no {action} event: add the service step that writes one to lived_log"
        )
    for language in ("sv", "en"):
        with translation.override(language):
            for event in events:
                # Straight from the describer: the fallback for unreadable data must not hide a broken one.
                eventlog_text.DESCRIBERS[event.action](event, event.before or {}, event.after or {})
                text = eventlog_text.sentence(event)
                assert text and raw_values(text, language) == [], (language, event.action, text)
                assert raw_values(eventlog_text.when(event), language) == []


def test_the_demo_dialogue_reads_as_swedish_sentences(lived_log):
    first = lived_log.slots.order_by("start").first()
    with translation.override("sv"):
        texts = [eventlog_text.sentence(event) for event in Event.objects.filter(meeting=lived_log).order_by("pk")]
        slot = eventlog_text.period_label(first.start, first.end)

    assert (
        f"Svar för Polisen på {slot}: Kan inte → Kan om det behövs; "
        "Kommentar: Rikspolischefen är i Bryssel → Om rikspolischefen hinner tillbaka"
    ) in texts
    assert f"Svar för Länsstyrelsen på {slot}: Kan" in texts
    assert "Ståndpunkten från Kommunen om ”Lokalt poliskontor i Gottsunda” delades (version 2)" in texts
    assert "Diarienummer för Länsstyrelsen Uppsala län: LST 2026-1234" in texts
    assert (
        "Sekretessmarkering av dagordningspunkten ”Lokalt poliskontor i Gottsunda och Valsätra”: "
        "Inte markerad → Omfattas av sekretess (OSL 18 kap. 1 §)"
    ) in texts
    assert (
        "Sekretessmarkering av ståndpunkten från Kommunen om ”Lokalt poliskontor i Gottsunda och Valsätra”: "
        "Inte markerad → Sekretessprövas"
    ) in texts
    assert (
        "Sekretessmarkering av handlingen Underlag reviderat.txt: Sekretessprövas (OSL 18 kap. 1 §) → Inte markerad"
    ) in texts
    assert "Påminnelse om att svara skickades till Länsstyrelsen Uppsala län och Polismyndigheten" in texts
    assert texts[-2] == "Mötet ställdes in. Skäl: Dialogen tas upp i höst i stället"
    copy = Meeting.objects.latest("pk")
    assert texts[-1] == f"Mötet kopierades till ett nytt utkast (mötesnummer {copy.pk})"


def test_the_log_page_shows_sentences_and_no_raw_values(client, lived_log):
    client.force_login(get_user_model().objects.get(username="polis.samordnare"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "sv"

    page = client.get(reverse("event_log", args=[lived_log.pk])).content.decode()

    table = re.sub(r"<[^>]+>", " ", page[page.index("<tbody>") : page.index("</tbody>")])
    assert raw_values(table) == []
    assert "Mötet ställdes in" in table and "kl." in table


def test_data_a_describer_cannot_read_still_shows_what_happened(meeting):
    event = Event(meeting=meeting, actor_name="Någon", action=Event.Action.SLOT_PROPOSED, subject="Tiden", after={})
    with translation.override("sv"):
        assert eventlog_text.sentence(event) == "Föreslog en tid: Tiden"

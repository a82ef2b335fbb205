"""Nothing is lost when people act at the same moment (issue 6, item 4).

Each request runs in a thread of its own, with its own database connection,
and all are released together by a barrier, so they meet inside the database
as two browsers would. That needs a database where several connections write
at once and wait for each other's row locks: PostgreSQL, on which .ci/run runs
the suite too. The test database on SQLite lives in memory and takes one
writer at a time, so there these tests are skipped.
"""

import re
import threading

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connections, transaction
from django.test import Client
from django.urls import reverse

from coordination.models import (
    AgendaItem,
    Answer,
    Attendee,
    Document,
    Event,
    Meeting,
    OutboxMessage,
    Position,
    PositionVersion,
    Slot,
)
from coordination.services import agenda, attendance, meetings

from .agenda_support import add_item
from .builders import answer_data, edit_data, future_time, in_english, needs_postgresql, slot_formset, slot_row

# How many copies of one form are posted at the same moment: a double click, and then some.
ATTEMPTS = 4


def parallel(test):
    """A test whose requests run at once: its data must be committed for the other connections to see it."""
    return pytest.mark.django_db(transaction=True)(needs_postgresql(test))


def at_once(*requests):
    """Run each callable in its own thread and database connection, released together; their results in order.

    A request that raises gives its exception as its result, so a failure cannot hide in a thread.
    """
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait(timeout=30)
            results[index] = request()
        except Exception as error:  # noqa: BLE001 -- handed to the test, which fails on it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def browser(user):
    """A logged-in browser reading English. A 500 is returned as a response, to be asserted on."""
    client = in_english(Client(raise_request_exception=False))
    client.force_login(user)
    return client


def tabs(user, count):
    """``count`` tabs of one browser: one login, one session cookie."""
    first = browser(user)
    others = [in_english(Client(raise_request_exception=False)) for _ in range(count - 1)]
    for other in others:
        other.cookies.load({name: morsel.value for name, morsel in first.cookies.items()})
    return [first, *others]


def post_from(client, url, data):
    return lambda: client.post(url, data)


def messages_of(response):
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def form_token_in(client, url):
    """The one-time token of the form as the page shows it, or None for a form without one."""
    match = re.search(r'name="form_token" value="([0-9a-f-]+)"', client.get(url).content.decode())
    return match and match.group(1)


# Two conveners, one meeting.


@parallel
def test_two_conveners_confirming_different_times_at_once_give_one_confirmation(
    answered_meeting, slots, kommun, polisen, kommun_coordinator, lansstyrelsen_coordinator, polis_member
):
    attendance.name_attendee(
        meeting=answered_meeting, party=kommun, by=kommun_coordinator, name="Ordförande", email="ordf@kommun.example"
    )
    attendance.name_attendee(
        meeting=answered_meeting, party=polisen, by=polis_member, name="Rikspolischef", email="rpc@polisen.example"
    )
    conveners = [browser(kommun_coordinator), browser(lansstyrelsen_coordinator)]

    responses = at_once(
        *(
            post_from(client, reverse("confirm", args=[answered_meeting.pk, slot.pk]), {"reason": ""})
            for client, slot in zip(conveners, slots, strict=True)
        )
    )

    assert [response.status_code for response in responses] == [302, 302]
    answered_meeting.refresh_from_db()
    assert answered_meeting.status == Meeting.Status.SCHEDULED
    assert answered_meeting.confirmed_slot in slots
    assert Event.objects.filter(action=Event.Action.SLOT_CONFIRMED).count() == 1
    # One invitation to each attendee, not two.
    assert sorted(
        OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INVITATION).values_list("recipient", flat=True)
    ) == [
        "ordf@kommun.example",
        "rpc@polisen.example",
    ]
    assert answered_meeting.sequence == 1
    outcomes = sorted(level for response in responses for level, _text in messages_of(response))
    assert outcomes == ["error", "success"]
    [refusal] = [text for response in responses for level, text in messages_of(response) if level == "error"]
    assert refusal == (
        f"Another time, {meetings.describe_slot(answered_meeting.confirmed_slot)}, has just been confirmed. "
        "To change it, reschedule the meeting."
    )


# The same form, posted several times at once from one browser: one record each time.


def meeting_create_case(f):
    user = f("kommun_coordinator")
    data = edit_data(f("meeting"), title="Uppföljning")
    return user, reverse("meeting_create"), data, lambda: Meeting.objects.filter(title="Uppföljning")


def propose_slots_case(f):
    meeting = f("meeting")
    start, _end = future_time(30, hour=9)
    data = slot_formset(slot_row(start.date(), "09:00", "10:00"))
    return (
        f("polis_coordinator"),
        reverse("propose_slots", args=[meeting.pk]),
        data,
        lambda: Slot.objects.filter(meeting=meeting, proposed_by_party=f("polisen")),
    )


def agenda_item_case(f):
    meeting = f("meeting")
    data = {"title": "Kameror", "description": "", "presenting_party": "", "planned_minutes": 20}
    return (
        f("polis_member"),
        reverse("agenda_item_create", args=[meeting.pk]),
        data,
        lambda: AgendaItem.objects.filter(title="Kameror"),
    )


def attendee_case(f):
    meeting, polisen = f("meeting"), f("polisen")
    # A name without an e-mail: no natural key, so only the form token can tell the copies apart.
    data = {"user": "", "name": "Biträdande rikspolischef", "email": "", "title": "", "kind": "deputy"}
    url = reverse("attendee_create", args=[meeting.pk, polisen.pk])
    return f("polis_coordinator"), url, data, lambda: Attendee.objects.filter(name="Biträdande rikspolischef")


def document_case(f):
    meeting = f("meeting")
    item = add_item(meeting, f("kommun"), f("kommun_coordinator"), "Lokalt poliskontor")
    url = reverse("document_create", args=[meeting.pk, item.pk])
    return f("kommun_coordinator"), url, {}, lambda: Document.objects.filter(agenda_item=item)


def answer_case(f):
    meeting, polisen = f("meeting"), f("polisen")
    url = reverse("answer", args=[meeting.pk, polisen.pk])
    return (
        f("polis_member"),
        url,
        answer_data(meeting, "yes", "Vi kommer"),
        lambda: Event.objects.filter(
            action__in=[Event.Action.ANSWER_GIVEN, Event.Action.ANSWER_CHANGED], party=polisen
        ),
    )


def position_case(f):
    meeting, polisen = f("meeting"), f("polisen")
    item = add_item(meeting, f("kommun"), f("kommun_coordinator"), "Gottsunda")
    agenda.save_position(item=item, party=polisen, by=f("polis_member"), text="Första utkastet", base_version=0)
    url = reverse("position_edit", args=[meeting.pk, item.pk, polisen.pk])
    data = {"text": "Andra utkastet", "base_version": 1}
    return f("polis_member"), url, data, lambda: PositionVersion.objects.filter(text="Andra utkastet")


# name: (case, the records one post makes, the events one post logs, the answers the copies may get)
DOUBLE_POSTS = {
    "meeting": (meeting_create_case, 1, 4, {302}),  # created, and three parties invited
    # The slot form looks for the time before the lock: a copy that arrives after the first has
    # committed is shown the form again, saying that the time has already been proposed.
    "slots": (propose_slots_case, 1, 2, {302, 200}),  # proposed, and the proposer's own "yes"
    "agenda item": (agenda_item_case, 1, 1, {302}),
    "attendee": (attendee_case, 1, 1, {302}),
    "document": (document_case, 1, 1, {302}),
    "answers": (answer_case, 2, 2, {302}),  # one per proposed time
    "position": (position_case, 1, 1, {302}),
}


@parallel
@pytest.mark.parametrize("case", DOUBLE_POSTS.values(), ids=DOUBLE_POSTS.keys())
def test_a_form_posted_several_times_at_once_makes_one_record(request, case, documents_root):
    make_case, records, events, answers = case
    user, url, data, records_of = make_case(request.getfixturevalue)
    events_before = Event.objects.count()
    copies = tabs(user, ATTEMPTS)
    token = form_token_in(copies[0], url)
    if token:
        data["form_token"] = token
    if "document" in url:
        posts = [
            post_from(copy, url, {**data, "file": SimpleUploadedFile("PM.txt", b"Promemoria om kameror.\n")})
            for copy in copies
        ]
    else:
        posts = [post_from(copy, url, data) for copy in copies]

    responses = at_once(*posts)

    assert {response.status_code for response in responses} <= answers, responses
    assert records_of().count() == records
    assert Event.objects.count() - events_before == events
    if "document" in url:
        assert len(list(documents_root.iterdir())) == 1  # and no orphan files of the copies


def test_the_create_forms_carry_a_one_time_token(client, meeting, polisen, polis_coordinator, kommun_coordinator):
    """Without the token in the page, the parallel tests above would pass for a form no browser sends."""
    item = add_item(meeting, polisen, polis_coordinator, "Kameror")
    client.force_login(polis_coordinator)
    urls = [
        reverse("agenda_item_create", args=[meeting.pk]),
        reverse("attendee_create", args=[meeting.pk, polisen.pk]),
        reverse("document_create", args=[meeting.pk, item.pk]),
    ]
    tokens = [form_token_in(client, url) for url in urls]
    client.force_login(kommun_coordinator)
    tokens += [form_token_in(client, reverse("meeting_create")) for _ in range(2)]
    assert all(tokens) and len(set(tokens)) == len(tokens)


# Two people of one party, the same moment.


@parallel
def test_two_members_of_one_party_answering_at_once_keep_one_answer_and_both_in_the_log(
    meeting, slots, polisen, polis_member, polis_coordinator
):
    url = reverse("answer", args=[meeting.pk, polisen.pk])

    responses = at_once(
        post_from(browser(polis_member), url, answer_data(meeting, "yes", "Vi kan")),
        post_from(browser(polis_coordinator), url, answer_data(meeting, "no", "Vi kan inte")),
    )

    assert [response.status_code for response in responses] == [302, 302]
    for slot in slots:
        [current] = Answer.objects.filter(slot=slot, party=polisen)
        logged = list(
            Event.objects.filter(party=polisen, subject=meetings.describe_slot(slot))
            .order_by("pk")
            .values_list("actor__username", "after__value", "before__value")
        )
        # Both submissions are in the log, the second recording what it replaced.
        assert sorted(actor for actor, _after, _before in logged) == ["polis_coordinator", "polis_member"]
        (first_actor, first_value, nothing), (second_actor, second_value, replaced) = logged
        assert nothing is None and replaced == first_value
        assert current.value == second_value and current.answered_by.username == second_actor


# Two editors of one position, the same moment.


@parallel
def test_two_edits_from_the_same_version_at_once_give_one_save_and_one_conflict_page(
    meeting, kommun, kommun_coordinator, polisen, polis_member, polis_coordinator
):
    item = add_item(meeting, kommun, kommun_coordinator, "Gottsunda")
    agenda.save_position(item=item, party=polisen, by=polis_member, text="Utkast", base_version=0)
    url = reverse("position_edit", args=[meeting.pk, item.pk, polisen.pk])
    texts = {"polis_member": "Handläggarens text", "polis_coordinator": "Stabschefens text"}

    responses = at_once(
        post_from(browser(polis_member), url, {"text": texts["polis_member"], "base_version": 1}),
        post_from(browser(polis_coordinator), url, {"text": texts["polis_coordinator"], "base_version": 1}),
    )

    assert sorted(response.status_code for response in responses) == [302, 409]
    position = Position.objects.get(agenda_item=item, party=polisen)
    assert (position.version, position.text) == (2, texts[position.updated_by.username])
    [conflict] = [response for response in responses if response.status_code == 409]
    body = conflict.content.decode()
    # The loser sees the saved text and keeps their own, to choose from.
    assert texts["polis_member"] in body and texts["polis_coordinator"] in body
    assert list(position.versions.values_list("text", flat=True)) == ["Utkast", position.text]


def test_a_convener_confirming_from_a_page_opened_before_another_confirmation_is_told_which_time_holds(
    client, answered_meeting, slots, kommun, kommun_coordinator, lansstyrelsen_coordinator
):
    """The same race, one moment later: the first confirmation has committed when the second arrives."""
    meetings.confirm_slot(meeting=answered_meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    in_english(client).force_login(lansstyrelsen_coordinator)

    response = client.post(reverse("confirm", args=[answered_meeting.pk, slots[1].pk]), {"reason": ""})

    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "error",
            f"Another time, {meetings.describe_slot(slots[0])}, has just been confirmed. To change it, reschedule the meeting.",
        )
    ]
    answered_meeting.refresh_from_db()
    assert answered_meeting.confirmed_slot == slots[0]
    assert Event.objects.filter(action=Event.Action.SLOT_CONFIRMED).count() == 1


def test_the_database_refuses_a_confirmed_time_on_a_meeting_still_being_planned(meeting, slots):
    """One confirmed time per meeting is the single foreign key; this keeps it from outliving a reschedule,
    and, as times are only withdrawn while a meeting is planned, keeps a confirmed time from being withdrawn."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(confirmed_slot=slots[0])

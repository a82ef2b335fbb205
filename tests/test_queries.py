"""Pages cost the same number of queries with one slot or three, one party's answers or three.

Counts include the session and user lookups of every logged-in request, and the
header's list of the user's parties. Each test also finds the rows it added on
the page, so a page that stopped showing them could not pass by being cheap.
"""

import datetime
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import translation

from coordination.formatting import slot_label, stockholm_date
from coordination.models import CalendarReply, Meeting, Membership
from coordination.services import agenda, attendance, guests, meetings

from .builders import answer_all, create_meeting, future_time, make_user

ATTENDEES = ("Rikspolischef", "Stabschef")


def assert_shows(response, *texts):
    page = response.content.decode()
    missing = [text for text in texts if text not in page]
    assert not missing, f"not on the page: {missing}"


def in_swedish(function, *args):
    with translation.override("sv"):
        return function(*args)


@pytest.fixture
def more(meeting, kommun, kommun_coordinator, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_member):
    """Grow the meeting: one more slot, every party's answers, two attendees, a guest. Returns the new slot."""

    def grow():
        [slot] = meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(28)])
        guests.add_guest(meeting=meeting, party=kommun, by=kommun_coordinator, name="Gäst", email="gast@x.example")
        answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
        answer_all(meeting, polisen, polis_member)
        for name in ATTENDEES:
            attendee = attendance.name_attendee(meeting=meeting, party=polisen, by=polis_member, name=name)
            # What came back from the attendee's calendar, shown to the conveners: a time proposed, a refusal.
            start, end = future_time(35)
            for outcome in (CalendarReply.Outcome.COUNTER, CalendarReply.Outcome.WRONG_SENDER):
                CalendarReply.objects.create(
                    meeting=meeting, attendee=attendee, outcome=outcome, proposed_start=start, proposed_end=end
                )
        return slot

    return grow


# What each page shows of the grown meeting: the new time, and the attendees where the page lists them.
SHOWN = {
    "meeting_detail": lambda slot: [
        in_swedish(slot_label, slot),
        *ATTENDEES,
        "Andra tider som deltagare föreslår",
        "Svar som inte registrerades",
        "gast@x.example",
    ],
    "event_log": lambda slot: [in_swedish(slot_label, slot), *ATTENDEES],
    "answer": lambda slot: [in_swedish(slot_label, slot), f'name="answer_{slot.pk}"'],
    "propose_slots": lambda slot: [],  # a form for new times: it lists none of the meeting's data
}


# The meeting page reads the times still proposed once, and only when it has guests (their links' end) or times
# proposed from calendars to show: one query more with the first of those, none with more of them.
@pytest.mark.parametrize(
    "url_name, queries, grown_queries",
    [("meeting_detail", 17, 18), ("event_log", 6, 6), ("answer", 7, 7), ("propose_slots", 5, 5)],
)
def test_a_meeting_page_does_not_grow_with_its_data(
    client, django_assert_num_queries, meeting, more, kommun, kommun_coordinator, url_name, queries, grown_queries
):
    client.force_login(kommun_coordinator)
    kwargs = {"pk": meeting.pk, "party_pk": kommun.pk} if url_name == "answer" else {"pk": meeting.pk}
    url = reverse(url_name, kwargs=kwargs)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    slot = more()
    with django_assert_num_queries(grown_queries):
        response = client.get(url)
    assert response.status_code == 200
    assert_shows(response, *SHOWN[url_name](slot))


def test_my_meetings_does_not_grow_with_meetings_or_slots(
    client, django_assert_num_queries, meeting, more, kommun, lansstyrelsen, polisen, kommun_coordinator, polis_member
):
    client.force_login(kommun_coordinator)
    # The person's roles and one row of sums over their meetings name the page in the cache (overview.dashboard).
    with django_assert_num_queries(12):
        assert client.get(reverse("my_meetings")).status_code == 200
    more()
    for title in ("Uppföljning", "Återkoppling"):
        other = create_meeting(kommun_coordinator, convening=[kommun], required=[polisen, lansstyrelsen], title=title)
        meetings.propose_slots(
            meeting=other, party=kommun, by=kommun_coordinator, times=[future_time(30), future_time(31)]
        )
        # The police's proposal waits for the convener; the convener's own would be accepted at once.
        agenda.propose_agenda_item(meeting=other, party=polisen, by=polis_member, title="Kameror")
    # One meeting in another section: the sections are made of the same rows, no query of their own.
    meetings.cancel_meeting(meeting=other, by=kommun_coordinator, party=kommun, reason="Behövs inte")
    with django_assert_num_queries(12):
        response = client.get(reverse("my_meetings"))
    assert len(response.context["rows"]) == 3
    # Unchanged since: the sections come from the cache.
    with django_assert_num_queries(5):
        again = client.get(reverse("my_meetings"))
    assert [s.html for s in again.context["sections"]] == [s.html for s in response.context["sections"]]
    assert_shows(response, meeting.title, "Uppföljning", "Återkoppling", "1 förslag till dagordningen väntar")
    assert {s.key: [row.meeting.title for row in s.rows] for s in response.context["sections"]} == {
        "upcoming": [],
        "polling": [meeting.title],
        "drafts": ["Uppföljning"],
        "held": [],
        "cancelled": ["Återkoppling"],
    }


@pytest.mark.parametrize("count", [1, 50, 500])
def test_my_meetings_costs_the_same_for_one_meeting_or_five_hundred(db, client, django_assert_num_queries, count):
    """One query finds the meetings on the pages shown and counts each section, one reads them; the rest is paged."""
    from coordination.management.commands.benchmark import DASHBOARD_STATUSES, build_dashboard

    client.force_login(build_dashboard(count))
    # Held meetings on the page (from 50 up) add the one query that reads their minutes (minutes_under_way).
    with django_assert_num_queries(12 if count == 1 else 13):
        response = client.get(reverse("my_meetings"))
    # Asked again, unchanged: the person's roles and one row of sums over their meetings find it in the cache.
    with django_assert_num_queries(5):
        again = client.get(reverse("my_meetings"))
    assert [s.html for s in again.context["sections"]] == [s.html for s in response.context["sections"]]

    # A section shows at most a page: 20 meetings to come in each of its two sections, 10 held, 10 cancelled.
    Status = Meeting.Status
    in_section = Counter(DASHBOARD_STATUSES[i % len(DASHBOARD_STATUSES)] for i in range(count))
    sections = {"polling": (Status.POLLING, 20), "upcoming": (Status.SCHEDULED, 20), "drafts": (Status.DRAFT, 20)}
    sections |= {"held": (Status.HELD, 10), "cancelled": (Status.CANCELLED, 10)}
    shown = {section.key: len(section.rows) for section in response.context["sections"]}
    assert shown == {key: min(in_section[status], size) for key, (status, size) in sections.items()}
    assert_shows(response, "Samråd 1", "1 förslag till dagordningen väntar")
    if count == 500:
        assert_shows(response, "Sida 1 av 5", "Sida 1 av 20", "Sida 1 av 10", "Nästa")


def test_the_ics_does_not_grow_with_attendees(
    client, django_assert_num_queries, scheduled_meeting, polisen, polis_coordinator
):
    client.force_login(polis_coordinator)
    url = reverse("meeting_ics", args=[scheduled_meeting.pk])
    with django_assert_num_queries(9):
        client.get(url)
    for name in ("A", "B", "C"):
        attendance.name_attendee(
            meeting=scheduled_meeting, party=polisen, by=polis_coordinator, name=name, email=f"{name}@polisen.example"
        )
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.status_code == 200
    # A plain entry (PUBLISH) lists nobody: the invitations by mail carry the attendees.
    assert b"@polisen.example" not in response.content


@pytest.fixture
def grow_agenda(meeting, kommun, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary, polisen, polis_member):
    """Add an accepted agenda item with a position of every party (shared and draft) and a document, each marked
    for secrecy: a marking and who set it are read with the record, never by a query of their own."""
    from django.core.files.base import ContentFile

    from coordination.services import agenda, secrecy

    def marked(record, party, user):
        secrecy.mark_secrecy(record=record, party=party, by=user, secrecy="covered", provision="OSL 18 kap. 1 §")

    def grow(title):
        item = agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title=title)
        agenda.accept_agenda_item(item=item, party=kommun, by=kommun_coordinator)
        marked(item, polisen, polis_member)
        for party, user in (
            (kommun, kommun_coordinator),
            (lansstyrelsen, lansstyrelsen_secretary),
            (polisen, polis_member),
        ):
            position = agenda.save_position(item=item, party=party, by=user, text=f"{title}: {party}", base_version=0)
            if party != polisen:
                agenda.set_position_shared(position=position, by=user, shared=True)
            document = agenda.attach_document(
                item=item,
                position=position,
                party=party,
                by=user,
                upload=ContentFile(b"Underlag", name="underlag.txt"),
                content_type="text/plain",
                sha256="0" * 64,
            )
            marked(position, party, user)
            marked(document, party, user)
        return item

    return grow


# The items added later, their shared positions and documents; the item page is the first item's alone.
AGENDA_SHOWN = {
    "meeting_detail": ["Kameror", "Gottsunda: Uppsala kommun", "Gottsunda: Länsstyrelsen Uppsala län"],
    "kallelse": ["Kameror", "Gottsunda: Uppsala kommun", "Gottsunda: Länsstyrelsen Uppsala län"],
    "agenda_item_detail": ["NOA: Uppsala kommun", "NOA: Länsstyrelsen Uppsala län", "NOA: Polismyndigheten"],
}


@pytest.mark.parametrize("url_name, queries", [("meeting_detail", 14), ("kallelse", 9), ("agenda_item_detail", 9)])
def test_agenda_pages_do_not_grow_with_items_positions_or_documents(
    client, django_assert_num_queries, meeting, grow_agenda, polis_member, url_name, queries
):
    first = grow_agenda("NOA")
    client.force_login(polis_member)
    kwargs = {"pk": meeting.pk, "item_pk": first.pk} if url_name == "agenda_item_detail" else {"pk": meeting.pk}
    url = reverse(url_name, kwargs=kwargs)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    grow_agenda("Kameror")
    grow_agenda("Gottsunda")
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert_shows(response, *AGENDA_SHOWN[url_name])


def test_the_secrecy_form_costs_the_same_for_every_kind_of_record(
    client, django_assert_num_queries, meeting, grow_agenda, polis_member
):
    item = grow_agenda("NOA")
    position = item.positions.get(party__short_name="Polisen")
    document = position.documents.get()
    client.force_login(polis_member)
    for name, record in (("secrecy_position", position), ("secrecy_document", document)):
        with django_assert_num_queries(6):
            response = client.get(reverse(name, args=[meeting.pk, record.pk]))
        assert response.status_code == 200
        assert_shows(response, "Omfattas av sekretess (OSL 18 kap. 1 §)")


@pytest.fixture
def grow_minutes(held, kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_secretary):
    """Add an accepted item with its minutes, two agreements (with a decision each) and two open actions."""
    from coordination.services import minutes

    def grow(title):
        item = agenda.propose_agenda_item(meeting=held, party=kommun, by=kommun_coordinator, title=title)
        by = {"meeting": held, "item": item, "party": lansstyrelsen, "by": lansstyrelsen_secretary}
        minutes.save_entry(**by, text=f"Protokoll om {title}", base_version=0)
        for number in (1, 2):
            agreement = minutes.add_agreement(**by, text=f"{title}: avtal {number}", parties=[kommun, polisen])
            minutes.record_decision(
                agreement=agreement,
                party=kommun,
                by=kommun_coordinator,
                body="kommunstyrelsen",
                decided_on=datetime.date(2026, 12, number),
            )
            minutes.add_action(
                **by, what=f"{title}: åtgärd {number}", owner_party=kommun, due_on=datetime.date(2026, 12, number)
            )
        minutes.add_present_person(
            meeting=held,
            party=lansstyrelsen,
            by=lansstyrelsen_secretary,
            name=f"Expert om {title}",
            person_party=polisen,
        )

    return grow


def test_the_minutes_and_my_meetings_do_not_grow_with_items_agreements_or_actions(
    client, django_assert_num_queries, held, grow_minutes, kommun_coordinator
):
    grow_minutes("NOA")
    client.force_login(kommun_coordinator)
    minutes_url, dashboard_url = reverse("minutes", args=[held.pk]), reverse("my_meetings")
    pages = {minutes_url: 18, dashboard_url: 14}  # the dashboard: one more, the sums its cache key is made of
    for url, queries in pages.items():
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
    grow_minutes("Kameror")
    grow_minutes("Gottsunda")
    shown = {}
    for url, queries in pages.items():
        with django_assert_num_queries(queries):
            shown[url] = client.get(url)
        assert_shows(shown[url], "Gottsunda: åtgärd 2", "Kameror: åtgärd 1")
    assert_shows(
        shown[minutes_url], "Gottsunda: avtal 2", "Protokoll om Kameror", "Expert om Gottsunda", "kommunstyrelsen"
    )


def test_the_benchmark_builds_the_sizes_it_promises(db, client, django_assert_num_queries):
    """The benchmark's data builder (manage.py benchmark) makes what BENCHMARKS.md says, and the pages render it."""
    from coordination.management.commands.benchmark import build

    meeting, coordinator, answering, answered = build("small")
    assert (
        meeting.invitations.count(),
        meeting.slots.count(),
        meeting.agenda_items.count(),
        meeting.attendees.count(),
    ) == (3, 12, 8, 10)
    assert not meeting.slots.filter(answers__party=answering).exists()
    client.force_login(coordinator)
    with django_assert_num_queries(17):
        assert client.get(reverse("meeting_detail", args=[meeting.pk])).status_code == 200


def test_the_benchmarks_bare_view_is_only_in_its_own_urlconf(client, settings, polis_member):
    """The floors' view answers only while the benchmark names its URLconf: the running app has no such page."""
    from coordination.management.commands import benchmark

    assert client.get("/benchmark/floor/").status_code == 404
    settings.ROOT_URLCONF = benchmark.__name__
    client.force_login(polis_member)
    floor = client.get(reverse("benchmark_floor"))
    assert (floor.status_code, floor.content) == (200, b"ok")
    # The project's pages are all there besides it, so the benchmark measures every page through one URLconf.
    assert client.get(reverse("my_meetings")).status_code == 200


def test_posting_answers_does_not_grow_with_slots(
    client, django_assert_num_queries, meeting, kommun, kommun_coordinator, polisen, polis_member
):
    """Answers and their event rows are written in bulk; every post here changes every answer."""
    from coordination.models import Answer, Event

    client.force_login(polis_member)
    url = reverse("answer", args=[meeting.pk, polisen.pk])

    def post(value):
        slot_ids = meeting.slots.values_list("pk", flat=True)
        # One more than the answers need: whether every party has now answered (notices.check_all_answered);
        # two for the log's chain: the meeting's lock and the chain's last hash (eventchain.link).
        with django_assert_num_queries(18):
            assert client.post(url, {f"answer_{pk}": value for pk in slot_ids}).status_code == 302
        assert set(Answer.objects.filter(party=polisen).values_list("value", flat=True)) == {value}

    post("yes")
    post("no")
    for days in (28, 29):
        meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(days)])
    events = Event.objects.filter(party=polisen).count()
    post("if_need_be")
    assert Event.objects.filter(party=polisen).count() == events + meeting.slots.count()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_answers_download_does_not_grow_with_slots_or_parties(
    client, django_assert_num_queries, meeting, more, kommun, kommun_coordinator, region, file_format
):
    """Counted with two times and three parties, then with three times and four parties, every answer in."""
    client.force_login(kommun_coordinator)
    url = reverse(f"answers_{file_format}", args=[meeting.pk])
    # The session, the user, the meeting with its parties and times, the user's roles; the logged download in
    # its savepoint (the meeting's lock, the chain's last hash, the row); and the answers as plain values.
    with django_assert_num_queries(12):
        assert client.post(url).status_code == 200
    slot = more()
    meetings.invite_party(meeting=meeting, by=kommun_coordinator, party=kommun, invited=region)
    answer_all(meeting, region, make_user("region_member", region, Membership.Role.MEMBER))
    with django_assert_num_queries(12):
        response = client.post(url)
    assert response.status_code == 200
    if file_format == "csv":
        assert_shows(response, "Region Uppsala", in_swedish(stockholm_date, slot.start))


@pytest.mark.parametrize("grown", [("NOA",), ("NOA", "Kameror", "Gottsunda")])
def test_the_pages_of_review_do_not_grow_with_items_agreements_or_actions(
    client,
    django_assert_num_queries,
    held,
    grow_minutes,
    grown,
    approve_by_everyone,
    lansstyrelsen,
    polisen,
    lansstyrelsen_secretary,
    polis_coordinator,
):
    """Under review (as the police's reviewer sees it, with comments) and approved (with a correction per item):
    the same literal counts with one grown item or three."""
    from coordination.services import review

    for title in grown:
        grow_minutes(title)
    review.send_for_review(meeting=held, party=lansstyrelsen, by=lansstyrelsen_secretary)
    items = list(held.agenda_items.filter(title__in=grown))
    for item in items:
        review.comment(meeting=held, item=item, party=polisen, by=polis_coordinator, text=f"Om {item.title}", version=1)
    client.force_login(polis_coordinator)
    under_review = {reverse("minutes", args=[held.pk]): 20, reverse("minutes_versions", args=[held.pk]): 11}
    for url, queries in under_review.items():
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert_shows(response, f"Om {grown[-1]}")
    # What waits for the police's coordinator on "Mina möten": the review (and the sums of its cache key).
    with django_assert_num_queries(15):
        response = client.get(reverse("my_meetings"))
    assert_shows(response, "Minnesanteckningar att justera för Polisen")
    approve_by_everyone(held)
    for item in items:
        review.correct(
            meeting=held, party=lansstyrelsen, by=lansstyrelsen_secretary, item=item, text=f"Rätt om {item.title}"
        )
    approved = {reverse("minutes", args=[held.pk]): 20, reverse("minutes_print", args=[held.pk]): 20}
    for url, queries in approved.items():
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert_shows(response, f"Rätt om {grown[-1]}", f"{grown[-1]}: åtgärd 2", f"{grown[-1]}: avtal 2")

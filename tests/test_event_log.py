"""The event log is the record: a party's secretary exports it, nothing rewrites it, and it outlives accounts."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from coordination import rules
from coordination.models import AppendOnlyError, Event, Meeting, Membership
from coordination.services import attendance
from coordination.services.base import log_event

from .agenda_support import THING
from .builders import in_language

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")


Role = Membership.Role
DRAFT_KEYS = ("draft position", "earlier draft version of a shared position", "document on a draft position")


def export(client, meeting, party, file_format="csv"):
    return client.post(reverse(f"event_log_{file_format}", args=[meeting.pk, party.pk]))


def csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


# Who may export: a party's coordinators and secretaries, for that party.


@pytest.mark.parametrize(
    "persona, party, allowed",
    [
        ("lansstyrelsen_secretary", "lansstyrelsen", True),
        ("polis_secretary", "polisen", True),
        ("lansstyrelsen_secretary", "polisen", False),
        ("polis_secretary", "lansstyrelsen", False),
        ("kommun_coordinator", "kommun", True),
        ("lansstyrelsen_coordinator", "lansstyrelsen", True),
        ("polis_coordinator", "polisen", True),
        ("polis_coordinator", "lansstyrelsen", False),
        ("polis_member", "polisen", False),
    ],
)
def test_the_coordinators_and_secretaries_of_a_party_export_its_log(request, meeting, persona, party, allowed):
    user = request.getfixturevalue(persona)
    party_id = request.getfixturevalue(party).pk
    assert rules.can_export_records_for(rules.MeetingAccess.for_user(user, meeting), party_id) is allowed


def test_the_export_buttons_are_shown_to_those_who_may_export(
    client, meeting, lansstyrelsen, lansstyrelsen_secretary, kommun, kommun_coordinator, polis_member
):
    client.force_login(lansstyrelsen_secretary)
    page = client.get(reverse("event_log", args=[meeting.pk])).content.decode()
    assert reverse("event_log_csv", args=[meeting.pk, lansstyrelsen.pk]) in page
    assert reverse("event_log_json", args=[meeting.pk, lansstyrelsen.pk]) in page

    client.force_login(kommun_coordinator)
    page = client.get(reverse("event_log", args=[meeting.pk])).content.decode()
    assert reverse("event_log_csv", args=[meeting.pk, kommun.pk]) in page
    assert reverse("event_log_csv", args=[meeting.pk, lansstyrelsen.pk]) not in page

    client.force_login(polis_member)
    page = client.get(reverse("event_log", args=[meeting.pk])).content.decode()
    assert "export.csv" not in page and "export.json" not in page


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_a_get_does_not_export(client, meeting, lansstyrelsen, lansstyrelsen_secretary, file_format):
    client.force_login(lansstyrelsen_secretary)
    before = Event.objects.count()
    response = client.get(reverse(f"event_log_{file_format}", args=[meeting.pk, lansstyrelsen.pk]))
    assert response.status_code == 405
    assert Event.objects.count() == before


# What the export holds.


def test_the_csv_opens_in_swedish_excel_and_holds_every_visible_event(
    client, meeting, lansstyrelsen, lansstyrelsen_secretary
):
    client.force_login(lansstyrelsen_secretary)

    response = export(client, meeting, lansstyrelsen)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="samrad-logg-{meeting.pk}-{today}.csv"'
    assert "no-store" in response["Cache-Control"]
    header, *rows = csv_rows(response)
    assert header == [
        "Event number",
        "When",
        "Who",
        "Party",
        "What happened",
        "Event",
        "Meeting",
        "Time",
        "Event code",
        "Concerns",
        "Before",
        "After",
        "Meeting number",
        "Party number",
        "Seen by the own party only",
        "Time (UTC)",
        "Checksum (SHA-256)",
    ]
    rows = [dict(zip(header, row, strict=True)) for row in rows]
    *rows, head = rows
    expected = Event.objects.filter(meeting=meeting).order_by("pk")
    assert [int(row["Event number"]) for row in rows] == [event.pk for event in expected]
    assert rows[-1]["Event code"] == "log_exported" and rows[-1]["Event"] == "exported the event log"
    assert rows[-1]["Concerns"] == "CSV"
    assert head["Event code"] == "chain_head" and head["Checksum (SHA-256)"] == expected.last().hash
    created = next(row for row in rows if row["Event code"] == "meeting_created")
    event = expected.get(action=Event.Action.MEETING_CREATED)
    assert created["Time"] == timezone.localtime(event.created_at).isoformat(timespec="seconds")
    assert created["Time"].endswith(("+01:00", "+02:00"))
    # The session's clock runs on from 09:30 (tests/conftest.py), so the minute is the event's own.
    assert created["When"] == f"Tuesday 10 November 2026 at {timezone.localtime(event.created_at):%H:%M}"
    assert created["What happened"] == f"The meeting “{meeting.title}” was created"
    assert [created[key] for key in ("Who", "Party")] == ["Samordnare, kommunen", "Uppsala kommun"]
    assert created["Meeting number"] == str(meeting.pk) and created["Meeting"] == meeting.title
    assert created["Time (UTC)"] == event.created_at.isoformat(timespec="microseconds")
    proposed = next(row for row in rows if row["Event code"] == "slot_proposed")
    assert set(json.loads(proposed["After"])) == {"start", "end"}
    assert proposed["What happened"].startswith("A time was proposed: ")


def test_the_csv_labels_and_headings_follow_the_language(client, meeting, lansstyrelsen, lansstyrelsen_secretary):
    client.force_login(lansstyrelsen_secretary)
    in_language(client, "sv")

    header, *rows = csv_rows(export(client, meeting, lansstyrelsen))

    assert header[0] == "Händelsenummer"
    assert rows[0][5] == "skapade mötet"
    assert rows[0][4] == f"Mötet ”{meeting.title}” skapades"


def test_the_json_export_has_the_same_rows_with_structured_changes(
    client, meeting, lansstyrelsen, lansstyrelsen_secretary
):
    client.force_login(lansstyrelsen_secretary)

    response = export(client, meeting, lansstyrelsen, "json")

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith(f'-{timezone.localdate().isoformat()}.json"')
    document = json.loads(response.content)
    assert document["meeting"] == {"id": meeting.pk, "title": meeting.title}
    assert document["party"] == lansstyrelsen.name and document["exported_by"] == "Sekreterare"
    ids = list(Event.objects.filter(meeting=meeting).order_by("pk").values_list("pk", flat=True))
    assert [event["id"] for event in document["events"]] == ids
    assert document["chain"]["heads"][-1]["hash"] == Event.objects.get(pk=ids[-1]).hash
    created = document["events"][0]
    assert created["kind"] == "meeting_created" and created["subject"] == meeting.title
    assert created["time"].endswith(("+01:00", "+02:00"))
    assert created["description"] == f"The meeting “{meeting.title}” was created"
    proposed = next(event for event in document["events"] if event["kind"] == "slot_proposed")
    assert set(proposed["after"]) == {"start", "end"} and proposed["before"] is None


def test_the_export_is_itself_in_the_log_for_every_party(
    client, meeting, lansstyrelsen, lansstyrelsen_secretary, polis_member
):
    client.force_login(lansstyrelsen_secretary)
    export(client, meeting, lansstyrelsen, "json")

    exported = Event.objects.get(action=Event.Action.LOG_EXPORTED)
    assert (exported.actor, exported.party, exported.subject, exported.private) == (
        lansstyrelsen_secretary,
        lansstyrelsen,
        "JSON",
        False,
    )
    assert exported in Event.objects.visible_to(polis_member)


def test_cells_that_excel_would_run_as_formulas_are_defused(
    client, meeting, kommun, lansstyrelsen, lansstyrelsen_secretary
):
    hostile = ['=HYPERLINK("http://evil.example";"Klicka")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1"]
    Meeting.objects.filter(pk=meeting.pk).update(title="=1+1")
    for text in hostile:
        Event.objects.create(
            meeting=meeting, actor_name=text, party=kommun, action=Event.Action.MEETING_EDITED, subject=text
        )
    client.force_login(lansstyrelsen_secretary)

    *rows, _head = csv_rows(export(client, meeting, lansstyrelsen))[1:]

    for text in hostile:
        row = next(row for row in rows if row[9] == "'" + text)
        assert row[2] == "'" + text
    assert {row[6] for row in rows} == {"'=1+1"}
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_another_partys_drafts_never_reach_the_export(client, scenario, lansstyrelsen, lansstyrelsen_secretary):
    client.force_login(lansstyrelsen_secretary)

    for file_format in ("csv", "json"):
        body = export(client, scenario.meeting, lansstyrelsen, file_format).content.decode()
        assert "MARK-ITEM-71" in body  # the log is there, and it names the item
        for key in DRAFT_KEYS:
            assert THING[key].marker not in body, (file_format, key)


def test_the_own_partys_drafts_are_in_its_export(client, scenario, polisen, polis_secretary):
    client.force_login(polis_secretary)

    body = export(client, scenario.meeting, polisen).content.decode()

    assert THING["draft position"].marker in body


def test_a_secretary_in_two_parties_exports_only_what_the_party_sees(
    client, scenario, lansstyrelsen, polisen, lansstyrelsen_secretary
):
    """The page shows the user both parties' drafts; the county board's registry gets none of the police's."""
    Membership.objects.create(user=lansstyrelsen_secretary, party=polisen, role=Role.MEMBER)
    client.force_login(lansstyrelsen_secretary)

    page = client.get(reverse("event_log", args=[scenario.meeting.pk])).content.decode()
    body = export(client, scenario.meeting, lansstyrelsen).content.decode()

    assert THING["draft position"].marker in page
    assert THING["draft position"].marker not in body


def test_the_export_costs_the_same_queries_with_more_events(
    client, django_assert_num_queries, meeting, kommun, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary
):
    client.force_login(lansstyrelsen_secretary)
    with django_assert_num_queries(11):
        export(client, meeting, lansstyrelsen)
    for index in range(3):
        attendance.name_attendee(meeting=meeting, party=kommun, by=kommun_coordinator, name=f"Deltagare {index}")
    with django_assert_num_queries(11):
        assert export(client, meeting, lansstyrelsen).status_code == 200


# Append-only.


def test_an_event_cannot_be_changed_or_deleted_through_the_model(meeting):
    event = Event.objects.filter(meeting=meeting).first()
    event.subject = "Omskrivet"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(subject="Omskrivet")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(meeting=meeting).delete()
    assert Event.objects.get(pk=event.pk).subject != "Omskrivet"


def test_a_meeting_with_a_log_cannot_be_deleted(meeting):
    with pytest.raises(ProtectedError):
        meeting.delete()
    assert Event.objects.filter(meeting=meeting).exists()


def test_a_party_named_in_the_log_cannot_be_deleted(meeting, region):
    Event.objects.create(
        meeting=meeting, actor_name="Samordnare, regionen", party=region, action=Event.Action.ANSWER_GIVEN
    )
    with pytest.raises(ProtectedError):
        region.delete()


def test_the_admin_neither_deletes_a_meeting_with_a_log_nor_offers_it(admin_client, meeting):
    response = admin_client.post(f"/admin/coordination/meeting/{meeting.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    changelist = admin_client.get("/admin/coordination/meeting/")
    assert "delete_selected" not in changelist.content.decode()
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_the_admin_shows_the_log_but_offers_no_change(admin_client, meeting):
    event = Event.objects.filter(meeting=meeting).first()
    page = admin_client.get(f"/admin/coordination/event/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = admin_client.post(f"/admin/coordination/event/{event.pk}/change/", {"subject": "Omskrivet"})
    assert response.status_code == 403


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE coordination_event SET subject = 'Omskrivet' WHERE id = %s",
        "UPDATE coordination_event SET actor_id = NULL, actor_name = 'Någon annan' WHERE id = %s",
        "DELETE FROM coordination_event WHERE id = %s",
    ],
)
def test_the_database_refuses_to_rewrite_the_log_even_in_raw_sql(meeting, sql):
    event = Event.objects.filter(meeting=meeting).first()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert Event.objects.filter(pk=event.pk, subject=event.subject, actor_name=event.actor_name).exists()


# The log outlives the accounts.


def test_every_event_names_its_actor(meeting):
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(meeting=meeting, actor_name="", action=Event.Action.MEETING_EDITED)
    assert not Event.objects.filter(actor_name="").exists()


@pytest.mark.parametrize("leaving", ["deleted", "deactivated"])
def test_the_log_keeps_the_name_of_an_account_that_is_gone(
    client, meeting, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary, leaving
):
    created = Event.objects.get(meeting=meeting, action=Event.Action.MEETING_CREATED)
    if leaving == "deleted":
        kommun_coordinator.delete()
    else:
        kommun_coordinator.is_active = False
        kommun_coordinator.save()
    client.force_login(lansstyrelsen_secretary)

    page = client.get(reverse("event_log", args=[meeting.pk])).content.decode()
    rows = csv_rows(export(client, meeting, lansstyrelsen))
    document = json.loads(export(client, meeting, lansstyrelsen, "json").content)

    assert "Samordnare, kommunen (Kommunen)" in page
    assert next(row for row in rows if row[0] == str(created.pk))[2] == "Samordnare, kommunen"
    assert next(event for event in document["events"] if event["id"] == created.pk)["actor"] == "Samordnare, kommunen"
    created.refresh_from_db()
    assert created.actor_name == "Samordnare, kommunen"
    assert (created.actor is None) == (leaving == "deleted")


def test_log_event_falls_back_to_the_username_for_a_nameless_account(meeting, kommun):
    nameless = get_user_model().objects.create_user(username="utan.namn")
    event = log_event(meeting=meeting, by=nameless, party=kommun, action=Event.Action.MEETING_EDITED)
    assert event.actor_name == "utan.namn"


def test_log_event_keeps_only_what_changed_between_before_and_after(meeting, kommun, kommun_coordinator):
    event = log_event(
        meeting=meeting,
        by=kommun_coordinator,
        party=kommun,
        action=Event.Action.MEETING_EDITED,
        before={"title": "Samråd", "location": "Stadshuset"},
        after={"title": "Samråd", "location": "Länsstyrelsen", "reason": "Ombyggnad"},
    )
    event.refresh_from_db()
    assert (event.before, event.after) == (
        {"location": "Stadshuset"},
        {"location": "Länsstyrelsen", "reason": "Ombyggnad"},
    )


def test_one_log_event_leaves_out_what_did_not_change_and_keeps_what_did(meeting, kommun, kommun_coordinator):
    event = log_event(
        meeting=meeting,
        by=kommun_coordinator,
        party=kommun,
        action=Event.Action.MEETING_EDITED,
        before={"title": "Dialog", "location": "Stadshuset", "only_before": 1},
        after={"title": "Dialog om samarbete", "location": "Stadshuset", "only_after": 2},
    )

    event.refresh_from_db()
    assert event.before == {"title": "Dialog", "only_before": 1}
    assert event.after == {"title": "Dialog om samarbete", "only_after": 2}

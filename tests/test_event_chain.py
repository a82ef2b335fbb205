"""The log proves itself: every event is chained to the one before it, and verify_log finds what was changed."""

import csv
import importlib
import io
import json
import types

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from coordination import eventchain
from coordination.models import Event
from coordination.services import eventlog
from coordination.services.base import log_event

from .test_concurrency import at_once, parallel

CHAIN_MIGRATION = ("coordination", "0021_event_hash_chain")


def export(client, meeting, party, file_format):
    return client.post(reverse(f"event_log_{file_format}", args=[meeting.pk, party.pk])).content


def verify(tmp_path, body, name="logg.csv"):
    path = tmp_path / name
    path.write_bytes(body)
    out = io.StringIO()
    call_command("verify_log", str(path), stdout=out)
    return out.getvalue()


def refused(tmp_path, body, name="logg.csv"):
    with pytest.raises(CommandError) as refusal:
        verify(tmp_path, body, name)
    return str(refusal.value)


def csv_lines(body):
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def csv_body(lines):
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(lines)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@pytest.fixture
def exported(client, scenario, polisen, polis_coordinator):
    """The police's copy of a meeting whose log holds the police's drafts and the municipality's."""
    client.force_login(polis_coordinator)
    return {file_format: export(client, scenario.meeting, polisen, file_format) for file_format in ("csv", "json")}


def test_each_event_is_chained_to_the_one_before_it_in_its_chain(scenario, polisen):
    events = list(Event.objects.filter(meeting=scenario.meeting).order_by("pk"))
    assert {eventchain.chain_key(event) for event in events} >= {None, polisen.pk}
    heads = {}
    for event in events:
        key = eventchain.chain_key(event)
        assert event.hash == eventchain.digest(eventchain.content_of(event), heads.get(key, eventchain.GENESIS))
        heads[key] = event.hash


def test_the_hash_is_over_sorted_json_with_utc_times(meeting):
    event = Event.objects.filter(meeting=meeting).first()
    text = eventchain.canonical(eventchain.content_of(event), eventchain.GENESIS)
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert json.loads(text)["created_at"].endswith("+00:00")
    assert text == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_a_fresh_export_passes(tmp_path, exported, file_format):
    assert "Loggen är oförändrad" in verify(tmp_path, exported[file_format], f"logg.{file_format}")


def test_the_export_carries_the_heads_of_the_shared_chain_and_of_the_own_drafts(exported, scenario, polisen):
    heads = {head["party_id"]: head["hash"] for head in json.loads(exported["json"])["chain"]["heads"]}
    stored = Event.objects.filter(meeting=scenario.meeting).order_by("-pk")
    assert heads == {
        None: stored.filter(private=False).first().hash,
        polisen.pk: stored.filter(private=True, party=polisen).first().hash,
    }
    lines = csv_lines(exported["csv"])[1:]
    last = {(line[13] if line[14] == "true" else ""): line[-1] for line in lines if line[8] != "chain_head"}
    assert {line[13]: line[-1] for line in lines if line[8] == "chain_head"} == last


def test_a_changed_row_of_a_csv_export_is_named(tmp_path, exported):
    lines = csv_lines(exported["csv"])
    changed = lines[3]
    changed[9] = changed[9] + " (ändrad)"

    assert f"Händelse {changed[0]} har ändrats" in refused(tmp_path, csv_body(lines))


def test_a_changed_time_in_a_json_export_is_named(tmp_path, exported):
    document = json.loads(exported["json"])
    changed = document["events"][5]
    changed["created_at"] = changed["created_at"].replace("+00:00", "+01:00")

    message = refused(tmp_path, json.dumps(document).encode(), "logg.json")

    assert f"Händelse {changed['id']} har ändrats" in message


def test_a_removed_row_is_found_at_the_next_row_of_its_chain(tmp_path, exported):
    document = json.loads(exported["json"])
    events = document["events"]
    removed = next(index for index, event in enumerate(events) if not event["private"] and index > 2)
    following = next(event for event in events[removed + 1 :] if not event["private"])
    del events[removed]

    assert f"Händelse {following['id']} har ändrats" in refused(tmp_path, json.dumps(document).encode(), "l.json")


def test_a_log_cut_short_does_not_match_its_head(tmp_path, exported):
    lines = csv_lines(exported["csv"])
    last_event = max(index for index, line in enumerate(lines) if line[8] == "log_exported")
    del lines[last_event]

    assert "sista händelser har tagits bort" in refused(tmp_path, csv_body(lines))


def test_a_file_that_is_no_export_is_refused_in_words(tmp_path):
    assert "inte en export av Samråds händelselogg" in refused(tmp_path, b"{}", "annat.json")


def test_the_stored_log_of_a_meeting_passes(scenario):
    out = io.StringIO()
    call_command("verify_log", meeting=scenario.meeting.pk, stdout=out)
    assert "Loggen är oförändrad" in out.getvalue()


def rewrite_past_the_model(sql, params=()):
    """As someone with the table owner's rights would: past the model, and past the trigger on PostgreSQL."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's own inserts still have their foreign-key checks pending, which ALTER TABLE refuses.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE coordination_event DISABLE TRIGGER coordination_event_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE coordination_event ENABLE TRIGGER coordination_event_append_only")


def test_a_stored_row_rewritten_past_the_model_and_the_trigger_is_named(scenario):
    event = Event.objects.filter(meeting=scenario.meeting).order_by("pk")[4]
    rewrite_past_the_model("UPDATE coordination_event SET subject = %s WHERE id = %s", ["Omskrivet", event.pk])

    with pytest.raises(CommandError, match=f"Händelse {event.pk} har ändrats"):
        call_command("verify_log", meeting=scenario.meeting.pk, stdout=io.StringIO())


def test_a_row_written_past_the_model_without_a_hash_is_refused(meeting):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO coordination_event (meeting_id, actor_name, action, subject, private, created_at, hash)"
            " VALUES (%s, 'Någon', 'meeting_edited', '', false, CURRENT_TIMESTAMP, '')",
            [meeting.pk],
        )


def test_events_written_together_are_chained_in_order(meeting, kommun, kommun_coordinator):
    rows = [
        Event(meeting=meeting, actor_name="Någon", party=kommun, action=Event.Action.MEETING_EDITED, subject=str(n))
        for n in range(3)
    ]
    Event.objects.bulk_create(rows)
    log_event(meeting=meeting, by=kommun_coordinator, party=kommun, action=Event.Action.MEETING_HELD)

    assert eventchain.check_stored(meeting.pk).proven


def test_the_migration_gives_existing_events_the_hashes_the_service_gives(scenario):
    """The migration links the events written before the chain existed exactly as new ones are linked."""
    events = Event.objects.filter(meeting=scenario.meeting).order_by("pk")
    linked = list(events.values_list("hash", flat=True))
    migration = importlib.import_module("coordination.migrations.0021_event_hash_chain")
    apps = MigrationLoader(connection).project_state(CHAIN_MIGRATION).apps
    editor = types.SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
    rewrite_past_the_model("UPDATE coordination_event SET hash = 'x'")

    migration.link_existing_events(apps, editor)

    assert list(events.values_list("hash", flat=True)) == linked


@parallel
def test_events_written_at_the_same_moment_keep_one_unbroken_chain(
    meeting, kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_secretary, polis_coordinator
):
    """Exports take no lock of their own: the chain's lock alone keeps two writers from one predecessor."""
    writers = [(kommun, kommun_coordinator), (lansstyrelsen, lansstyrelsen_secretary), (polisen, polis_coordinator)]

    results = at_once(
        *(
            lambda party=party, user=user: eventlog.export_event_log(
                meeting=meeting, party=party, by=user, file_format="json"
            )
            for party, user in writers * 2
        )
    )

    assert not [result for result in results if isinstance(result, Exception)]
    assert Event.objects.filter(meeting=meeting, action=Event.Action.LOG_EXPORTED).count() == 6
    assert eventchain.check_stored(meeting.pk).proven


def test_a_private_event_must_name_its_party_whose_chain_it_joins(meeting):
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(meeting=meeting, actor_name="Någon", action=Event.Action.POSITION_SAVED, private=True)


def test_a_file_whose_checksums_were_computed_anew_after_a_change_is_caught_by_the_stored_log(tmp_path, exported):
    """Whoever changes a row and recomputes every hash after it has a file that proves itself, but not against
    the log the database keeps."""
    document = json.loads(exported["json"])
    events = document["events"]
    events[3]["subject"] += " (ändrad)"
    heads = {}
    for event in events:
        key = event["party_id"] if event["private"] else None
        content = eventlog.chain_content(event)
        event["hash"] = heads[key] = eventchain.digest(content, heads.get(key, eventchain.GENESIS))
    for head in document["chain"]["heads"]:
        head["hash"] = heads[head["party_id"]]

    message = refused(tmp_path, json.dumps(document).encode(), "omraknad.json")

    assert f"händelse {events[3]['id']} skiljer sig från den sparade loggen" in message


def test_a_fresh_export_agrees_with_the_stored_log(tmp_path, exported):
    count = len(json.loads(exported["json"])["events"])
    assert f"{count} av dess {count} händelser finns i den här installationens logg" in verify(
        tmp_path, exported["json"], "logg.json"
    )


@pytest.mark.parametrize("column", [1, 4])
def test_changed_words_in_a_csv_export_are_named_though_the_checksums_follow(tmp_path, exported, column):
    """The checksums cover the machine columns; the words a registrar reads are checked against the stored log."""
    lines = csv_lines(exported["csv"])
    changed = lines[2]
    changed[column] = "Polisen kan inte"

    assert f"Orden för händelse {changed[0]}" in refused(tmp_path, csv_body(lines))


def test_cells_defused_for_excel_are_read_back_exactly(tmp_path, client, meeting, kommun, kommun_coordinator):
    """A leading apostrophe is added to formulas and to an apostrophe itself, so exactly one comes off again."""
    for text in ("=1+1", "'citat'", "''två", "-3", "\tflik"):
        Event.objects.create(
            meeting=meeting, actor_name=text, party=kommun, action=Event.Action.MEETING_EDITED, subject=text
        )
    client.force_login(kommun_coordinator)

    assert "Loggen är oförändrad" in verify(tmp_path, export(client, meeting, kommun, "csv"))

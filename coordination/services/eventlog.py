"""A party's copy of a meeting's event log for its registry (diarium): CSV for Excel, JSON for systems.

The copy holds exactly what the party sees of the log — the same query as the
page, for that one party — so the drafts of other parties never reach another
party's registry, where they could become public records.

CSV choices, for Excel in Swedish Windows: UTF-8 with a byte-order mark (without
it Excel reads the file as Windows-1252 and breaks å, ä, ö) and semicolons
between cells (Swedish Excel's list separator, since the comma is the decimal
sign; a comma-separated file opens as one column). No "sep=;" line: it makes
Excel ignore the byte-order mark. Cells that Excel would run as a formula get a
leading apostrophe (OWASP, CSV injection).
"""

import csv
import io
import json

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .. import eventchain, eventlog_text
from ..formatting import stockholm_day, stockholm_timestamp
from ..models import Event
from .base import log_event

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
# Excel starts a formula at these, and DDE payloads hide behind a tab or a carriage return. A cell that
# starts with the apostrophe itself gets one too, so that verify_log can take exactly one off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
# The code in the kind column of the rows after the events that state the head of each chain.
CHAIN_HEAD = "chain_head"


@transaction.atomic
def export_event_log(*, meeting, party, by, file_format):
    """The log of ``meeting`` as ``party`` sees it, as (body bytes, content type, file name).

    Side effect: an event row that ``by`` exported the log for ``party``; it is
    written first, so the copy ends with its own export. The rows come in the
    order they were written, which is their chains' order (eventchain).
    """
    exported = log_event(
        meeting=meeting, by=by, party=party, action=Event.Action.LOG_EXPORTED, subject=file_format.upper()
    )
    return party_log_file(meeting, party, exported, file_format)


def party_log_file(meeting, party, exported, file_format):
    """The party's copy as a file, up to and including ``exported``, the logged event of the export it belongs to
    (a log export, or a diarium package that carries the log in both formats)."""
    events = (
        Event.objects.visible_to_parties([party.pk])
        .filter(meeting=meeting, pk__lte=exported.pk)
        .select_related("party")
        .order_by("pk")
    )
    rows = [_row(meeting, event) for event in events]
    heads = _heads(events, party)
    body = _csv(rows, heads) if file_format == "csv" else _json(meeting, party, exported, rows, heads)
    day = stockholm_day(exported.created_at)
    return body, FORMATS[file_format], f"samrad-logg-{meeting.pk}-{day}.{file_format}"


def _columns():
    """Row keys and their headings, in the language of the request: first for people, then for machines."""
    return [
        ("id", _("Event number")),
        ("when", _("When")),
        ("actor", _("Who")),
        ("party", _("Party")),
        ("description", _("What happened")),
        ("kind_label", _("Event")),
        ("meeting", _("Meeting")),
        ("time", _("Time")),
        ("kind", _("Event code")),
        ("subject", _("Concerns")),
        ("before", _("Before")),
        ("after", _("After")),
        ("meeting_id", _("Meeting number")),
        ("party_id", _("Party number")),
        ("private", _("Seen by the own party only")),
        ("created_at", _("Time (UTC)")),
        ("hash", _("Checksum (SHA-256)")),
    ]


def _row(meeting, event):
    return {
        "id": event.pk,
        "when": eventlog_text.when(event),
        "actor": event.actor_name,
        "party": event.party.name if event.party else "",
        "description": eventlog_text.sentence(event),
        "kind_label": event.get_action_display(),
        "meeting": meeting.title,
        "time": stockholm_timestamp(event.created_at),
        "kind": event.action,
        "subject": event.subject,
        "before": event.before,
        "after": event.after,
        "meeting_id": meeting.pk,
        "party_id": event.party_id,
        "private": event.private,
        "created_at": eventchain.utc_time(event.created_at),
        "hash": event.hash,
    }


def _heads(events, party):
    """The last hash of each chain in the export: the shared one, and the party's own if it has private events."""
    heads = {}
    for event in events:
        heads[eventchain.chain_key(event)] = event.hash
    return [
        {
            "description": _("Head of the chain of the events only %(party)s sees") % {"party": party.name}
            if key
            else _("Head of the chain of the events every party sees"),
            "party_id": key,
            "private": key is not None,
            "hash": hash_,
        }
        for key, hash_ in heads.items()
    ]


def _csv(rows, heads):
    return excel_csv(_columns(), [*rows, *({**head, "kind": CHAIN_HEAD} for head in heads)])


def excel_csv(columns, rows):
    """Rows (dicts) as CSV bytes for Swedish Excel, headed by the columns' headings: (key, heading) pairs.

    The headings are made formula-safe like the cells, as a heading may be user text (a party's name).
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([excel_cell(heading) for _key, heading in columns])
    for row in rows:
        writer.writerow([excel_cell(row.get(key)) for key, _heading in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def excel_cell(value):
    if value is None:
        return ""
    if isinstance(value, (bool, dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _json(meeting, party, exported, rows, heads):
    document = {
        "meeting": {"id": meeting.pk, "title": meeting.title},
        "party": party.name,
        "exported_at": stockholm_timestamp(exported.created_at),
        "exported_by": exported.actor_name,
        # The language of the words, so that verify_log can make them again from the stored events.
        "language": translation.get_language(),
        "events": rows,
        "chain": {"algorithm": "SHA-256", "heads": heads},
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def check_export(body):
    """Read an exported log (CSV or JSON bytes) and recompute its chains, for ``manage.py verify_log``.

    Returns the eventchain.Check, the rows, and the language the file was written in (None if unknown).
    """
    text = body.decode("utf-8-sig")
    rows, stated, language = _json_rows(text) if text.lstrip().startswith("{") else _csv_rows(text)
    result = eventchain.check(
        [(row["id"], row["party_id"] if row["private"] else None, chain_content(row), row["hash"]) for row in rows],
        {head["party_id"]: head["hash"] for head in stated},
    )
    return result, rows, language


def first_unlike_text(rows, language):
    """The number of the first row whose words (when, what) are not what its stored event says in ``language``.

    The hashes cover the machine columns; the words a registrar reads are made from them, so a change of the
    words alone shows here. Rows of events this installation does not have are left out.
    """
    events = Event.objects.select_related("party").in_bulk([row["id"] for row in rows])
    with translation.override(language):
        return next(
            (
                row["id"]
                for row in rows
                if row["id"] in events
                and (row["when"], row["description"])
                != (eventlog_text.when(events[row["id"]]), eventlog_text.sentence(events[row["id"]]))
            ),
            None,
        )


def chain_content(row):
    """What the hash of an exported row covers: eventchain.content_of, from the row's machine columns."""
    return {
        "meeting": row["meeting_id"],
        "party": row["party_id"],
        "actor_name": row["actor"],
        "action": row["kind"],
        "subject": row["subject"],
        "before": row["before"],
        "after": row["after"],
        "private": row["private"],
        "created_at": row["created_at"],
    }


def _json_rows(text):
    document = json.loads(text)
    return document["events"], document["chain"]["heads"], document.get("language")


def _csv_rows(text):
    """The rows as _row wrote them, by column position, so a file in either language reads the same."""
    keys = [key for key, _heading in _columns()]
    header, *lines = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    rows, heads = [], []
    for cells in lines:
        row = dict(zip(keys, (_uncell(cell) for cell in cells), strict=True))
        for key in ("id", "meeting_id", "party_id", "before", "after", "private"):
            row[key] = json.loads(row[key]) if row[key] else None
        (heads if row["kind"] == CHAIN_HEAD else rows).append(row)
    return rows, heads, _language_of(header)


def _language_of(header):
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            if header == [heading for _key, heading in _columns()]:
                return language
    return None


def _uncell(text):
    return text[1:] if text.startswith("'") else text

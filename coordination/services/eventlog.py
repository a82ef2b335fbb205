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

from django.db import transaction
from django.utils.translation import gettext as _

from ..formatting import stockholm_day, stockholm_timestamp
from ..models import Event
from .base import log_event

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
# Excel starts a formula at these, and DDE payloads hide behind a tab or a carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@transaction.atomic
def export_event_log(*, meeting, party, by, file_format):
    """The log of ``meeting`` as ``party`` sees it, as (body bytes, content type, file name).

    Side effect: an event row that ``by`` exported the log for ``party``; it is
    written first, so the copy ends with its own export.
    """
    exported = log_event(
        meeting=meeting, by=by, party=party, action=Event.Action.LOG_EXPORTED, subject=file_format.upper()
    )
    events = (
        Event.objects.visible_to_parties([party.pk])
        .filter(meeting=meeting)
        .select_related("party")
        .order_by("created_at", "pk")
    )
    rows = [_row(meeting, event) for event in events]
    body = _csv(rows) if file_format == "csv" else _json(meeting, party, exported, rows)
    day = stockholm_day(exported.created_at)
    return body, FORMATS[file_format], f"samrad-logg-{meeting.pk}-{day}.{file_format}"


def _columns():
    """Row keys and their headings, in the language of the request."""
    return [
        ("id", _("Event number")),
        ("time", _("Time")),
        ("actor", _("Who")),
        ("party", _("Party")),
        ("kind", _("Event code")),
        ("kind_label", _("Event")),
        ("subject", _("Concerns")),
        ("before", _("Before")),
        ("after", _("After")),
        ("meeting_id", _("Meeting number")),
        ("meeting", _("Meeting")),
    ]


def _row(meeting, event):
    return {
        "id": event.pk,
        "time": stockholm_timestamp(event.created_at),
        "actor": event.actor_name,
        "party": event.party.name if event.party else "",
        "kind": event.action,
        "kind_label": event.get_action_display(),
        "subject": event.subject,
        "before": event.before,
        "after": event.after,
        "meeting_id": meeting.pk,
        "meeting": meeting.title,
    }


def _csv(rows):
    columns = _columns()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([heading for _key, heading in columns])
    for row in rows:
        writer.writerow([_cell(row[key]) for key, _heading in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _json(meeting, party, exported, rows):
    document = {
        "meeting": {"id": meeting.pk, "title": meeting.title},
        "party": party.name,
        "exported_at": stockholm_timestamp(exported.created_at),
        "exported_by": exported.actor_name,
        "events": rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")

"""The answers of every party per proposed time as a file, for the conveners' briefing of their chair.

The same grid as the meeting page (overview.build_grid): one row per open time,
with its Stockholm date and clock times written out, one column per party with
the answer in words (in the language of the request) and its comment, and a
summary of how many can, can if need be, cannot and have not answered.

CSV goes through the event log's export (eventlog.excel_csv): UTF-8 with a
byte-order mark and semicolons for Swedish Excel, and a leading apostrophe on
every cell Excel would run as a formula. The XLSX (openpyxl) types every cell
as text, so no user text becomes a formula or an error value there either.
"""

import io

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..formatting import stockholm_clock_period, stockholm_date, stockholm_day
from ..models import Event
from ..overview import build_grid
from .base import log_event
from .eventlog import FORMULA_STARTS, excel_csv

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The widths of the XLSX's columns, in characters: the date written out, the clock times, each party, the summary.
WIDTHS = {"date": 28, "time": 13, "party": 32, "summary": 40}


@transaction.atomic
def export_answers(*, meeting, party, by, file_format):
    """Every party's answers to the open times of ``meeting``, as (body bytes, content type, file name).

    ``meeting`` comes with its invitations, parties and slots prefetched
    (Meeting.objects.for_answer_export), so the file costs the same queries
    however many times and parties it holds. Side effect: an event row that
    ``by`` downloaded the answers for ``party``, a convening party, like the
    export of the log.
    """
    exported = log_event(
        meeting=meeting, by=by, party=party, action=Event.Action.ANSWERS_EXPORTED, subject=file_format.upper()
    )
    columns, rows = answer_table(build_grid(meeting))
    body = excel_csv(columns, rows) if file_format == "csv" else _xlsx(columns, rows)
    return body, FORMATS[file_format], _filename(meeting, exported, file_format)


def answer_table(grid):
    """The grid as columns ((key, heading) pairs) and rows (dicts), in the active language."""
    parties = [(f"party-{inv.party_id}", inv.party.name) for inv in grid.invitations]
    columns = [("date", _("Date")), ("time", _("Time")), *parties, ("summary", _("Summary"))]
    rows = []
    for row in grid.rows:
        cells = {key: _answer_text(answer) for (key, _name), answer in zip(parties, row.answers, strict=True)}
        summary = _("%(yes)s can, %(maybe)s can if need be, %(no)s cannot, %(missing)s not answered") % {
            "yes": row.yes,
            "maybe": row.if_need_be,
            "no": row.no,
            "missing": row.missing,
        }
        start, end = row.slot.start, row.slot.end
        rows.append(
            {"date": stockholm_date(start), "time": stockholm_clock_period(start, end), **cells, "summary": summary}
        )
    return columns, rows


def _answer_text(answer):
    if answer is None:
        return _("Not answered")
    label = str(answer.label)
    if not answer.comment:
        return label
    return pgettext("an answer and its comment", "%(answer)s: %(comment)s") % {
        "answer": label,
        "comment": answer.comment,
    }


def _xlsx(columns, rows):
    # openpyxl is imported by the one request that makes a workbook: 7 MB more in every web worker otherwise.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Answers"))
    # The heading and the time stay in view while the reader scrolls through many times and parties.
    sheet.freeze_panes = "C2"
    for number, (key, _heading) in enumerate(columns, start=1):
        width = WIDTHS.get(key, WIDTHS["party"])
        sheet.column_dimensions[get_column_letter(number)].width = width
    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    sheet.append([_text_cell(sheet, heading, font=bold, alignment=wrapped) for _key, heading in columns])
    for row in rows:
        sheet.append([_text_cell(sheet, row.get(key, ""), alignment=wrapped) for key, _heading in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet, value, **style):
    """A cell that Excel shows as the text it is.

    openpyxl takes a string that starts with "=" for a formula and one such as
    "#N/A" for an error value; typed as text it is neither. The quote prefix
    keeps it text when someone edits the cell in Excel, as the apostrophe does
    in the CSV. Control characters, which XML cannot hold, are left out.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    cell.quotePrefix = text.startswith(FORMULA_STARTS)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _filename(meeting, exported, file_format):
    """An ASCII name with the meeting's date: its confirmed time's day, or, while it has none, the export's day."""
    moment = meeting.confirmed_slot.start if meeting.confirmed_slot_id else exported.created_at
    title = slugify(meeting.title)[:40].strip("-")
    name = "-".join(part for part in ("samrad-svar", str(meeting.pk), title, stockholm_day(moment)) if part)
    return f"{name}.{file_format}"

"""A party's diarium package: every record of a meeting the party holds, in one zip for its registrar.

What goes in is what the party may see: the kallelse, the approved minutes, the
positions (its own drafts included, never another party's), every document in
the form it was uploaded, the party's copy of the event log in CSV and JSON, and
a manifest that lists each record with its origin — "upprättad" by the party
itself or "inkommen" from another — its date, its SHA-256, its secrecy marking
and the party's own diarienummer for the meeting.

The zip is written as it is sent: each file goes through in chunks and nothing
holds a whole document, so a meeting with hundreds of megabytes of documents
costs the server a few chunks of memory. The manifest comes last, as the
checksums are counted while the files pass.
"""

import datetime
import hashlib
import json
import zipfile
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..documents import download_name
from ..formatting import stockholm_day, stockholm_timestamp
from ..models import AgendaItem, Document, Event, Position
from ..overview import ordered_invitations
from .base import log_event
from .eventlog import excel_csv, party_log_file

CHUNK = 256 * 1024
# Files that are compressed already (PDF, Office, images) gain nothing from deflating again; text does.
STORED_TYPES = ("application/pdf", "image/", "application/vnd.openxmlformats", "application/zip")


@dataclass
class Record:
    """One file of the package and its line in the manifest."""

    path: str
    title: str
    kind: str
    origin: str  # "drawn up by <party>" or "received from <party>", in the words of the package's language
    made_at: datetime.datetime
    chunks: object  # a function that returns an iterator of bytes
    compress: bool = True
    secrecy: str = ""  # the record's secrecy marking in words, or ""
    sha256: str = ""
    size: int = 0


@dataclass
class Package:
    """What the view streams: the file name, the records and the finished manifest's heading values."""

    filename: str
    records: list
    party: object
    registration_number: str
    exported_at: datetime.datetime
    # Put into words when the package is made: the zip is written after the view has returned, when the
    # request's language is no longer active.
    columns: list
    manifest_title: str
    manifest_kind: str

    def stream(self):
        """The zip, chunk by chunk, manifest last."""
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for record in self.records:
                yield from _write(archive, sink, record)
            for record in self._manifests():
                yield from _write(archive, sink, record)
        yield sink.take()

    def manifest_rows(self):
        return [
            {
                "file": record.path,
                "title": record.title,
                "kind": record.kind,
                "origin": record.origin,
                "date": stockholm_timestamp(record.made_at),
                "size": record.size,
                "sha256": record.sha256,
                "secrecy": record.secrecy,
                "registration_number": self.registration_number,
            }
            for record in self.records
        ]

    def _manifests(self):
        """The manifest as JSON and CSV: records made now, after every other file has been counted."""
        rows = self.manifest_rows()
        document = {
            "party": self.party.name,
            "registration_number": self.registration_number,
            "exported_at": stockholm_timestamp(self.exported_at),
            "algorithm": "SHA-256",
            "records": rows,
        }
        as_json = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        as_csv = excel_csv(self.columns, rows)
        origin = _origin([self.party], self.party)
        for name, body in (("manifest.json", as_json), ("manifest.csv", as_csv)):
            yield Record(name, self.manifest_title, self.manifest_kind, origin, self.exported_at, _once(body))


def _manifest_columns():
    return [
        ("file", _("File")),
        ("title", _("Title")),
        ("kind", _("Kind of record")),
        ("origin", _("Origin")),
        ("date", _("Date")),
        ("size", _("Size (bytes)")),
        ("sha256", _("Checksum (SHA-256)")),
        ("secrecy", _("Secrecy marking")),
        ("registration_number", _("Registration number")),
    ]


def _origin(parties, party):
    """Drawn up by the package's party if it is among ``parties`` (a record's authors), else received from them."""
    if party in parties:
        return _("drawn up by %(party)s") % {"party": party.name}
    return _("received from %(party)s") % {"party": ", ".join(author.name for author in parties)}


@transaction.atomic
def diarium_package(*, meeting, party, by, kallelse, minutes=None):
    """The package of ``party``'s records of ``meeting`` (as for_kallelse()), logged as exported by ``by``.

    ``kallelse`` is (file name, bytes): the kallelse as the page makes it, a PDF where the server can;
    ``minutes``, once they are approved, (Minutes, (file name, bytes)) likewise.
    """
    invitations = ordered_invitations(meeting)
    registration_number = next(inv.registration_number for inv in invitations if inv.party_id == party.pk)
    conveners = [inv.party for inv in invitations if inv.is_convening]
    exported = log_event(meeting=meeting, by=by, party=party, action=Event.Action.PACKAGE_EXPORTED)
    kallelse_name, kallelse_body = kallelse
    records = [
        Record(
            kallelse_name,
            _("Kallelse: %(title)s") % {"title": meeting.title},
            pgettext("record kind", "notice of meeting"),
            _origin(conveners, party),
            meeting.updated_at,
            _once(kallelse_body),
            compress=not kallelse_name.endswith(".pdf"),
            secrecy=_("holds records marked for secrecy") if _kallelse_holds_marked(meeting) else "",
        )
    ]
    own_origin = _origin([party], party)
    if minutes is not None:
        approved, (name, body) = minutes
        records.append(
            Record(
                name,
                _("Minutes: %(title)s") % {"title": meeting.title},
                pgettext("record kind", "minutes"),
                _origin(conveners, party),
                approved.approved_at,
                _once(body),
                compress=not name.endswith(".pdf"),
            )
        )
    records += _positions(meeting, party)
    records += _documents(meeting, party)
    for file_format in ("csv", "json"):
        body, _type, name = party_log_file(meeting, party, exported, file_format)
        records.append(
            Record(
                name, _("Event log"), pgettext("record kind", "event log"), own_origin, exported.created_at, _once(body)
            )
        )
    day = stockholm_day(exported.created_at)
    return Package(
        filename=f"samrad-diariepaket-{meeting.pk}-{slugify(party.short_name or party.name)}-{day}.zip",
        records=records,
        party=party,
        registration_number=registration_number,
        exported_at=exported.created_at,
        columns=_manifest_columns(),
        manifest_title=_("Manifest"),
        manifest_kind=pgettext("record kind", "manifest"),
    )


def _kallelse_holds_marked(meeting):
    """Whether the kallelse shows a record marked for secrecy: an accepted item, a shared position, their documents."""
    items = meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED)
    marked = [
        items,
        Position.objects.shared().filter(agenda_item__in=items),
        Document.objects.shared().current().filter(agenda_item__in=items),
    ]
    return any(records.exclude(secrecy="").exists() for records in marked)


def _positions(meeting, party):
    """Every position of the meeting the party sees: its own in any state, the others' while shared."""
    positions = (
        Position.objects.filter(agenda_item__meeting=meeting)
        .visible_to_parties([party.pk])
        .select_related("party", "agenda_item", "updated_by")
        .order_by("agenda_item__order", "agenda_item__pk", "party__name")
    )
    records = []
    for number, position in enumerate(positions, start=1):
        html = render_to_string("coordination/position_record.html", {"position": position}).encode("utf-8")
        records.append(
            Record(
                f"standpunkter/{number:03d}-{slugify(position.party.short_name or position.party.name)}.html",
                _("Position of %(party)s on %(item)s")
                % {"party": position.party.name, "item": position.agenda_item.title},
                pgettext("record kind", "position (draft)")
                if position.state == Position.State.DRAFT
                else pgettext("record kind", "position"),
                _origin([position.party], party),
                position.updated_at,
                _once(html),
                secrecy=str(position.secrecy_label),
            )
        )
    return records


def _documents(meeting, party):
    """Every document the party sees, replaced versions too, as uploaded."""
    documents = (
        Document.objects.filter(agenda_item__meeting=meeting)
        .visible_to_parties([party.pk])
        .select_related("party", "agenda_item")
        .order_by("pk")
    )
    return [
        Record(
            f"handlingar/{document.pk}-{download_name(document.original_name, document.content_type)}",
            document.original_name,
            pgettext("record kind", "document (replaced)")
            if document.replaced_at
            else pgettext("record kind", "document"),
            _origin([document.party], party),
            document.created_at,
            _file_chunks(document),
            compress=not document.content_type.startswith(STORED_TYPES),
            secrecy=str(document.secrecy_label),
        )
        for document in documents
    ]


def _file_chunks(document):
    def chunks():
        with document.file.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    return chunks


def _once(body):
    return lambda: iter([body])


def _write(archive, sink, record):
    digest = hashlib.sha256()
    info = zipfile.ZipInfo(record.path, date_time=_zip_time(record.made_at))
    info.compress_type = zipfile.ZIP_DEFLATED if record.compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    size = 0
    with archive.open(info, "w", force_zip64=True) as out:
        for chunk in record.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
            yield sink.take()
    record.sha256, record.size = digest.hexdigest(), size
    yield sink.take()


def _zip_time(moment):
    # Zip keeps a wall clock without a zone: the registrar's, Stockholm's. Zip's calendar starts in 1980.
    local = timezone.localtime(moment)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


class _Sink:
    """A write-only file for zipfile that hands on what was written; without tell() zipfile writes a stream."""

    def __init__(self):
        self._parts = []

    def write(self, data):
        self._parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self._parts)
        self._parts.clear()
        return data

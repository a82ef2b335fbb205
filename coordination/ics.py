"""Calendar files, built by pure functions (no HTTP, no database writes).

One builder serves the download, the e-mailed invitations and cancellations,
and the feed. The icalendar library does the escaping, CRLF line ends and
folding, so a title can never smuggle in properties of its own.

RFC 5546 in short: an invitation or update is METHOD:REQUEST, a cancellation
METHOD:CANCEL with STATUS:CANCELLED; both carry the meeting's one UID and a
SEQUENCE that rises with every change, so every calendar updates the same event.
A download is METHOD:PUBLISH with no ATTENDEE lines: a plain entry to add, not a
message to answer. The feed has no METHOD and no ATTENDEE lines either.
"""

import datetime
from dataclasses import dataclass, field

import icalendar
from django.conf import settings
from django.utils.translation import gettext as _

from .models import Invitation
from .times import STOCKHOLM, is_ambiguous

PRODID = "-//Samråd//Samråd//SV"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"
# Raised whenever a VEVENT, or a feed around its events, is written differently, so that no cache keeps
# serving events or feeds in the old shape (a feed is kept under its ETag, made of its events' keys).
EVENT_FORMAT = 2


@dataclass
class Entry:
    """Everything one meeting's VEVENT says, gathered from prefetched rows."""

    meeting: object
    slot: object
    url: str
    invitations: list
    attendees: list = field(default_factory=list)
    agenda_titles: list = field(default_factory=list)

    @property
    def cancelled(self):
        return self.meeting.status == self.meeting.Status.CANCELLED


def stockholm_vtimezone():
    """Europe/Stockholm as one STANDARD and one DAYLIGHT rule with a yearly RRULE.

    Outlook misreads the RDATE-list shape that automatic generation writes
    (MS-OXCICAL), so the EU rule since 1996 is written out by hand.
    """
    timezone = icalendar.Timezone()
    timezone.add("tzid", "Europe/Stockholm")
    daylight = icalendar.TimezoneDaylight()
    daylight.add("dtstart", datetime.datetime(1981, 3, 29, 2, 0, 0))
    daylight.add("tzoffsetfrom", datetime.timedelta(hours=1))
    daylight.add("tzoffsetto", datetime.timedelta(hours=2))
    daylight.add("tzname", "CEST")
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    standard = icalendar.TimezoneStandard()
    standard.add("dtstart", datetime.datetime(1996, 10, 27, 3, 0, 0))
    standard.add("tzoffsetfrom", datetime.timedelta(hours=2))
    standard.add("tzoffsetto", datetime.timedelta(hours=1))
    standard.add("tzname", "CET")
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


def calendar_time(moment):
    """A DTSTART/DTEND value: Stockholm wall-clock time, or UTC when that wall-clock time happens twice.

    A TZID time keeps Outlook and the rest showing the meeting in Stockholm time,
    but in the autumn's repeated hour it names two instants, and RFC 5545 reads
    it as the first: the second 02:30 would land an hour early. UTC ("...Z") is
    unambiguous and read alike by every client, so those instants, and only
    they, are written in it.
    """
    local = moment.astimezone(STOCKHOLM)
    return local.astimezone(datetime.UTC) if is_ambiguous(local) else local


def meeting_description(entry):
    """Purpose, the accepted agenda in order, the video link and the way back. Never a position or a document."""
    agenda = "\n".join(f"{number}. {title}" for number, title in enumerate(entry.agenda_titles, start=1))
    parts = [entry.meeting.purpose.strip(), agenda, entry.meeting.safe_video_link, entry.url]
    return "\n\n".join(part for part in parts if part)


def organizer(invitations):
    """The app's reply mailbox stands as ORGANIZER, named after the first convening party.

    Calendar clients send their Accept/Decline (METHOD:REPLY) to this address,
    which Samråd reads; a party's own mailbox would never pass them on.
    """
    convening = sorted(inv.party.name for inv in invitations if inv.role == Invitation.Role.CONVENING)
    address = icalendar.vCalAddress(f"mailto:{settings.CALENDAR_ORGANIZER_EMAIL}")
    address.params["cn"] = convening[0] if convening else "Samråd"
    return address


def attendee_address(attendee, required):
    address = icalendar.vCalAddress(f"mailto:{attendee.email}")
    address.params["cn"] = attendee.name
    address.params["role"] = "REQ-PARTICIPANT" if required else "OPT-PARTICIPANT"
    # Only the person's own answer from their calendar: the secretary's confirmation of their attendance is
    # not one, and a new time has set it back to NEEDS-ACTION (attendance.clear_calendar_answers).
    address.params["partstat"] = attendee.rsvp
    address.params["rsvp"] = "TRUE"
    # The party travels along so every calendar shows whom the person speaks for.
    address.params["x-samrad-party"] = attendee.party.name
    return address


def build_event(entry, *, now, cancelled=False, attendees=None):
    """One VEVENT. ``attendees`` narrows the ATTENDEE lines (a CANCEL to one person); None lists all."""
    meeting = entry.meeting
    event = icalendar.Event()
    event.add("uid", meeting.calendar_uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.astimezone(datetime.UTC))
    event.add("dtstart", calendar_time(entry.slot.start))
    event.add("dtend", calendar_time(entry.slot.end))
    event.add("summary", meeting.title)
    if meeting.location or meeting.safe_video_link:
        event.add("location", meeting.location or meeting.safe_video_link)
    event.add("description", meeting_description(entry))
    # The way to join is what a calendar should offer at the meeting's start: the video link
    # is its URL when there is one (the meeting's page stays in the description), and a
    # CONFERENCE (RFC 7986) for the calendars that show a join button.
    event.add("url", meeting.safe_video_link or entry.url)
    if meeting.safe_video_link:
        event.add(
            "conference",
            meeting.safe_video_link,
            parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": _("Video link")},
        )
    event.add("status", "CANCELLED" if cancelled or entry.cancelled else "CONFIRMED")
    event.add("organizer", organizer(entry.invitations))
    required = {inv.party_id: inv.required for inv in entry.invitations}
    for attendee in entry.attendees if attendees is None else attendees:
        if attendee.email:
            event.add("attendee", attendee_address(attendee, required.get(attendee.party_id, True)))
    return event


def build_published_event(entry, *, now):
    """A plain entry to keep (the download, the feed): nobody listed, a cancelled meeting's title says so.

    A calendar that reads no METHOD may ignore STATUS:CANCELLED too; the title is what everyone sees.
    """
    event = build_event(entry, now=now, attendees=[])
    if entry.cancelled:
        event["summary"] = icalendar.vText(_("Cancelled: %(title)s") % {"title": entry.meeting.title})
    return event


def build_hold(entry, slot, user, *, now, cancelled=False):
    """A tentative hold on one proposed time, so a person can keep it free while the parties answer.

    Its UID is the slot's own, never the meeting's: the real invitation stays a separate event. Its
    SEQUENCE follows the meeting's, doubled, so that the CANCEL that releases it (odd, written after any
    change of the meeting's) is newer than every copy downloaded before, and a copy downloaded again
    after a move back to polling (the meeting's has risen) is newer than that CANCEL.
    ``user`` stands as its ATTENDEE in a message (the release); None for the download, a plain entry.
    """
    event = icalendar.Event()
    event.add("uid", f"hold-{slot.pk}-{entry.meeting.uid}@samrad")
    event.add("sequence", 2 * entry.meeting.sequence + cancelled)
    event.add("dtstamp", now.astimezone(datetime.UTC))
    event.add("dtstart", calendar_time(slot.start))
    event.add("dtend", calendar_time(slot.end))
    event.add("summary", f"({entry.meeting.title})")
    event.add("description", entry.url)
    event.add("url", entry.url)
    event.add("status", "CANCELLED" if cancelled else "TENTATIVE")
    # Shown as tentative, never busy: Outlook reads its busy status from its own property first and
    # takes an OPAQUE event as Busy without it (MS-OXCICAL, TRANSP and X-MICROSOFT-CDO-BUSYSTATUS);
    # for the other calendars a transparent event leaves the time free.
    busy_status = "FREE" if cancelled else "TENTATIVE"
    event.add("transp", "TRANSPARENT")
    event.add("x-microsoft-cdo-busystatus", busy_status)
    event.add("x-microsoft-cdo-intendedstatus", busy_status)
    event.add("organizer", organizer(entry.invitations))
    if user is not None and user.email:
        address = icalendar.vCalAddress(f"mailto:{user.email}")
        address.params["cn"] = user.get_full_name() or user.get_username()
        address.params["partstat"] = "TENTATIVE"
        event.add("attendee", address)
    return event


def build_calendar(events, *, method=None, name=None):
    """A VCALENDAR as bytes: METHOD for a message or a download, NAME and refresh hints for a feed."""
    return calendar_text([event.to_ical() for event in events], method=method, name=name)


def calendar_text(event_texts, *, method=None, name=None):
    """A VCALENDAR around VEVENTs already serialised (build_calendar's bytes, whichever way the events came)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(stockholm_vtimezone())
    # A component's lines are its properties, then its subcomponents, then its END line: the
    # events go in just before that, as add_component() would have placed them.
    text = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    return text[: -len(end)] + b"".join(event_texts) + end

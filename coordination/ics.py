"""The meeting's calendar file, built by pure functions (no HTTP, no database writes).

One builder serves the download now and the e-mails and the feed later.
The icalendar library does the escaping, CRLF line ends and folding, so a
title can never smuggle in properties of its own.
"""

import datetime

import icalendar

from .models import Attendee, Invitation
from .times import STOCKHOLM

PRODID = "-//Samråd//Samråd//SV"

PARTSTAT = {
    Attendee.Status.NAMED: "NEEDS-ACTION",
    Attendee.Status.CONFIRMED: "ACCEPTED",
}


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


def meeting_description(meeting, meeting_url, agenda_titles):
    """Purpose, the accepted agenda in order, the video link and the way back. Never a position or a document."""
    agenda = "\n".join(f"{number}. {title}" for number, title in enumerate(agenda_titles, start=1))
    parts = [meeting.purpose.strip(), agenda, meeting.video_link, meeting_url]
    return "\n\n".join(part for part in parts if part)


def organizer_invitation(invitations):
    """The first convening party stands as ORGANIZER."""
    convening = [inv for inv in invitations if inv.role == Invitation.Role.CONVENING]
    return min(convening, key=lambda inv: inv.party.name) if convening else None


def build_meeting_event(meeting, *, invitations, attendees, agenda_titles, meeting_url, now):
    slot = meeting.confirmed_slot
    event = icalendar.Event()
    event.add("uid", meeting.calendar_uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.astimezone(datetime.timezone.utc))
    event.add("dtstart", slot.start.astimezone(STOCKHOLM))
    event.add("dtend", slot.end.astimezone(STOCKHOLM))
    event.add("summary", meeting.title)
    if meeting.location or meeting.video_link:
        event.add("location", meeting.location or meeting.video_link)
    event.add("description", meeting_description(meeting, meeting_url, agenda_titles))
    event.add("url", meeting_url)
    event.add("status", "CANCELLED" if meeting.status == meeting.Status.CANCELLED else "CONFIRMED")
    organizer = organizer_invitation(invitations)
    if organizer and organizer.party.email:
        address = icalendar.vCalAddress(f"mailto:{organizer.party.email}")
        address.params["cn"] = organizer.party.name
        event.add("organizer", address)
    required = {inv.party_id: inv.required for inv in invitations}
    for attendee in attendees:
        if not attendee.email:
            continue
        address = icalendar.vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = attendee.name
        address.params["role"] = "REQ-PARTICIPANT" if required.get(attendee.party_id, True) else "OPT-PARTICIPANT"
        address.params["partstat"] = PARTSTAT[attendee.status]
        address.params["rsvp"] = "TRUE"
        # The party travels along so every calendar shows whom the person speaks for.
        address.params["x-samrad-party"] = attendee.party.name
        event.add("attendee", address)
    return event


def build_meeting_calendar(meeting, *, invitations, attendees, agenda_titles=(), meeting_url, now):
    """The downloadable .ics of a scheduled (or cancelled) meeting, as bytes."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add_component(stockholm_vtimezone())
    calendar.add_component(
        build_meeting_event(
            meeting,
            invitations=invitations,
            attendees=attendees,
            agenda_titles=agenda_titles,
            meeting_url=meeting_url,
            now=now,
        )
    )
    return calendar.to_ical()

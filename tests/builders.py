"""Plain functions that build what the tests speak of: people, meetings, times and form data.

Fixtures live in conftest.py and the modules it registers; test modules import
from here, never from one another. Every date is derived from the frozen clock
(``FROZEN_NOW``) or from the calendar's own rules, never from the real today.
"""

import datetime
import email
import email.policy
import importlib
import os
import re
import subprocess
import sys
import zoneinfo
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid
from pathlib import Path

import icalendar
import pytest
import vobject
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from coordination.models import Answer, Membership, OutboxMessage, Party
from coordination.services import meetings
from coordination.times import stockholm_datetime

Role = Membership.Role
PASSWORD = "a-long-test-password"
ROOT = Path(__file__).resolve().parent.parent
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")

# The instant every test starts at (the clock then runs on): a Tuesday morning in
# November, with no holiday or clock change in the weeks the builders reach.
FROZEN_NOW = datetime.datetime(2026, 11, 10, 9, 30, tzinfo=STOCKHOLM)


def make_party(key, name, short_name):
    return Party.objects.create(name=name, short_name=short_name, email=f"registrator@{key}.example")


def make_user(username, party, role, title=""):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@samrad.example", first_name=title or username
    )
    if party is not None:
        Membership.objects.create(user=user, party=party, role=role, title=title)
    return user


def future_day(days):
    """The Stockholm date ``days`` after today: different ``days`` always give different dates."""
    return timezone.localdate() + datetime.timedelta(days=days)


def future_time(days, hour=10, minutes=120):
    """A Stockholm wall-clock time ``days`` from today, and its end ``minutes`` later."""
    start = stockholm_datetime(future_day(days), datetime.time(hour, 0))
    return start, start + datetime.timedelta(minutes=minutes)


def next_weekday(days):
    """The first Monday-to-Friday on or after ``days`` from today: for pages that flag weekends."""
    day = future_day(days)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def last_sunday(year, month):
    day = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
    return day - datetime.timedelta(days=(day.weekday() - 6) % 7)


def spring_forward(year):
    """The EU rule: summer time begins on the last Sunday of March; 02:00-03:00 does not exist."""
    return last_sunday(year, 3)


def autumn_back(year):
    """The EU rule: summer time ends on the last Sunday of October; 02:00-03:00 happens twice."""
    return last_sunday(year, 10)


def next_clock_changes():
    """The spring and autumn changes of the first year whose spring change is still ahead."""
    year = timezone.localdate().year
    if spring_forward(year) <= timezone.localdate():
        year += 1
    return spring_forward(year), autumn_back(year)


def create_meeting(coordinator, *, convening, required=(), optional=(), title="Dialog om utökat samarbete"):
    return meetings.save_meeting(
        by=coordinator,
        party=convening[0],
        details={
            "title": title,
            "purpose": "Stöd från NOA, kameror och ett lokalt poliskontor i Gottsunda.",
            "location": "Stadshuset, Uppsala",
            "video_link": "",
            "duration_minutes": 120,
            "answer_deadline": None,
        },
        convening=set(convening),
        required=set(required),
        optional=set(optional),
    )


def answer_all(meeting, party, user, value=Answer.Value.YES, comment=""):
    meetings.answer_slots(
        meeting=meeting,
        party=party,
        by=user,
        answers={slot.pk: (value, comment) for slot in meeting.slots.active()},
    )


# Form data as the browser posts it.


def slot_row(date, start, end="", repeated_hour=""):
    return {"date": date.isoformat(), "start_time": start, "end_time": end, "repeated_hour": repeated_hour}


def slot_formset(*rows, save_anyway=False):
    """The time form's post; ``save_anyway`` is its second button, which saves times the form warns about."""
    data = {
        "slots-TOTAL_FORMS": str(len(rows)),
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "10",
    }
    if save_anyway:
        data["save_anyway"] = "1"
    for index, row in enumerate(rows):
        data.update({f"slots-{index}-{key}": value for key, value in row.items()})
    return data


def edit_data(meeting, **changes):
    invitations = list(meeting.invitations.all())
    data = {
        "title": meeting.title,
        "purpose": meeting.purpose,
        "location": meeting.location,
        "video_link": meeting.video_link,
        "duration_minutes": meeting.duration_minutes,
        "answer_deadline": "",
        "contact_name": meeting.contact_name,
        "contact_email": meeting.contact_email,
        "contact_phone": meeting.contact_phone,
        "convening": [i.party_id for i in invitations if i.is_convening],
        "required_parties": [i.party_id for i in invitations if not i.is_convening and i.required],
        "optional_parties": [i.party_id for i in invitations if not i.is_convening and not i.required],
    }
    data.update(changes)
    return data


def answer_data(meeting, value="no", comment="Kan inte då"):
    data = {}
    for slot in meeting.slots.active():
        data[f"answer_{slot.pk}"] = value
        data[f"comment_{slot.pk}"] = comment
    return data


# Outside the request: a second-factor code, the project run as a command, a real PostgreSQL.


def current_code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def run_django(env, *args):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs parallel writers and row locks: the SQLite test database is in memory, one writer at a time",
)


def queued_mail(meeting, recipient, **fields):
    """A mail waiting in the outbox, due now, as the services write one."""
    values = {
        "kind": OutboxMessage.Kind.INVITATION,
        "recipient_name": "Rikspolischef",
        "subject": "Inbjudan: Dialog om utökat samarbete",
        "text": "Du är inbjuden.",
        "html": "<p>Du är inbjuden.</p>",
        "next_attempt_at": timezone.now(),
    }
    return OutboxMessage.objects.create(meeting=meeting, recipient=recipient, **{**values, **fields})


def missing_tool(message):
    """A tool the suite needs is not installed: skipped on a newcomer's machine, a failure under CI."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pdf_module():
    """coordination.pdf, whose WeasyPrint loads Debian's Pango: a missing tool where Pango is not installed."""
    try:
        return importlib.import_module("coordination.pdf")
    except OSError as error:
        missing_tool(f"WeasyPrint cannot load Pango ({error}): apt-get install libpango-1.0-0 libpangoft2-1.0-0")


def recipients_of(message):
    """(display name, address) of each To: of a sent Django message, read back from its bytes as a client would."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    return [(address.display_name, address.addr_spec) for address in parsed["To"].addresses]


def calendar_of(message):
    """The bytes and MIME method of a parsed mail's inline text/calendar part."""
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return part.get_payload(decode=True), part.get_param("method")


def calendar_reply(invitation, address, partstat, comment=None):
    """The raw mail a calendar client sends when ``address`` answers the parsed mail ``invitation``.

    As Outlook writes it: METHOD:REPLY, the invitation's UID and SEQUENCE, one ATTENDEE with its
    PARTSTAT and the person's ``comment`` if any, to the ORGANIZER, as text/calendar; method=REPLY
    in a multipart message.
    """
    [event] = icalendar.Calendar.from_ical(calendar_of(invitation)[0]).walk("VEVENT")
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REPLY")
    answer = icalendar.Event()
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"):
        answer.add(name, event[name])
    answer.add("dtstamp", timezone.now())
    attendee = icalendar.vCalAddress(f"mailto:{address}")
    attendee.params["partstat"] = partstat
    answer.add("attendee", attendee)
    if comment is not None:
        answer.add("comment", comment)
    calendar.add_component(answer)
    organizer = str(event["ORGANIZER"]).removeprefix("mailto:")
    return calendar_mail(calendar, sender=address, to=organizer, subject=f"{partstat.capitalize()}: {event['SUMMARY']}")


def calendar_mail(calendar, *, sender, to, subject):
    """The raw mail around a calendar, as a mail client sends it.

    Its subject as the text, the calendar as text/calendar with the MIME method of its METHOD, in
    multipart/alternative.
    """
    message = MIMEMultipart("alternative")
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    message.attach(MIMEText(subject, "plain", "utf-8"))
    part = MIMEText(calendar.to_ical().decode(), "calendar", "utf-8")
    part.set_param("method", str(calendar["METHOD"]))
    message.attach(part)
    return message.as_bytes()


def calendar_state(body):
    """METHOD, SEQUENCE and {address: (PARTSTAT, RSVP)} of a calendar message's bytes.

    Read by icalendar and by vobject, which must agree: two independent parsers.
    """
    calendar = icalendar.Calendar.from_ical(body)
    [event] = calendar.walk("VEVENT")
    listed = event.get("ATTENDEE", [])
    listed = listed if isinstance(listed, list) else [listed]
    by_icalendar = (
        str(calendar["METHOD"]),
        int(event["SEQUENCE"]),
        {str(a).removeprefix("mailto:"): (a.params["PARTSTAT"], a.params.get("RSVP")) for a in listed},
    )
    parsed = vobject.readOne(body.decode("utf-8"))
    by_vobject = (
        parsed.method.value,
        int(parsed.vevent.sequence.value),
        {
            a.value.removeprefix("mailto:"): (a.params["PARTSTAT"][0], a.params.get("RSVP", [None])[0])
            for a in parsed.vevent.contents.get("attendee", [])
        },
    )
    assert by_icalendar == by_vobject
    return by_icalendar


def bring_in_region(client, meeting, email="Lindstrom.Asa@region.example", **changes):
    """A convening coordinator (logged in on ``client``) brings Region Uppsala into ``meeting``."""
    data = {"party_name": "Region Uppsala", "short_name": "Regionen", "required": "on", "person": "Lindström, Åsa"}
    data.update(email=email, **changes)
    return client.post(reverse("new_party", args=[meeting.pk]), data)


def activation_link(message):
    """The activation link in an activation mail (an OutboxMessage)."""
    return re.search(r"https?://\S+/activate/\S+/", message.text).group(0)


def path_of(url):
    """The path of a link in a mail, to follow it with the test client."""
    return "/" + url.split("/", 3)[3]


def in_language(client, language):
    """Choose the language as a person does, with the language cookie: the browser's own language never chooses."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def in_english(client):
    return in_language(client, "en")

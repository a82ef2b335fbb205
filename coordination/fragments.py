"""The meeting page's costly parts — the answer grid, the parties' answer status, the agenda with its positions
and documents, and the attendees — rendered once per change of the meeting and reused from the cache until the
next change.

A part is kept under a key of everything it depends on:

- the meeting and its ``revision``, which every event of its log raises in the event's own transaction (see
  eventchain.link): any change anyone could see — an answer, a time, an item, a position, a document, an attendee,
  an invitation — is an event, so the page after it finds no part of before;
- what the viewer may see and do: their parties in the meeting with their roles (a party's drafts are in its
  members' agenda only, so no party is ever served another's part) and every right the page asks about;
- what the clock decides (whether the answer deadline has passed), the language, and the release's templates,
  tags and translations (overview.release_digest), so that a new release never serves an old release's HTML.

The parts are rendered without the request. The one per-request value in them, the CSRF token of their forms,
is rendered as a marker and put in on the way out.
"""

import hashlib

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from . import rules
from .models import Meeting
from .overview import build_agenda, build_grid, release_digest

CSRF_MARKER = "\x00csrf\x00"
# A day: changes move the key at once; this only lets parts of meetings nobody opens any more leave the cache.
TIMEOUT = 24 * 60 * 60

PARTS = {
    "grid": "coordination/_slot_grid.html",
    "parties": "coordination/_parties.html",
    "agenda": "coordination/_agenda.html",
    "attendees": "coordination/_attendees.html",
}


def meeting_parts(request, meeting, access, rights):
    """The parts of ``meeting``'s page for this viewer: {"grid", "parties", "agenda", "attendees": safe HTML,
    "has_times": bool}."""
    key = _key(meeting, access, rights)
    parts = cache.get(key)
    if parts is None:
        parts = _render(meeting, access, rights)
        cache.set(key, parts, TIMEOUT)
    token = get_token(request)
    shown = {"has_times": parts["has_times"]}
    for name in PARTS:
        # Made by Django's templates with escaping on (_render); the token is Django's own letters and digits.
        shown[name] = mark_safe(parts[name].replace(CSRF_MARKER, token))  # nosec B308 B703
    return shown


def _render(meeting, access, rights):
    # The page's own meeting has neither the slots nor the reminders (Meeting.objects.around_parts): only here.
    meeting = Meeting.objects.for_meeting_page().get(pk=meeting.pk)
    grid = build_grid(meeting, access)
    context = {
        "meeting": meeting,
        "grid": grid,
        "rights": rights,
        "agenda": build_agenda(meeting, access),
        "attendees": meeting.attendees.all(),
        "attendee_parties": [access.parties[party_id] for party_id in rules.attendee_party_ids(access)],
        "csrf_token": CSRF_MARKER,
    }
    parts = {name: render_to_string(template, context) for name, template in PARTS.items()}
    return {**parts, "has_times": bool(grid.rows)}


def _key(meeting, access, rights):
    viewer = repr(
        (
            sorted(access.roles.items()),
            sorted(rights.items()),
            meeting.deadline_passed,
            translation.get_language(),
            release_digest(),
        )
    )
    return f"meeting-parts:{meeting.pk}:{meeting.revision}:{hashlib.sha256(viewer.encode()).hexdigest()}"

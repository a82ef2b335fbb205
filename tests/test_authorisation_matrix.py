"""The authorisation matrix: every URL the app has × every role × GET and POST, with the expected outcome.

"The party" of a row is the party its object belongs to: the police's slot,
answers, attendee, positions and documents. The matrix meetings are convened
by the municipality alone; the county board and the police are invited, so
"another invited party" (the county board's coordinator) has every right a
coordinator has, only not for the police. A POST is sent with data that
would do the action for someone allowed to; a refusal then proves the rule
and not a form error. Every outcome but "done" also proves that nothing
changed: a snapshot of every table the app writes (row count and a hash of
every value) and of the documents folder, equal before and after. Left
out of the snapshot: the session table (logging in and out is what it is
for); the downloads that write are named in DOWNLOAD_WRITES.

The data is built once for the module and every test runs in a savepoint
rolled back at its end (pytest-django's django_db mark), and each role's session is
made once too: the cases then cost a request and a snapshot each, not the
meetings, agenda and documents a fresh world per case would build.
"""

import datetime
import functools
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from coordination.models import (
    Action,
    AgendaItem,
    Agreement,
    Answer,
    Attendee,
    CalendarReply,
    DecisionReference,
    Document,
    FeedToken,
    Guest,
    Invitation,
    Meeting,
    Membership,
    Minutes,
    MinutesApproval,
    MinutesCorrection,
    MinutesEntry,
    MinutesReviewer,
    MinutesVersion,
    NoticePreferences,
    OutboxMessage,
    Position,
    Presence,
    Profile,
    ReviewComment,
    Slot,
)
from coordination.services import attendance, feeds, guests, meetings, minutes, people, review
from coordination.views.guests import GUEST_KEY

from .agenda_support import add_item, build_scenario
from .builders import (
    PASSWORD,
    answer_all,
    answer_data,
    create_meeting,
    edit_data,
    future_time,
    make_party,
    make_user,
    next_weekday,
    queued_mail,
    slot_formset,
    slot_row,
)

Role = Membership.Role
NOTICES_CHOSEN = {
    "open_for_answers": "digest",
    "all_answered": "never",
    "agenda_proposed": "immediately",
    "position_shared": "never",
    "minutes_commented": "digest",
}
# Every test, also those that only read the tables below, runs against the module's world in the database.
pytestmark = pytest.mark.django_db

# Outcomes besides a plain status code.
LOGIN = "login"  # 302 to the login page, which comes back to this URL
DONE = "done"  # 302 after the action, and the data changed
AWAY = "302"  # 302 elsewhere, and nothing changed

# The columns of the matrix. Who plays each role (build_world): the outsider is Region Uppsala's coordinator
# (a party not invited); the other party is the county board's coordinator; member, coordinator and secretary
# are the police's; the convener is the municipality's coordinator; the convener's secretary the
# municipality's secretary, who alone confirms attendance.
MEMBER_ROLES = [
    "anonymous",
    "outsider",
    "other_party",
    "member",
    "coordinator",
    "secretary",
    "convener",
    "convener_secretary",
]
# Guests (models.Guest), each with a session of their own: the police's guest in the scheduled meeting, who
# reads; the police's guest in the polling meeting, allowed to answer for them; the police's guest in the
# scheduled meeting whose link was then revoked; a guest of a meeting held weeks ago, whose link has expired;
# a guest of another meeting. A guest is never logged in: on every URL but their own pages they get what
# the anonymous column says, which is what a row without guest columns means.
GUEST_ROLES = ["guest", "guest_answering", "guest_revoked", "guest_expired", "guest_elsewhere"]
ROLES = MEMBER_ROLES + GUEST_ROLES


@dataclass(frozen=True)
class Row:
    target: str  # what the URL points at, see World.kwargs
    get: tuple
    post: tuple
    # The columns of GUEST_ROLES; None: each as the anonymous column.
    guest_get: tuple = None
    guest_post: tuple = None

    def expected(self, method, role):
        if role in GUEST_ROLES:
            guests = getattr(self, f"guest_{method}")
            return getattr(self, method)[0] if guests is None else guests[GUEST_ROLES.index(role)]
        return getattr(self, method)[MEMBER_ROLES.index(role)]


def guest_page_row(target, *, get, post):
    """A guest's own page: the guests' columns as given; to everyone else, who is no guest, 403."""
    return Row(target, get=(403,) * len(MEMBER_ROLES), post=(403,) * len(MEMBER_ROLES), guest_get=get, guest_post=post)


MATRIX = {
    #                                                         anon.  outs.  other  member coord. secr.  conv.  conv.secr.
    # The user's own pages, and the public ones.
    "my_meetings": Row(
        "-", get=(LOGIN, 200, 200, 200, 200, 200, 200, 200), post=(LOGIN, 200, 200, 200, 200, 200, 200, 200)
    ),
    "login": Row(
        "-", get=(200, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY), post=(200, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
    ),
    "logout": Row(
        "-", get=(405, 405, 405, 405, 405, 405, 405, 405), post=(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
    ),
    # The two-factor step without a password step before it, and the admin's login: both lead to our login.
    # A logged-in user who is not an administrator is refused at the admin's login rather than sent round in a loop.
    # Single sign-on with a provider that is not configured (none is, here): test_sso.py tries real ones.
    "sso_login": Row(
        "provider", get=(404, 404, 404, 404, 404, 404, 404, 404), post=(405, 405, 405, 405, 405, 405, 405, 405)
    ),
    "sso_callback": Row(
        "provider", get=(404, 404, 404, 404, 404, 404, 404, 404), post=(405, 405, 405, 405, 405, 405, 405, 405)
    ),
    "login_code": Row(
        "-", get=(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY), post=(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
    ),
    "admin_login": Row(
        "-", get=(AWAY, 403, 403, 403, 403, 403, 403, 403), post=(AWAY, 403, 403, 403, 403, 403, 403, 403)
    ),
    # A reset answers the same for everyone. For a known address (each role's own) its mail is written to the
    # outbox; the password changes only when the new one is given through the link.
    "password_reset": Row(
        "-", get=(200, 200, 200, 200, 200, 200, 200, 200), post=(AWAY, DONE, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    "password_reset_done": Row(
        "-", get=(200, 200, 200, 200, 200, 200, 200, 200), post=(405, 405, 405, 405, 405, 405, 405, 405)
    ),
    "password_reset_confirm": Row(
        "member's reset link",
        get=(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY),
        post=(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY),
    ),
    "password_reset_complete": Row(
        "-", get=(200, 200, 200, 200, 200, 200, 200, 200), post=(405, 405, 405, 405, 405, 405, 405, 405)
    ),
    "password_change": Row(
        "-", get=(LOGIN, 200, 200, 200, 200, 200, 200, 200), post=(LOGIN, DONE, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    "two_factor_start": Row(
        "-", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, DONE, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    # Without a device being set up (or in use), there is nothing to confirm (or remove).
    "two_factor_setup": Row(
        "-", get=(LOGIN, 200, 200, 200, 200, 200, 200, 200), post=(LOGIN, 200, 200, 200, 200, 200, 200, 200)
    ),
    "two_factor_remove": Row(
        "-",
        get=(LOGIN, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY),
        post=(LOGIN, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY),
    ),
    "choose_language": Row(
        "-", get=(405, 405, 405, 405, 405, 405, 405, 405), post=(AWAY, DONE, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    "accessibility": Row(
        "-", get=(200, 200, 200, 200, 200, 200, 200, 200), post=(200, 200, 200, 200, 200, 200, 200, 200)
    ),
    "privacy": Row("-", get=(200, 200, 200, 200, 200, 200, 200, 200), post=(200, 200, 200, 200, 200, 200, 200, 200)),
    "healthz": Row("-", get=(200, 200, 200, 200, 200, 200, 200, 200), post=(200, 200, 200, 200, 200, 200, 200, 200)),
    "account": Row(
        "-", get=(LOGIN, 200, 200, 200, 200, 200, 200, 200), post=(LOGIN, 200, 200, 200, 200, 200, 200, 200)
    ),
    "feed_new": Row(
        "-", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, DONE, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    "feed_revoke": Row(
        "-", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, DONE, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    # Always the user's own choice of notices: the URL names no one.
    "notice_preferences": Row(
        "-", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, DONE, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    # The secret address is the key, whoever holds it: the member's feed, asked for by everyone.
    "feed": Row(
        "member's feed", get=(200, 200, 200, 200, 200, 200, 200, 200), post=(405, 405, 405, 405, 405, 405, 405, 405)
    ),
    # The activation link of a person invited into a party works for whoever holds it, like a reset link: the
    # member's, asked for by everyone, leads on to the form without the token in its address.
    "activate": Row(
        "member's activation link",
        get=(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY),
        post=(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY),
    ),
    # "My party": every party's coordinators manage their own party's people, nobody another's. A person of
    # another party is not there to be found (404); a party is named openly in the URL (403).
    "party_people": Row(
        "-", get=(LOGIN, 200, 200, 403, 200, 403, 200, 403), post=(LOGIN, 200, 200, 403, 200, 403, 200, 403)
    ),
    "person_invite": Row(
        "police", get=(LOGIN, 403, 403, 403, 200, 403, 403, 403), post=(LOGIN, 403, 403, 403, DONE, 403, 403, 403)
    ),
    "membership_role": Row(
        "police member's membership",
        get=(LOGIN, 405, 405, 405, 405, 405, 405, 405),
        post=(LOGIN, 404, 404, 404, DONE, 404, 404, 404),
    ),
    "membership_remove": Row(
        "police member's membership",
        get=(LOGIN, 404, 404, 404, 200, 404, 404, 404),
        post=(LOGIN, 404, 404, 404, DONE, 404, 404, 404),
    ),
    # The meeting and its scheduling.
    "meeting_create": Row(
        "-", get=(LOGIN, 200, 200, 403, 200, 403, 200, 403), post=(LOGIN, DONE, DONE, 403, DONE, 403, DONE, 403)
    ),
    "meeting_detail": Row(
        "polling", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 404, 200, 200, 200, 200, 200, 200)
    ),
    "meeting_edit": Row(
        "polling", get=(LOGIN, 404, 403, 403, 403, 403, 200, 403), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    # Bringing a party new to Samråd into the meeting is the convener's, as inviting any party is.
    "new_party": Row(
        "polling", get=(LOGIN, 404, 403, 403, 403, 403, 200, 403), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    # A draft is hidden from the invited parties.
    "open_polling": Row(
        "draft", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 404, 404, 404, 404, DONE, 403)
    ),
    "propose_slots": Row(
        "polling", get=(LOGIN, 404, 200, 403, 200, 403, 200, 403), post=(LOGIN, 404, DONE, 403, DONE, 403, DONE, 403)
    ),
    # Only the convener's coordinators add a time an attendee proposed from their calendar (a POST, one click).
    "add_proposed_time": Row(
        "counter", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "withdraw_slot": Row(
        "slot", get=(LOGIN, 404, 403, 403, 200, 403, 403, 403), post=(LOGIN, 404, 403, 403, DONE, 403, 403, 403)
    ),
    "confirm": Row(
        "slot", get=(LOGIN, 404, 403, 403, 403, 403, 200, 403), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "answer": Row(
        "answers", get=(LOGIN, 404, 403, 200, 200, 200, 403, 403), post=(LOGIN, 404, 403, DONE, DONE, DONE, 403, 403)
    ),
    "reschedule": Row(
        "scheduled", get=(LOGIN, 404, 403, 403, 403, 403, 200, 403), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "cancel": Row(
        "polling", get=(LOGIN, 404, 403, 403, 403, 403, 200, 403), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "mark_held": Row(
        "scheduled", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "remind": Row(
        "polling", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    # A cancelled meeting is called again by its convener's coordinators; the cancelled draft was never the
    # invited parties' to see.
    "meeting_copy": Row(
        "cancelled draft",
        get=(LOGIN, 405, 405, 405, 405, 405, 405, 405),
        post=(LOGIN, 404, 404, 404, 404, 404, DONE, 403),
    ),
    # A held meeting is followed up by its convener's coordinators: the page, then the POST that makes the draft.
    "meeting_follow_up": Row(
        "held", get=(LOGIN, 404, 403, 403, 403, 403, 200, 403), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "attendee_create": Row(
        "attendees", get=(LOGIN, 404, 403, 403, 200, 200, 403, 403), post=(LOGIN, 404, 403, 403, DONE, DONE, 403, 403)
    ),
    "attendee_remove": Row(
        "attendee", get=(LOGIN, 404, 403, 403, 200, 200, 403, 403), post=(LOGIN, 404, 403, 403, DONE, DONE, 403, 403)
    ),
    # The convening party's secretary confirms attendance, the police's own secretary does not.
    "attendee_confirm": Row(
        "attendee", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE)
    ),
    # ... and takes a confirmation back, and confirms all of a party's named attendees in one step.
    "attendee_unconfirm": Row(
        "confirmed attendee",
        get=(LOGIN, 405, 405, 405, 405, 405, 405, 405),
        post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE),
    ),
    "attendees_confirm_party": Row(
        "attendees", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE)
    ),
    "event_log": Row(
        "polling", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 404, 200, 200, 200, 200, 200, 200)
    ),
    # The police's copy of the log, for the police's registry: their coordinator's and their secretary's.
    "event_log_csv": Row(
        "police's log", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 200, 200, 403, 403)
    ),
    "event_log_json": Row(
        "police's log", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 200, 200, 403, 403)
    ),
    # The police's diarium package, for the police's registry: the same people as the police's copy of the log.
    "diarium_package": Row(
        "police's log", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 200, 200, 403, 403)
    ),
    # Every party's answers per time, for the convener's briefing: the convening party's coordinator and secretary.
    "answers_csv": Row(
        "polling", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, 200, 200)
    ),
    "answers_xlsx": Row(
        "polling", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, 200, 200)
    ),
    # A mail the outbox gave up on, to the police's attendee: the conveners, who follow the delivery, correct it.
    "resend_mail": Row(
        "given-up mail",
        get=(LOGIN, 404, 403, 403, 403, 403, 200, 200),
        post=(LOGIN, 404, 403, 403, 403, 403, DONE, DONE),
    ),
    "meeting_ics": Row(
        "scheduled", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 404, 200, 200, 200, 200, 200, 200)
    ),
    "holds_ics": Row(
        "polling", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 404, 200, 200, 200, 200, 200, 200)
    ),
    "hold_times": Row(
        "polling", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, DONE, DONE, DONE, DONE, DONE, DONE)
    ),
    # The agenda, the positions and the documents, on the scheduled meeting.
    "kallelse": Row(
        "scheduled", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 404, 200, 200, 200, 200, 200, 200)
    ),
    # The PDF of the kallelse: for whoever sees the kallelse, a download only (GET).
    "kallelse_pdf": Row(
        "scheduled", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 405, 405, 405, 405, 405, 405, 405)
    ),
    # Each party sets its own diarienummer: the police's coordinators and secretaries, no other party's people.
    "registration_number": Row(
        "registration number",
        get=(LOGIN, 404, 403, 403, 200, 200, 403, 403),
        post=(LOGIN, 404, 403, 403, DONE, DONE, 403, 403),
    ),
    "agenda_item_create": Row(
        "scheduled", get=(LOGIN, 404, 200, 200, 200, 403, 200, 403), post=(LOGIN, 404, DONE, DONE, DONE, 403, DONE, 403)
    ),
    "agenda_item_detail": Row(
        "accepted item", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 404, 200, 200, 200, 200, 200, 200)
    ),
    "agenda_item_edit": Row(
        "proposed item",
        get=(LOGIN, 404, 403, 200, 200, 403, 200, 403),
        post=(LOGIN, 404, 403, DONE, DONE, 403, DONE, 403),
    ),
    "agenda_item_accept": Row(
        "proposed item",
        get=(LOGIN, 405, 405, 405, 405, 405, 405, 405),
        post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403),
    ),
    "agenda_item_decline": Row(
        "proposed item",
        get=(LOGIN, 404, 403, 403, 403, 403, 200, 403),
        post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403),
    ),
    "agenda_item_up": Row(
        "middle item", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "agenda_item_down": Row(
        "middle item", get=(LOGIN, 405, 405, 405, 405, 405, 405, 405), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    # Documents on the item itself come from its proposer (the police) or the convener.
    "document_create": Row(
        "accepted item",
        get=(LOGIN, 404, 403, 200, 200, 200, 200, 403),
        post=(LOGIN, 404, 403, DONE, DONE, DONE, DONE, 403),
    ),
    "position_edit": Row(
        "position", get=(LOGIN, 404, 403, 200, 200, 200, 403, 403), post=(LOGIN, 404, 403, DONE, DONE, DONE, 403, 403)
    ),
    # Another party's draft does not exist for anyone else: 404, not 403.
    "position_share": Row(
        "draft position",
        get=(LOGIN, 404, 404, 200, 200, 200, 404, 404),
        post=(LOGIN, 404, 404, DONE, DONE, DONE, 404, 404),
    ),
    "position_withdraw": Row(
        "shared position",
        get=(LOGIN, 404, 403, 200, 200, 200, 403, 403),
        post=(LOGIN, 404, 403, DONE, DONE, DONE, 403, 403),
    ),
    "position_versions": Row(
        "shared position",
        get=(LOGIN, 404, 200, 200, 200, 200, 200, 200),
        post=(LOGIN, 404, 200, 200, 200, 200, 200, 200),
    ),
    "position_document_create": Row(
        "shared position",
        get=(LOGIN, 404, 403, 200, 200, 200, 403, 403),
        post=(LOGIN, 404, 403, DONE, DONE, DONE, 403, 403),
    ),
    "document_download": Row(
        "draft document",
        get=(LOGIN, 404, 404, 200, 200, 200, 404, 404),
        post=(LOGIN, 404, 404, 200, 200, 200, 404, 404),
    ),
    "document_replace": Row(
        "item document",
        get=(LOGIN, 404, 403, 200, 200, 200, 200, 403),
        post=(LOGIN, 404, 403, DONE, DONE, DONE, DONE, 403),
    ),
    # Secrecy marking: an item by its proposer's (the police's) coordinators and secretaries or by the conveners of
    # record; a position or a document by anyone of the party that owns it. Another party's draft is not there.
    "secrecy_item": Row(
        "item's secrecy",
        get=(LOGIN, 404, 403, 403, 200, 200, 200, 200),
        post=(LOGIN, 404, 403, 403, DONE, DONE, DONE, DONE),
    ),
    "secrecy_position": Row(
        "draft position's secrecy",
        get=(LOGIN, 404, 404, 200, 200, 200, 404, 404),
        post=(LOGIN, 404, 404, DONE, DONE, DONE, 404, 404),
    ),
    "secrecy_document": Row(
        "item document's secrecy",
        get=(LOGIN, 404, 403, 200, 200, 200, 403, 403),
        post=(LOGIN, 404, 403, DONE, DONE, DONE, 403, 403),
    ),
    # After the meeting (the scheduled meeting has begun): the minutes are a draft that only the convener's
    # coordinators and secretaries see; its secretary writes them, its coordinators name another minute-taker.
    "minutes": Row(
        "scheduled", get=(LOGIN, 404, 403, 403, 403, 403, 200, 200), post=(LOGIN, 404, 403, 403, 403, 403, 200, 200)
    ),
    "minute_taker": Row(
        "scheduled", get=(LOGIN, 404, 403, 403, 403, 403, 200, 403), post=(LOGIN, 404, 403, 403, 403, 403, DONE, 403)
    ),
    "minutes_entry": Row(
        "accepted item",
        get=(LOGIN, 404, 403, 403, 403, 403, 403, 200),
        post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE),
    ),
    "minutes_presence": Row(
        "scheduled", get=(LOGIN, 404, 403, 403, 403, 403, 403, 200), post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE)
    ),
    "minutes_person_add": Row(
        "scheduled", get=(LOGIN, 404, 403, 403, 403, 403, 403, 200), post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE)
    ),
    "agreement_create": Row(
        "accepted item",
        get=(LOGIN, 404, 403, 403, 403, 403, 403, 200),
        post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE),
    ),
    "action_create": Row(
        "accepted item",
        get=(LOGIN, 404, 403, 403, 403, 403, 403, 200),
        post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE),
    ),
    # The municipality records its own decision on an agreement; no other party records it for them.
    "decision_record": Row(
        "kommun's decision",
        get=(LOGIN, 404, 403, 403, 403, 403, 200, 200),
        post=(LOGIN, 404, 403, 403, 403, 403, DONE, DONE),
    ),
    # The police's action, in a draft the police do not see yet: only the minutes' writer changes its status.
    "action_status": Row(
        "police's action",
        get=(LOGIN, 404, 403, 403, 403, 403, 403, 200),
        post=(LOGIN, 404, 403, 403, 403, 403, 403, DONE),
    ),
    # Review (justering). The police's coordinators name the police's reviewer; the convener's coordinators and
    # secretaries send the minutes for review and take them back. In the meeting under review the police named
    # their member; the county board named no one, so its coordinator reviews for it (and reads the versions).
    "minutes_reviewer": Row(
        "reviewer", get=(LOGIN, 404, 403, 403, 200, 403, 403, 403), post=(LOGIN, 404, 403, 403, DONE, 403, 403, 403)
    ),
    "minutes_send": Row(
        "scheduled", get=(LOGIN, 404, 403, 403, 403, 403, 200, 200), post=(LOGIN, 404, 403, 403, 403, 403, DONE, DONE)
    ),
    "minutes_take_back": Row(
        "review", get=(LOGIN, 404, 403, 403, 403, 403, 200, 200), post=(LOGIN, 404, 403, 403, 403, 403, DONE, DONE)
    ),
    # The police's reviewer approves and comments for the police, nobody else: not their coordinator, not the
    # conveners, not the county board's reviewer.
    "minutes_approve": Row(
        "police's review",
        get=(LOGIN, 404, 403, 200, 403, 403, 403, 403),
        post=(LOGIN, 404, 403, DONE, 403, 403, 403, 403),
    ),
    "minutes_comment": Row(
        "police's comment",
        get=(LOGIN, 404, 403, 200, 403, 403, 403, 403),
        post=(LOGIN, 404, 403, DONE, 403, 403, 403, 403),
    ),
    "minutes_versions": Row(
        "review", get=(LOGIN, 404, 200, 200, 403, 403, 200, 200), post=(LOGIN, 405, 405, 405, 405, 405, 405, 405)
    ),
    # Approved minutes are every party's: the page to print and the PDF; corrections come from the conveners.
    "minutes_print": Row(
        "approved", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 405, 405, 405, 405, 405, 405, 405)
    ),
    "minutes_pdf": Row(
        "approved", get=(LOGIN, 404, 200, 200, 200, 200, 200, 200), post=(LOGIN, 405, 405, 405, 405, 405, 405, 405)
    ),
    "minutes_correction": Row(
        "approved", get=(LOGIN, 404, 403, 403, 403, 403, 200, 200), post=(LOGIN, 404, 403, 403, 403, 403, DONE, DONE)
    ),
    # Guests: the police's coordinators add and revoke the police's guests, nobody else.
    "guest_add": Row(
        "guests", get=(LOGIN, 404, 403, 403, 200, 403, 403, 403), post=(LOGIN, 404, 403, 403, DONE, 403, 403, 403)
    ),
    "guest_revoke": Row(
        "guest", get=(LOGIN, 404, 403, 403, 200, 403, 403, 403), post=(LOGIN, 404, 403, 403, DONE, 403, 403, 403)
    ),
    # The personal link is the key, whoever holds it: its page for all; its button mails the code to the guest.
    "guest_link": Row(
        "guest's link",
        get=(200,) * 8,
        post=(DONE,) * 8,
        guest_get=(200,) * 5,
        guest_post=(DONE,) * 5,
    ),
    # Without a code mailed to this browser, there is no code to enter.
    "guest_code": guest_page_row("-", get=(403,) * 5, post=(403,) * 5),
    # A guest's own pages: the meeting the session's guest belongs to; a revoked or expired link is gone (410).
    "guest_meeting": guest_page_row("-", get=(200, 200, 410, 410, 200), post=(200, 200, 410, 410, 200)),
    # The guest of the polling meeting and the one elsewhere: no time is confirmed, so no calendar entry.
    "guest_ics": guest_page_row("-", get=(200, 403, 410, 410, 403), post=(200, 403, 410, 410, 403)),
    "guest_answer": guest_page_row("-", get=(403, 200, 410, 410, 403), post=(403, DONE, 410, 410, 403)),
    # The document on the scheduled meeting's accepted item: its guest's; to any other guest it does not exist.
    "guest_document": guest_page_row("guest's document", get=(200, 404, 410, 410, 404), post=(200, 404, 410, 410, 404)),
}

# Downloads that write, on purpose: the export of the log, the diarium package and the answers per time write one
# row to the log itself, that the secretary or the convener took a copy (and the row raises the meeting's revision,
# as every event does); the feed notes on its own address when its content last changed (its Last-Modified, the
# same from every worker). (The tentative holds are remembered by a POST of their own.)
LOGGED_DOWNLOAD = {"coordination.Event", "coordination.Meeting"}
DOWNLOAD_WRITES = {
    "event_log_csv": LOGGED_DOWNLOAD,
    "event_log_json": LOGGED_DOWNLOAD,
    "diarium_package": LOGGED_DOWNLOAD,
    "answers_csv": LOGGED_DOWNLOAD,
    "answers_xlsx": LOGGED_DOWNLOAD,
    "feed": {"coordination.FeedToken"},
}

# Django's admin: one row group. No role of the matrix is staff, so every admin URL sends each of them to
# the admin's login page (its logout to the admin's index, which does the same); the login page itself
# leads to the app's login. Who may do what inside the admin is Django's permission system, not the app's rules.
ADMIN = "admin"


# The world every case runs against.


@dataclass
class Things:
    """What the police have in one meeting: a time they proposed, their attendee, their agenda items and positions."""

    meeting: object
    slot: Slot = None
    attendee: Attendee = None
    confirmed_attendee: Attendee = None  # one the convening secretary has confirmed
    agenda: object = None  # agenda_support.Scenario
    mail: OutboxMessage = None  # a mail to their attendee that the outbox gave up on
    counter: CalendarReply = None  # another time their attendee proposed from the calendar
    guest: Guest = None  # the police's guest, who only reads
    agreement: object = None  # an agreement in the minutes, that the municipality and the police stand behind
    action: object = None  # the police's action in the minutes
    item: AgendaItem = None  # the accepted item of a meeting with no agenda scenario (the reviewed minutes')


# What each target of the matrix points at: the meeting, and the URL's other arguments in that meeting.
TARGETS = {
    "-": (None, {}),
    "member's feed": (None, {"token": lambda w, t: w.feed_token}),
    "provider": (None, {"provider": lambda w, t: "polisen"}),
    "draft": ("draft", {}),
    "cancelled draft": ("cancelled draft", {}),
    "polling": ("polling", {}),
    "scheduled": ("scheduled", {}),
    "held": ("held", {}),
    "slot": ("polling", {"slot_pk": lambda w, t: t.slot}),
    "counter": ("polling", {"reply_pk": lambda w, t: t.counter}),
    "answers": ("polling", {"party_pk": lambda w, t: w.police}),
    "police's log": ("polling", {"party_pk": lambda w, t: w.police}),
    "member's reset link": (
        None,
        {
            "uidb64": lambda w, t: urlsafe_base64_encode(force_bytes(w.users["member"].pk)),
            "token": lambda w, t: default_token_generator.make_token(w.users["member"]),
        },
    ),
    "attendees": ("polling", {"party_pk": lambda w, t: w.police}),
    "registration number": ("scheduled", {"party_pk": lambda w, t: w.police}),
    "police": (None, {"party_pk": lambda w, t: w.police}),
    "police member's membership": (None, {"membership_pk": lambda w, t: w.users["member"].memberships.get()}),
    "member's activation link": (
        None,
        {
            "uidb64": lambda w, t: urlsafe_base64_encode(force_bytes(w.users["member"].pk)),
            "token": lambda w, t: people.activation_tokens.make_token(w.users["member"]),
        },
    ),
    "attendee": ("polling", {"attendee_pk": lambda w, t: t.attendee}),
    "confirmed attendee": ("polling", {"attendee_pk": lambda w, t: t.confirmed_attendee}),
    "given-up mail": ("scheduled", {"message_pk": lambda w, t: t.mail}),
    "accepted item": ("scheduled", {"item_pk": lambda w, t: t.agenda.item_a}),
    "proposed item": ("scheduled", {"item_pk": lambda w, t: t.agenda.proposed_item}),
    "middle item": ("scheduled", {"item_pk": lambda w, t: t.agenda.item_b}),
    "position": ("scheduled", {"item_pk": lambda w, t: t.agenda.item_a, "party_pk": lambda w, t: w.police}),
    "draft position": ("scheduled", {"position_pk": lambda w, t: t.agenda.draft}),
    "shared position": ("scheduled", {"position_pk": lambda w, t: t.agenda.shared}),
    "draft document": ("scheduled", {"document_pk": lambda w, t: t.agenda.draft_doc}),
    "item document": ("scheduled", {"document_pk": lambda w, t: t.agenda.item_doc}),
    "item's secrecy": ("scheduled", {"record_pk": lambda w, t: t.agenda.item_a}),
    "draft position's secrecy": ("scheduled", {"record_pk": lambda w, t: t.agenda.draft}),
    "item document's secrecy": ("scheduled", {"record_pk": lambda w, t: t.agenda.item_doc}),
    "guests": ("scheduled", {"party_pk": lambda w, t: w.police}),
    "guest": ("scheduled", {"guest_pk": lambda w, t: t.guest}),
    "guest's link": (None, {"token": lambda w, t: w.guest_link}),
    "guest's document": (None, {"document_pk": lambda w, t: w.things["scheduled"].agenda.item_doc}),
    "kommun's decision": (
        "scheduled",
        {"agreement_pk": lambda w, t: t.agreement, "party_pk": lambda w, t: w.parties["kommun"]},
    ),
    "police's action": ("scheduled", {"action_pk": lambda w, t: t.action}),
    "reviewer": ("scheduled", {"party_pk": lambda w, t: w.police}),
    "review": ("review", {}),
    "police's review": ("review", {"party_pk": lambda w, t: w.police}),
    "police's comment": (
        "review",
        {"item_pk": lambda w, t: t.item or t.agenda.item_a, "party_pk": lambda w, t: w.police},
    ),
    "approved": ("approved", {}),
}


@dataclass
class World:
    users: dict
    sessions: dict
    parties: dict
    things: dict  # meeting key -> Things
    feed_token: str
    documents: object
    guest_link: str = ""  # the path's token of the scheduled meeting's police guest
    before: dict = None

    @property
    def police(self):
        return self.parties["polisen"]

    def meeting(self, key):
        return self.things[key].meeting

    def kwargs(self, target, *, objects_from=None):
        """The URL arguments of a target; ``objects_from`` takes its slot, item, ... from another meeting."""
        key, arguments = TARGETS[target]
        things = self.things.get(objects_from or key)
        kwargs = {"pk": self.meeting(key).pk} if key else {}
        for name, value in arguments.items():
            value = value(self, things)
            kwargs[name] = getattr(value, "pk", value)
        return kwargs


def build_world(documents):
    kommun = make_party("uppsala", "Uppsala kommun", "Kommunen")
    lansstyrelsen = make_party("lansstyrelsen", "Länsstyrelsen Uppsala län", "Länsstyrelsen")
    polisen = make_party("polisen", "Polismyndigheten", "Polisen")
    region = make_party("region", "Region Uppsala", "Regionen")
    users = {
        "outsider": make_user("outsider", region, Role.COORDINATOR, "Samordnare, regionen"),
        "other_party": make_user(
            "lansstyrelsen_coordinator", lansstyrelsen, Role.COORDINATOR, "Samordnare, länsstyrelsen"
        ),
        "member": make_user("polis_member", polisen, Role.MEMBER, "Handläggare"),
        "coordinator": make_user("polis_coordinator", polisen, Role.COORDINATOR, "Stabschef"),
        "secretary": make_user("polis_secretary", polisen, Role.SECRETARY, "Sekreterare, polisen"),
        "convener": make_user("kommun_coordinator", kommun, Role.COORDINATOR, "Samordnare, kommunen"),
        "convener_secretary": make_user("kommun_secretary", kommun, Role.SECRETARY, "Sekreterare, kommunen"),
    }
    convener, police_coordinator = users["convener"], users["coordinator"]
    parties = {"kommun": kommun, "lansstyrelsen": lansstyrelsen, "polisen": polisen, "region": region}

    def meeting(title, *days):
        created = create_meeting(convener, convening=[kommun], required=[lansstyrelsen, polisen], title=title)
        meetings.propose_slots(meeting=created, party=kommun, by=convener, times=[future_time(d) for d in days])
        return created

    draft = meeting("Förberedande möte", 14)
    # Never opened for answers, then cancelled: it stays the conveners' own.
    cancelled_draft = meetings.cancel_meeting(
        meeting=meeting("Inställt förberedande möte", 14), by=convener, party=kommun, reason="Behövs inte"
    )

    def police_things(meeting):
        """The police propose a time, and every party answers every time so far."""
        [slot] = meetings.propose_slots(meeting=meeting, party=polisen, by=police_coordinator, times=[future_time(28)])
        answer_all(meeting, kommun, convener)
        answer_all(meeting, lansstyrelsen, users["other_party"])
        answer_all(meeting, polisen, users["member"])
        return Things(meeting=meeting, slot=slot)

    polling = police_things(
        meetings.open_polling(meeting=meeting("Samråd om kameror", 14, 21), by=convener, party=kommun)
    )
    # A time nobody else has answered yet, so a reminder has someone to remind.
    meetings.propose_slots(meeting=polling.meeting, party=kommun, by=convener, times=[future_time(35)])

    scheduled = police_things(
        meetings.open_polling(meeting=meeting("Dialog om utökat samarbete", 14, 21), by=convener, party=kommun)
    )
    first = scheduled.meeting.slots.order_by("start").first()
    meetings.confirm_slot(meeting=scheduled.meeting, slot=first, by=convener, party=kommun)
    # The meeting has begun, so that it may be marked as held.
    now = timezone.now()
    begun = {"start": now - datetime.timedelta(hours=3), "end": now - datetime.timedelta(hours=1)}
    Slot.objects.filter(pk=first.pk).update(**begun)

    # The same police things in both meetings: an id from one is then tried in the other's URLs.
    for things in (polling, scheduled):
        things.attendee = attendance.name_attendee(
            meeting=things.meeting,
            party=polisen,
            by=police_coordinator,
            name="Rikspolischef",
            email="rikspolischef@polisen.example",
        )
        things.confirmed_attendee = attendance.confirm_attendance(
            attendee=attendance.name_attendee(
                meeting=things.meeting,
                party=polisen,
                by=police_coordinator,
                name="Biträdande rikspolischef",
                email="bitr.rikspolischef@polisen.example",
            ),
            by=users["convener_secretary"],
            party=kommun,
        )
        things.counter = CalendarReply.objects.create(
            meeting=things.meeting,
            attendee=things.attendee,
            sender="rikspolischef@polisen.example",
            outcome=CalendarReply.Outcome.COUNTER,
            partstat="TENTATIVE",
            proposed_start=future_time(42)[0],
            proposed_end=future_time(42)[1],
        )
        things.mail = queued_mail(
            things.meeting, "rikspolischef@polisen.exmaple", failed_at=timezone.now(), failure="recipient_refused"
        )
        things.agenda = build_scenario(
            things.meeting,
            kommun=kommun,
            polisen=polisen,
            kommun_coordinator=convener,
            polis_coordinator=police_coordinator,
            polis_member=users["member"],
        )
    build_minutes(scheduled, users["convener_secretary"], kommun, polisen)
    # An earlier meeting of the dialogue, held: the one a follow-up is planned from.
    held = meetings.open_polling(meeting=meeting("Avstämning inför dialogen", 14), by=convener, party=kommun)
    for party, user in ((kommun, convener), (lansstyrelsen, users["other_party"]), (polisen, users["member"])):
        answer_all(held, party, user)
    held_slot = held.slots.get()
    meetings.confirm_slot(meeting=held, slot=held_slot, by=convener, party=kommun)
    Slot.objects.filter(pk=held_slot.pk).update(**begun)
    held = meetings.mark_held(meeting=held, by=convener, party=kommun)
    under_review = build_review(meeting, users, parties)
    approved = build_review(meeting, users, parties, approve=True)
    # Everyone has a calendar address, so that turning one's own off changes something.
    tokens = {role: feeds.new_feed_token(user) for role, user in users.items()}
    guest_sessions, link = build_guests(users, parties, polling, scheduled, meeting)
    return World(
        users=users,
        sessions={**{role: logged_in(user) for role, user in users.items()}, **guest_sessions},
        guest_link=link,
        parties=parties,
        things={
            "draft": Things(meeting=draft),
            "cancelled draft": Things(meeting=cancelled_draft),
            "polling": polling,
            "scheduled": scheduled,
            "held": Things(meeting=held),
            "review": under_review,
            "approved": approved,
        },
        feed_token=tokens["member"],
        documents=documents,
    )


def build_minutes(scheduled, secretary, kommun, polisen):
    """The scheduled meeting's draft minutes: the police's attendee confirmed, an agreement and the police's action."""
    attendance.confirm_attendance(attendee=scheduled.attendee, by=secretary, party=kommun)
    item = scheduled.agenda.item_a
    scheduled.agreement = minutes.add_agreement(
        meeting=scheduled.meeting,
        item=item,
        party=kommun,
        by=secretary,
        text="Gemensam lägesbild",
        parties=[kommun, polisen],
    )
    scheduled.action = minutes.add_action(
        meeting=scheduled.meeting,
        item=item,
        party=kommun,
        by=secretary,
        what="Utse kontaktperson",
        owner_party=polisen,
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    # Confirming the attendee raised the meeting's sequence: what the rows below compare with.
    scheduled.meeting.refresh_from_db()


def build_review(meeting, users, parties, *, approve=False):
    """A meeting that has begun, its minutes sent for review (version 1); the police named their member as their
    reviewer. With ``approve``, every party has approved them: they are locked."""
    kommun, lansstyrelsen, police = parties["kommun"], parties["lansstyrelsen"], parties["polisen"]
    convener, secretary = users["convener"], users["convener_secretary"]
    held = meetings.open_polling(
        meeting=meeting("Justerat samråd" if approve else "Samråd under justering", 14), by=convener, party=kommun
    )
    answer_all(held, lansstyrelsen, users["other_party"])
    answer_all(held, police, users["member"])
    meetings.confirm_slot(meeting=held, slot=held.slots.first(), by=convener, party=kommun)
    begun = timezone.now() - datetime.timedelta(hours=2)
    Slot.objects.filter(meeting=held).update(start=begun, end=begun + datetime.timedelta(hours=1))
    item = add_item(held, kommun, convener, "Kameror", accept_by=(convener, kommun))
    minutes.save_entry(meeting=held, item=item, party=kommun, by=secretary, text="Smygfritt protokoll", base_version=0)
    if not approve:
        review.name_reviewer(meeting=held, party=police, by=users["coordinator"], user=users["member"])
    review.send_for_review(meeting=held, party=kommun, by=secretary)
    if approve:
        for party, user in ((kommun, convener), (lansstyrelsen, users["other_party"]), (police, users["coordinator"])):
            review.approve(meeting=held, party=party, by=user, version=1)
    held.refresh_from_db()
    return Things(meeting=held, item=item)


def build_guests(users, parties, polling, scheduled, meeting):
    """The guests of GUEST_ROLES, each in a session of their own; returns the sessions and the reader's link."""
    police, kommun, coordinator, convener = (
        parties["polisen"],
        parties["kommun"],
        users["coordinator"],
        users["convener"],
    )

    def add(on, name, *, party=police, by=coordinator, may_answer=False):
        added = guests.add_guest(
            meeting=on, party=party, by=by, name=name, email=f"{name.lower()}@gast.example", may_answer=may_answer
        )
        return added, guest_session(added)

    scheduled.guest, reader = add(scheduled.meeting, "Läsare")
    polling.guest, _ = add(polling.meeting, "Läsare2")
    _, answering = add(polling.meeting, "Svarare", may_answer=True)
    revoked_guest, revoked = add(scheduled.meeting, "Återkallad")
    guests.revoke_guest(guest=revoked_guest, by=coordinator, party=police)
    # A meeting held weeks ago: its guest's link has expired.
    past = meetings.open_polling(meeting=meeting("Samråd i våras", 14), by=convener, party=kommun)
    answer_all(past, parties["lansstyrelsen"], users["other_party"])
    answer_all(past, police, users["member"])
    meetings.confirm_slot(meeting=past, slot=past.slots.first(), by=convener, party=kommun)
    _, expired = add(past, "Utgången")
    weeks_ago = timezone.now() - datetime.timedelta(days=settings.GUEST_LINK_DAYS_AFTER + 7)
    Slot.objects.filter(meeting=past).update(start=weeks_ago - datetime.timedelta(hours=2), end=weeks_ago)
    elsewhere_meeting = meetings.open_polling(meeting=meeting("Annat samråd", 14), by=convener, party=kommun)
    _, elsewhere = add(elsewhere_meeting, "Annanstans", party=kommun, by=convener)
    sessions = {
        "guest": reader,
        "guest_answering": answering,
        "guest_revoked": revoked,
        "guest_expired": expired,
        "guest_elsewhere": elsewhere,
    }
    link = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.GUEST_LINK, recipient="läsare@gast.example").get()
    return sessions, re.search(r"/guest/([^/\s]+)/", link.text).group(1)


def guest_session(guest):
    """The key of a session in which ``guest`` has entered their code."""
    session = SessionStore()
    session[GUEST_KEY] = guest.pk
    session.create()
    return session.session_key


def logged_in(user):
    """The key of a session of ``user``'s: a case sends it as its cookie rather than logging in again."""
    client = Client()
    client.force_login(user)
    return client.session.session_key


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once; each test's own transaction (pytest-django's) is a savepoint inside this one."""
    documents = tmp_path_factory.mktemp("matrix-documents")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(DOCUMENTS_ROOT=documents, PASSWORD_HASHERS=fast), django_db_blocker.unblock():
        with transaction.atomic():
            built = build_world(documents)
            built.before = snapshot()
            yield built
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def documents_root(world):
    """Overrides the conftest's per-test folder: the world's documents live in one folder for the module."""
    return world.documents


# The snapshot: every table the app writes, as row count and a hash of every value.


@functools.cache
def snapshot_queries():
    """One plain SELECT per table in primary-key order: taken after every case, through the ORM it cost a third
    of the module's time."""
    quote = connection.ops.quote_name
    queries = {}
    # Two-factor devices too: setting one up is a change of the account like a new password.
    models = [*apps.get_app_config("coordination").get_models(include_auto_created=True), get_user_model()]
    for model in [*models, *apps.get_app_config("otp_totp").get_models()]:
        columns = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        queries[model._meta.label] = f"SELECT {columns} FROM {table} ORDER BY {pk}"
    return queries


def snapshot():
    state = {}
    with connection.cursor() as cursor:
        for label, query in snapshot_queries().items():
            cursor.execute(query)
            rows = cursor.fetchall()
            state[label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


def changed_tables(before, after, allowed=()):
    return sorted(label for label in after if after[label] != before[label] and label not in allowed)


def files_in(folder):
    return sorted(path.name for path in folder.iterdir())


# What each URL is sent.


def upload():
    return SimpleUploadedFile("smyg.txt", b"Smygdokument\n", "text/plain")


def action_data(name, world, user):
    """POST data that would do the action for someone allowed to."""
    sc, parties, polling = world.things["scheduled"].agenda, world.parties, world.meeting("polling")
    item_form = {"title": "Smygpunkt", "description": "", "presenting_party": "", "planned_minutes": "10"}
    if name == "meeting_create":
        own = user.memberships.first().party if user and user.memberships.exists() else parties["kommun"]
        other = parties["polisen"] if own != parties["polisen"] else parties["kommun"]
        return {
            "title": "Smygmöte",
            "purpose": "",
            "location": "",
            "video_link": "",
            "duration_minutes": "60",
            "answer_deadline": "",
            "convening": [own.pk],
            "required_parties": [other.pk],
            "optional_parties": [],
        }
    return {
        "login": lambda: {"username": "polis_member", "password": "not-the-password-at-all"},
        "login_code": lambda: {"code": "123456"},
        "password_reset": lambda: {"email": user.email if user else "polis_member@polisen.example"},
        "password_reset_confirm": lambda: {
            "new_password1": "ett-nytt-langt-losenord",
            "new_password2": "ett-nytt-langt-losenord",
        },
        "password_change": lambda: {
            "old_password": PASSWORD,
            "new_password1": "ett-nytt-langt-losenord",
            "new_password2": "ett-nytt-langt-losenord",
        },
        "two_factor_setup": lambda: {"code": "123456"},
        "two_factor_remove": lambda: {"code": "123456"},
        "choose_language": lambda: {"language": "en", "next": "/"},
        "notice_preferences": lambda: NOTICES_CHOSEN,
        "meeting_edit": lambda: edit_data(polling, title="Smygändrad titel"),
        "propose_slots": lambda: slot_formset(slot_row(next_weekday(40), "13:00")),
        "confirm": lambda: {"reason": "Vi ses ändå"},
        "answer": lambda: answer_data(polling, value="if_need_be", comment="Kanske"),
        "reschedule": lambda: {"target": "polling", "reason": "Rikspolischefen är förhindrad"},
        "cancel": lambda: {"reason": "Inget behov längre"},
        "resend_mail": lambda: {"email": "smyg@polisen.example"},
        "person_invite": lambda: {"name": "Smyg", "email": "smyg@smyg.example", "role": "coordinator", "title": ""},
        "membership_role": lambda: {"role": "coordinator"},
        "new_party": lambda: {
            "party_name": "Smygparten",
            "short_name": "",
            "required": "on",
            "person": "Smyg",
            "email": "smyg@smygparten.example",
        },
        "activate": lambda: {"new_password1": "ett-nytt-langt-losenord", "new_password2": "ett-nytt-langt-losenord"},
        "attendee_create": lambda: {"user": "", "name": "Obehörig", "email": "", "title": "", "kind": "principal"},
        "agenda_item_create": lambda: item_form,
        "agenda_item_edit": lambda: item_form,
        "agenda_item_decline": lambda: {"reason": "Smygnej"},
        "position_edit": lambda: {"text": "Smygtext", "base_version": str(sc.draft.version)},
        "document_create": lambda: {"file": upload()},
        "position_document_create": lambda: {"file": upload()},
        "document_replace": lambda: {"file": upload()},
        "registration_number": lambda: {"registration_number": "Smyg-2026/1"},
        "minute_taker": lambda: {"minute_taker": world.users["member"].memberships.get().pk},
        "minutes_entry": lambda: {"text": "Smygprotokoll", "base_version": "0"},
        "minutes_presence": lambda: {"present": []},
        "minutes_person_add": lambda: {"name": "Smygdeltagare", "party": parties["kommun"].pk},
        "agreement_create": lambda: {"text": "Smygavtal", "parties": [parties["polisen"].pk]},
        "action_create": lambda: {"what": "Smygåtgärd", "owner_party": parties["polisen"].pk, "due_on": "2026-12-01"},
        "decision_record": lambda: {"body": "Smygnämnden", "decided_on": "2026-12-01", "registration_number": "S-1"},
        "action_status": lambda: {"status": "dropped", "reason": "Smygskäl"},
        **dict.fromkeys(
            ["secrecy_item", "secrecy_position", "secrecy_document"],
            lambda: {"secrecy": "covered", "provision": "OSL 18 kap. 1 §", "base_version": "0"},
        ),
        "minutes_reviewer": lambda: {"reviewer": world.users["member"].memberships.get().pk},
        "minutes_take_back": lambda: {"version": "1"},
        "minutes_approve": lambda: {"version": "1"},
        "minutes_comment": lambda: {"text": "Smygkommentar", "version": "1"},
        "minutes_correction": lambda: {"agenda_item": "", "text": "Smygrättelse"},
        "guest_add": lambda: {"name": "Smyggäst", "email": "smyg@gast.example", "may_answer": "on"},
        "guest_code": lambda: {"code": "123456"},
        "guest_answer": lambda: answer_data(polling, value="if_need_be", comment="Kanske"),
    }.get(name, dict)()


def outcome(response, url):
    """The response as the matrix writes it: a status, or where a redirect leads."""
    if response.status_code != 302:
        return response.status_code
    target = urlsplit(response["Location"])
    if target.path == reverse("login") and parse_qs(target.query).get("next"):
        assert urlsplit(parse_qs(target.query)["next"][0]).path == url
        return LOGIN
    return AWAY


def send(client, world, role, method, url, data):
    """A GET carries the form's fields as a query (a link or a prefetch must not act); a POST the form."""
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    if method == "get":
        return client.get(url, {k: v for k, v in data.items() if not hasattr(v, "read")})
    return client.post(url, data)


# The walk over every URL the app has.


def url_patterns(patterns=None, namespace=""):
    """(name with its namespace, the pattern) of every URL pattern, included ones too."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else None), namespace, pattern


def app_url_names():
    return {name for name, namespace, _ in url_patterns() if not namespace.startswith(f"{ADMIN}:")}


def admin_urls():
    """Every named admin URL, with any object ids it takes: the admin refuses before it looks them up."""
    values = {"object_id": "1", "pk": "1", "content_type_id": "1", "id": "1", "app_label": "coordination"}
    urls = []
    for name, namespace, pattern in url_patterns():
        if namespace == f"{ADMIN}:" and name:
            params = pattern.pattern.regex.groupindex
            urls.append((name, reverse(name, kwargs={key: values[key] for key in params})))
    return urls


def test_every_url_has_a_row():
    """A URL added without a row here fails: its rights must be decided in the matrix first."""
    names = app_url_names()
    assert None not in names, "an unnamed URL outside the admin cannot be checked by the matrix"
    assert names == set(MATRIX)
    assert all(len(row.get) == len(row.post) == len(MEMBER_ROLES) for row in MATRIX.values())
    guest_columns = [row.guest_get for row in MATRIX.values()] + [row.guest_post for row in MATRIX.values()]
    assert all(columns is None or len(columns) == len(GUEST_ROLES) for columns in guest_columns)
    assert len(admin_urls()) > 50


CASES = [(name, role, method) for name in MATRIX for role in ROLES for method in ("get", "post")]


@pytest.mark.parametrize("name, role, method", CASES)
def test_matrix(client, world, name, role, method):
    row = MATRIX[name]
    expected = row.expected(method, role)
    url = reverse(name, kwargs=world.kwargs(row.target))
    user = world.users.get(role)
    files = files_in(world.documents)

    response = send(client, world, role, method, url, action_data(name, world, user))

    changed = changed_tables(world.before, snapshot(), DOWNLOAD_WRITES.get(name, ()))
    got = outcome(response, url)
    if expected == DONE:
        assert (got, bool(changed)) == (AWAY, True), f"{name} as {role}: {got}, changed {changed}"
    else:
        assert (got, changed) == (expected, []), f"{name} as {role}"
        assert files_in(world.documents) == files


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(client, world, role, method):
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    wrong = []
    for name, url in admin_urls():
        response = getattr(client, method)(url)
        # The admin logs in through the app's own login (lockout, two-factor step), where a logged-in user who is
        # not an administrator is refused; its logout leads to its index.
        if name == f"{ADMIN}:login" and role in world.users:
            ok = response.status_code == 403
        else:
            targets = {f"{ADMIN}:login": reverse("login"), f"{ADMIN}:logout": reverse(f"{ADMIN}:index")}
            target = targets.get(name, reverse(f"{ADMIN}:login"))
            ok = response.status_code == 302 and urlsplit(response["Location"]).path == target
        if not ok:
            wrong.append(f"{name}: {response.status_code} {response.get('Location', '')}")
    assert wrong == []
    assert changed_tables(world.before, snapshot()) == []


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("device", ["none", "confirmed"])
def test_where_two_factor_login_is_required_the_admin_asks_a_superuser_for_it_first(
    client, world, settings, django_user_model, device, method
):
    """Its pages show every party's drafts: a superuser who has not given a code this session reaches none of
    them, with no device (sent to set one up) or with one (sent to log in again, with the code)."""
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    chief = django_user_model.objects.create_superuser("chef", "chef@example.org", "x")
    if device == "confirmed":
        chief.totpdevice_set.create(name="TOTP", confirmed=True)
    first_step = reverse("two_factor_setup") if device == "none" else reverse("login")
    before = snapshot()
    wrong = []
    for name, url in admin_urls():
        client.force_login(chief)
        response = getattr(client, method)(url)
        # Logging out is open to anyone; it leads to the admin's index, which asks as every other page does.
        target = reverse(f"{ADMIN}:index") if name == f"{ADMIN}:logout" else first_step
        if response.status_code != 302 or urlsplit(response["Location"]).path != target:
            wrong.append(f"{name}: {response.status_code} {response.get('Location', '')}")
    assert wrong == []
    # Each force_login moves the account's last_login; nothing else may change (a device set up, a meeting).
    assert changed_tables(before, snapshot(), (get_user_model()._meta.label,)) == []


# What the matrix implies, tried from other angles.


def allowed_role(name):
    """The first role the matrix lets do the action (POST "done", or a download that writes), else the first that
    may open the page."""
    row = MATRIX[name]
    acts = (DONE, 200) if name in DOWNLOAD_WRITES else (DONE,)
    done = [role for role in ROLES if row.expected("post", role) in acts]
    return done[0] if done else next(role for role in ROLES[1:] if row.expected("get", role) == 200)


def post_only(name):
    return all(outcome == 405 for outcome in MATRIX[name].get[1:])


OBJECT_ARGUMENTS = {
    "slot_pk",
    "attendee_pk",
    "item_pk",
    "position_pk",
    "document_pk",
    "message_pk",
    "reply_pk",
    "guest_pk",
    "record_pk",
}
# A guest's own pages name no meeting: a guest of another meeting is a column of their rows.
WITH_OBJECTS = [
    name
    for name in MATRIX
    if TARGETS[MATRIX[name].target][0] and OBJECT_ARGUMENTS & set(TARGETS[MATRIX[name].target][1])
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", WITH_OBJECTS)
def test_an_id_of_the_same_kind_from_another_meeting_is_refused_to_the_user_allowed_in_both(
    client, world, name, method
):
    """Ownership is checked in the lookup: the police's slot, attendee, item, position or document of the other
    meeting, put in this meeting's URL by the role the matrix lets act on this meeting's own (a party of both)."""
    row, role = MATRIX[name], allowed_role(name)
    key = TARGETS[row.target][0]
    other = {"polling": "scheduled", "scheduled": "polling", "review": "scheduled"}[key]
    url = reverse(name, kwargs=world.kwargs(row.target, objects_from=other))
    files = files_in(world.documents)

    response = send(client, world, role, method, url, action_data(name, world, world.users.get(role)))

    # A confirmation asks for a time among this meeting's own and is refused with a message (no such time here).
    refused = 405 if method == "get" and post_only(name) else AWAY if name == "confirm" else 404
    assert outcome(response, url) == refused
    assert changed_tables(world.before, snapshot()) == []
    assert files_in(world.documents) == files


OF_A_MEETING = [name for name in MATRIX if TARGETS[MATRIX[name].target][0]]
INVITED_ROLES = ["other_party", "member", "coordinator", "secretary"]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", INVITED_ROLES)
def test_a_draft_cancelled_before_opening_is_to_the_invited_parties_what_any_meeting_is_to_an_outsider(
    client, world, role, method
):
    """Every URL of a meeting, pointed at the cancelled draft: what the outsider's column says (404, or 405 for
    a GET on a POST-only URL), and nothing changes."""
    cancelled = world.meeting("cancelled draft")
    wrong = []
    for name in OF_A_MEETING:
        row = MATRIX[name]
        url = reverse(name, kwargs={**world.kwargs(row.target), "pk": cancelled.pk})
        response = send(client, world, role, method, url, action_data(name, world, world.users.get(role)))
        if outcome(response, url) != row.expected(method, "outsider") or cancelled.title in response.content.decode():
            wrong.append(f"{name}: {outcome(response, url)}")
    assert wrong == []
    assert changed_tables(world.before, snapshot()) == []


WITH_PARTY = [name for name in MATRIX if "party_pk" in TARGETS[MATRIX[name].target][1]]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", WITH_PARTY)
def test_nobody_acts_for_a_party_that_is_not_in_the_meeting(client, world, name, method):
    """The role the matrix lets act for the police, naming the outsider's party (or one that does not exist)."""
    role = allowed_role(name)
    for party_pk in (world.parties["region"].pk, 999999):
        kwargs = {**world.kwargs(MATRIX[name].target), "party_pk": party_pk}
        url = reverse(name, kwargs=kwargs)
        response = send(client, world, role, method, url, action_data(name, world, world.users.get(role)))
        refused = 405 if method == "get" and post_only(name) else 403
        assert response.status_code == refused, (party_pk, response.status_code)
    assert changed_tables(world.before, snapshot()) == []


STATE_CHANGING = [name for name in MATRIX if DONE in MATRIX[name].post + (MATRIX[name].guest_post or ())]
FORM_TAGS = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


def posts_to_itself(html, url):
    """The page has a form that POSTs back to the URL it was opened at: the step before the action."""
    for tag in FORM_TAGS.findall(html):
        action = re.search(r'action="([^"]*)"', tag)
        if re.search(r'method="post"', tag, re.IGNORECASE) and (action is None or action.group(1) in ("", url)):
            return True
    return False


@pytest.mark.parametrize("name", STATE_CHANGING)
def test_a_get_on_a_state_changing_url_is_refused_or_asks_first_even_for_the_user_allowed(client, world, name):
    """A link, a prefetch or a crawler with the user's session changes nothing: 405, or the form or
    confirmation page that POSTs to the same URL. The matrix proves that nothing changed; this, what was shown."""
    row, role = MATRIX[name], allowed_role(name)
    url = reverse(name, kwargs=world.kwargs(row.target))

    response = send(client, world, role, "get", url, action_data(name, world, world.users.get(role)))

    if row.expected("get", role) == 405:
        assert response.status_code == 405 and response["Allow"] == "POST"
    else:
        assert response.status_code == 200
        assert posts_to_itself(response.content.decode(), url)
    assert changed_tables(world.before, snapshot()) == []


# Mass assignment: fields a form does not have are ignored, whatever they are called.


@dataclass(frozen=True)
class Extra:
    name: str
    role: str
    fields: object  # world -> the extra fields posted with the form
    row: object  # world -> the row the action wrote, or a dict of what it looks at
    expected: object  # world -> what that row must hold


def latest(model):
    return lambda w: model.objects.latest("pk")


def polling_meeting(w):
    return Meeting.objects.get(pk=w.meeting("polling").pk)


def scheduled_agenda(w):
    return w.things["scheduled"].agenda


MASS_ASSIGNMENT = [
    Extra(
        "password_change",
        "member",
        lambda w: {"is_staff": "on", "is_superuser": "on", "username": "smyg", "email": "smyg@example.org"},
        lambda w: get_user_model().objects.get(pk=w.users["member"].pk),
        lambda w: {
            "is_staff": False,
            "is_superuser": False,
            "username": w.users["member"].username,
            "email": w.users["member"].email,
        },
    ),
    Extra(
        "meeting_create",
        "coordinator",
        lambda w: {
            "status": "scheduled",
            "created_by": w.users["convener"].pk,
            "sequence": "99",
            "confirmed_slot": w.things["polling"].slot.pk,
            "cancellation_reason": "Smyg",
        },
        latest(Meeting),
        lambda w: {
            "title": "Smygmöte",
            "status": "draft",
            "created_by_id": w.users["coordinator"].pk,
            "sequence": 0,
            "confirmed_slot_id": None,
            "cancellation_reason": "",
        },
    ),
    Extra(
        "meeting_edit",
        "convener",
        lambda w: {
            "status": "cancelled",
            "created_by": w.users["outsider"].pk,
            "sequence": "99",
            "confirmed_slot": w.things["polling"].slot.pk,
            "confirmation_reason": "Smyg",
        },
        polling_meeting,
        lambda w: {
            "title": "Smygändrad titel",
            "status": "polling",
            "created_by_id": w.users["convener"].pk,
            "sequence": w.meeting("polling").sequence,
            "confirmed_slot_id": None,
            "confirmation_reason": "",
        },
    ),
    Extra(
        "propose_slots",
        "coordinator",
        lambda w: {
            "slots-0-proposed_by_party": w.parties["kommun"].pk,
            "proposed_by_party": w.parties["kommun"].pk,
            "proposed_by": w.users["convener"].pk,
            "meeting": w.meeting("scheduled").pk,
            "slots-0-meeting": w.meeting("scheduled").pk,
        },
        latest(Slot),
        lambda w: {
            "meeting_id": w.meeting("polling").pk,
            "proposed_by_party_id": w.police.pk,
            "proposed_by_id": w.users["coordinator"].pk,
        },
    ),
    Extra(
        "answer",
        "member",
        lambda w: {
            "party": w.parties["kommun"].pk,
            "answered_by": w.users["convener"].pk,
            f"answer_{w.things['scheduled'].slot.pk}": "no",
        },
        lambda w: {
            "parties answering if need be": set(
                Answer.objects.filter(value="if_need_be").values_list("party_id", "answered_by_id")
            ),
            "answers no": Answer.objects.filter(value="no").count(),
        },
        lambda w: {"parties answering if need be": {(w.police.pk, w.users["member"].pk)}, "answers no": 0},
    ),
    Extra(
        "attendee_create",
        "secretary",
        lambda w: {
            "party": w.parties["kommun"].pk,
            "status": "confirmed",
            "confirmed_by": w.users["convener"].pk,
            "rsvp": "ACCEPTED",
            "meeting": w.meeting("scheduled").pk,
        },
        latest(Attendee),
        lambda w: {
            "name": "Obehörig",
            "meeting_id": w.meeting("polling").pk,
            "party_id": w.police.pk,
            "status": "named",
            "confirmed_by_id": None,
            "rsvp": "NEEDS-ACTION",
        },
    ),
    Extra(
        "resend_mail",
        "convener",
        lambda w: {
            "recipient_name": "Smyg",
            "subject": "Smyg",
            "kind": "cancellation",
            "meeting": w.meeting("polling").pk,
            "sent_at": "2026-01-01 10:00",
            "attempts": "7",
        },
        lambda w: OutboxMessage.objects.get(pk=w.things["scheduled"].mail.pk),
        lambda w: {
            "recipient": "smyg@polisen.example",
            "recipient_name": "Rikspolischef",
            "kind": "invitation",
            "meeting_id": w.meeting("scheduled").pk,
            "sent_at": None,
            "attempts": 0,
        },
    ),
    Extra(
        "attendee_confirm",
        "convener_secretary",
        lambda w: {"confirmed_by": w.users["member"].pk, "status": "named", "party": w.parties["kommun"].pk},
        lambda w: Attendee.objects.get(pk=w.things["polling"].attendee.pk),
        lambda w: {"status": "confirmed", "confirmed_by_id": w.users["convener_secretary"].pk, "party_id": w.police.pk},
    ),
    Extra(
        "agenda_item_create",
        "member",
        lambda w: {
            "proposed_by_party": w.parties["kommun"].pk,
            "proposed_by": w.users["convener"].pk,
            "status": "accepted",
            "order": "1",
            "meeting": w.meeting("polling").pk,
            "decline_reason": "Smyg",
        },
        latest(AgendaItem),
        lambda w: {
            "title": "Smygpunkt",
            "meeting_id": w.meeting("scheduled").pk,
            "proposed_by_party_id": w.police.pk,
            "proposed_by_id": w.users["member"].pk,
            "status": "proposed",
            "order": 0,
            "decline_reason": "",
        },
    ),
    Extra(
        "agenda_item_edit",
        "member",
        lambda w: {
            "status": "accepted",
            "order": "3",
            "proposed_by_party": w.parties["kommun"].pk,
            "meeting": w.meeting("polling").pk,
        },
        lambda w: AgendaItem.objects.get(pk=scheduled_agenda(w).proposed_item.pk),
        lambda w: {
            "title": "Smygpunkt",
            "status": "proposed",
            "order": 0,
            "proposed_by_party_id": w.police.pk,
            "meeting_id": w.meeting("scheduled").pk,
        },
    ),
    Extra(
        "position_edit",
        "member",
        lambda w: {
            "party": w.parties["kommun"].pk,
            "state": "shared",
            "shared": "on",
            "author": w.users["convener"].pk,
            "updated_by": w.users["convener"].pk,
            "version": "99",
            "agenda_item": scheduled_agenda(w).item_b.pk,
        },
        lambda w: Position.objects.get(pk=scheduled_agenda(w).draft.pk),
        lambda w: {
            "text": "Smygtext",
            "party_id": w.police.pk,
            "state": "draft",
            "agenda_item_id": scheduled_agenda(w).item_a.pk,
            "version": scheduled_agenda(w).draft.version + 1,
            "updated_by_id": w.users["member"].pk,
        },
    ),
    Extra(
        "position_withdraw",
        "member",
        lambda w: {"shared": "on", "state": "shared", "party": w.parties["kommun"].pk},
        lambda w: Position.objects.get(pk=scheduled_agenda(w).shared.pk),
        lambda w: {"state": "draft", "party_id": w.police.pk, "updated_by_id": w.users["member"].pk},
    ),
    Extra(
        "document_create",
        "member",
        lambda w: {
            "party": w.parties["kommun"].pk,
            "position": scheduled_agenda(w).shared.pk,
            "agenda_item": scheduled_agenda(w).item_b.pk,
            "uploaded_by": w.users["convener"].pk,
            "content_type": "text/html",
            "sha256": "0" * 64,
            "original_name": "smyg.html",
            "replaces": scheduled_agenda(w).item_doc.pk,
        },
        latest(Document),
        lambda w: {
            "original_name": "smyg.txt",
            "agenda_item_id": scheduled_agenda(w).item_a.pk,
            "position_id": None,
            "party_id": w.police.pk,
            "uploaded_by_id": w.users["member"].pk,
            "content_type": "text/plain",
            "sha256": hashlib.sha256(b"Smygdokument\n").hexdigest(),
            "replaces_id": None,
        },
    ),
    Extra(
        "position_document_create",
        "member",
        lambda w: {
            "position": scheduled_agenda(w).draft.pk,
            "party": w.parties["kommun"].pk,
            "agenda_item": scheduled_agenda(w).item_a.pk,
        },
        latest(Document),
        lambda w: {
            "position_id": scheduled_agenda(w).shared.pk,
            "agenda_item_id": scheduled_agenda(w).item_b.pk,
            "party_id": w.police.pk,
        },
    ),
    Extra(
        "confirm",
        "convener",
        lambda w: {
            "slot": w.meeting("polling").slots.exclude(pk=w.things["polling"].slot.pk).first().pk,
            "confirmed_slot": w.things["scheduled"].slot.pk,
            "status": "held",
        },
        polling_meeting,
        lambda w: {"status": "scheduled", "confirmed_slot_id": w.things["polling"].slot.pk},
    ),
    Extra(
        "cancel",
        "convener",
        lambda w: {"status": "held", "sequence": "0"},
        polling_meeting,
        lambda w: {"status": "cancelled", "sequence": w.meeting("polling").sequence + 1},
    ),
    Extra(
        "agenda_item_decline",
        "convener",
        lambda w: {"status": "accepted", "order": "5", "proposed_by_party": w.parties["kommun"].pk},
        lambda w: AgendaItem.objects.get(pk=scheduled_agenda(w).proposed_item.pk),
        lambda w: {"status": "declined", "decline_reason": "Smygnej", "order": 0, "proposed_by_party_id": w.police.pk},
    ),
    Extra(
        "reschedule",
        "convener",
        lambda w: {"status": "cancelled", "confirmed_slot": w.things["scheduled"].slot.pk, "sequence": "0"},
        lambda w: Meeting.objects.get(pk=w.meeting("scheduled").pk),
        lambda w: {"status": "polling", "confirmed_slot_id": None, "sequence": w.meeting("scheduled").sequence + 1},
    ),
    Extra(
        "document_replace",
        "member",
        lambda w: {
            "replaces": scheduled_agenda(w).draft_doc.pk,
            "party": w.parties["kommun"].pk,
            "position": scheduled_agenda(w).shared.pk,
            "uploaded_by": w.users["convener"].pk,
        },
        latest(Document),
        lambda w: {
            "replaces_id": scheduled_agenda(w).item_doc.pk,
            "party_id": w.police.pk,
            "position_id": None,
            "uploaded_by_id": w.users["member"].pk,
        },
    ),
    # One-button steps take no fields: an id posted beside the URL's must not redirect the step.
    Extra(
        "position_share",
        "member",
        lambda w: {"position": w.things["polling"].agenda.draft.pk, "state": "draft", "shared": ""},
        lambda w: {
            "this one": Position.objects.get(pk=scheduled_agenda(w).draft.pk).state,
            "the posted one": Position.objects.get(pk=w.things["polling"].agenda.draft.pk).state,
        },
        lambda w: {"this one": "shared", "the posted one": "draft"},
    ),
    Extra(
        "withdraw_slot",
        "coordinator",
        lambda w: {"slot": w.things["scheduled"].slot.pk, "slot_pk": w.things["scheduled"].slot.pk},
        lambda w: {
            "this one": Slot.objects.get(pk=w.things["polling"].slot.pk).is_withdrawn,
            "the posted one": Slot.objects.get(pk=w.things["scheduled"].slot.pk).is_withdrawn,
        },
        lambda w: {"this one": True, "the posted one": False},
    ),
    Extra(
        "attendee_remove",
        "coordinator",
        lambda w: {"attendee": w.things["scheduled"].attendee.pk, "attendee_pk": w.things["scheduled"].attendee.pk},
        lambda w: {
            "this one": Attendee.objects.filter(pk=w.things["polling"].attendee.pk).exists(),
            "the posted one": Attendee.objects.filter(pk=w.things["scheduled"].attendee.pk).exists(),
        },
        lambda w: {"this one": False, "the posted one": True},
    ),
    Extra(
        "feed_new",
        "member",
        lambda w: {"user": w.users["convener"].pk},
        latest(FeedToken),
        lambda w: {"user_id": w.users["member"].pk, "revoked_at": None},
    ),
    Extra(
        "notice_preferences",
        "member",
        lambda w: {"user": w.users["convener"].pk, "user_id": w.users["convener"].pk},
        lambda w: {"chosen by": set(NoticePreferences.objects.values_list("user_id", flat=True))},
        lambda w: {"chosen by": {w.users["member"].pk}},
    ),
    Extra(
        "choose_language",
        "member",
        lambda w: {"user": w.users["convener"].pk},
        lambda w: {"profiles of": set(Profile.objects.values_list("user_id", flat=True))},
        lambda w: {"profiles of": {w.users["member"].pk}},
    ),
    Extra(
        "password_reset",
        "member",
        lambda w: {"recipient": "spion@example.org", "kind": "invitation", "meeting": w.things["polling"].meeting.pk},
        latest(OutboxMessage),
        lambda w: {"recipient": w.users["member"].email, "kind": OutboxMessage.Kind.PASSWORD_RESET, "meeting": None},
    ),
    Extra(
        "person_invite",
        "coordinator",
        lambda w: {"party": w.parties["kommun"].pk, "user": w.users["convener"].pk, "is_staff": "on", "password": "x"},
        lambda w: {
            "membership": Membership.objects.values_list("party_id", "role").get(user__email="smyg@smyg.example"),
            "staff": get_user_model().objects.get(email="smyg@smyg.example").is_staff,
            "password": get_user_model().objects.get(email="smyg@smyg.example").has_usable_password(),
        },
        lambda w: {"membership": (w.police.pk, Role.COORDINATOR), "staff": False, "password": False},
    ),
    Extra(
        "membership_role",
        "coordinator",
        lambda w: {"party": w.parties["kommun"].pk, "user": w.users["convener"].pk, "title": "Smyg"},
        lambda w: Membership.objects.get(user=w.users["member"]),
        lambda w: {
            "party_id": w.police.pk,
            "user_id": w.users["member"].pk,
            "role": Role.COORDINATOR,
            "title": "Handläggare",
        },
    ),
    Extra(
        "membership_remove",
        "coordinator",
        lambda w: {"membership_pk": w.users["secretary"].memberships.get().pk, "user": w.users["secretary"].pk},
        lambda w: {
            "this one": Membership.objects.filter(user=w.users["member"]).exists(),
            "the posted one": Membership.objects.filter(user=w.users["secretary"]).exists(),
        },
        lambda w: {"this one": False, "the posted one": True},
    ),
    Extra(
        "new_party",
        "convener",
        lambda w: {
            "role": "convening",
            "is_staff": "on",
            "party": w.parties["kommun"].pk,
            "meeting": w.meeting("draft").pk,
        },
        lambda w: {
            "invitation": Invitation.objects.values_list("meeting_id", "role", "required").get(
                party__name="Smygparten"
            ),
            "coordinator": Membership.objects.values_list("role", "user__is_staff").get(party__name="Smygparten"),
        },
        lambda w: {
            "invitation": (w.meeting("polling").pk, Invitation.Role.INVITED, True),
            "coordinator": (Role.COORDINATOR, False),
        },
    ),
    Extra(
        "guest_add",
        "coordinator",
        lambda w: {
            "party": w.parties["kommun"].pk,
            "meeting": w.meeting("polling").pk,
            "link_hash": "0" * 64,
            "revoked_at": "",
            "added_by": w.users["convener"].pk,
            "failed_codes": "-5",
            "locked_until": "",
        },
        latest(Guest),
        lambda w: {
            "party_id": w.police.pk,
            "meeting_id": w.meeting("scheduled").pk,
            "added_by_id": w.users["coordinator"].pk,
            "revoked_at": None,
            "failed_codes": 0,
            "may_answer": True,
        },
    ),
    # A party's diarienummer lands on its own invitation in this meeting, and changes nothing else of it.
    Extra(
        "registration_number",
        "coordinator",
        lambda w: {"party": w.parties["kommun"].pk, "meeting": w.meeting("polling").pk, "role": "convening"},
        lambda w: {
            "numbers": set(
                Invitation.objects.exclude(registration_number="").values_list(
                    "meeting_id", "party_id", "registration_number"
                )
            ),
            "police": Invitation.objects.values_list("role", "required").get(
                meeting=w.meeting("scheduled"), party=w.police
            ),
        },
        lambda w: {
            "numbers": {(w.meeting("scheduled").pk, w.police.pk, "Smyg-2026/1")},
            "police": (Invitation.Role.INVITED, True),
        },
    ),
    # The minutes: each row lands in the scheduled meeting's own minutes, on the URL's item, written by the poster.
    Extra(
        "minute_taker",
        "convener",
        lambda w: {"meeting": w.meeting("polling").pk, "minute_taker_id": w.users["convener"].pk, "state": "approved"},
        lambda w: Minutes.objects.get(meeting=w.meeting("scheduled")),
        lambda w: {"minute_taker_id": w.users["member"].pk, "state": Minutes.State.DRAFT, "version": 1},
    ),
    Extra(
        "minutes_entry",
        "convener_secretary",
        lambda w: {
            "agenda_item": w.things["polling"].agenda.item_a.pk,
            "version": "9",
            "html": "<script>alert(1)</script>",
            "updated_by": w.users["convener"].pk,
        },
        latest(MinutesEntry),
        lambda w: {
            "agenda_item_id": scheduled_agenda(w).item_a.pk,
            "text": "Smygprotokoll",
            "html": "<p>Smygprotokoll</p>\n",
            "version": 1,
            "updated_by_id": w.users["convener_secretary"].pk,
        },
    ),
    Extra(
        "minutes_presence",
        "convener_secretary",
        lambda w: {"attendee": w.things["polling"].attendee.pk, "name": "Smyg", "party": w.parties["kommun"].pk},
        lambda w: Presence.objects.get(attendee=w.things["scheduled"].attendee),
        lambda w: {"name": "Rikspolischef", "party_id": w.police.pk, "present": False},
    ),
    Extra(
        "minutes_person_add",
        "convener_secretary",
        lambda w: {"attendee": w.things["scheduled"].attendee.pk, "present": ""},
        latest(Presence),
        lambda w: {"attendee_id": None, "name": "Smygdeltagare", "party_id": w.parties["kommun"].pk, "present": True},
    ),
    Extra(
        "agreement_create",
        "convener_secretary",
        lambda w: {"agenda_item": w.things["polling"].agenda.item_a.pk, "created_by": w.users["convener"].pk},
        latest(Agreement),
        lambda w: {
            "agenda_item_id": scheduled_agenda(w).item_a.pk,
            "text": "Smygavtal",
            "created_by_id": w.users["convener_secretary"].pk,
        },
    ),
    Extra(
        "action_create",
        "convener_secretary",
        lambda w: {"status": "done", "overdue_reminded_at": "2026-01-01 10:00", "created_by": w.users["convener"].pk},
        latest(Action),
        lambda w: {
            "agenda_item_id": scheduled_agenda(w).item_a.pk,
            "status": Action.Status.OPEN,
            "overdue_reminded_at": None,
            "created_by_id": w.users["convener_secretary"].pk,
        },
    ),
    # A party's decision is its own, on the URL's agreement, whatever party the form names.
    Extra(
        "decision_record",
        "convener",
        lambda w: {"party": w.police.pk, "agreement": "1", "recorded_by": w.users["member"].pk},
        latest(DecisionReference),
        lambda w: {
            "party_id": w.parties["kommun"].pk,
            "agreement_id": w.things["scheduled"].agreement.pk,
            "recorded_by_id": w.users["convener"].pk,
        },
    ),
    Extra(
        "action_status",
        "convener_secretary",
        lambda w: {"owner_party": w.parties["kommun"].pk, "what": "Ändrat", "due_on": "2030-01-01"},
        lambda w: Action.objects.get(pk=w.things["scheduled"].action.pk),
        lambda w: {"owner_party_id": w.police.pk, "what": "Utse kontaktperson", "status": Action.Status.DROPPED},
    ),
    # A marking lands on the URL's record, by the poster, whatever record, person, time or version the form names.
    *(
        Extra(
            name,
            role,
            lambda w: {
                "secrecy_marked_by": w.users["outsider"].pk,
                "secrecy_marked_by_name": "Smyg",
                "secrecy_marked_at": "2020-01-01 10:00",
                "secrecy_version": "99",
                "record_pk": w.things["polling"].agenda.item_b.pk,
                "party": w.parties["kommun"].pk,
                "title": "Smygtitel",
            },
            record,
            lambda w, role=role: {
                "secrecy": "covered",
                "secrecy_provision": "OSL 18 kap. 1 §",
                "secrecy_marked_by_id": w.users[role].pk,
                "secrecy_marked_by_name": w.users[role].get_full_name(),
                "secrecy_version": 1,
            },
        )
        for name, role, record in (
            ("secrecy_item", "convener_secretary", lambda w: AgendaItem.objects.get(pk=scheduled_agenda(w).item_a.pk)),
            ("secrecy_position", "member", lambda w: Position.objects.get(pk=scheduled_agenda(w).draft.pk)),
            ("secrecy_document", "secretary", lambda w: Document.objects.get(pk=scheduled_agenda(w).item_doc.pk)),
        )
    ),
    # Review: a reviewer named for the URL's party from its own people; a step on the URL's meeting; an approval or
    # a comment for the URL's party by the poster; a correction numbered by the minutes, written by the poster.
    Extra(
        "minutes_reviewer",
        "coordinator",
        lambda w: {"party": w.parties["kommun"].pk, "user": w.users["convener"].pk, "named_by": w.users["convener"].pk},
        latest(MinutesReviewer),
        lambda w: {
            "minutes_id": Minutes.objects.get(meeting=w.meeting("scheduled")).pk,
            "party_id": w.police.pk,
            "user_id": w.users["member"].pk,
            "named_by_id": w.users["coordinator"].pk,
        },
    ),
    Extra(
        "minutes_take_back",
        "convener_secretary",
        lambda w: {"state": "approved", "approved_at": "2026-01-01 10:00", "meeting": w.meeting("approved").pk},
        lambda w: Minutes.objects.get(meeting=w.meeting("review")),
        lambda w: {"state": Minutes.State.DRAFT, "version": 2, "approved_at": None},
    ),
    Extra(
        "minutes_approve",
        "member",
        lambda w: {"party": w.parties["kommun"].pk, "approved_by": w.users["convener"].pk, "state": "approved"},
        latest(MinutesApproval),
        lambda w: {
            "version_id": MinutesVersion.objects.get(minutes__meeting=w.meeting("review")).pk,
            "party_id": w.police.pk,
            "approved_by_id": w.users["member"].pk,
        },
    ),
    Extra(
        "minutes_comment",
        "member",
        lambda w: {
            "party": w.parties["kommun"].pk,
            "agenda_item": w.things["approved"].item.pk,
            "author": w.users["convener"].pk,
            "author_name": "Smyg",
        },
        latest(ReviewComment),
        lambda w: {
            "party_id": w.police.pk,
            "agenda_item_id": w.things["review"].item.pk,
            "author_id": w.users["member"].pk,
            "author_name": w.users["member"].get_full_name(),
            "text": "Smygkommentar",
        },
    ),
    Extra(
        "minutes_correction",
        "convener_secretary",
        lambda w: {"number": "9", "made_by": w.users["convener"].pk, "html": "<script>alert(1)</script>"},
        latest(MinutesCorrection),
        lambda w: {
            "number": 1,
            "agenda_item_id": None,
            "html": "<p>Smygrättelse</p>\n",
            "made_by_id": w.users["convener_secretary"].pk,
        },
    ),
    # A guest answers for their own party only, and is never recorded as anyone's account.
    Extra(
        "guest_answer",
        "guest_answering",
        lambda w: {"party": w.parties["kommun"].pk, "answered_by": w.users["convener"].pk},
        lambda w: {
            "parties answering if need be": set(
                Answer.objects.filter(value="if_need_be").values_list("party_id", "answered_by_id")
            ),
        },
        lambda w: {"parties answering if need be": {(w.police.pk, None)}},
    ),
]


def observed(row, expected):
    """A row's values under the names ``expected`` uses; a check that looks at several rows gives a dict itself."""
    return row if isinstance(row, dict) else {key: getattr(row, key) for key in expected}


# Every URL whose POST writes is in the table, except the steps that take nothing at all but the URL.
NO_FIELDS = {
    "meeting_copy",  # its one field is the token of the click
    "meeting_follow_up",  # the same
    "attendee_unconfirm",
    "attendees_confirm_party",
    "feed_revoke",
    "two_factor_start",
    "open_polling",
    "mark_held",
    "remind",
    "agenda_item_accept",
    "agenda_item_up",
    "agenda_item_down",
    "hold_times",
    "add_proposed_time",  # the time is the proposal's own: a posted one is never read
    "guest_link",
    "guest_revoke",
    "minutes_send",  # the minutes as they are, by their URL's meeting
}


def test_every_state_changing_url_is_tried_with_extra_fields_or_takes_none():
    assert set(STATE_CHANGING) - NO_FIELDS == {extra.name for extra in MASS_ASSIGNMENT}


@pytest.mark.parametrize("extra", MASS_ASSIGNMENT, ids=[extra.name for extra in MASS_ASSIGNMENT])
def test_fields_that_are_not_in_the_form_are_ignored(client, world, extra):
    url = reverse(extra.name, kwargs=world.kwargs(MATRIX[extra.name].target))
    data = {**action_data(extra.name, world, world.users.get(extra.role)), **extra.fields(world)}

    response = send(client, world, extra.role, "post", url, data)

    assert outcome(response, url) == AWAY
    expected = extra.expected(world)
    assert observed(extra.row(world), expected) == expected

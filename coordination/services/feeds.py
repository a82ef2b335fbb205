"""Each user's calendar feed: their parties' scheduled meetings, by a secret address.

The address carries 256 random bits; only their SHA-256 is stored, so a
database copy does not give the feeds away. A new address revokes the old.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import ics
from ..models import FeedToken, Meeting
from .invites import accepted_titles, meeting_url

PAST = datetime.timedelta(days=90)
FUTURE = datetime.timedelta(days=365)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def new_feed_token(user):
    """Revoke the user's feed addresses and make a new one. Returns the token, which is not stored."""
    user.feed_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    FeedToken.objects.create(user=user, token_hash=token_hash(token))
    return token


def revoke_feed_tokens(user):
    return user.feed_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_for_token(token):
    """The active user behind a live token, or None."""
    feed = (
        FeedToken.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    return feed.user if feed else None


def feed_meetings(user, now):
    """Scheduled, held and cancelled-after-scheduling meetings from 90 days back to a year ahead."""
    return (
        Meeting.objects.visible_to(user)
        .for_feed()
        .filter(confirmed_slot__start__gte=now - PAST, confirmed_slot__start__lte=now + FUTURE)
        .filter(Q(status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD, Meeting.Status.CANCELLED]))
        .order_by("confirmed_slot__start")
    )


def build_feed(user, now):
    """The feed as bytes. No METHOD and no ATTENDEE lines: nobody's address travels in a feed.

    DTSTAMP is each meeting's last change, so the same data gives the same
    bytes and the same ETag.
    """
    entries = {feed_event_key(entry): entry for entry in map(feed_entry, feed_meetings(user, now))}
    events = cache.get_many(entries)
    missing = {key: _feed_event_text(entry) for key, entry in entries.items() if key not in events}
    cache.set_many(missing, FEED_EVENT_SECONDS)
    events.update(missing)
    return ics.calendar_text([events[key] for key in entries], name=_("Samråd – my meetings"))


# Serialising a VEVENT is most of a feed's cost, and a feed repeats the same events hour after hour, so
# each is kept in the cache (settings.CACHES: per process, or shared by all of them in Redis).
FEED_EVENT_SECONDS = 24 * 60 * 60


def feed_event_key(entry):
    """A hash of every value a feed's VEVENT is built from, so a change to any of them serialises it anew."""
    meeting = entry.meeting
    content = (
        meeting.calendar_uid,
        meeting.sequence,
        meeting.updated_at,
        meeting.status,
        meeting.title,
        meeting.location,
        meeting.video_link,
        meeting.purpose,
        entry.slot.start,
        entry.slot.end,
        entry.url,
        tuple(entry.agenda_titles),
        tuple(sorted((inv.role, inv.party.name) for inv in entry.invitations)),
        settings.CALENDAR_ORGANIZER_EMAIL,
    )
    return "feed-event:" + hashlib.sha256(repr(content).encode()).hexdigest()


def _feed_event_text(entry):
    """A meeting's VEVENT for a feed, as bytes: no ATTENDEE lines, DTSTAMP the meeting's last change."""
    return ics.build_event(entry, now=entry.meeting.updated_at, attendees=[]).to_ical()


def feed_entry(meeting):
    """A meeting's calendar event from for_feed()'s lists; nobody is listed in a feed."""
    return ics.Entry(
        meeting=meeting,
        slot=meeting.confirmed_slot,
        url=meeting_url(meeting),
        invitations=meeting.feed_invitations,
        agenda_titles=accepted_titles(meeting.feed_agenda_items),
    )

"""Each user's calendar feed: their parties' scheduled meetings, by a secret address.

The address carries 256 random bits; only their SHA-256 is stored, so a
database copy does not give the feeds away. A new address revokes the old.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import compiled, ics
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


def feed_token(token):
    """The stored address behind ``token`` with its user, live or revoked, or None if it never was one.

    Revoked addresses keep their row, so a calendar still asking at one is told it is gone (410), not unknown.
    """
    # get(), not first(): the hash is unique, and first() would order and copy the query first, on every request.
    try:
        return FeedToken.objects.select_related("user__profile").get(token_hash=token_hash(token))
    except FeedToken.DoesNotExist:
        return None


def feed_meetings(user, now):
    """Scheduled, held and cancelled-after-scheduling meetings from 90 days back to a year ahead."""
    return _in_feed(user, now - PAST, now + FUTURE).for_feed().order_by("confirmed_slot__start")


def _in_feed(user, start, end):
    """Which meetings are in the feed, starting between ``start`` and ``end``; nothing read for them yet."""
    return (
        Meeting.objects.visible_to(user)
        .filter(confirmed_slot__start__gte=start, confirmed_slot__start__lte=end)
        .filter(Q(status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD, Meeting.Status.CANCELLED]))
    )


def _feed_state_sql(user, start, end):
    return _in_feed(user, start, end).state_sql()


# Raised when the feed's ETag is made of other values, so that no cache serves a feed kept under an old ETag.
FEED_FORMAT = 3


@dataclass
class Feed:
    """A user's feed as of a moment: its ETag from one query of its meetings' revisions; the text only when asked."""

    user: object
    now: datetime.datetime
    language: str
    etag: str

    @property
    def body_key(self):
        """The whole feed's cache key: the same ETag is the same bytes."""
        return f"feed:{self.etag}"

    def text(self):
        """The feed as bytes. No METHOD and no ATTENDEE lines: nobody's address travels in a feed.

        DTSTAMP is each meeting's last change, so the same data gives the same bytes: the whole feed is
        kept under its ETag, and a worker that never wrote it reads it from a shared cache in one call.
        Made anew, it reads its meetings in full, takes each event from the cache and serialises only
        those not found there. It is read after the ETag, so it is never older than what the ETag names.
        """
        body = cache.get(self.body_key)
        if body is not None:
            return body
        # The agenda's secrecy markings are words of the owner's language too (feed_event_key puts them into words).
        with translation.override(self.language):
            entries = {
                feed_event_key(entry, self.language): entry
                for entry in map(feed_entry, feed_meetings(self.user, self.now))
            }
            name = _("Samråd – my meetings")
        events = cache.get_many(entries)
        missing = {key: _feed_event_text(entry, self.language) for key, entry in entries.items() if key not in events}
        cache.set_many(missing, FEED_EVENT_SECONDS)
        events.update(missing)
        body = ics.calendar_text([events[key] for key in entries], name=name)
        cache.set(self.body_key, body, FEED_EVENT_SECONDS)
        return body


def feed_language(user):
    """A feed speaks its owner's language: a calendar asking for it says nothing of whom it is for."""
    profile = getattr(user, "profile", None)
    return profile.language if profile else settings.LANGUAGE_CODE


def user_feed(user, now):
    """The feed of ``user`` in their own language: its ETag read in one query, its text not yet written out."""
    language = feed_language(user)
    return Feed(user=user, now=now, language=language, etag=feed_etag(user, now, language))


def feed_etag(user, now, language):
    """A hash of every value the feed is made of: one row of sums over its meetings (MeetingQuerySet.state_sql),
    the language and the settings written into the events.

    A party's new name raises the revision of its meetings (Party.save). Which meetings are in the feed (the
    user's parties, the meetings' status and times, the window moving with the clock) the sums tell.
    """
    state = compiled.state_of("feed", _feed_state_sql, user, now - PAST, now + FUTURE)
    content = (
        FEED_FORMAT,
        ics.EVENT_FORMAT,
        language,
        state,
        settings.SITE_URL,
        settings.CALENDAR_ORGANIZER_EMAIL,
    )
    return hashlib.sha256(repr(content).encode()).hexdigest()


def build_feed(user, now):
    return user_feed(user, now).text()


def feed_changed_at(feed, etag, now):
    """When the feed at address ``feed`` last changed (its Last-Modified), remembering ``etag`` as its content.

    Kept in the database, so every worker gives the same answer, and moved at least a second on
    each change: Last-Modified counts whole seconds, and a change within the second of the last
    would otherwise look unchanged to a calendar asking If-Modified-Since.
    """
    if feed.served_etag != etag or feed.changed_at is None:
        changed_at = max(now, feed.changed_at + datetime.timedelta(seconds=1)) if feed.changed_at else now
        FeedToken.objects.filter(pk=feed.pk).update(served_etag=etag, changed_at=changed_at)
        feed.served_etag, feed.changed_at = etag, changed_at
    return feed.changed_at


# Serialising a VEVENT is most of a feed's cost, and a feed repeats the same events hour after hour, so
# each is kept in the cache, and each whole feed under its ETag (settings.CACHES: in each process's memory,
# or shared by every process in Redis when REDIS_URL is set).
FEED_EVENT_SECONDS = 24 * 60 * 60


def feed_event_key(entry, language):
    """A hash of every value a feed's VEVENT is built from, so a change to any of them serialises it anew."""
    meeting = entry.meeting
    content = (
        ics.EVENT_FORMAT,
        language,
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
        tuple(str(title) for title in entry.agenda_titles),
        tuple(sorted((inv.role, inv.party.name) for inv in entry.invitations)),
        settings.CALENDAR_ORGANIZER_EMAIL,
    )
    return "feed-event:" + hashlib.sha256(repr(content).encode()).hexdigest()


def _feed_event_text(entry, language):
    """A meeting's VEVENT for a feed, as bytes: no ATTENDEE lines, DTSTAMP the meeting's last change."""
    with translation.override(language):
        return ics.build_published_event(entry, now=entry.meeting.updated_at).to_ical()


def feed_entry(meeting):
    """A meeting's calendar event from for_feed()'s lists; nobody is listed in a feed."""
    return ics.Entry(
        meeting=meeting,
        slot=meeting.confirmed_slot,
        url=meeting_url(meeting),
        invitations=meeting.feed_invitations,
        agenda_titles=accepted_titles(meeting.feed_agenda_items),
    )

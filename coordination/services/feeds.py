"""Each user's calendar feed: their parties' scheduled meetings, by a secret address.

The address carries 256 random bits; only their SHA-256 is stored, so a
database copy does not give the feeds away. A new address revokes the old.
"""

import datetime
import hashlib
import secrets

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
    events = [ics.feed_event_text(feed_entry(meeting)) for meeting in feed_meetings(user, now)]
    return ics.calendar_text(events, name=_("Samråd – my meetings"))


def feed_entry(meeting):
    """A meeting's calendar event from for_feed()'s lists; nobody is listed in a feed."""
    return ics.Entry(
        meeting=meeting,
        slot=meeting.confirmed_slot,
        url=meeting_url(meeting),
        invitations=meeting.feed_invitations,
        agenda_titles=accepted_titles(meeting.feed_agenda_items),
    )

"""The event log proves itself: each event's hash covers its content and the hash of the event before it.

A meeting's log is two kinds of chain, so that a party's export holds whole
chains and nothing of what it may not see: the shared chain (every event all
parties of the meeting see) and one chain per party for its private events
(changes to its drafts, its guests). Rewriting, removing or reordering any
event changes every hash after it, up to the head that every export carries.

The hash is SHA-256 over a canonical serialisation of what the event row
itself stores — JSON with sorted keys and no spaces, the time in UTC ISO 8601 to
the microsecond, the party by its number (a party may be renamed later). The
exports carry exactly these values in their machine columns, so
``manage.py verify_log`` recomputes every hash from an exported file alone.
"""

import datetime
import hashlib
import json

from django.db import transaction
from django.utils import timezone

# The hash before the first event of a chain.
GENESIS = "0" * 64


def chain_key(event):
    """Which chain of its meeting the event belongs to: None for the shared one, else the party's number."""
    return event.party_id if event.private else None


def canonical(content, previous):
    """The bytes an event's hash is taken over. ``content`` has the keys of ``content_of``."""
    return json.dumps({**content, "previous": previous}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_of(event):
    """What of an event row its hash covers, as JSON values (works for a historical model in a migration too)."""
    return {
        "meeting": event.meeting_id,
        "party": event.party_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "subject": event.subject,
        "before": event.before,
        "after": event.after,
        "private": event.private,
        "created_at": utc_time(event.created_at),
    }


def utc_time(moment):
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def digest(content, previous):
    return hashlib.sha256(canonical(content, previous).encode("utf-8")).hexdigest()


def link(events):
    """Give unsaved events of one meeting their hashes, in the order given; call inside the writing transaction.

    The meeting's row lock queues concurrent writers on PostgreSQL, so no two
    events take the same predecessor; SQLite lets one writing transaction in at
    a time (settings: transaction_mode IMMEDIATE). Callers mostly hold the lock
    already; taking it again in the same transaction costs one query, which also raises Meeting.revision.
    """
    from .models import Event, Meeting

    if not events:
        return
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("Events are linked inside the transaction that saves them.")
    meeting_id = events[0].meeting_id
    # The UPDATE takes the row lock and raises the meeting's revision in the one query: whatever the events
    # record, pages built before this transaction commits are no longer the meeting's (fragments.py).
    Meeting.objects.filter(pk=meeting_id).raise_revision()
    heads = {}
    now = timezone.now()
    for event in events:
        # Taken under the lock, so that the log's times rise with its chains.
        event.created_at = now
        key = chain_key(event)
        if key not in heads:
            heads[key] = _stored_head(Event.objects.filter(meeting_id=meeting_id), key)
        event.hash = heads[key] = digest(content_of(event), heads[key])


def _stored_head(events, key):
    chain = events.filter(private=False) if key is None else events.filter(private=True, party_id=key)
    return chain.order_by("-pk").values_list("hash", flat=True).first() or GENESIS


def first_break(rows):
    """The label of the first row whose stated hash does not follow from its content and its chain, or None.

    ``rows`` are (label, chain key, content, stated hash) in log order. A
    changed row breaks at itself; a removed one at the next row of its chain.
    Returns that label (or None) and the heads of the chains up to there.
    """
    heads = {}
    for label, key, content, stated in rows:
        if digest(content, heads.get(key, GENESIS)) != stated:
            return label, heads
        heads[key] = stated
    return None, heads


class Check:
    """What recomputing a log's chains found: ``broken`` is the label of the first row that does not follow
    (None if none), ``heads_match`` whether the stated heads are the recomputed ones, ``hashes`` each row's
    (label, stated hash) for a comparison with the stored log."""

    def __init__(self, hashes, broken, heads, stated_heads):
        self.hashes = hashes
        self.broken = broken
        self.heads_match = broken is None and heads == stated_heads

    @property
    def rows(self):
        return len(self.hashes)

    @property
    def proven(self):
        return self.heads_match


def check(rows, stated_heads):
    """Check rows (label, chain key, content, stated hash) in log order against their chains and stated heads."""
    broken, heads = first_break(rows)
    return Check([(label, stated) for label, _key, _content, stated in rows], broken, heads, stated_heads)


def first_unlike_stored(hashes):
    """The label of the first (event number, hash) whose stored event has another hash, and how many were found.

    A file whose every hash was recomputed after a change proves itself on its own; the stored log, which
    the database keeps append-only, does not agree with it. Events of another installation are not found.
    """
    from .models import Event

    stored = dict(Event.objects.filter(pk__in=[label for label, _hash in hashes]).values_list("pk", "hash"))
    unlike = next((label for label, stated in hashes if label in stored and stored[label] != stated), None)
    return unlike, len(stored)


def check_stored(meeting_id):
    """Recompute the stored chains of a meeting's log; the heads are the stored ones, so only the rows can fail."""
    from .models import Event

    events = list(Event.objects.filter(meeting_id=meeting_id).order_by("pk"))
    rows = [(event.pk, chain_key(event), content_of(event), event.hash) for event in events]
    stored_heads = {chain_key(event): event.hash for event in events}
    return check(rows, stored_heads)

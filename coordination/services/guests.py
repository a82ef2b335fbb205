"""Guests: a person without an account let into one meeting for a party, by a personal link and a mailed code.

Why not django-sesame: it signs a link that logs a Django *user* in, and a
guest is deliberately no user (models.Guest). The link is instead a random
secret looked up by its SHA-256, as the calendar feed's address is: a
tampered link is simply one that matches nothing, revoking is a column, and
the database holds nothing that opens the link. The one-time code is hashed
by Django's password hashers (salted, compared in constant time).
"""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import mail
from ..formatting import slot_label, stockholm_moment
from ..models import Event, Guest, OutboxMessage, person_name
from .base import RuleError, created_by_form, locked_meeting, log_event
from .feeds import token_hash

CODE_DIGITS = 6


class GuestRefused(Exception):
    """The link or code cannot be used; ``reason`` (one of the constants below) says which page to show."""

    UNKNOWN = "unknown"  # no such link: never made, mistyped or tampered with
    REVOKED = "revoked"
    PARTY_LEFT = "party_left"  # the guest's party is no longer in the meeting
    EXPIRED = "expired"
    LOCKED = "locked"
    NO_CODE = "no_code"  # the code was used, or has expired, or none was asked for
    WRONG_CODE = "wrong_code"

    def __init__(self, reason, guest=None):
        super().__init__(reason)
        self.reason = reason
        self.guest = guest


def _guest_json(guest):
    return {"name": guest.name, "email": guest.email, "may_answer": guest.may_answer}


@transaction.atomic
def add_guest(*, meeting, party, by, name, email, may_answer=False, form_token=None):
    """Add a guest for ``party`` and mail them their personal link. Returns the guest.

    Side effects: one event (seen by the party only, as its people are), one mail.
    """
    meeting = locked_meeting(meeting)
    existing = created_by_form(Guest, form_token)
    if existing is not None:
        return existing
    if not meeting.is_active:
        raise RuleError(_("Guests can only be added before the meeting is held or cancelled."))
    token = secrets.token_urlsafe(32)
    guest = Guest.objects.create(
        meeting=meeting,
        party=party,
        name=name,
        email=email,
        may_answer=may_answer,
        link_hash=token_hash(token),
        added_by=by,
        form_token=form_token,
    )
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.GUEST_ADDED,
        subject=guest.name,
        after=_guest_json(guest),
        private=True,
    )
    _mail(guest, OutboxMessage.Kind.GUEST_LINK, {"url": mail.site_url(reverse("guest_link", args=[token]))}, by=by)
    return guest


def _mail(guest, kind, values, *, by=None):
    """The guest's link or code, in Swedish (a guest has no language setting), through the outbox.

    The outbox worker sends it at its next round, as it does a password reset.
    """
    meeting = guest.meeting

    def context():
        return {
            **values,
            "guest": guest,
            "title": meeting.title,
            "party_name": guest.party.short_name,
            "added_by": person_name(by) if by else "",
            "when": slot_label(meeting.confirmed_slot) if meeting.confirmed_slot_id else "",
            "valid_until": stockholm_moment(guest.valid_until),
            "code_minutes": settings.GUEST_CODE_MINUTES,
        }

    # Not filed under the meeting: the conveners' delivery list would show another party's guest, and
    # "correct the address and send again" would let them send the guest's link or code elsewhere.
    recipient = mail.Recipient(guest.email, guest.name, settings.LANGUAGE_CODE)
    mail.compose(kind, recipient, context).save()


@transaction.atomic
def revoke_guest(*, guest, by, party):
    """End the guest's link at once; their open sessions end with it, as every guest request reads this row."""
    guest = Guest.objects.select_for_update().get(pk=guest.pk)
    if guest.is_revoked:
        return guest
    guest.revoked_at = timezone.now()
    guest.revoked_by = by
    guest.code_hash = ""
    guest.save(update_fields=["revoked_at", "revoked_by", "code_hash"])
    log_event(
        meeting=guest.meeting,
        by=by,
        party=party,
        action=Event.Action.GUEST_REVOKED,
        subject=guest.name,
        before=_guest_json(guest),
        private=True,
    )
    return guest


def usable(guest):
    """The guest if their link may be used now; otherwise GuestRefused saying why."""
    if guest is None:
        raise GuestRefused(GuestRefused.UNKNOWN)
    if guest.is_revoked:
        raise GuestRefused(GuestRefused.REVOKED, guest)
    if guest.is_expired:
        raise GuestRefused(GuestRefused.EXPIRED, guest)
    # A party taken off the meeting no longer sees it (models.visible_meeting_ids), nor do its guests.
    if not guest.meeting.invitations.filter(party=guest.party_id).exists():
        raise GuestRefused(GuestRefused.PARTY_LEFT, guest)
    return guest


def guest_for_link(token):
    """The guest whose personal link this is, if it may be used now (lock aside: see send_code, check_code)."""
    guest = Guest.objects.select_related("meeting", "party").filter(link_hash=token_hash(token or "")).first()
    return usable(guest)


def _unlocked(guest, now):
    if guest.locked_until and guest.locked_until > now:
        raise GuestRefused(GuestRefused.LOCKED, guest)


@transaction.atomic
def send_code(guest):
    """Mail the guest a new one-time code (the earlier one stops working). Refused while the link is locked."""
    guest = usable(Guest.objects.select_for_update().select_related("meeting", "party").get(pk=guest.pk))
    now = timezone.now()
    _unlocked(guest, now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    guest.code_hash = make_password(code)
    guest.code_expires_at = now + datetime.timedelta(minutes=settings.GUEST_CODE_MINUTES)
    guest.save(update_fields=["code_hash", "code_expires_at"])
    _mail(guest, OutboxMessage.Kind.GUEST_CODE, {"code": code})
    return guest


def check_code(guest, code):
    """Use the guest's code: it works once, until it expires. Returns the guest, or raises GuestRefused.

    Every wrong try counts; settings.GUEST_CODE_ATTEMPTS in a row lock the link
    for GUEST_LOCK_MINUTES and forget the code, so guessing on gains nothing.
    The count is written in its own transaction, kept whatever the caller does next.
    """
    with transaction.atomic():
        guest = usable(Guest.objects.select_for_update().select_related("meeting", "party").get(pk=guest.pk))
        now = timezone.now()
        _unlocked(guest, now)
        pending = bool(guest.code_hash) and guest.code_expires_at > now
        if pending and check_password(code, guest.code_hash):
            guest.code_hash, guest.failed_codes = "", 0
            guest.save(update_fields=["code_hash", "failed_codes"])
            return guest
        guest.failed_codes += 1
        if guest.failed_codes >= settings.GUEST_CODE_ATTEMPTS:
            guest.failed_codes, guest.code_hash = 0, ""
            guest.locked_until = now + datetime.timedelta(minutes=settings.GUEST_LOCK_MINUTES)
        guest.save(update_fields=["failed_codes", "code_hash", "locked_until"])
    if guest.locked_until and guest.locked_until > now:
        raise GuestRefused(GuestRefused.LOCKED, guest)
    raise GuestRefused(GuestRefused.WRONG_CODE if pending else GuestRefused.NO_CODE, guest)

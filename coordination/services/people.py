"""A party's people, managed in the app rather than the admin: invitations, activation, roles and removal.

A convener brings a party new to Samråd into a meeting with the address of its
first coordinator; a party's coordinators invite, change and remove their own
people (rules.can_manage_people_of). A new person gets an account without a
password and a one-time link (``activation_tokens``) that sets one. Every change
is written to the security log; bringing in a party is in the meeting's event log too.
"""

import enum

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from .. import mail
from ..models import Event, Meeting, Membership, OutboxMessage, Party, person_name
from ..security import log_security_event
from . import meetings, notices
from .base import RuleError, log_event

Role = Membership.Role
ACTIVATION_DAYS = 7
USERNAME_LENGTH = get_user_model()._meta.get_field("username").max_length


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"  # ours and unchanged, but older than ACTIVATION_DAYS
    BROKEN = "broken"  # used already, the person removed, changed on the way, or never ours


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password reset token with its own salt and age: a reset link cannot activate, nor the reverse.

    The token hashes the password and the last login, so it works once; the
    person's memberships are hashed too, so a person removed from the party
    before activating cannot use it. Nothing secret is stored.
    """

    key_salt = "coordination.services.people.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        memberships = ",".join(str(pk) for pk in user.memberships.order_by("pk").values_list("pk", flat=True))
        return super()._make_hash_value(user, timestamp) + memberships

    def check_token(self, user, token):
        return self.link_state(user, token) is LinkState.VALID

    def link_state(self, user, token):
        """Django's check, with the activation's age rather than PASSWORD_RESET_TIMEOUT, and telling an old link apart."""
        if user is None or not token:
            return LinkState.BROKEN
        try:
            timestamp_b36, _hash = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return LinkState.BROKEN
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return LinkState.BROKEN
        if self._num_seconds(self._now()) - timestamp > ACTIVATION_DAYS * 24 * 3600:
            return LinkState.EXPIRED
        return LinkState.VALID


activation_tokens = ActivationTokenGenerator()


def in_another_party():
    return _(
        "This address belongs to a person in another party, so they cannot be brought in here. Ask for an address "
        "at your own organisation, or ask Samråd's administrator if the person really acts for both."
    )


@transaction.atomic
def bring_in_new_party(*, request, meeting, by, acting_party, name, short_name, person, email, required=True):
    """A party new to Samråd, invited to ``meeting``, with its first coordinator (who gets an activation link)."""
    name = name.strip()
    if Party.objects.filter(name__iexact=name).exists():
        raise RuleError(
            _("A party named %(name)s is already in Samråd. Invite it by editing the meeting.") % {"name": name}
        )
    _check_address(email, party=None)
    try:
        with transaction.atomic():
            party = Party.objects.create(name=name, short_name=short_name.strip() or name[:60])
    except IntegrityError:  # the same name saved at the same moment by another convener
        raise RuleError(
            _("A party named %(name)s is already in Samråd. Invite it by editing the meeting.") % {"name": name}
        ) from None
    log_event(meeting=meeting, by=by, party=acting_party, action=Event.Action.PARTY_CREATED, subject=party.name)
    meetings.invite_party(meeting=meeting, by=by, party=acting_party, invited=party, required=required)
    log_security_event("party_created", request, user=by, party=party)
    return invite_person(request=request, party=party, by=by, person=person, email=email, role=Role.COORDINATOR)


@transaction.atomic
def invite_person(*, request, party, by, person, email, role, title=""):
    """Bring a person into ``party`` by their address. Returns their membership.

    An address nobody has gets a new account and an activation link; an
    account in no party gets the membership and is told so; one invited here
    before but never activated gets a new link. An address of a person in
    another party is refused (in_another_party): nothing is sent.
    """
    Party.objects.select_for_update().get(pk=party.pk)
    user = _check_address(email, party=party)
    if user is None:
        user = get_user_model().objects.create_user(username=_free_username(email), email=email, first_name=person)
    membership = Membership.objects.filter(user=user, party=party).first()
    if membership is not None:
        if user.has_usable_password():
            raise RuleError(_("%(email)s is already in %(party)s.") % {"email": email, "party": party.short_name})
        _send_activation(membership, by=by)
        log_security_event("activation_sent_again", request, user=user, by=by, party=party)
        return membership
    membership = Membership.objects.create(user=user, party=party, role=role, title=title)
    if user.has_usable_password():
        _tell_added(membership, by=by)
        notices.welcome_member(membership)
    else:
        _send_activation(membership, by=by)
    log_security_event("person_invited", request, user=user, by=by, party=party)
    return membership


def _check_address(email, *, party):
    """The account of ``email`` (None if nobody has it), refused if it is in a party other than ``party``."""
    user = get_user_model().objects.filter(email__iexact=email.strip()).order_by("pk").first()
    if user is None:
        return None
    if user.memberships.exclude(party=party).exists():
        raise RuleError(in_another_party())
    if not user.is_active:
        raise RuleError(_("The account of this address is turned off. Ask Samråd's administrator to turn it on."))
    return user


def _free_username(email):
    """The address as the username; a number added should someone already have it as theirs."""
    User = get_user_model()
    base = email.strip().lower()[:USERNAME_LENGTH]
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base[: USERNAME_LENGTH - len(str(number)) - 1]}-{number}"
    return candidate


def activation_url(user):
    path = reverse(
        "activate",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": activation_tokens.make_token(user)},
    )
    return mail.site_url(path)


def _mail_context(membership, by, **more):
    def context():
        return {
            "party_name": membership.party.name,
            "inviter": person_name(by),
            "role": membership.get_role_display(),
            "username": membership.user.get_username(),
            "meetings": list(Meeting.objects.visible_to_parties([membership.party_id]).order_by("-created_at")[:5]),
            **more,
        }

    return context


def _send_activation(membership, *, by):
    user = membership.user
    context = _mail_context(membership, by, url=activation_url(user), days=ACTIVATION_DAYS)
    mail.compose(OutboxMessage.Kind.ACTIVATION, mail.Recipient.user(user), context).save()


def _tell_added(membership, *, by):
    context = _mail_context(membership, by, url=mail.site_url(reverse("my_meetings")))
    mail.compose(OutboxMessage.Kind.MEMBERSHIP_ADDED, mail.Recipient.user(membership.user), context).save()


def activated(request, user):
    """The person set their first password through the link (and is logged in)."""
    log_security_event("account_activated", request, user=user)


def landing_url(user):
    """Where a newly activated person starts: the latest meeting their party sees, else their list of meetings."""
    meeting = Meeting.objects.visible_to(user).order_by("-created_at").first()
    return reverse("meeting_detail", args=[meeting.pk]) if meeting else reverse("my_meetings")


@transaction.atomic
def change_role(*, request, membership, by, role):
    """Give a person another role in their party; the party's last coordinator stays one."""
    membership = _locked(membership)
    if membership.role == role:
        return membership
    if membership.role == Role.COORDINATOR:
        _keep_a_coordinator(membership)
    before, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    log_security_event(
        f"role_changed from={before} to={role}", request, user=membership.user, by=by, party=membership.party
    )
    return membership


@transaction.atomic
def remove_person(*, request, membership, by):
    """Take a person out of their party, at once.

    Rights are read from the memberships on every request, so the party's
    meetings are closed to them from their next click. A person left in no
    party is logged out everywhere too; one still in another party keeps
    their sessions and that party.
    """
    membership = _locked(membership)
    if membership.role == Role.COORDINATOR:
        _keep_a_coordinator(membership)
    user, party = membership.user, membership.party
    membership.delete()
    if not user.memberships.exists():
        end_sessions(user)
    log_security_event("person_removed", request, user=user, by=by, party=party)


def _locked(membership):
    """The membership re-read under its party's row lock: two coordinators changing roles at once queue up."""
    Party.objects.select_for_update().get(pk=membership.party_id)
    return Membership.objects.select_related("user", "party").get(pk=membership.pk)


def _keep_a_coordinator(membership):
    others = Membership.objects.filter(party=membership.party_id, role=Role.COORDINATOR).exclude(pk=membership.pk)
    if not others.exists():
        raise RuleError(
            _(
                "%(party)s must always have a coordinator. Make someone else coordinator first; then this person "
                "can have another role or be removed."
            )
            % {"party": membership.party.short_name}
        )


def end_sessions(user):
    """Log ``user`` out everywhere at once by deleting their sessions.

    Sessions live in the database (Django's default store, which Samråd
    uses), keyed by a random key, not by user: each live session is read to
    find the person's. That is a scan of the live sessions, a few thousand at
    most here, and only on removing someone's last membership.
    """
    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=theirs).delete()

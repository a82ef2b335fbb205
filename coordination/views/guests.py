"""Guests: what a party's coordinators do with them, and the pages a guest sees.

A guest is never logged in (models.Guest): their browser's session only names
the guest (GUEST_KEY), and each guest page reads the guest's row anew, so a
revoked or expired link ends an open session on its next request. Every other
page of the app is behind login and answers a guest as it answers anyone
without an account.

The way in: the personal link (guest_link) shows a button; pressing it mails a
one-time code and leads to the code page (guest_code). A link in a mail must
not act on a GET, because mail scanners open every link they see. The right
code starts the guest's session and leaves a signed cookie naming the guest
(REMEMBER_COOKIE), so that the link opened again in the same browser needs no
new code, until the link's end.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import rules
from ..forms import GuestCodeForm, GuestForm
from ..models import AgendaItem, Document, Guest, Meeting
from ..overview import build_agenda, ordered_invitations
from ..security import log_guest_event
from ..services import guests
from ..services.base import RuleError
from ..services.guests import GuestRefused
from .agenda import file_download
from .common import confirm_page, form_page, get_meeting_for_user, meeting_url, refuse_rule_errors, require
from .meetings import answer_page, calendar_entry_download

GUEST_KEY = "samrad_guest"
PENDING_KEY = "samrad_guest_pending"  # the guest a code was mailed to, until it is entered
REMEMBER_COOKIE = "samrad_guest"
REMEMBER_SALT = "samrad.guest.browser"
NOT_SIGNED_IN = "not_signed_in"

# What each refusal tells the visitor, and its status. None of them names the guest or their address.
REFUSALS = {
    GuestRefused.UNKNOWN: (
        404,
        gettext_lazy("The link does not work"),
        gettext_lazy(
            "The link is not valid. Check that you opened the whole link from the e-mail; "
            "if it still does not work, ask the person who invited you for a new one."
        ),
    ),
    GuestRefused.REVOKED: (
        410,
        gettext_lazy("The link has been revoked"),
        gettext_lazy("The party that invited you has revoked the link. Ask them if you still need to take part."),
    ),
    GuestRefused.PARTY_LEFT: (
        410,
        gettext_lazy("The link no longer works"),
        gettext_lazy(
            "The party that invited you no longer takes part in the meeting, so the link has stopped working."
        ),
    ),
    GuestRefused.EXPIRED: (
        410,
        gettext_lazy("The link has expired"),
        gettext_lazy(
            "The link worked until a while after the meeting. Ask the party that invited you if you need it again."
        ),
    ),
    GuestRefused.LOCKED: (
        429,
        gettext_lazy("The link is locked for a while"),
        gettext_lazy(
            "Too many wrong codes were entered. Wait %(minutes)s minutes, then open the link from the e-mail again "
            "to get a new code."
        ),
    ),
    GuestRefused.NO_CODE: (
        410,
        gettext_lazy("The code no longer works"),
        gettext_lazy(
            "The code has already been used or is too old. Open the link from the e-mail again to get a new code."
        ),
    ),
    NOT_SIGNED_IN: (
        403,
        gettext_lazy("Open your personal link first"),
        gettext_lazy("This page is for guests. Open the personal link from the e-mail you got, then come back."),
    ),
}


def refused(request, reason, guest=None):
    """The one page of a link or code that cannot be used: what happened and what to do, never a 500."""
    log_guest_event(f"guest_refused reason={reason}", request, guest)
    status, heading, text = REFUSALS[reason]
    context = {"heading": heading, "text": text % {"minutes": settings.GUEST_LOCK_MINUTES}}
    return render(request, "coordination/guest_refused.html", context, status=status)


def _guest(pk):
    return Guest.objects.select_related("party", "meeting__confirmed_slot").filter(pk=pk).first() if pk else None


def guest_page(view):
    """A page of the guest's own meeting: the guest of this session, if their link may still be used."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        guest = _guest(request.session.get(GUEST_KEY))
        if guest is None:
            return refused(request, NOT_SIGNED_IN)
        try:
            guests.usable(guest)
        except GuestRefused as refusal:
            return refused(request, refusal.reason, guest)
        meeting = Meeting.objects.with_parties().select_related("confirmed_slot").get(pk=guest.meeting_id)
        guest.meeting = meeting
        access = rules.MeetingAccess.for_guest(guest)
        if not rules.can_read_as_guest(access):
            return refused(request, NOT_SIGNED_IN)
        return view(request, access, *args, **kwargs)

    return wrapper


def _start_session(request, guest):
    """The guest's session, under a new key (no fixation); any code left pending in it is done with."""
    request.session.cycle_key()
    request.session[GUEST_KEY] = guest.pk
    request.session.pop(PENDING_KEY, None)
    log_guest_event("guest_signed_in", request, guest)
    return redirect("guest_meeting")


def _remembered(request, guest):
    value = request.get_signed_cookie(REMEMBER_COOKIE, default=None, salt=REMEMBER_SALT)
    return value == str(guest.pk)


def guest_link(request, token):
    """The personal link: a browser remembered for this guest goes straight in; any other asks for a code."""
    try:
        guest = guests.guest_for_link(token)
    except GuestRefused as refusal:
        return refused(request, refusal.reason, refusal.guest)
    if request.method == "POST":
        try:
            guests.send_code(guest)
        except GuestRefused as refusal:
            return refused(request, refusal.reason, guest)
        log_guest_event("guest_code_sent", request, guest)
        request.session[PENDING_KEY] = guest.pk
        return redirect("guest_code")
    if _remembered(request, guest):
        log_guest_event("guest_link_remembered", request, guest)
        return _start_session(request, guest)
    log_guest_event("guest_link_opened", request, guest)
    return render(request, "coordination/guest_link.html", {"guest": guest, "meeting": guest.meeting})


def guest_code(request):
    """The code from the mail. A wrong one may be tried again; too many lock the link (services.guests.check_code)."""
    guest = _guest(request.session.get(PENDING_KEY))
    if guest is None:
        return refused(request, NOT_SIGNED_IN)
    form = GuestCodeForm(request.POST or None)
    if form.is_valid():
        try:
            guests.check_code(guest, form.cleaned_data["code"])
        except GuestRefused as refusal:
            if refusal.reason != GuestRefused.WRONG_CODE:
                request.session.pop(PENDING_KEY, None)
                return refused(request, refusal.reason, guest)
            log_guest_event("guest_code_failed", request, guest)
            form.add_error("code", _("The code is not right. Check the digits in the e-mail and try again."))
        else:
            response = _start_session(request, guest)
            response.set_signed_cookie(
                REMEMBER_COOKIE,
                str(guest.pk),
                salt=REMEMBER_SALT,
                max_age=max(0, int((guest.valid_until - timezone.now()).total_seconds())),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
    return render(request, "coordination/guest_code.html", {"form": form, "meeting": guest.meeting})


@guest_page
def guest_meeting(request, access):
    meeting = access.meeting
    context = {
        "meeting": meeting,
        "guest": access.guest,
        "invitations": ordered_invitations(meeting),
        "agenda": build_agenda(meeting, None),
        "can_download_ics": rules.can_download_ics(access),
        "can_answer": rules.can_answer_for(access, access.guest.party_id),
    }
    return render(request, "coordination/guest_meeting.html", context)


@guest_page
def guest_ics(request, access):
    return calendar_entry_download(access)


@guest_page
def guest_document(request, access, document_pk):
    """A document of the accepted agenda that every party sees: on an item, or on a shared position."""
    visible = (
        Document.objects.shared()
        .current()
        .filter(agenda_item__meeting=access.meeting, agenda_item__status=AgendaItem.Status.ACCEPTED)
    )
    return file_download(get_object_or_404(visible, pk=document_pk))


@guest_page
def guest_answer(request, access):
    """The party's answers, for a guest the party allowed to give them; logged under the guest's name."""
    guest = access.guest
    try:
        return answer_page(
            request,
            access,
            guest.party_id,
            by=None,
            actor_name=_("%(name)s (guest)") % {"name": guest.name},
            back_url=reverse("guest_meeting"),
            template="coordination/guest_answer.html",
        )
    except RuleError as error:
        messages.error(request, str(error))
        return redirect("guest_meeting")


# The party's side.


@login_required
@refuse_rule_errors
def guest_add(request, pk, party_pk):
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_add_guest_for(access, party_pk))
    party = access.parties[party_pk]
    form = GuestForm(request.POST or None)
    if form.is_valid():
        guest = guests.add_guest(
            meeting=meeting,
            party=party,
            by=request.user,
            form_token=form.cleaned_data["form_token"],
            **{name: form.cleaned_data[name] for name in ("name", "email", "may_answer")},
        )
        log_guest_event(f"guest_added by_user_id={request.user.pk}", request, guest)
        messages.success(
            request, _("%(name)s is added as a guest and gets a personal link by e-mail.") % {"name": guest.name}
        )
        return redirect(meeting_url(meeting) + "#guests")
    return form_page(
        request,
        meeting,
        form,
        heading=_("Add a guest for %(party)s") % {"party": party.short_name},
        intro=_(
            "A guest has no account: a deputy, an expert or an assistant. They get a personal link by e-mail and "
            "can read the meeting, the accepted agenda and what the parties have shared, until a while after the "
            "meeting. You can revoke the link at any time."
        ),
        button=_("Add guest"),
    )


@login_required
@refuse_rule_errors
def guest_revoke(request, pk, guest_pk):
    meeting, access = get_meeting_for_user(request, pk)
    guest = get_object_or_404(meeting.guests.select_related("party"), pk=guest_pk)
    require(rules.can_revoke_guest(access, guest))
    if request.method == "POST":
        guests.revoke_guest(guest=guest, by=request.user, party=guest.party)
        log_guest_event(f"guest_revoked by_user_id={request.user.pk}", request, guest)
        messages.success(request, _("The link of %(name)s is revoked; it no longer works.") % {"name": guest.name})
        return redirect(meeting_url(meeting) + "#guests")
    return confirm_page(
        request,
        meeting,
        heading=_("Revoke the guest's link"),
        question=_("Revoke the link of %(name)s (%(email)s)? It stops working at once, also where it is open.")
        % {"name": guest.name, "email": guest.email},
        button=_("Revoke link"),
    )

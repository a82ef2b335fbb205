"""What every meeting view shares: the access helper, the one way to refuse, and the two generic pages."""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from .. import rules
from ..models import Meeting
from ..services.base import RuleError


def get_meeting_for_user(request, pk, queryset=None):
    """The access helper: the meeting and the user's rights in it.

    A meeting the user may not see is a 404 — the same answer as one that does
    not exist, so nothing about it leaks.
    """
    queryset = (queryset if queryset is not None else Meeting.objects.with_parties()).visible_to(request.user)
    meeting = get_object_or_404(queryset, pk=pk)
    return meeting, rules.MeetingAccess.for_user(request.user, meeting)


def require(allowed):
    """One way to say no to a user who may see the meeting but not do this."""
    if not allowed:
        raise PermissionDenied


def refuse_rule_errors(view):
    """The one way a meeting view answers a change the rules refuse: the message, back on the meeting's page.

    Wraps a view taking the meeting's ``pk``. A RuleError a view wants to answer
    otherwise (an edit conflict, a file the disk refused) it catches itself.
    The service's transaction has already rolled back, so nothing was changed.
    """

    @functools.wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        try:
            return view(request, pk, *args, **kwargs)
        except RuleError as error:
            messages.error(request, str(error))
            return redirect(reverse("meeting_detail", args=[pk]))

    return wrapper


def meeting_url(meeting):
    return reverse("meeting_detail", args=[meeting.pk])


def form_page(request, meeting, form, *, heading, button, intro="", danger=False):
    context = {"meeting": meeting, "form": form, "heading": heading, "intro": intro, "button": button, "danger": danger}
    return render(request, "coordination/form_page.html", context)


def confirm_page(request, meeting, *, heading, question, button, danger=True):
    """The step before an action that others will see or that removes something: the same URL, POSTed, does it."""
    context = {"meeting": meeting, "heading": heading, "question": question, "button": button, "danger": danger}
    return render(request, "coordination/confirm_action.html", context)

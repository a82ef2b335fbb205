"""What every meeting view shares: the access helper, the one way to refuse, and the two generic pages."""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from .. import rules
from ..models import Meeting
from ..services.base import RuleError


def get_meeting_for_user(request, pk, queryset=None):
    """The access helper: the meeting and the user's rights in it.

    A meeting the user may not see is a 404 — the same answer as one that does
    not exist, so nothing about it leaks.
    """
    queryset = queryset if queryset is not None else Meeting.objects.with_parties()
    # The user's parties as loaded once for the request, rather than a subquery of them (visible_to).
    if request.user.is_authenticated:
        queryset = queryset.visible_to_parties(list(rules.request_roles(request)))
    else:
        queryset = queryset.none()
    meeting = get_object_or_404(queryset, pk=pk)
    return meeting, rules.MeetingAccess.for_request(request, meeting)


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


def pdf_of_page(request, template, context):
    """A printable page (the kallelse, the approved minutes) as PDF bytes, or None on a server without the Pango
    that WeasyPrint draws with: the view then answers with the page that says so (pdf_unavailable.html)."""
    try:
        # Imported here: WeasyPrint loads Pango from the system, and a server without it still runs everything else.
        from .. import pdf
    except (ImportError, OSError):
        return None
    return pdf.render_pdf(render_to_string(template, {**context, "as_pdf": True}, request=request))


def printed_file(request, template, context, stem):
    """A printable page as a file to keep: (name, bytes), a PDF where the server can make one, else its HTML."""
    body = pdf_of_page(request, template, context)
    if body is not None:
        return f"{stem}.pdf", body
    return f"{stem}.html", render_to_string(template, context, request=request).encode("utf-8")


def int_or_none(value):
    # Not str.isdigit(): it also passes "²", which int() refuses.
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def versions_to_compare(request, versions):
    """The two of ``versions`` (in order, each with a ``number``) the page compares: ?from=N&to=M, else the last
    two (the only one, against itself)."""
    numbers = {version.number: version for version in versions}
    older = numbers.get(int_or_none(request.GET.get("from")), versions[-2] if len(versions) > 1 else versions[0])
    newer = numbers.get(int_or_none(request.GET.get("to")), versions[-1])
    return older, newer

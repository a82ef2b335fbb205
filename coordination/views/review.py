"""Review (justering) of the minutes: reviewers, sending and taking back, approving and commenting, the versions,
and the approved minutes as a printable page, a PDF and numbered corrections."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .. import rules
from ..forms import CorrectionForm, MinutesVersionForm, ReviewCommentForm, ReviewerForm
from ..models import Meeting, Membership, Minutes, MinutesReviewer, ReviewComment
from ..overview import (
    compare_versions,
    printable_minutes,
    version_item_text,
)
from ..services import review
from ..services.agenda import EditConflict
from .agenda import conflict_page
from .common import (
    confirm_page,
    form_page,
    get_meeting_for_user,
    meeting_url,
    pdf_of_page,
    refuse_rule_errors,
    require,
    versions_to_compare,
)
from .minutes import accepted_item, minutes_of, minutes_url

Role = Membership.Role


def _meeting_and_minutes(request, pk, queryset=None):
    """The meeting, the user's access and its minutes (None before anyone wrote a word)."""
    meeting, access = get_meeting_for_user(request, pk, queryset)
    return meeting, access, minutes_of(meeting)


def _party_of_record(access):
    """The party a step of the record is taken for: the user's convening party, else (a minute-taker named from
    another party) the first convening party, as views/minutes.py writes the draft."""
    return (
        access.acting_party(Role.COORDINATOR, Role.SECRETARY, convening=True)
        or access.parties[min(access.convening_ids)]
    )


def _comment_on_newer_version(request, meeting, item, version, mine):
    """A comment written on a version replaced since: the item as the new version has it beside the comment, kept
    in a form that comments on the new version."""
    kept = next((part for part in version.content["items"] if part["item"] == item.pk), None)
    return conflict_page(
        request,
        meeting,
        item,
        version,
        heading=_("A new version of the minutes was sent for review while you wrote your comment"),
        crumb=_("Comment"),
        current_text=version_item_text(kept) if kept else "",
        mine=mine,
        form=ReviewCommentForm(initial={"text": mine, "version": version.number}),
        back_url=minutes_url(meeting, f"item-{item.pk}"),
        compare=False,
        button=_("Comment on version %(number)s") % {"number": version.number},
    )


def _version_form(request, minutes):
    return MinutesVersionForm(request.POST or None, initial={"version": minutes.version if minutes else 1})


@login_required
@refuse_rule_errors
def minutes_reviewer(request, pk, party_pk):
    """A party's coordinators name who reviews the minutes for it, from the party's own people."""
    meeting, access, minutes = _meeting_and_minutes(request, pk)
    require(rules.can_name_reviewer_for(access, minutes, party_pk))
    party = access.parties[party_pk]
    current = MinutesReviewer.objects.filter(minutes=minutes, party=party).first() if minutes else None
    initial = {}
    if current is not None:
        initial["reviewer"] = Membership.objects.filter(user_id=current.user_id, party=party).first()
    form = ReviewerForm(request.POST or None, initial=initial, party=party)
    if form.is_valid():
        membership = form.cleaned_data["reviewer"]
        review.name_reviewer(
            meeting=meeting, party=party, by=request.user, user=membership.user if membership else None
        )
        messages.success(request, _("%(party)s's reviewer was saved.") % {"party": party.short_name})
        # Back where it was named from: the minutes, or the meeting's page for a party that does not see them yet.
        if rules.can_see_minutes(access, minutes_of(meeting)):
            return redirect(minutes_url(meeting, "review"))
        return redirect(meeting_url(meeting) + "#minutes-review")
    heading = _("Reviewer of the minutes for %(party)s") % {"party": party.short_name}
    return form_page(request, meeting, form, heading=heading, button=_("Save"))


@login_required
@refuse_rule_errors
def minutes_send(request, pk):
    """Send the minutes for review: asked first (GET), done on POST."""
    meeting, access, minutes = _meeting_and_minutes(request, pk)
    require(rules.can_send_minutes_for_review(access, minutes))
    if request.method == "POST":
        version = review.send_for_review(meeting=meeting, party=_party_of_record(access), by=request.user)
        messages.success(
            request,
            _("Version %(number)s of the minutes was sent for review. Each party's reviewer was asked by mail.")
            % {"number": version.number},
        )
        return redirect(minutes_url(meeting, "review"))
    return confirm_page(
        request,
        meeting,
        heading=_("Send the minutes for review"),
        question=_(
            "Send the minutes as they are now to every party's reviewer? They cannot be changed while they are "
            "under review; to revise them, take them back. Once every party has approved them, they are locked."
        ),
        button=_("Send for review"),
        danger=False,
    )


@login_required
@refuse_rule_errors
def minutes_take_back(request, pk):
    """Take the version under review back to revise it; its approvals stay with it."""
    meeting, access, minutes = _meeting_and_minutes(request, pk)
    require(rules.can_take_back_minutes(access, minutes))
    form = _version_form(request, minutes)
    if form.is_valid():
        review.take_back(
            meeting=meeting, party=_party_of_record(access), by=request.user, version=form.cleaned_data["version"]
        )
        messages.success(request, _("The minutes are a draft again. Revise them and send them for review anew."))
        return redirect(minutes_url(meeting))
    intro = _(
        "Take version %(number)s back to revise it? The approvals given so far stay with that version: every party "
        "approves the next version anew."
    ) % {"number": minutes.version}
    return form_page(request, meeting, form, heading=_("Take back the minutes"), intro=intro, button=_("Take back"))


@login_required
@refuse_rule_errors
def minutes_approve(request, pk, party_pk):
    """A reviewer approves the version under review for their own party."""
    meeting, access, minutes = _meeting_and_minutes(request, pk)
    require(rules.can_approve_minutes_for(access, minutes, party_pk))
    party = access.parties[party_pk]
    form = _version_form(request, minutes)
    if form.is_valid():
        review.approve(meeting=meeting, party=party, by=request.user, version=form.cleaned_data["version"])
        if Minutes.objects.get(pk=minutes.pk).is_approved:
            messages.success(request, _("Every party has approved the minutes. They are locked."))
        else:
            messages.success(request, _("You approved the minutes for %(party)s.") % {"party": party.short_name})
        return redirect(minutes_url(meeting, "review"))
    intro = _("Approve version %(number)s of the minutes for %(party)s, as they read now?") % {
        "number": minutes.version,
        "party": party.short_name,
    }
    heading = _("Approve the minutes")
    return form_page(
        request,
        meeting,
        form,
        heading=heading,
        intro=intro,
        button=_("Approve for %(party)s") % {"party": party.short_name},
    )


@login_required
@refuse_rule_errors
def minutes_comment(request, pk, item_pk, party_pk):
    """A reviewer's comment on one item, for their own party."""
    meeting, access, minutes = _meeting_and_minutes(request, pk)
    item = accepted_item(meeting, item_pk)
    require(rules.can_comment_on_minutes_for(access, minutes, party_pk))
    party = access.parties[party_pk]
    form = ReviewCommentForm(request.POST or None, initial={"version": minutes.version})
    if form.is_valid():
        mine = form.cleaned_data["text"]
        try:
            review.comment(
                meeting=meeting,
                item=item,
                party=party,
                by=request.user,
                text=mine,
                version=form.cleaned_data["version"],
                form_token=form.cleaned_data["form_token"],
            )
        except EditConflict as conflict:
            return _comment_on_newer_version(request, meeting, item, conflict.current, mine)
        messages.success(request, _("Your comment was saved. The minute-taker sees it with the item."))
        return redirect(minutes_url(meeting, f"item-{item.pk}"))
    heading = _("Comment on “%(title)s” for %(party)s") % {"title": item.title, "party": party.short_name}
    return form_page(request, meeting, form, heading=heading, button=_("Save comment"))


@login_required
@require_safe
def minutes_versions(request, pk):
    """Every version sent for review, what changed between two of them, and what the reviewers said."""
    meeting, access, minutes = _meeting_and_minutes(request, pk)
    require(rules.can_see_minutes_versions(access, minutes))
    versions = list(minutes.versions.prefetch_related("approvals__party"))
    older, newer = versions_to_compare(request, versions)
    comments = {}
    for comment in ReviewComment.objects.filter(version__in=[older, newer]).select_related("party", "version"):
        comments.setdefault(comment.agenda_item_id, []).append(comment)
    changes = [(change, comments.get(change.item_id, [])) for change in compare_versions(older, newer)]
    context = {
        "meeting": meeting,
        "minutes": minutes,
        "versions": versions,
        "older": older,
        "newer": newer,
        "changes": changes,
    }
    return render(request, "coordination/minutes_versions.html", context)


def _printable_context(request, pk):
    meeting, access, minutes = _meeting_and_minutes(request, pk, Meeting.objects.for_kallelse())
    require(rules.can_print_minutes(access, minutes))
    return printable_minutes(meeting, minutes)


@login_required
@require_safe
def minutes_print(request, pk):
    """The approved minutes as a document to print or file, with their corrections."""
    return render(request, "coordination/minutes_print.html", _printable_context(request, pk))


@login_required
@require_safe
def minutes_pdf(request, pk):
    """The same document as a PDF, made as the kallelse's is."""
    context = _printable_context(request, pk)
    body = pdf_of_page(request, "coordination/minutes_print.html", context)
    if body is None:
        return render(request, "coordination/pdf_unavailable.html", {**context, "printable": "minutes"}, status=503)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="protokoll-{context["meeting"].pk}.pdf"'
    return response


@login_required
@refuse_rule_errors
def minutes_correction(request, pk):
    """A numbered correction of approved minutes."""
    meeting, access, minutes = _meeting_and_minutes(request, pk)
    require(rules.can_correct_minutes(access, minutes))
    form = CorrectionForm(request.POST or None, meeting=meeting)
    if form.is_valid():
        correction = review.correct(
            meeting=meeting,
            party=_party_of_record(access),
            by=request.user,
            item=form.cleaned_data["agenda_item"],
            text=form.cleaned_data["text"],
            form_token=form.cleaned_data["form_token"],
        )
        messages.success(request, _("Correction %(number)s was added to the minutes.") % {"number": correction.number})
        return redirect(minutes_url(meeting, "corrections"))
    intro = _("Approved minutes are not changed: a correction is added to them, numbered, with your name and the time.")
    return form_page(request, meeting, form, heading=_("Add a correction"), intro=intro, button=_("Add correction"))

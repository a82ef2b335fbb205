"""After the meeting: the minutes page, and the forms that write the minutes, agreements, decisions and actions."""

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import rules
from ..forms import (
    ActionForm,
    ActionStatusForm,
    AgreementForm,
    DecisionForm,
    MinutesEntryForm,
    MinuteTakerForm,
    PresenceForm,
    PresentPersonForm,
)
from ..models import Action, AgendaItem, Agreement, Attendee, Meeting, Membership, Minutes, MinutesEntry
from ..overview import build_minutes, build_review, with_review_comments
from ..services import minutes as minutes_service
from ..services.agenda import EditConflict
from .agenda import conflict_page
from .common import form_page, get_meeting_for_user, refuse_rule_errors, require

Role = Membership.Role


def minutes_url(meeting, anchor=""):
    return reverse("minutes", args=[meeting.pk]) + (f"#{anchor}" if anchor else "")


def minutes_of(meeting):
    """The meeting's minutes, or None before anyone wrote a word."""
    return Minutes.objects.filter(meeting=meeting).select_related("minute_taker").first()


def _for_writer(request, pk):
    """The meeting, its minutes and the party the writer acts for, if the user may write them."""
    meeting, access = get_meeting_for_user(request, pk)
    minutes = minutes_of(meeting)
    require(rules.can_write_minutes(access, minutes))
    # The minutes are the conveners' record: a minute-taker named from another party writes for the conveners,
    # so the draft's events stay theirs and never show in the log of the minute-taker's own party.
    party = access.acting_party(Role.SECRETARY, convening=True) or access.parties[min(access.convening_ids)]
    return meeting, access, minutes, party


def accepted_item(meeting, item_pk):
    return get_object_or_404(meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED), pk=item_pk)


@login_required
def minutes(request, pk):
    meeting, access = get_meeting_for_user(request, pk, Meeting.objects.for_kallelse())
    minutes = minutes_of(meeting)
    require(rules.can_see_minutes(access, minutes))
    review = build_review(meeting, minutes)
    context = {
        "meeting": meeting,
        "minutes": minutes,
        "record": with_review_comments(build_minutes(meeting, minutes), review),
        "review": review,
        "can_write": rules.can_write_minutes(access, minutes),
        "can_name_minute_taker": rules.can_name_minute_taker(access, minutes),
        "decision_party_ids": rules.decision_party_ids(access, minutes),
        "action_party_ids": access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY),
        # Review (views/review.py).
        "can_send": rules.can_send_minutes_for_review(access, minutes),
        "can_take_back": rules.can_take_back_minutes(access, minutes),
        # The parties the user reviews for: a comment any time the version is under review, an approval once.
        "commenting_parties": [access.parties[pid] for pid in rules.commenting_party_ids(access, minutes)],
        "approving_parties": [
            access.parties[pid]
            for pid in rules.approving_party_ids(access, minutes)
            if pid not in review.approved_party_ids
        ],
        "reviewer_party_ids": rules.reviewer_party_ids(access, minutes),
        "can_see_versions": rules.can_see_minutes_versions(access, minutes),
        "can_print": rules.can_print_minutes(access, minutes),
        "can_correct": rules.can_correct_minutes(access, minutes),
    }
    return render(request, "coordination/minutes.html", context)


@login_required
@refuse_rule_errors
def minute_taker(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    minutes = minutes_of(meeting)
    require(rules.can_name_minute_taker(access, minutes))
    initial = {}
    if minutes and minutes.minute_taker_id:
        initial["minute_taker"] = Membership.objects.filter(
            user=minutes.minute_taker, party__invitations__meeting=meeting
        ).first()
    form = MinuteTakerForm(request.POST or None, initial=initial, meeting=meeting)
    if form.is_valid():
        membership = form.cleaned_data["minute_taker"]
        minutes_service.name_minute_taker(
            meeting=meeting,
            party=access.acting_party(Role.COORDINATOR, convening=True),
            by=request.user,
            user=membership.user if membership else None,
        )
        messages.success(request, _("The minute-taker was saved."))
        return redirect(minutes_url(meeting))
    return form_page(request, meeting, form, heading=_("Name the minute-taker"), button=_("Save"))


@login_required
@refuse_rule_errors
def minutes_entry(request, pk, item_pk):
    """Write the minutes of one item; a save from an older version shows both texts to choose from."""
    if request.method == "POST" and (frozen := _sent_meanwhile(request, pk, item_pk)):
        return frozen
    meeting, _access, minutes, party = _for_writer(request, pk)
    item = accepted_item(meeting, item_pk)
    entry = MinutesEntry.objects.filter(minutes=minutes, agenda_item=item).first() if minutes else None
    initial = {"text": entry.text if entry else "", "base_version": entry.version if entry else 0}
    form = MinutesEntryForm(request.POST or None, initial=initial)
    if form.is_valid():
        mine = form.cleaned_data["text"]
        try:
            minutes_service.save_entry(
                meeting=meeting,
                item=item,
                party=party,
                by=request.user,
                text=mine,
                base_version=form.cleaned_data["base_version"],
            )
        except EditConflict as conflict:
            current = conflict.current
            return conflict_page(
                request,
                meeting,
                item,
                current,
                heading=_("Someone else saved the minutes of this item while you were editing them"),
                crumb=_("Minutes"),
                current_text=current.text,
                mine=mine,
                form=MinutesEntryForm(initial={"text": mine, "base_version": current.version}),
                back_url=minutes_url(meeting, f"item-{item.pk}"),
            )
        messages.success(request, _("The minutes of the item were saved."))
        return redirect(minutes_url(meeting, f"item-{item.pk}"))
    heading = _("Minutes of “%(title)s”") % {"title": item.title}
    return form_page(request, meeting, form, heading=heading, button=_("Save minutes"))


def _sent_meanwhile(request, pk, item_pk):
    """A writer's text of an item, posted after the minutes were sent for review (or approved): the conflict page
    with their text kept, since nothing can be saved until the minutes are taken back. None for any other post."""
    meeting, access = get_meeting_for_user(request, pk)
    minutes = minutes_of(meeting)
    if minutes is None or minutes.is_draft:
        return None
    if not (rules.can_take_back_minutes(access, minutes) or rules.can_correct_minutes(access, minutes)):
        return None
    form = MinutesEntryForm(request.POST)
    if not form.is_valid():
        return None
    item = accepted_item(meeting, item_pk)
    entry = MinutesEntry.objects.filter(minutes=minutes, agenda_item=item).first()
    return conflict_page(
        request,
        meeting,
        item,
        SimpleNamespace(sent_by_name="", number=minutes.version),
        heading=_("The minutes were sent for review while you were editing them"),
        crumb=_("Minutes"),
        current_text=entry.text if entry else "",
        mine=form.cleaned_data["text"],
        form=None,
        back_url=minutes_url(meeting, f"item-{item.pk}"),
        explanation=_(
            "Your text was not saved: the minutes were sent for review after you started, and are not changed while "
            "they are reviewed, nor once approved. Keep your text from below: take the minutes back to revise them, "
            "or add a correction to approved minutes."
        ),
    )


@login_required
@refuse_rule_errors
def minutes_presence(request, pk):
    meeting, _access, _minutes, party = _for_writer(request, pk)
    attendees = list(meeting.attendees.filter(status=Attendee.Status.CONFIRMED).select_related("party", "presence"))
    marked = [a.pk for a in attendees if getattr(a, "presence", None) is None or a.presence.present]
    # Bound on every POST: with every box unticked (nobody came) the browser sends no field at all.
    posted = request.POST if request.method == "POST" else None
    form = PresenceForm(posted, initial={"present": marked}, attendees=attendees)
    if form.is_valid():
        minutes_service.record_presence(
            meeting=meeting, party=party, by=request.user, present_ids=form.cleaned_data["present"]
        )
        messages.success(request, _("Who was present was saved."))
        return redirect(minutes_url(meeting, "presence"))
    return form_page(request, meeting, form, heading=_("Who was present"), button=_("Save"))


@login_required
@refuse_rule_errors
def minutes_person_add(request, pk):
    meeting, _access, _minutes, party = _for_writer(request, pk)
    form = PresentPersonForm(request.POST or None, meeting=meeting)
    if form.is_valid():
        minutes_service.add_present_person(
            meeting=meeting,
            party=party,
            by=request.user,
            name=form.cleaned_data["name"],
            person_party=form.cleaned_data["party"],
            form_token=form.cleaned_data["form_token"],
        )
        messages.success(request, _("The person was added as present."))
        return redirect(minutes_url(meeting, "presence"))
    return form_page(request, meeting, form, heading=_("Add someone who was present"), button=_("Add"))


@login_required
@refuse_rule_errors
def agreement_create(request, pk, item_pk):
    meeting, _access, _minutes, party = _for_writer(request, pk)
    item = accepted_item(meeting, item_pk)
    form = AgreementForm(request.POST or None, meeting=meeting)
    if form.is_valid():
        minutes_service.add_agreement(
            meeting=meeting,
            item=item,
            party=party,
            by=request.user,
            text=form.cleaned_data["text"],
            parties=list(form.cleaned_data["parties"]),
            form_token=form.cleaned_data["form_token"],
        )
        messages.success(request, _("The agreement was added."))
        return redirect(minutes_url(meeting, f"item-{item.pk}"))
    heading = _("Agreement on “%(title)s”") % {"title": item.title}
    return form_page(request, meeting, form, heading=heading, button=_("Add agreement"))


@login_required
@refuse_rule_errors
def decision_record(request, pk, agreement_pk, party_pk):
    """A party's own decision on an agreement; no party records another's."""
    meeting, access = get_meeting_for_user(request, pk)
    minutes = minutes_of(meeting)
    agreement = get_object_or_404(Agreement.objects.filter(minutes__meeting=meeting), pk=agreement_pk)
    require(rules.can_record_decision_for(access, minutes, party_pk))
    party = access.parties[party_pk]
    decision = agreement.decisions.filter(party=party).first()
    form = DecisionForm(request.POST or None, instance=decision)
    if form.is_valid():
        minutes_service.record_decision(
            agreement=agreement,
            party=party,
            by=request.user,
            body=form.cleaned_data["body"],
            decided_on=form.cleaned_data["decided_on"],
            registration_number=form.cleaned_data["registration_number"],
        )
        messages.success(request, _("%(party)s's decision was saved.") % {"party": party.short_name})
        return redirect(minutes_url(meeting, f"agreement-{agreement.pk}"))
    heading = _("%(party)s's decision on the agreement") % {"party": party.short_name}
    return form_page(request, meeting, form, heading=heading, intro=agreement.text, button=_("Save decision"))


@login_required
@refuse_rule_errors
def action_create(request, pk, item_pk):
    meeting, _access, _minutes, party = _for_writer(request, pk)
    item = accepted_item(meeting, item_pk)
    form = ActionForm(request.POST or None, meeting=meeting)
    if form.is_valid():
        minutes_service.add_action(meeting=meeting, item=item, party=party, by=request.user, **form.cleaned_data)
        messages.success(request, _("The action was added."))
        return redirect(minutes_url(meeting, f"item-{item.pk}"))
    heading = _("Action on “%(title)s”") % {"title": item.title}
    return form_page(request, meeting, form, heading=heading, button=_("Add action"))


@login_required
@refuse_rule_errors
def action_status(request, pk, action_pk):
    meeting, access = get_meeting_for_user(request, pk)
    minutes = minutes_of(meeting)
    action = get_object_or_404(Action.objects.filter(minutes__meeting=meeting), pk=action_pk)
    require(rules.can_update_action(access, minutes, action))
    initial = {"status": action.status, "reason": action.drop_reason}
    form = ActionStatusForm(request.POST or None, initial=initial)
    if form.is_valid():
        party = access.parties.get(action.owner_party_id) if action.owner_party_id in access.roles else None
        minutes_service.set_action_status(
            action=action,
            party=party or access.acting_party(*Role.values),
            by=request.user,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("The action's status was saved."))
        return redirect(minutes_url(meeting, f"action-{action.pk}"))
    return form_page(request, meeting, form, heading=_("Status of the action"), intro=action.what, button=_("Save"))

"""The meeting and its scheduling: create, propose times, answer, confirm, attendees, the .ics."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from .. import fragments, ics, rules
from ..formatting import slot_label
from ..forms import (
    AnswerForm,
    AttendeeForm,
    CancelForm,
    ConfirmForm,
    CorrectAddressForm,
    MeetingForm,
    NewDraftForm,
    RegistrationNumberForm,
    RescheduleForm,
    SlotFormSet,
    one_slot_data,
)
from ..models import Answer, CalendarReply, Event, Meeting, Membership, Minutes
from ..overview import build_grid, dashboard, ordered_invitations, participation, series
from ..services import (
    answer_export,
    attendance,
    copies,
    delivery,
    eventlog,
    holds,
    invites,
    meetings,
    reminders,
    replies,
)
from ..services.base import RuleError
from .common import confirm_page, form_page, get_meeting_for_user, meeting_url, refuse_rule_errors, require

Role = Membership.Role


@login_required
def my_meetings(request):
    can_create = rules.can_create_meeting(request.user)
    sections = dashboard(request.user, rules.request_roles(request), request.GET, with_drafts=can_create)
    context = {
        "rows": [row for section in sections for row in section.rows],
        "sections": sections,
        "can_create": can_create,
    }
    return render(request, "coordination/my_meetings.html", context)


@login_required
def meeting_create(request):
    require(rules.can_create_meeting(request.user))
    form = MeetingForm(request.POST or None, user=request.user)
    if form.is_valid():
        meeting = meetings.save_meeting(
            by=request.user,
            party=rules.creating_party(request.user, form.cleaned_data["convening"]),
            form_token=form.cleaned_data["form_token"],
            **form.meeting_arguments(),
        )
        messages.success(request, _("The meeting was created as a draft. Propose times, then open it for answers."))
        return redirect(meeting_url(meeting))
    return render(request, "coordination/meeting_form.html", {"form": form})


@login_required
@refuse_rule_errors
def meeting_edit(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_edit_meeting(access))
    form = MeetingForm(request.POST or None, instance=meeting, user=request.user)
    if form.is_valid():
        try:
            meetings.save_meeting(
                meeting=meeting,
                by=request.user,
                party=access.acting_party(Role.COORDINATOR, convening=True),
                **form.meeting_arguments(),
            )
        except meetings.MeetingChanged as changed:
            # The user's values stay in the form, now based on the current meeting; saving again is their choice.
            data = request.POST.copy()
            data["base_version"] = changed.current.edit_version
            now = MeetingForm.details_of(changed.current)  # before the bound form writes the user's values onto it
            form = MeetingForm(data, instance=changed.current, user=request.user)
            form.is_valid()
            form.show_changed_meanwhile(now)
            messages.error(request, str(changed))
            return render(request, "coordination/meeting_form.html", {"form": form, "meeting": meeting}, status=409)
        messages.success(request, _("The meeting was saved."))
        return redirect(meeting_url(meeting))
    return render(request, "coordination/meeting_form.html", {"form": form, "meeting": meeting})


@login_required
def meeting_detail(request, pk):
    meeting, access = get_meeting_for_user(request, pk, Meeting.objects.around_parts())
    rights = access.rights()
    context = {
        "meeting": meeting,
        # The grid, the parties' answers, the agenda and the attendees, as of the meeting's last change (fragments.py).
        "parts": fragments.meeting_parts(request, meeting, access, rights),
        "invitations": ordered_invitations(meeting),
        "participation": participation(access, meeting.attendees.filter(user=request.user).select_related("party")),
        "rights": rights,
        "answer_parties": [access.parties[pid] for pid in rules.answerable_party_ids(access)],
        "series": series(meeting, request.user),
        "copy_form": NewDraftForm() if rules.can_copy_meeting(access) else None,
        "outbox": meeting.outbox.all() if rules.can_see_delivery(access) else None,
        "guest_parties": [access.parties[pid] for pid in rules.guest_party_ids(access)],
        "registration_party_ids": rules.registration_number_party_ids(access),
        # Through the meeting's own manager, so each guest's meeting is this one (Guest.valid_until reads it).
        "guests": meeting.guests.filter(party__in=rules.guest_list_party_ids(access)).select_related("party"),
    }
    if rules.can_see_calendar_replies(access):
        context["counters"], context["refused_replies"] = replies.for_conveners(meeting)
    # Read only once minutes can exist: a meeting being planned costs no query for them.
    if rules.minutes_are_due(meeting):
        minutes = Minutes.objects.filter(meeting=meeting).first()
        context["can_see_minutes"] = rules.can_see_minutes(access, minutes)
        # Named here too: a party that is not convening does not see the minutes until they are sent for review.
        context["reviewer_parties"] = [access.parties[pid] for pid in rules.reviewer_party_ids(access, minutes)]
    return render(request, "coordination/meeting_detail.html", context)


def _convener_step(request, pk, *, rule, step, done):
    """A one-button step of the convener's: check the right, take the step, say it is done."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rule(access))
    step(meeting=meeting, by=request.user, party=access.acting_party(Role.COORDINATOR, convening=True))
    messages.success(request, done)
    return redirect(meeting_url(meeting))


@login_required
@require_POST
@refuse_rule_errors
def open_polling(request, pk):
    return _convener_step(
        request, pk, rule=rules.can_open_polling, step=meetings.open_polling, done=_("The meeting is open for answers.")
    )


@login_required
@refuse_rule_errors
def propose_slots(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_propose_slot(access))
    formset = SlotFormSet(request.POST or None, form_kwargs={"meeting": meeting}, prefix="slots")
    if formset.ready_to_save():
        slots = meetings.propose_slots(
            meeting=meeting,
            party=access.acting_party(Role.COORDINATOR),
            by=request.user,
            times=formset.times,
        )
        messages.success(
            request,
            ngettext("%(count)d time proposed.", "%(count)d times proposed.", len(slots)) % {"count": len(slots)},
        )
        return redirect(meeting_url(meeting))
    return render(request, "coordination/slot_form.html", {"meeting": meeting, "formset": formset})


@login_required
@require_POST
@refuse_rule_errors
def add_proposed_time(request, pk, reply_pk):
    """Add the time an attendee proposed from their calendar, through the slot form as if typed in."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_add_proposed_time(access))
    counter = get_object_or_404(CalendarReply, meeting=meeting, outcome=CalendarReply.Outcome.COUNTER, pk=reply_pk)
    formset = SlotFormSet(
        one_slot_data(counter.proposed_start, counter.proposed_end), form_kwargs={"meeting": meeting}, prefix="slots"
    )
    if not formset.is_valid():
        for error in [*formset.non_form_errors(), *(e for form in formset for f in form.errors.values() for e in f)]:
            messages.error(request, error)
        return redirect(meeting_url(meeting))
    [slot] = meetings.propose_slots(
        meeting=meeting, party=access.acting_party(Role.COORDINATOR), by=request.user, times=formset.times
    )
    messages.success(request, _("The time %(slot)s was added to the proposed times.") % {"slot": slot_label(slot)})
    return redirect(meeting_url(meeting))


@login_required
@refuse_rule_errors
def withdraw_slot(request, pk, slot_pk):
    meeting, access = get_meeting_for_user(request, pk)
    slot = get_object_or_404(meeting.slots, pk=slot_pk)
    if slot.is_withdrawn:
        messages.info(request, _("This time has already been withdrawn."))
        return redirect(meeting_url(meeting))
    require(rules.can_withdraw_slot(access, slot))
    if request.method == "POST":
        meetings.withdraw_slot(slot=slot, by=request.user, party=slot.proposed_by_party)
        messages.success(request, _("The time was withdrawn."))
        return redirect(meeting_url(meeting))
    return confirm_page(
        request,
        meeting,
        heading=_("Withdraw time"),
        question=_("Withdraw the proposed time %(slot)s? The answers given to it are kept in the event log.")
        % {"slot": slot_label(slot)},
        button=_("Withdraw time"),
    )


@login_required
@refuse_rule_errors
def answer(request, pk, party_pk):
    meeting, access = get_meeting_for_user(request, pk)
    return answer_page(request, access, party_pk, by=request.user, back_url=meeting_url(meeting))


def answer_page(request, access, party_pk, *, by, back_url, actor_name=None, template="coordination/answer_form.html"):
    """The answer form of a party, for its members and for its guest allowed to answer (views/guests.py)."""
    require(rules.can_answer_for(access, party_pk))
    meeting, party = access.meeting, access.parties[party_pk]
    current = {a.slot_id: a for a in Answer.objects.filter(slot__meeting=meeting, party=party)}
    form = AnswerForm(request.POST or None, meeting=meeting, current=current, party=party)
    if form.is_valid():
        changed = meetings.answer_slots(
            meeting=meeting, party=party, by=by, answers=form.answers, actor_name=actor_name
        )
        message = ngettext(
            "Answers for %(party)s saved: %(count)d change.", "Answers for %(party)s saved: %(count)d changes.", changed
        )
        messages.success(request, message % {"party": party.short_name, "count": changed})
        return redirect(back_url)
    context = {"meeting": meeting, "party": party, "form": form, "back_url": back_url}
    return render(request, template, context)


@login_required
@refuse_rule_errors
def confirm(request, pk, slot_pk):
    meeting, access = get_meeting_for_user(request, pk, Meeting.objects.for_meeting_page())
    if meeting.confirmed_slot_id == slot_pk:
        # The second click of a double click: the first one already did it.
        messages.info(request, _("This time is already confirmed."))
        return redirect(meeting_url(meeting))
    if meeting.status == Meeting.Status.SCHEDULED and rules.can_reschedule(access):
        # Another convener confirmed a time while this one had the page open.
        raise meetings.already_confirmed(meeting)
    require(rules.can_confirm(access))
    grid = build_grid(meeting, access)
    row = next((row for row in grid.rows if row.slot.pk == slot_pk), None)
    if row is None:
        raise RuleError(_("This time has been withdrawn."))
    form = ConfirmForm(request.POST or None, reason_needed=row.needs_reason)
    if form.is_valid():
        meetings.confirm_slot(
            meeting=meeting,
            slot=row.slot,
            by=request.user,
            party=access.acting_party(Role.COORDINATOR, convening=True),
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("The time is confirmed. The meeting is scheduled."))
        return redirect(meeting_url(meeting))
    context = {"meeting": meeting, "grid": grid, "row": row, "form": form}
    return render(request, "coordination/confirm.html", context)


@login_required
@refuse_rule_errors
def reschedule(request, pk):
    meeting, access = get_meeting_for_user(request, pk, Meeting.objects.for_meeting_page())
    require(rules.can_reschedule(access))
    rows = [row for row in build_grid(meeting, access).rows if row.slot.pk != meeting.confirmed_slot_id]
    form = RescheduleForm(request.POST or None, meeting=meeting, rows=rows)
    if form.is_valid():
        meetings.reschedule(
            meeting=meeting,
            by=request.user,
            party=access.acting_party(Role.COORDINATOR, convening=True),
            reason=form.cleaned_data["reason"],
            slot=form.slot,
            new_time=form.typed_time,
        )
        messages.success(request, _("The meeting was rescheduled."))
        return redirect(meeting_url(meeting))
    return render(request, "coordination/reschedule.html", {"meeting": meeting, "form": form})


@login_required
@refuse_rule_errors
def cancel(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_cancel(access))
    form = CancelForm(request.POST or None)
    if form.is_valid():
        meetings.cancel_meeting(
            meeting=meeting,
            by=request.user,
            party=access.acting_party(Role.COORDINATOR, convening=True),
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("The meeting was cancelled."))
        return redirect(meeting_url(meeting))
    return form_page(
        request,
        meeting,
        form,
        heading=_("Cancel meeting"),
        intro=_("The reason is shown to every party. A cancelled meeting cannot be reopened."),
        button=_("Cancel meeting"),
        danger=True,
    )


@login_required
@require_POST
@refuse_rule_errors
def remind(request, pk):
    meeting, access = get_meeting_for_user(request, pk, Meeting.objects.for_meeting_page())
    require(rules.can_remind(access))
    missing, recent = reminders.remind_by_hand(
        meeting=meeting, by=request.user, party=access.acting_party(Role.COORDINATOR, convening=True)
    )
    if missing:
        parties = ", ".join(party.short_name for party in missing)
        messages.success(request, _("A reminder is on its way to %(parties)s.") % {"parties": parties})
        if recent:
            parties = ", ".join(party.short_name for party in recent)
            messages.info(
                request, _("%(parties)s got a reminder less than 24 hours ago and was left out.") % {"parties": parties}
            )
    else:
        messages.info(request, _("Every required party has answered every time; no reminder was needed."))
    return redirect(meeting_url(meeting))


@login_required
@require_POST
@refuse_rule_errors
def mark_held(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    # Before the start the page shows no button. A convener posting all the same (a page kept open in
    # another tab, a clock ahead) is told by the service that the meeting has not begun, not refused unheard.
    require(rules.can_mark_held(access) or rules.can_reschedule(access))
    meetings.mark_held(meeting=meeting, by=request.user, party=access.acting_party(Role.COORDINATOR, convening=True))
    messages.success(request, _("The meeting is marked as held."))
    return redirect(meeting_url(meeting))


@login_required
@refuse_rule_errors
def registration_number(request, pk, party_pk):
    """A party's own diarienummer for the meeting, set by its coordinators or secretaries."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_set_registration_number_for(access, party_pk))
    party = access.parties[party_pk]
    invitation = next(inv for inv in meeting.invitations.all() if inv.party_id == party_pk)
    form = RegistrationNumberForm(request.POST or None, instance=invitation)
    if form.is_valid():
        number = form.cleaned_data["registration_number"]
        meetings.set_registration_number(meeting=meeting, party=party, by=request.user, number=number)
        messages.success(request, _("The registration number of %(party)s was saved.") % {"party": party.short_name})
        return redirect(meeting_url(meeting) + "#registration-numbers")
    return form_page(
        request,
        meeting,
        form,
        heading=_("Registration number of %(party)s") % {"party": party.short_name},
        button=_("Save"),
    )


@login_required
@require_POST
@refuse_rule_errors
def meeting_copy(request, pk):
    """A cancelled meeting copied to a new draft, which opens for editing."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_copy_meeting(access))
    return _new_draft(
        request,
        meeting,
        access,
        copies.copy_to_new_draft,
        _("This is a new draft copied from the cancelled meeting. Change what is needed and save it."),
    )


def _new_draft(request, meeting, access, make, done):
    """A draft made from ``meeting`` by ``make`` (a service of copies), opened for editing with ``done`` said."""
    form = NewDraftForm(request.POST)
    form.is_valid()  # a token that is no UUID is only left out: the draft goes without double-click protection
    draft = make(
        meeting=meeting,
        by=request.user,
        party=access.acting_party(Role.COORDINATOR, convening=True),
        form_token=form.cleaned_data.get("form_token"),
    )
    messages.success(request, done)
    return redirect("meeting_edit", draft.pk)


@login_required
@refuse_rule_errors
def meeting_follow_up(request, pk):
    """A held meeting's follow-up: the page says what it will carry; the same URL, POSTed, makes the draft."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_plan_follow_up(access))
    if request.method != "POST":
        context = {"meeting": meeting, "carried": copies.carried_over(meeting), "form": NewDraftForm()}
        return render(request, "coordination/follow_up.html", context)
    return _new_draft(
        request,
        meeting,
        access,
        copies.plan_follow_up,
        _("This is the follow-up meeting, a draft. Check its details and save; then propose times."),
    )


@login_required
@refuse_rule_errors
def attendee_create(request, pk, party_pk):
    """Name an attendee for one of my parties."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_name_attendees_for(access, party_pk))
    party = access.parties[party_pk]
    form = AttendeeForm(request.POST or None, party=party)
    if form.is_valid():
        data = form.cleaned_data
        try:
            attendance.name_attendee(
                meeting=meeting,
                party=party,
                by=request.user,
                user=data["user"],
                name=data["name"],
                email=data["email"],
                title=data["title"],
                kind=data["kind"],
                form_token=data["form_token"],
            )
        except attendance.AlreadyAttending as error:
            form.add_error(None, str(error))
        else:
            return _back_to_attendees(
                request, meeting, _("%(name)s was named as an attendee.") % {"name": data["name"]}
            )
    return form_page(
        request,
        meeting,
        form,
        heading=_("Name attendee for %(party)s") % {"party": party.short_name},
        button=_("Name attendee"),
    )


@login_required
@refuse_rule_errors
def attendee_remove(request, pk, attendee_pk):
    meeting, access = get_meeting_for_user(request, pk)
    attendee = get_object_or_404(meeting.attendees, pk=attendee_pk)
    require(rules.can_name_attendees_for(access, attendee.party_id))
    if request.method == "POST":
        attendance.remove_attendee(attendee=attendee, by=request.user)
        return _back_to_attendees(request, meeting, _("%(name)s is no longer an attendee.") % {"name": attendee.name})
    return confirm_page(
        request,
        meeting,
        heading=_("Remove attendee"),
        question=_("Remove %(name)s (%(party)s) from the attendees?")
        % {"name": attendee.name, "party": attendee.party.short_name},
        button=_("Remove attendee"),
    )


def _back_to_attendees(request, meeting, text):
    """Back where the user clicked: the attendee list, with the message in it (meeting_detail.html)."""
    messages.success(request, text, extra_tags="attendees")
    return redirect(meeting_url(meeting) + "#attendees")


def _attendance_step(step, done):
    """A view confirming one attendee, or taking the confirmation back: the convening secretary's one button."""

    @login_required
    @require_POST
    @refuse_rule_errors
    def view(request, pk, attendee_pk):
        meeting, access = get_meeting_for_user(request, pk)
        attendee = get_object_or_404(meeting.attendees, pk=attendee_pk)
        require(rules.can_confirm_attendance(access))
        step(attendee=attendee, by=request.user, party=access.acting_party(Role.SECRETARY, convening=True))
        return _back_to_attendees(request, meeting, done % {"name": attendee.name})

    return view


attendee_confirm = _attendance_step(
    attendance.confirm_attendance, gettext_lazy("The attendance of %(name)s is confirmed.")
)
attendee_unconfirm = _attendance_step(
    attendance.undo_confirmation,
    gettext_lazy("The confirmation of %(name)s was taken back; they are named but not confirmed."),
)


@login_required
@require_POST
@refuse_rule_errors
def attendees_confirm_party(request, pk, party_pk):
    """Confirm every named attendee of one party in one step."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_confirm_attendance(access) and party_pk in access.parties)
    party = access.parties[party_pk]
    confirmed = attendance.confirm_attendance_of_party(
        meeting=meeting, of_party=party, by=request.user, party=access.acting_party(Role.SECRETARY, convening=True)
    )
    if confirmed:
        text = ngettext(
            "The attendance of %(count)d person for %(party)s is confirmed.",
            "The attendance of %(count)d people for %(party)s is confirmed.",
            len(confirmed),
        ) % {"count": len(confirmed), "party": party.short_name}
    else:
        text = _("Every attendee for %(party)s was already confirmed.") % {"party": party.short_name}
    return _back_to_attendees(request, meeting, text)


@login_required
@refuse_rule_errors
def resend_mail(request, pk, message_pk):
    meeting, access = get_meeting_for_user(request, pk)
    message = get_object_or_404(meeting.outbox, pk=message_pk)
    require(rules.can_correct_delivery(access))
    delivery.must_wait_for_correction(message)
    form = CorrectAddressForm(request.POST or None, initial={"email": message.recipient})
    if form.is_valid():
        delivery.correct_and_resend(
            message=message,
            email=form.cleaned_data["email"],
            by=request.user,
            party=access.acting_party(Role.COORDINATOR, Role.SECRETARY, convening=True),
        )
        messages.success(request, _("The mail is on its way to %(email)s.") % {"email": form.cleaned_data["email"]})
        return redirect(meeting_url(meeting) + "#delivery")
    return form_page(
        request,
        meeting,
        form,
        heading=_("Correct the address and send again"),
        intro=_("Could not be delivered to %(email)s: %(reason)s.")
        % {"email": message.recipient, "reason": message.get_failure_display()},
        button=_("Send again"),
    )


@login_required
def event_log(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    events = Event.objects.visible_to(request.user).filter(meeting=meeting).select_related("party")
    export_parties = [access.parties[pid] for pid in rules.records_export_party_ids(access)]
    context = {"meeting": meeting, "events": events, "export_parties": export_parties}
    return render(request, "coordination/event_log.html", context)


@login_required
@require_POST
@refuse_rule_errors
def event_log_export(request, pk, party_pk, file_format):
    """A party's copy of the log for its registry; a POST, because the export is itself logged."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_export_records_for(access, party_pk))
    return _attachment(
        *eventlog.export_event_log(
            meeting=meeting, party=access.parties[party_pk], by=request.user, file_format=file_format
        )
    )


@login_required
@require_POST
@refuse_rule_errors
def answers_export(request, pk, file_format):
    """Every party's answers per time, for the conveners' briefing; a POST, as the download is logged."""
    meeting, access = get_meeting_for_user(request, pk, Meeting.objects.for_answer_export())
    require(rules.can_export_answers(access))
    party = access.acting_party(Role.COORDINATOR, Role.SECRETARY, convening=True)
    return _attachment(
        *answer_export.export_answers(meeting=meeting, party=party, by=request.user, file_format=file_format)
    )


def _attachment(body, content_type, filename):
    """A made file as a download; ``filename`` is ASCII without quotes (the services make it so)."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
@refuse_rule_errors
def hold_times(request, pk):
    """Keep the proposed times free: remembered, so that confirming a time releases the others; then the file."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_hold_times(access))
    holds.hold_times(meeting=meeting, user=request.user)
    return redirect(reverse("holds_ics", args=[meeting.pk]))


@login_required
def holds_ics(request, pk):
    """The times this user holds, as tentative events. A GET only reads: hold_times remembers them."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_hold_times(access))
    return _calendar_download(meeting, holds.hold_calendar(meeting, request.user, timezone.now()), "-preliminart")


@login_required
def meeting_ics(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    return calendar_entry_download(access)


def calendar_entry_download(access):
    """ "Add to my calendar", for members and guests: a plain entry (PUBLISH, nobody listed), never an invitation."""
    require(rules.can_download_ics(access))
    meeting = access.meeting
    body = ics.build_calendar(
        [ics.build_published_event(invites.calendar_entry(meeting), now=timezone.now())], method=ics.PUBLISH
    )
    return _calendar_download(meeting, body)


def _calendar_download(meeting, body, suffix=""):
    """A calendar file as an attachment named after the meeting."""
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = slugify(meeting.title) or f"samrad-{meeting.pk}"
    response["Content-Disposition"] = f'attachment; filename="{filename}{suffix}.ics"'
    return response

"""The agenda, each party's positions and the documents, and the printable kallelse."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from .. import documents, rules
from ..forms import AgendaItemForm, DeclineForm, DocumentForm, PositionForm
from ..models import AgendaItem, Document, Meeting, Membership, Minutes, Position
from ..overview import build_agenda, ordered_invitations, printable_minutes, text_diff
from ..services import agenda, diarium
from .common import (
    confirm_page,
    form_page,
    get_meeting_for_user,
    meeting_url,
    pdf_of_page,
    printed_file,
    refuse_rule_errors,
    require,
    versions_to_compare,
)

Role = Membership.Role


def item_url(item):
    return reverse("agenda_item_detail", args=[item.meeting_id, item.pk])


def _get_item(meeting, item_pk):
    return get_object_or_404(meeting.agenda_items.select_related("presenting_party", "proposed_by_party"), pk=item_pk)


def _get_position(request, meeting, position_pk):
    """A position the user may see: another party's draft is a 404, exactly like one that does not exist."""
    visible = Position.objects.visible_to(request.user).filter(agenda_item__meeting=meeting)
    return get_object_or_404(visible.select_related("agenda_item", "party"), pk=position_pk)


@login_required
@refuse_rule_errors
def agenda_item_create(request, pk):
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_propose_agenda_item(access))
    form = AgendaItemForm(request.POST or None, meeting=meeting)
    if form.is_valid():
        item = agenda.propose_agenda_item(
            meeting=meeting,
            party=access.acting_party(Role.COORDINATOR, Role.MEMBER),
            by=request.user,
            form_token=form.cleaned_data["form_token"],
            **form.item_fields,
        )
        if item.is_accepted:
            messages.success(request, _("The agenda item was added to the agenda."))
        else:
            messages.success(request, _("The agenda item was proposed. The convener decides whether it is accepted."))
        return redirect(meeting_url(meeting) + "#agenda")
    return form_page(request, meeting, form, heading=_("Propose agenda item"), button=_("Propose agenda item"))


@login_required
def agenda_item_detail(request, pk, item_pk):
    meeting, access = get_meeting_for_user(request, pk)
    item = _get_item(meeting, item_pk)
    entry = build_agenda(meeting, access).entry_for(item)
    context = {
        "meeting": meeting,
        "entry": entry,
        "item": item,
        "can_edit": rules.can_edit_agenda_item(access, item),
        "can_manage": rules.can_manage_agenda(access),
        "can_attach": rules.can_attach_to_item(access, item),
        "position_party_ids": rules.position_party_ids(access),
        # For the secrecy markings' links (templatetags secrecy_marking), decided record by record.
        "access": access,
    }
    return render(request, "coordination/agenda_item.html", context)


@login_required
@refuse_rule_errors
def agenda_item_edit(request, pk, item_pk):
    """Edit an item; a save from an older version shows both to choose from, like a position's."""
    meeting, access = get_meeting_for_user(request, pk)
    item = _get_item(meeting, item_pk)
    require(rules.can_edit_agenda_item(access, item))
    form = AgendaItemForm(request.POST or None, instance=item, meeting=meeting)
    if form.is_valid():
        mine = form.item_fields  # read before the bound form's values are taken for the item's own
        try:
            agenda.edit_agenda_item(
                item=item,
                party=access.acting_party(Role.COORDINATOR, Role.MEMBER),
                by=request.user,
                base_version=form.cleaned_data["base_version"],
                **mine,
            )
        except agenda.EditConflict as conflict:
            current = conflict.current
            again = AgendaItemForm(initial={**mine, "base_version": current.version}, instance=current, meeting=meeting)
            return conflict_page(
                request,
                meeting,
                item,
                current,
                heading=_("Someone else saved this agenda item while you were editing it"),
                crumb=_("Edit agenda item"),
                current_text=item_text(current),
                mine=item_text(AgendaItem(**mine)),
                form=again,
            )
        messages.success(request, _("The agenda item was saved."))
        return redirect(item_url(item))
    return form_page(request, meeting, form, heading=_("Edit agenda item"), button=_("Save"))


def item_text(item):
    """An agenda item's fields as one text, so two editors' versions compare line by line like positions."""
    presenter = item.presenting_party.name if item.presenting_party else _("Not decided")
    return "\n".join(
        [
            item.title,
            "",
            item.description,
            "",
            _("Presented by %(party)s") % {"party": presenter},
            _("%(minutes)s min") % {"minutes": item.planned_minutes},
        ]
    )


@login_required
@require_POST
@refuse_rule_errors
def agenda_item_accept(request, pk, item_pk):
    meeting, access = get_meeting_for_user(request, pk)
    item = _get_item(meeting, item_pk)
    require(rules.can_manage_agenda(access))
    agenda.accept_agenda_item(item=item, party=access.acting_party(Role.COORDINATOR, convening=True), by=request.user)
    messages.success(request, _("“%(title)s” is on the agenda.") % {"title": item.title})
    return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#agenda")


@login_required
@refuse_rule_errors
def agenda_item_decline(request, pk, item_pk):
    meeting, access = get_meeting_for_user(request, pk)
    item = _get_item(meeting, item_pk)
    require(rules.can_manage_agenda(access))
    form = DeclineForm(request.POST or None)
    if form.is_valid():
        agenda.decline_agenda_item(
            item=item,
            party=access.acting_party(Role.COORDINATOR, convening=True),
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("“%(title)s” was declined.") % {"title": item.title})
        return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#agenda")
    return form_page(
        request,
        meeting,
        form,
        heading=_("Decline “%(title)s”") % {"title": item.title},
        button=_("Decline agenda item"),
        danger=True,
    )


@login_required
@require_POST
@refuse_rule_errors
def agenda_item_move(request, pk, item_pk, step):
    meeting, access = get_meeting_for_user(request, pk)
    item = _get_item(meeting, item_pk)
    require(rules.can_manage_agenda(access))
    agenda.move_agenda_item(
        item=item,
        party=access.acting_party(Role.COORDINATOR, convening=True),
        by=request.user,
        step=step,
    )
    return redirect(reverse("meeting_detail", args=[meeting.pk]) + f"#agenda-item-{item.pk}")


@login_required
@refuse_rule_errors
def position_edit(request, pk, item_pk, party_pk):
    """Write or edit a party's position; a save from an older version shows both texts to choose from."""
    meeting, access = get_meeting_for_user(request, pk)
    item = _get_item(meeting, item_pk)
    require(rules.can_write_position_for(access, party_pk))
    party = access.parties[party_pk]
    position = Position.objects.filter(agenda_item=item, party=party).first()
    initial = {"text": position.text if position else "", "base_version": position.version if position else 0}
    form = PositionForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            agenda.save_position(
                item=item,
                party=party,
                by=request.user,
                text=form.cleaned_data["text"],
                base_version=form.cleaned_data["base_version"],
            )
        except agenda.EditConflict as conflict:
            current, mine = conflict.current, form.cleaned_data["text"]
            return conflict_page(
                request,
                meeting,
                item,
                current,
                heading=_("Someone else saved this position while you were editing it"),
                crumb=_("Position"),
                current_text=current.text,
                mine=mine,
                form=PositionForm(initial={"text": mine, "base_version": current.version}),
            )
        messages.success(request, _("The position was saved as a new version."))
        return redirect(item_url(item))
    context = {"meeting": meeting, "item": item, "party": party, "position": position, "form": form}
    return render(request, "coordination/position_form.html", context)


def conflict_page(
    request,
    meeting,
    item,
    current,
    *,
    heading,
    crumb,
    current_text,
    mine,
    form,
    back_url="",
    compare=True,
    button="",
    explanation="",
):
    """An edit refused as stale (EditConflict), for a position, an agenda item, minutes or a reviewer's comment:
    the saved text and the user's own side by side, and a form that still holds theirs, now based on the saved
    version. ``back_url``: where keeping the saved text leads, if not to the agenda item. ``compare``: whether
    the two are versions of one text, whose differences are shown (a comment on minutes is not); ``button``:
    the form's button, if not to save a new version; ``form`` None: nothing can be saved now, ``explanation``
    says why. ``current`` is the saved row (its ``updated_by`` and ``version``), or a version of the minutes sent
    for review (its ``sent_by_name`` and ``number``)."""
    saved_by = getattr(current, "sent_by_name", None)
    if saved_by is None:
        saved_by = current.updated_by.get_full_name() if current.updated_by else ""
    context = {
        "meeting": meeting,
        "item": item,
        "back_url": back_url,
        "heading": heading,
        "crumb": crumb,
        "saved_by": saved_by,
        "saved_version": getattr(current, "number", None) or current.version,
        "current_text": current_text,
        "mine": mine,
        "diff": text_diff(current_text, mine) if compare else None,
        "form": form,
        "button": button,
        "explanation": explanation,
    }
    return render(request, "coordination/edit_conflict.html", context, status=409)


def _position_to_share(request, pk, position_pk):
    meeting, access = get_meeting_for_user(request, pk)
    position = _get_position(request, meeting, position_pk)
    require(rules.can_write_position_for(access, position.party_id))
    return meeting, position


def _set_shared(request, meeting, position, *, shared):
    agenda.set_position_shared(position=position, by=request.user, shared=shared)
    if shared:
        messages.success(request, _("The position is shared with every party of the meeting."))
    else:
        messages.success(request, _("The position was withdrawn; only your party sees it now."))
    return redirect(item_url(position.agenda_item))


SHARE_STEPS = {
    True: {
        "heading": gettext_lazy("Share position"),
        "question": gettext_lazy(
            "Share %(party)s's position on “%(item)s” with every party of the meeting? You can withdraw it "
            "later, but the event log keeps that it was shared."
        ),
        "button": gettext_lazy("Share position"),
        "danger": False,
    },
    False: {
        "heading": gettext_lazy("Withdraw position"),
        "question": gettext_lazy(
            "Withdraw the position of %(party)s on “%(item)s” from the other parties? They will no longer see it; "
            "the event log keeps that it was shared."
        ),
        "button": gettext_lazy("Withdraw position"),
        "danger": True,
    },
}


def _share_step(request, pk, position_pk, *, shared):
    """Share or withdraw: asked first (GET), done on POST."""
    meeting, position = _position_to_share(request, pk, position_pk)
    if request.method == "POST":
        return _set_shared(request, meeting, position, shared=shared)
    step = SHARE_STEPS[shared]
    return confirm_page(
        request,
        meeting,
        heading=step["heading"],
        question=step["question"] % {"party": position.party.short_name, "item": position.agenda_item.title},
        button=step["button"],
        danger=step["danger"],
    )


@login_required
@refuse_rule_errors
def position_share(request, pk, position_pk):
    return _share_step(request, pk, position_pk, shared=True)


@login_required
@refuse_rule_errors
def position_withdraw(request, pk, position_pk):
    return _share_step(request, pk, position_pk, shared=False)


@login_required
def position_versions(request, pk, position_pk):
    """Every version of a position the user may see, and what changed between two of them."""
    meeting, access = get_meeting_for_user(request, pk)
    position = _get_position(request, meeting, position_pk)
    versions = list(position.versions.visible_to(request.user).select_related("author"))
    if not versions:
        raise Http404
    older, newer = versions_to_compare(request, versions)
    context = {
        "meeting": meeting,
        "position": position,
        "versions": versions,
        "older": older,
        "newer": newer,
        "diff": text_diff(older.text, newer.text),
    }
    return render(request, "coordination/position_versions.html", context)


def _upload(request, meeting, *, item, party, position=None, replaces=None, heading):
    # Bound on every POST: an upload stopped at the size limit may leave nothing else in the request.
    posted = request.method == "POST"
    form = DocumentForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        refused_uploads=getattr(request, "refused_uploads", set()),
    )
    status = 200
    if form.is_valid():
        try:
            agenda.attach_document(
                item=item,
                position=position,
                party=party,
                by=request.user,
                upload=form.cleaned_data["file"],
                content_type=form.cleaned_data["content_type"],
                sha256=form.cleaned_data["sha256"],
                replaces=replaces,
                form_token=form.cleaned_data["form_token"],
            )
        except agenda.DocumentNotStored as error:
            form.add_error("file", str(error))
            # Not the user's fault and not for good: the server could not do it just now.
            status = 503
        else:
            messages.success(request, _("The document was added."))
            return redirect(item_url(item))
    context = {"meeting": meeting, "form": form, "heading": heading, "item": item, "replaces": replaces}
    return render(request, "coordination/document_form.html", context, status=status)


@login_required
@refuse_rule_errors
def document_create(request, pk, item_pk):
    """Attach a document to the agenda item itself."""
    meeting, access = get_meeting_for_user(request, pk)
    item = _get_item(meeting, item_pk)
    require(rules.can_attach_to_item(access, item))
    party = access.acting_party(*Role.values)
    heading = _("Add a document to “%(title)s”") % {"title": item.title}
    return _upload(request, meeting, item=item, party=party, heading=heading)


@login_required
@refuse_rule_errors
def position_document_create(request, pk, position_pk):
    meeting, access = get_meeting_for_user(request, pk)
    position = _get_position(request, meeting, position_pk)
    require(rules.can_attach_to_position(access, position))
    heading = _("Add a document to %(party)s's position") % {"party": position.party.short_name}
    return _upload(
        request, meeting, item=position.agenda_item, party=position.party, position=position, heading=heading
    )


@login_required
@refuse_rule_errors
def document_replace(request, pk, document_pk):
    meeting, access = get_meeting_for_user(request, pk)
    document = _get_document(request, meeting, document_pk)
    if document.position_id:
        require(rules.can_attach_to_position(access, document.position))
    else:
        require(rules.can_attach_to_item(access, document.agenda_item))
    heading = _("Replace %(name)s") % {"name": document.original_name}
    # A position's document belongs to its party; an item's document to whoever replaces it.
    party = document.position.party if document.position_id else access.acting_party(*Role.values)
    return _upload(
        request,
        meeting,
        item=document.agenda_item,
        party=party,
        position=document.position,
        replaces=document,
        heading=heading,
    )


def _get_document(request, meeting, document_pk):
    visible = Document.objects.visible_to(request.user).filter(agenda_item__meeting=meeting)
    return get_object_or_404(visible.select_related("agenda_item", "position"), pk=document_pk)


@login_required
def document_download(request, pk, document_pk):
    """The file, only as an attachment under a safe name, and never sniffed into something a browser would run."""
    meeting, _access = get_meeting_for_user(request, pk)
    return file_download(_get_document(request, meeting, document_pk))


def file_download(document):
    """A document's file as it is served to anyone allowed it (members, and guests: views/guests.py)."""
    response = FileResponse(document.file.open("rb"), content_type=documents.served_type(document.content_type))
    response["Content-Disposition"] = documents.attachment_disposition(
        documents.download_name(document.original_name, document.content_type)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def kallelse_context(request, pk):
    """The notice of meeting people print and bring: only what every party sees."""
    meeting, access = get_meeting_for_user(request, pk, Meeting.objects.for_kallelse())
    agenda = build_agenda(meeting, access, shared_only=True)
    start = meeting.confirmed_slot.start if meeting.has_confirmed_time else None
    return access, {
        "meeting": meeting,
        "invitations": ordered_invitations(meeting),
        "agenda": agenda,
        "clock": agenda.clock(start) if start else [(entry, None, None) for entry in agenda.accepted],
        "attendees": meeting.attendees.all(),
    }


@login_required
def kallelse(request, pk):
    _access, context = kallelse_context(request, pk)
    return render(request, "coordination/kallelse.html", context)


@login_required
@require_safe
def kallelse_pdf(request, pk):
    """The same kallelse as a PDF file, for whoever may see the page, to send or file as it is."""
    _access, context = kallelse_context(request, pk)
    body = pdf_of_page(request, "coordination/kallelse.html", context)
    if body is None:
        return render(request, "coordination/pdf_unavailable.html", context, status=503)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="kallelse-{context["meeting"].pk}.pdf"'
    return response


@login_required
@require_POST
def diarium_package(request, pk, party_pk):
    """Everything a party holds of the meeting, in one zip for its registrar; a POST, as the download is logged.

    The kallelse and the approved minutes go in as PDF, or as the pages' HTML on a server that cannot make PDFs.
    """
    access, context = kallelse_context(request, pk)
    require(rules.can_export_records_for(access, party_pk))
    meeting = context["meeting"]
    kallelse = printed_file(request, "coordination/kallelse.html", context, "kallelse")
    # The minutes only once approved: before that they are no record of every party's.
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is not None and minutes.is_approved:
        minutes_file = printed_file(
            request, "coordination/minutes_print.html", printable_minutes(meeting, minutes), "minnesanteckningar"
        )
    else:
        minutes, minutes_file = None, None
    package = diarium.diarium_package(
        meeting=meeting,
        party=access.parties[party_pk],
        by=request.user,
        kallelse=kallelse,
        minutes=(minutes, minutes_file) if minutes else None,
    )
    response = StreamingHttpResponse(package.stream(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package.filename}"'
    return response

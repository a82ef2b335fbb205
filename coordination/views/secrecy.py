"""The secrecy marking of an agenda item, a position or a document: one view for the three kinds of record."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import rules
from ..formatting import stockholm_moment
from ..forms import SecrecyForm
from ..models import Document, Membership, Position
from ..services import secrecy
from .common import form_page, get_meeting_for_user, refuse_rule_errors, require

Role = Membership.Role


def _record(request, meeting, kind, record_pk):
    """The record the user may see, as the item page, the positions and the documents show it; else 404."""
    if kind == "item":
        records = meeting.agenda_items.select_related("proposed_by_party")
    elif kind == "position":
        records = Position.objects.visible_to(request.user).select_related("agenda_item", "party")
    else:
        records = Document.objects.visible_to(request.user).select_related("agenda_item", "position", "party")
    if kind != "item":
        records = records.filter(agenda_item__meeting=meeting)
    return get_object_or_404(records, pk=record_pk)


def _described(kind, record):
    if kind == "item":
        return _("the agenda item “%(title)s”") % {"title": record.title}
    if kind == "position":
        return _("%(party)s's position on “%(title)s”") % {
            "party": record.party.short_name,
            "title": record.agenda_item.title,
        }
    return _("the document %(name)s") % {"name": record.original_name}


def _acting_party(access, kind, record):
    """A position's or a document's own party; for an item its proposer, or the convening party the user is in."""
    owner = record.secrecy_party_id
    if kind != "item" or owner in access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY):
        return access.parties[owner]
    return access.acting_party(Role.COORDINATOR, Role.SECRETARY, convening=True)


def _back(meeting, kind, record):
    item = record if kind == "item" else record.agenda_item
    anchor = f"#position-{record.party_id}" if kind == "position" else ""
    return reverse("agenda_item_detail", args=[meeting.pk, item.pk]) + anchor


@login_required
@refuse_rule_errors
def secrecy_marking(request, pk, record_pk, kind):
    """Mark a record for secrecy, change its marking or take it off; a change from a stale form is shown again."""
    meeting, access = get_meeting_for_user(request, pk)
    record = _record(request, meeting, kind, record_pk)
    require(rules.can_mark_secrecy(access, record))
    form = SecrecyForm(request.POST or None, initial=SecrecyForm.initial_for(record))
    conflict = None
    if form.is_valid():
        try:
            secrecy.mark_secrecy(
                record=record, party=_acting_party(access, kind, record), by=request.user, **form.marking
            )
        except secrecy.SecrecyConflict as error:
            conflict, record = error, error.current
            form = _form_again(request, error)
        else:
            messages.success(request, _("The secrecy marking was saved."))
            return redirect(_back(meeting, kind, record))
    what = _described(kind, record)
    response = form_page(
        request,
        meeting,
        form,
        heading=_("Secrecy marking of %(record)s") % {"record": what},
        intro=_current(record),
        button=_("Save"),
    )
    if conflict is not None:
        response.status_code = 409
    return response


def _form_again(request, conflict):
    """The user's choice kept, now based on the marking as it is, with what that marking is: saving again decides."""
    data = request.POST.copy()
    data["base_version"] = conflict.current.secrecy_version
    form = SecrecyForm(data)
    form.is_valid()
    marking = conflict.current.secrecy_label or _("Not marked")
    form.add_error(None, _("%(error)s It is now: %(marking)s.") % {"error": conflict, "marking": marking})
    return form


def _current(record):
    if not record.secrecy:
        return _("The record is not marked.")
    return _("Marked now: %(marking)s, by %(who)s, %(when)s.") % {
        "marking": record.secrecy_label,
        "who": record.secrecy_marked_by_name,
        "when": stockholm_moment(record.secrecy_marked_at),
    }

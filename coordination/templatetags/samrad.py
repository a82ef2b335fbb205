"""Template filters and tags: formatting for people, stored Markdown HTML, the answer grid's cells.

The date and time filters are the functions of ``coordination/formatting.py``
under the same names, so pages, mail and calendar text format alike; mail and
calendar code import that module, never this one.
"""

import html

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .. import eventlog_text, formatting, rules
from ..models import AgendaItem, Answer, Position

register = template.Library()

register.filter("stockholm_date", formatting.stockholm_date)
register.filter("stockholm_time", formatting.stockholm_time)
register.filter("stockholm_moment", formatting.stockholm_moment)
register.filter("plain_date", formatting.plain_date)
register.filter("slot_label", formatting.slot_label)
register.filter("iso_week", formatting.iso_week)
register.filter("stockholm_day", formatting.stockholm_day)
register.filter("event_text", eventlog_text.describe)


@register.inclusion_tag("coordination/_day_flags.html")
def day_flags(moment):
    """The badges of a slot's day, the same on every page: "Helg", "Julafton", "Klämdag"."""
    return {"flags": formatting.stockholm_day_flags(moment)}


@register.inclusion_tag("coordination/_secrecy_marking.html", takes_context=True)
def secrecy_marking(context, record, detailed=False):
    """A record's secrecy marking (models.SecrecyMarked) wherever the record is shown, the same on every page.

    With the link to change it for whoever may (rules.can_mark_secrecy, from the page's ``access``: a page
    without one, the kallelse's and a guest's, shows the marking alone). ``detailed`` adds who marked it and when.
    """
    access = context.get("access")
    can_mark = access is not None and access.guest is None and rules.can_mark_secrecy(access, record)
    return {
        "record": record,
        "meeting": context.get("meeting"),
        "can_mark": can_mark,
        "detailed": detailed,
        "name": _record_name(record, access) if can_mark else "",
    }


def _record_name(record, access):
    """What the link's hidden words name, so that each "Mark for secrecy" link on a page is told apart."""
    if isinstance(record, AgendaItem):
        return record.title
    if isinstance(record, Position):
        return _("the position of %(party)s") % {"party": access.parties[record.party_id].short_name}
    return record.original_name


@register.filter
def sanitised_html(html):
    """A position's stored HTML, shown as it is: rendered and sanitised once, when the text was saved."""
    # Safe to mark: the only writer of Position.html is coordination/markdown.render, whose output nh3 has
    # reduced to the allow-list (tests/test_security.py keeps this the only place).
    return mark_safe(html or "")  # noqa: S308  # nosec B308 B703


# The render context's keys for what a grid's rows share, built once per page rather than per cell: the
# cells' openings in the active language, and the parties' names that label the cells on a phone.
_CELL_STARTS = object()
_PARTY_LABELS = object()


@register.simple_tag(takes_context=True)
def answer_cells(context, row):
    """A grid row's answer cells, one element each, joined in Python: a big grid has thousands.

    The slot and the party are in the row's and the column's headers, so a cell
    says only the answer; its symbol comes from the stylesheet, and so does, on a
    phone where the grid stacks into a card per time, its party's name (data-label).
    Plain string work with the standard library's escape, as Django's escaping of
    each piece costs more than the rest of the cell.
    """
    starts = context.render_context.get(_CELL_STARTS)
    if starts is None:
        starts = {
            value: (f'<td class="a-{value}"', f">{html.escape(str(label))}") for value, label in Answer.Value.choices
        }
        starts[None] = ('<td class="a-none"', f">{html.escape(_('Not answered'))}")
        context.render_context[_CELL_STARTS] = starts
    # Every row of a grid holds the same list of invitations.
    invitations, party_labels = context.render_context.get(_PARTY_LABELS, (None, None))
    if invitations is not row.invitations:
        invitations = row.invitations
        party_labels = [f' data-label="{html.escape(invitation.party.short_name)}"' for invitation in invitations]
        context.render_context[_PARTY_LABELS] = (invitations, party_labels)
    cells = []
    for answer, party_label in zip(row.answers, party_labels, strict=True):
        opening, word = starts[None if answer is None else answer.value]
        if answer is not None and answer.comment:
            comment = html.escape(answer.comment)
            cells.append(f'{opening}{party_label}{word}<span class="answer-comment">{comment}</span></td>')
        else:
            cells.append(f"{opening}{party_label}{word}</td>")
    # Safe to mark: the answers' words, the parties' names and every comment are escaped above
    # (tests/test_security.py lists this place).
    return mark_safe("".join(cells))  # noqa: S308  # nosec B308 B703


@register.simple_tag
def radio_choices(field):
    """A radio group's inputs and labels as Bootstrap form-checks, with the ids Django gives them.

    Built here because a widget template per radio costs more than all the
    rest of a long answer form.
    """
    value = field.value()
    name = html.escape(field.html_name)
    radios = []
    for index, (choice, label) in enumerate(field.field.choices):
        radio_id = html.escape(f"{field.auto_id}_{index}")
        checked = " checked" if value is not None and str(choice) == str(value) else ""
        radios.append(
            f'<div class="form-check"><input class="form-check-input" type="radio" name="{name}"'
            f' value="{html.escape(str(choice))}" id="{radio_id}"{checked}>'
            f'<label class="form-check-label" for="{radio_id}">{html.escape(str(label))}</label></div>'
        )
    # Safe to mark: every name, value, id and label is escaped above (tests/test_security.py lists this place).
    return mark_safe("".join(radios))  # noqa: S308  # nosec B308 B703


# A slot id no database reaches, reversed in its place and then replaced by the real one.
_SLOT_STAND_IN = 987654321


@register.simple_tag(takes_context=True)
def slot_url(context, name, meeting_pk, slot_pk):
    """{% url name meeting_pk slot_pk %} for a grid's rows: reversed once per page, then filled in.

    A hundred rows with two links each make reverse() a tenth of the page's time.
    """
    key = (_SLOT_STAND_IN, name, meeting_pk)
    url = context.render_context.get(key)
    if url is None:
        url = context.render_context[key] = reverse(name, args=[meeting_pk, _SLOT_STAND_IN])
    return url.replace(str(_SLOT_STAND_IN), str(int(slot_pk)))


@register.filter
def placed_in(messages, section):
    """The messages of one section of the page (their extra tag names it): shown there, where the user clicked."""
    return [message for message in messages if section in message.extra_tags.split()]


@register.filter
def placed_outside(messages, section):
    """The messages for the top of a page that shows ``section``'s own messages in it."""
    return [message for message in messages if section not in message.extra_tags.split()]


@register.filter
def any_unconfirmed(attendees):
    """Whether one party's attendees still wait for the secretary: then "Confirm all" is offered for them."""
    return any(not attendee.is_confirmed for attendee in attendees)

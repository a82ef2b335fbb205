"""Formatting for people: Stockholm times in the active language, answer labels."""

import datetime
import functools
import html

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..models import Answer
from ..times import holiday_name, to_stockholm

register = template.Library()


def format_time(moment):
    """A wall-clock time as the language writes it: 10.00 in Swedish, 10:00 in English."""
    return dateformat.format(moment, pgettext("time of day format", "H:i"))


def format_date(moment):
    """"tisdag 4 december 2018" in Swedish, "Tuesday 4 December 2018" in English."""
    return _long_date(datetime.date(moment.year, moment.month, moment.day), translation.get_language())


@functools.lru_cache(maxsize=1024)
def _long_date(date, language):
    # Pages show a date per position and per attendee; formatting is slow enough to do once per day and language.
    return dateformat.format(date, pgettext("long date format", "l j F Y"))


@register.filter
def stockholm_date(moment):
    return format_date(to_stockholm(moment))


@register.filter
def stockholm_time(moment):
    return format_time(to_stockholm(moment))


@register.filter
def slot_label(slot):
    """"tisdag 4 december 2018 kl. 10.00–12.00": the way a person names a slot."""
    return _slot_label(slot.start, slot.end, translation.get_language())


@functools.lru_cache(maxsize=4096)
def _slot_label(start, end, language):
    # Three date formats a label, and pages show hundreds of labels: each is made once per language.
    start, end = to_stockholm(start), to_stockholm(end)
    return _("%(date)s at %(start)s–%(end)s") % {
        "date": format_date(start),
        "start": format_time(start),
        "end": format_time(end),
    }


# What a position's Markdown may become: paragraphs, lists, emphasis, quotes, code and links.
MARKDOWN_TAGS = {"p", "br", "ul", "ol", "li", "em", "strong", "a", "blockquote", "code", "pre", "h3", "h4", "hr"}


@register.filter
def markdown(text):
    """Markdown to HTML, sanitised with an allow-list: no scripts, no handlers, no javascript: links."""
    return _markdown_html(text or "")


@functools.lru_cache(maxsize=256)
def _markdown_html(text):
    # A pure function of the text and the dearest step of a page with many positions, so the
    # texts last shown are kept: typically a few hundred kB, at most ~12 MB of 20,000-character texts.
    html = markdown_lib.markdown(text)
    # Safe to mark: nh3 has just reduced it to the allow-list (tests/test_security.py keeps this the only place).
    return mark_safe(  # noqa: S308  # nosec B308 B703
        nh3.clean(
            html,
            tags=MARKDOWN_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


@register.filter
def iso_week(moment):
    return _("wk %(week)s") % {"week": to_stockholm(moment).isocalendar().week}


@register.filter
def holiday(moment):
    return holiday_name(to_stockholm(moment).date())


# The render context's key for the cells of the active language, built once per page rather than per cell.
_CELL_STARTS = object()


@register.simple_tag(takes_context=True)
def answer_cells(context, row):
    """A grid row's answer cells, one element each, joined in Python: a big grid has thousands.

    The slot and the party are in the row's and the column's headers, so a cell
    says only the answer; its symbol comes from the stylesheet. Plain string
    work with the standard library's escape, as Django's escaping of each
    piece costs more than the rest of the cell.
    """
    starts = context.render_context.get(_CELL_STARTS)
    if starts is None:
        starts = {value: f'<td class="a-{value}">{html.escape(str(label))}' for value, label in Answer.Value.choices}
        starts[None] = f'<td class="a-none">{html.escape(_("Not answered"))}'
        context.render_context[_CELL_STARTS] = starts
    cells = []
    for answer in row.answers:
        if answer is None:
            cells.append(starts[None] + "</td>")
        elif answer.comment:
            cells.append(f'{starts[answer.value]}<span class="answer-comment">{html.escape(answer.comment)}</span></td>')
        else:
            cells.append(starts[answer.value] + "</td>")
    # Safe to mark: the labels and every comment are escaped above (tests/test_security.py lists this place).
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

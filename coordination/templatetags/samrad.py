"""Formatting for people: Stockholm times in the active language, answer labels."""

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe
from django.utils import dateformat
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
    return dateformat.format(moment, pgettext("long date format", "l j F Y"))


@register.filter
def stockholm_date(moment):
    return format_date(to_stockholm(moment))


@register.filter
def stockholm_time(moment):
    return format_time(to_stockholm(moment))


@register.filter
def slot_label(slot):
    """"tisdag 4 december 2018 kl. 10.00–12.00": the way a person names a slot."""
    start, end = to_stockholm(slot.start), to_stockholm(slot.end)
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
    html = markdown_lib.markdown(text or "")
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


ANSWER_SYMBOLS = {
    Answer.Value.YES: "✓",
    Answer.Value.IF_NEED_BE: "(✓)",
    Answer.Value.NO: "✗",
}


@register.filter
def answer_symbol(value):
    """A symbol that carries the answer beside its text, so colour is never the only sign."""
    return ANSWER_SYMBOLS.get(value, "–")

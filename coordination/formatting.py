"""Times, dates and slots as people read them, and as exports and the event log write them.

The one home of formatting: the template filters (``templatetags/samrad.py``)
are thin wrappers around these functions, and mail, calendar text, forms and
views call them directly, so no code outside the templates imports template
tags. Everything shown to people is in Stockholm time and the active language;
the machine-readable forms (event log, exports) are language-neutral.
"""

import datetime
import functools

from django.utils import dateformat, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .times import STOCKHOLM, day_flags, to_stockholm


def format_time(moment):
    """A wall-clock time as the language writes it: 10.00 in Swedish, 10:00 in English."""
    return dateformat.format(moment, pgettext("time of day format", "H:i"))


def format_date(moment):
    """ "tisdag 4 december 2018" in Swedish, "Tuesday 4 December 2018" in English."""
    return _long_date(datetime.date(moment.year, moment.month, moment.day), translation.get_language())


@functools.lru_cache(maxsize=1024)
def _long_date(date, language):
    # Pages show a date per position and per attendee; formatting is slow enough to do once per day and language.
    return dateformat.format(date, pgettext("long date format", "l j F Y"))


def plain_date(date):
    """A calendar date without its weekday, such as an answer deadline: "4 december 2018", "4 December 2018".

    No date gives "", as Django's date filter does, so a template can add its own default.
    """
    return dateformat.format(date, "j F Y") if date else ""


def stockholm_date(moment):
    """The long date of an aware moment, as the day it is in Stockholm."""
    return format_date(to_stockholm(moment))


def stockholm_time(moment):
    """The Stockholm wall-clock time of an aware moment."""
    return format_time(to_stockholm(moment))


def stockholm_moment(moment):
    """A moment as a person names it: "tisdag 10 november 2026 kl. 09.30"."""
    return _("%(date)s at %(time)s") % {"date": stockholm_date(moment), "time": stockholm_time(moment)}


def slot_label(slot):
    """ "tisdag 4 december 2018 kl. 10.00–12.00": the way a person names a slot."""
    return period_label(slot.start, slot.end)


def period_label(start, end):
    """The label of a slot from its aware start and end."""
    return _slot_label(start, end, translation.get_language())


def wall_clock_period_label(text):
    """The label of a slot the log names as describe_slot wrote it; text in another form is returned as it is."""
    try:
        day, times = text.split(" ")
        start, end = times.split("–")
        start = datetime.datetime.fromisoformat(f"{day} {start}").replace(tzinfo=STOCKHOLM)
        end = datetime.datetime.fromisoformat(f"{day} {end}").replace(tzinfo=STOCKHOLM)
    except ValueError:
        return text
    return period_label(start, end)


@functools.lru_cache(maxsize=4096)
def _slot_label(start, end, language):
    # Three date formats a label, and pages show hundreds of labels: each is made once per language.
    start, end = to_stockholm(start), to_stockholm(end)
    return _("%(date)s at %(start)s–%(end)s") % {
        "date": format_date(start),
        "start": format_time(start),
        "end": format_time(end),
    }


def stockholm_clock_period(start, end):
    """The Stockholm wall-clock times of a slot without its date, for a table with a date column: "10.00–12.00"."""
    return f"{stockholm_time(start)}–{stockholm_time(end)}"


def iso_week(moment):
    """The ISO week number in Stockholm, as Swedish offices count weeks: "v. 49", "wk 49"."""
    return _("wk %(week)s") % {"week": to_stockholm(moment).isocalendar().week}


def stockholm_day_flags(moment):
    """What makes the Stockholm day of an aware moment hard to meet on (times.day_flags), in the active language."""
    return day_flags(to_stockholm(moment).date())


def utc_offset(moment):
    """Stockholm's offset from UTC at that moment, "UTC+1" in winter and "UTC+2" in summer, for mail text."""
    hours = int(to_stockholm(moment).utcoffset().total_seconds() // 3600)
    return f"UTC+{hours}"


def describe_slot(slot):
    """A language-neutral label for the event log: Stockholm wall-clock times."""
    start, end = to_stockholm(slot.start), to_stockholm(slot.end)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def stockholm_timestamp(moment):
    """An aware moment as ISO 8601 in Stockholm to the second, with its offset, for exports."""
    return to_stockholm(moment).isoformat(timespec="seconds")


def stockholm_day(moment):
    """The Stockholm day of an aware moment as ISO 8601, e.g. for a file name."""
    return to_stockholm(moment).date().isoformat()

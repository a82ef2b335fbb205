"""Wall-clock times in Europe/Stockholm, and Swedish holidays.

People enter and read times in Stockholm; the database keeps UTC. Two hours a
year need care: the spring gap (02:00–03:00 on the last Sunday of March does
not exist) and the autumn's repeated hour (02:00–03:00 on the last Sunday of
October happens twice). Neither is ever guessed.
"""

import datetime
import functools
import zoneinfo

import holidays
from django.utils import translation

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")

# Which of the two 02:30s the user meant in the autumn's repeated hour.
SUMMER_TIME = "summer"  # the first one, CEST, UTC+2 (fold=0)
STANDARD_TIME = "standard"  # the second one, CET, UTC+1 (fold=1)


class NonexistentTime(ValueError):
    """The wall-clock time falls in the spring DST gap."""


class AmbiguousTime(ValueError):
    """The wall-clock time occurs twice (autumn) and the user did not say which."""


def is_ambiguous(local):
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=STOCKHOLM, fold=0)
    second = naive.replace(tzinfo=STOCKHOLM, fold=1)
    return first.utcoffset() != second.utcoffset()


def stockholm_datetime(date, time, repeated_hour=None):
    """Combine a date and a wall-clock time into an aware Stockholm datetime.

    Raises NonexistentTime in the spring gap, and AmbiguousTime in the autumn's
    repeated hour unless ``repeated_hour`` says which occurrence is meant.
    """
    local = datetime.datetime.combine(date, time, tzinfo=STOCKHOLM)
    round_trip = local.astimezone(datetime.UTC).astimezone(STOCKHOLM)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTime(local)
    if is_ambiguous(local):
        if repeated_hour not in (SUMMER_TIME, STANDARD_TIME):
            raise AmbiguousTime(local)
        local = local.replace(fold=0 if repeated_hour == SUMMER_TIME else 1)
    return local


def to_stockholm(moment):
    return moment.astimezone(STOCKHOLM)


@functools.lru_cache(maxsize=64)
def _swedish_holidays(year, language):
    # Without include_sundays=False the package counts every Sunday as a holiday;
    # de_facto brings the eves people keep free (midsommarafton, julafton, nyårsafton).
    return holidays.country_holidays(
        "SE",
        years=year,
        include_sundays=False,
        categories=("public", "de_facto"),
        language="sv" if language == "sv" else "en_US",
    )


def holiday_name(date):
    """The Swedish holiday or eve on this date, in the active language, or None."""
    return _swedish_holidays(date.year, translation.get_language() or "sv").get(date)

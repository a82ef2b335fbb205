"""Wall-clock times in Europe/Stockholm, and Swedish holidays.

People enter and read times in Stockholm; the database keeps UTC. Two hours a
year need care: the spring gap (02:00–03:00 on the last Sunday of March does
not exist) and the autumn's repeated hour (02:00–03:00 on the last Sunday of
October happens twice). Neither is ever guessed.
"""

import datetime
import functools
import zoneinfo
from typing import NamedTuple

import holidays
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
ONE_DAY = datetime.timedelta(days=1)

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


class DayFlag(NamedTuple):
    """Something about a day that makes a meeting on it unlikely: what kind, and its name to show."""

    kind: str  # WEEKEND, HOLIDAY, EVE or BRIDGE_DAY
    name: str


WEEKEND = "weekend"
HOLIDAY = "holiday"
EVE = "eve"
BRIDGE_DAY = "bridge_day"

# The eves offices keep (half) free that the holidays package does not list: the day before these holidays.
_EVE_BEFORE = {
    "Trettondedag jul": gettext_lazy("Twelfth Night"),
    "Påskdagen": gettext_lazy("Holy Saturday"),
    "Pingstdagen": gettext_lazy("Whitsun Eve"),
}
# The package's own eves (category de_facto), named in Swedish whatever the language.
_PACKAGE_EVES = {"Midsommarafton", "Julafton", "Nyårsafton"}


def _is_day_off(date):
    return date.weekday() >= 5 or _swedish_holidays(date.year, "sv").get(date) not in (None, *_PACKAGE_EVES)


def day_flags(date):
    """Why a meeting on this date may be hard to hold: weekend, holiday, eve, klämdag; [] for an ordinary day.

    A klämdag is a weekday squeezed between two days off (a Friday after Ascension, say), which many take off.
    """
    swedish = _swedish_holidays(date.year, "sv").get(date)
    flags = []
    if date.weekday() >= 5:
        flags.append(DayFlag(WEEKEND, gettext("Weekend")))
    if swedish in _PACKAGE_EVES:
        flags.append(DayFlag(EVE, holiday_name(date)))
    elif swedish:
        flags.append(DayFlag(HOLIDAY, holiday_name(date)))
    tomorrow = _swedish_holidays((date + ONE_DAY).year, "sv").get(date + ONE_DAY)
    if tomorrow in _EVE_BEFORE:
        flags.append(DayFlag(EVE, str(_EVE_BEFORE[tomorrow])))
    if not flags and _is_day_off(date - ONE_DAY) and _is_day_off(date + ONE_DAY):
        flags.append(DayFlag(BRIDGE_DAY, gettext("Bridge day (klämdag)")))
    return flags

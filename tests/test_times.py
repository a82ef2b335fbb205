"""Stockholm wall-clock times: the spring gap is refused, the autumn's repeated hour is never guessed."""

import datetime

import pytest
from django.utils import timezone, translation

from coordination import times
from coordination.times import AmbiguousTime, NonexistentTime, holiday_name, stockholm_datetime

from .builders import FROZEN_NOW

UTC = datetime.UTC


def test_a_normal_winter_time_is_one_hour_ahead_of_utc():
    moment = stockholm_datetime(datetime.date(2027, 1, 12), datetime.time(10, 0))
    assert moment.astimezone(UTC) == datetime.datetime(2027, 1, 12, 9, 0, tzinfo=UTC)


def test_a_normal_summer_time_is_two_hours_ahead_of_utc():
    moment = stockholm_datetime(datetime.date(2027, 6, 8), datetime.time(10, 0))
    assert moment.astimezone(UTC) == datetime.datetime(2027, 6, 8, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("wall_clock", [datetime.time(2, 0), datetime.time(2, 30), datetime.time(2, 59)])
def test_a_time_in_the_spring_gap_is_refused(wall_clock):
    with pytest.raises(NonexistentTime):
        stockholm_datetime(datetime.date(2027, 3, 28), wall_clock)


def test_the_hour_after_the_spring_gap_exists():
    moment = stockholm_datetime(datetime.date(2027, 3, 28), datetime.time(3, 0))
    assert moment.astimezone(UTC) == datetime.datetime(2027, 3, 28, 1, 0, tzinfo=UTC)


def test_the_autumns_repeated_hour_is_refused_without_a_choice():
    with pytest.raises(AmbiguousTime):
        stockholm_datetime(datetime.date(2027, 10, 31), datetime.time(2, 30))


@pytest.mark.parametrize(
    "choice, utc_hour",
    [(times.SUMMER_TIME, 0), (times.STANDARD_TIME, 1)],
)
def test_the_autumns_repeated_hour_follows_the_users_choice(choice, utc_hour):
    moment = stockholm_datetime(datetime.date(2027, 10, 31), datetime.time(2, 30), choice)
    assert moment.astimezone(UTC) == datetime.datetime(2027, 10, 31, utc_hour, 30, tzinfo=UTC)


def test_the_choice_is_ignored_outside_the_repeated_hour():
    moment = stockholm_datetime(datetime.date(2027, 10, 31), datetime.time(10, 0), times.SUMMER_TIME)
    assert moment.astimezone(UTC) == datetime.datetime(2027, 10, 31, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "date, name",
    [
        (datetime.date(2027, 6, 25), "Midsommarafton"),
        (datetime.date(2027, 12, 24), "Julafton"),
        (datetime.date(2027, 12, 31), "Nyårsafton"),
        (datetime.date(2027, 6, 6), "Nationaldagen"),
        (datetime.date(2027, 3, 26), "Långfredagen"),
    ],
)
def test_swedish_holidays_and_eves_are_named(date, name):
    with translation.override("sv"):
        assert holiday_name(date) == name


def test_an_ordinary_sunday_is_not_a_holiday():
    assert datetime.date(2027, 2, 7).weekday() == 6
    assert holiday_name(datetime.date(2027, 2, 7)) is None


def test_holidays_are_named_in_english_for_english_users():
    with translation.override("en"):
        assert holiday_name(datetime.date(2027, 12, 24)) == "Christmas Eve"


def test_every_test_runs_on_the_frozen_clock_whatever_the_real_date():
    assert timezone.localdate() == datetime.date.today() == FROZEN_NOW.date()
    assert abs(timezone.now() - FROZEN_NOW) < datetime.timedelta(hours=1)


def test_the_clock_changes_the_tests_use_are_sundays_ahead_where_the_offset_really_changes(clock_changes):
    for day, before, after in ((clock_changes.spring, 1, 2), (clock_changes.autumn, 2, 1)):
        assert day.weekday() == 6 and day > timezone.localdate()
        offsets = [stockholm_datetime(day, datetime.time(hour, 0)).utcoffset() for hour in (0, 4)]
        assert offsets == [datetime.timedelta(hours=before), datetime.timedelta(hours=after)]


@pytest.mark.parametrize(
    "date, flags",
    [
        (datetime.date(2027, 1, 5), [("eve", "Trettondagsafton")]),
        (datetime.date(2027, 3, 27), [("weekend", "Helg"), ("eve", "Påskafton")]),
        (datetime.date(2027, 5, 15), [("weekend", "Helg"), ("eve", "Pingstafton")]),
        (datetime.date(2027, 6, 25), [("eve", "Midsommarafton")]),
        (datetime.date(2027, 12, 24), [("eve", "Julafton")]),
        (datetime.date(2027, 12, 31), [("eve", "Nyårsafton")]),
        (datetime.date(2027, 6, 6), [("weekend", "Helg"), ("holiday", "Nationaldagen")]),
        (datetime.date(2027, 5, 7), [("bridge_day", "Klämdag")]),  # the Friday after Ascension
        (datetime.date(2029, 4, 30), [("bridge_day", "Klämdag")]),  # the Monday before 1 May on a Tuesday
        (datetime.date(2027, 2, 9), []),
        (datetime.date(2027, 2, 7), [("weekend", "Helg")]),
    ],
)
def test_a_day_a_meeting_is_hard_to_hold_on_is_flagged_with_why(date, flags):
    with translation.override("sv"):
        assert [(flag.kind, flag.name) for flag in times.day_flags(date)] == flags


def test_a_day_flag_is_named_in_english_for_english_users():
    with translation.override("en"):
        assert [flag.name for flag in times.day_flags(datetime.date(2027, 1, 5))] == ["Twelfth Night"]
        assert [flag.name for flag in times.day_flags(datetime.date(2027, 5, 7))] == ["Bridge day (klämdag)"]

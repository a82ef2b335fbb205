"""Times, dates and slots as people and exports read them: one module, used by pages, mail and calendar text."""

import datetime
import pathlib
import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from coordination import formatting

UTC = datetime.UTC
# 4 December 2018 (winter, UTC+1) and 11 June 2019 (summer, UTC+2), fixed so the tests never hang on today.
WINTER = datetime.datetime(2018, 12, 4, 9, 0, tzinfo=UTC)
SUMMER = datetime.datetime(2019, 6, 11, 8, 0, tzinfo=UTC)


def slot(start, hours=2):
    return SimpleNamespace(start=start, end=start + datetime.timedelta(hours=hours))


@pytest.mark.parametrize(
    ("language", "date", "time"),
    [("sv", "tisdag 4 december 2018", "10.00"), ("en", "Tuesday 4 December 2018", "10:00")],
)
def test_a_utc_moment_is_shown_as_its_stockholm_date_and_time(language, date, time):
    with translation.override(language):
        assert formatting.stockholm_date(WINTER) == date
        assert formatting.stockholm_time(WINTER) == time


def test_late_evening_utc_is_already_the_next_day_in_stockholm():
    with translation.override("sv"):
        moment = datetime.datetime(2018, 12, 4, 23, 30, tzinfo=UTC)
        assert formatting.stockholm_date(moment) == "onsdag 5 december 2018"
        assert formatting.stockholm_time(moment) == "00.30"


def test_a_summer_slot_is_labelled_in_summer_time():
    with translation.override("sv"):
        assert formatting.slot_label(slot(SUMMER)) == "tisdag 11 juni 2019 kl. 10.00–12.00"
    with translation.override("en"):
        assert formatting.slot_label(slot(SUMMER)) == "Tuesday 11 June 2019 at 10:00–12:00"


def test_a_plain_date_has_no_weekday_and_no_date_is_empty():
    with translation.override("sv"):
        assert formatting.plain_date(datetime.date(2018, 12, 4)) == "4 december 2018"
    with translation.override("en"):
        assert formatting.plain_date(datetime.date(2018, 12, 4)) == "4 December 2018"
    assert formatting.plain_date(None) == ""


def test_the_week_is_the_stockholm_iso_week():
    # Sunday 30 December 2018 at 23:30 UTC is Monday 31 December in Stockholm: week 1 of 2019.
    moment = datetime.datetime(2018, 12, 30, 23, 30, tzinfo=UTC)
    with translation.override("sv"):
        assert formatting.iso_week(moment) == "v. 1"
    with translation.override("en"):
        assert formatting.iso_week(WINTER) == "wk 49"


def test_a_day_is_flagged_as_the_stockholm_day():
    # 23:30 UTC on 5 June is national day (6 June) in Stockholm.
    with translation.override("sv"):
        assert [f.name for f in formatting.stockholm_day_flags(datetime.datetime(2019, 6, 5, 23, 30, tzinfo=UTC))] == [
            "Nationaldagen"
        ]
        assert formatting.stockholm_day_flags(WINTER) == []


def test_the_offset_in_mail_follows_summer_time():
    assert formatting.utc_offset(WINTER) == "UTC+1"
    assert formatting.utc_offset(SUMMER) == "UTC+2"


def test_a_slot_as_the_log_names_it_reads_as_a_slot_label():
    with translation.override("sv"):
        assert formatting.wall_clock_period_label("2018-12-04 10:00–12:00") == "tisdag 4 december 2018 kl. 10.00–12.00"
        assert formatting.wall_clock_period_label("något annat") == "något annat"


def test_the_machine_readable_forms_are_stockholm_time_in_every_language():
    with translation.override("en"):
        assert formatting.describe_slot(slot(SUMMER)) == "2019-06-11 10:00–12:00"
        assert formatting.stockholm_timestamp(SUMMER) == "2019-06-11T10:00:00+02:00"
        assert formatting.stockholm_day(datetime.datetime(2018, 12, 4, 23, 30, tzinfo=UTC)) == "2018-12-05"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ moment|stockholm_date }}", "tisdag 4 december 2018"),
        ("{{ moment|stockholm_time }}", "10.00"),
        ("{{ moment|iso_week }}", "v. 49"),
        ("{{ slot|slot_label }}", "tisdag 4 december 2018 kl. 10.00–12.00"),
        ("{{ day|plain_date }}", "4 december 2018"),
        ("{{ nothing|plain_date|default:'–' }}", "–"),
        ("{% day_flags moment %}", "\n"),
        (
            "{% day_flags christmas_eve %}",
            '<span class="day-flags"><span class="badge badge-holiday badge-eve">Julafton</span> </span>\n',
        ),
    ],
)
def test_the_template_filters_give_what_the_formatting_functions_give(template, expected):
    context = Context(
        {
            "moment": WINTER,
            "christmas_eve": datetime.datetime(2018, 12, 24, 10, tzinfo=UTC),
            "slot": slot(WINTER),
            "day": datetime.date(2018, 12, 4),
            "nothing": None,
        }
    )
    with translation.override("sv"):
        assert Template("{% load samrad %}" + template).render(context) == expected


def test_no_code_outside_the_templates_imports_the_template_tags():
    # Mail, calendar, forms and views format through coordination/formatting.py; the tags only wrap it.
    package = pathlib.Path(formatting.__file__).parent
    imports_tags = re.compile(r"^\s*(from|import) \S*templatetags", re.MULTILINE)
    importing = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "templatetags" not in path.parts and imports_tags.search(path.read_text(encoding="utf-8"))
    ]
    assert importing == []

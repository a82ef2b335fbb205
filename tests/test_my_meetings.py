""" "Mina möten" at size: each section a page at a time, in the order a person looks for, links that keep the rest."""

import html
import re

import pytest
from django.urls import reverse

from coordination.management.commands.benchmark import DASHBOARD_STATUSES, build_dashboard
from coordination.models import Meeting


@pytest.fixture
def sixty(db, client):
    """A coordinator in 60 meetings: 12 collecting answers, 12 upcoming, 24 held and 12 cancelled."""
    client.force_login(build_dashboard(60))
    return client


def titles(response, key):
    return [row.meeting.title for row in next(s for s in response.context["sections"] if s.key == key).rows]


def numbers(status, count=60):
    """The meetings build_dashboard gave ``status``, as the numbers in their titles ("Samråd 3" is 3)."""
    return [i + 1 for i in range(count) if DASHBOARD_STATUSES[i % len(DASHBOARD_STATUSES)] == status]


def pager(response, key):
    """The pager under section ``key``: (previous link, the page's words, next link), links without the page."""
    page = response.content.decode()
    section = re.search(rf'<section [^>]*id="{key}".*?</section>', page, re.S).group(0)
    nav = re.search(r"<nav [^>]*>(.*?)</nav>", section, re.S)
    if nav is None:
        return None
    links = dict(re.findall(r'<a class="page-link" href="([^"]*)">(\w+)</a>', nav.group(1)))
    words = re.search(r'<span class="px-2">([^<]+)</span>', nav.group(1)).group(1)
    return {text: html.unescape(href) for href, text in links.items()}, words


def test_the_first_page_of_each_section_shows_the_meetings_a_person_looks_for_first(sixty):
    response = sixty.get(reverse("my_meetings"))

    upcoming, held = numbers(Meeting.Status.SCHEDULED), numbers(Meeting.Status.HELD)
    # The soonest meeting to come first; the last one held first (held meetings lie one day apart, back in time).
    assert titles(response, "upcoming") == [f"Samråd {n}" for n in upcoming]
    assert titles(response, "held") == [f"Samråd {n}" for n in held[:10]]
    assert pager(response, "upcoming") is None  # 12 fit on one page
    assert pager(response, "held") == ({"Nästa": "?held=2#held"}, "Sida 1 av 3")
    assert pager(response, "cancelled") == ({"Nästa": "?cancelled=2#cancelled"}, "Sida 1 av 2")


def test_a_later_page_of_one_section_keeps_the_page_of_another(sixty):
    response = sixty.get(reverse("my_meetings"), {"held": 2, "cancelled": 2})

    assert titles(response, "held") == [f"Samråd {n}" for n in numbers(Meeting.Status.HELD)[10:20]]
    # Cancelled ones, the last cancelled first: here all at the same moment, so the newest meeting first.
    assert titles(response, "cancelled") == [f"Samråd {n}" for n in numbers(Meeting.Status.CANCELLED)[::-1][10:]]
    links, words = pager(response, "held")
    assert words == "Sida 2 av 3"
    assert links == {"Föregående": "?cancelled=2#held", "Nästa": "?held=3&cancelled=2#held"}
    assert pager(response, "cancelled") == ({"Föregående": "?held=2#cancelled"}, "Sida 2 av 2")
    # Only the meetings on the pages shown became rows.
    assert len(response.context["rows"]) == 12 + 12 + 10 + 2


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("99", "Sida 3 av 3"), ("-1", "Sida 1 av 3"), ("tre", "Sida 1 av 3"), ("9" * 40, "Sida 3 av 3")],
)
def test_a_page_that_is_not_there_shows_the_nearest_one(sixty, asked, shown):
    response = sixty.get(reverse("my_meetings"), {"held": asked})

    assert response.status_code == 200
    assert pager(response, "held")[1] == shown

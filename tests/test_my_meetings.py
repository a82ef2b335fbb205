""" "Mina möten" at size: each section a page at a time, in the order a person looks for, links that keep the rest."""

import datetime
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from coordination.management.commands.benchmark import DASHBOARD_STATUSES, build_dashboard
from coordination.models import Meeting, Membership, Slot

from .builders import in_english


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


def page_text(client):
    return html.unescape(client.get(reverse("my_meetings")).content.decode())


def test_the_page_kept_in_the_cache_follows_a_renamed_party_and_the_persons_parties(
    client, meeting, polis_member, polisen
):
    """The sections are kept under the person's roles and one row of sums over their meetings' revisions:
    a party's save raises its meetings' revisions, and a person leaving a party changes their roles."""
    client.force_login(polis_member)
    assert "2 obesvarade tider för Polisen" in page_text(client)
    polisen.short_name = "Polismyndigheten"
    polisen.save()
    assert "2 obesvarade tider för Polismyndigheten" in page_text(client)
    in_english(client)
    assert "2 times not answered for Polismyndigheten" in page_text(client)
    Membership.objects.filter(user=polis_member, party=polisen).delete()
    assert "Polismyndigheten" not in page_text(client)


def test_the_page_kept_in_the_cache_follows_the_day(client, meeting, polis_member):
    """A deadline passes, an action falls overdue: with the day, not with any change of a meeting."""
    client.force_login(polis_member)
    Meeting.objects.filter(pk=meeting.pk).update(answer_deadline=timezone.localdate(), updated_at=timezone.now())
    assert "svarstiden har gått ut" not in page_text(client)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        client.force_login(polis_member)  # the session has lapsed overnight
        assert "svarstiden har gått ut" in page_text(client)


def test_the_page_kept_in_the_cache_is_made_anew_when_a_meeting_begins(
    client, django_assert_max_num_queries, scheduled_meeting, kommun_coordinator
):
    """A meeting that has begun is due its minutes, which change what waits on the page: the sums count those."""
    # Within the hour, so that the day stays the same (the tests' clock stands in the morning).
    start = timezone.now() + datetime.timedelta(hours=1)
    Slot.objects.filter(pk=scheduled_meeting.confirmed_slot_id).update(
        start=start, end=start + datetime.timedelta(hours=2)
    )
    client.force_login(kommun_coordinator)
    client.get(reverse("my_meetings"))
    with django_assert_max_num_queries(6):
        client.get(reverse("my_meetings"))
    with time_machine.travel(start + datetime.timedelta(minutes=1)):
        assert timezone.localdate() == timezone.localdate(start - datetime.timedelta(hours=1))
        client.force_login(kommun_coordinator)
        with django_assert_max_num_queries(20) as made:
            client.get(reverse("my_meetings"))
    assert len(made) > 6

"""The calendar feed: a secret address per user, their parties' meetings, nothing else."""

import datetime
import os
import subprocess
import sys

import icalendar
import pytest
import time_machine
import vobject
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_http_date

from coordination.models import FeedToken, Meeting, Membership, Profile, Slot
from coordination.services import agenda, feeds, meetings

from .builders import create_meeting, future_time, in_english


def feed_url(token):
    return reverse("feed", args=[token])


def events(response):
    calendar = icalendar.Calendar.from_ical(response.content)
    return calendar, {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def police_token(polis_member):
    return feeds.new_feed_token(polis_member)


def test_only_the_hash_of_the_address_is_stored(police_token, polis_member):
    [stored] = FeedToken.objects.filter(user=polis_member)
    assert stored.token_hash == feeds.token_hash(police_token) != police_token
    assert len(police_token) >= 43  # 32 random bytes, url-safe: 256 bits


def test_the_feed_lists_the_scheduled_meetings_of_my_parties(client, police_token, scheduled_meeting, meeting):
    response = client.get(feed_url(police_token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar, by_uid = events(response)
    assert list(by_uid) == [scheduled_meeting.calendar_uid]
    assert "METHOD" not in calendar
    assert calendar["X-WR-CALNAME"] == calendar["NAME"]
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content
    assert b"X-PUBLISHED-TTL:PT1H" in response.content
    [event] = by_uid.values()
    assert "ATTENDEE" not in event
    assert event["SEQUENCE"] == scheduled_meeting.sequence
    assert vobject.readOne(response.content.decode()).vevent.uid.value == scheduled_meeting.calendar_uid


def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled(
    client, police_token, scheduled_meeting, kommun, kommun_coordinator
):
    meetings.cancel_meeting(meeting=scheduled_meeting, by=kommun_coordinator, party=kommun, reason="Inställt")
    _, by_uid = events(client.get(feed_url(police_token)))
    assert str(by_uid[scheduled_meeting.calendar_uid]["STATUS"]) == "CANCELLED"


def test_an_unchanged_feed_answers_304(client, police_token, scheduled_meeting):
    first = client.get(feed_url(police_token))
    again = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    Meeting.objects.filter(pk=scheduled_meeting.pk).update(title="Ny titel", updated_at=timezone.now())
    changed = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and b"Ny titel" in changed.content


def test_a_conditional_request_is_answered_304_without_writing_the_calendar(
    client, police_token, scheduled_meeting, monkeypatch
):
    first = client.get(feed_url(police_token))

    def never(feed):
        raise AssertionError("the calendar was written out for a 304")

    monkeypatch.setattr(feeds.Feed, "text", never)
    again = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"] and again["Last-Modified"] == first["Last-Modified"]
    since = client.get(feed_url(police_token), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_last_modified_moves_with_any_change_to_the_feed(client, police_token, scheduled_meeting, lansstyrelsen):
    """Even one outside every meeting's log: a calendar asking If-Modified-Since must get the new feed."""
    first = client.get(feed_url(police_token))
    assert parse_http_date(first["Last-Modified"]) <= timezone.now().timestamp()
    # A party is renamed in the admin, which saves it: its meetings take a new revision (Party.save).
    lansstyrelsen.name = "Länsstyrelsen i Uppsala län"
    lansstyrelsen.save()
    changed = client.get(feed_url(police_token), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert changed.status_code == 200 and "Länsstyrelsen i Uppsala län" in changed.content.decode()
    assert parse_http_date(changed["Last-Modified"]) > parse_http_date(first["Last-Modified"])
    assert changed["ETag"] != first["ETag"]
    # Asked again an hour later, unchanged: the same Last-Modified, whichever worker answers.
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        later = client.get(feed_url(police_token))
    assert later["Last-Modified"] == changed["Last-Modified"] and later["ETag"] == changed["ETag"]


def test_head_is_answered_with_the_headers_of_a_get_and_no_body(client, police_token, scheduled_meeting):
    got = client.get(feed_url(police_token))
    head = client.head(feed_url(police_token))
    assert head.status_code == 200 and head.content == b""
    for header in ("Content-Type", "ETag", "Last-Modified", "Cache-Control"):
        assert head[header] == got[header]


def test_a_new_address_revokes_the_old_one(client, police_token, polis_member, scheduled_meeting):
    newer = feeds.new_feed_token(polis_member)
    assert client.get(feed_url(police_token)).status_code == 410
    assert client.get(feed_url(newer)).status_code == 200


def test_a_revoked_address_stops_at_once(client, police_token, polis_member, scheduled_meeting):
    feeds.revoke_feed_tokens(polis_member)
    gone = client.get(feed_url(police_token))
    assert gone.status_code == 410
    assert gone["Content-Type"] == "text/plain; charset=utf-8"
    assert "Gör en ny på ditt konto" in gone.content.decode()


def test_a_deactivated_user_has_no_feed(client, police_token, polis_member, scheduled_meeting):
    polis_member.is_active = False
    polis_member.save()
    assert client.get(feed_url(police_token)).status_code == 404


def test_a_user_removed_from_the_party_no_longer_sees_its_meetings(
    client, police_token, polis_member, scheduled_meeting
):
    Membership.objects.filter(user=polis_member).delete()
    response = client.get(feed_url(police_token))
    assert response.status_code == 200
    assert events(response)[1] == {}


def test_an_unknown_address_is_404(client, db):
    assert client.get(feed_url("x" * 43)).status_code == 404


def test_the_feed_reaches_90_days_back_and_a_year_ahead(
    client, police_token, scheduled_meeting, kommun, lansstyrelsen, polisen, kommun_coordinator
):
    now = timezone.now()
    for days, title in ((-100, "För länge sedan"), (-80, "Nyss"), (300, "Till hösten"), (400, "För långt fram")):
        other = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen], title=title)
        start = now + datetime.timedelta(days=days)
        slot = Slot.objects.create(
            meeting=other, start=start, end=start + datetime.timedelta(hours=2), proposed_by_party=kommun
        )
        Meeting.objects.filter(pk=other.pk).update(
            status=Meeting.Status.SCHEDULED, opened_at=timezone.now(), confirmed_slot=slot
        )
    titles = {str(event["SUMMARY"]) for event in events(client.get(feed_url(police_token)))[1].values()}
    assert titles == {"Dialog om utökat samarbete", "Nyss", "Till hösten"}


def test_the_account_page_shows_a_new_address_once(client, polis_member):
    client.force_login(polis_member)
    in_english(client)
    response = client.post(reverse("feed_new"), follow=True)
    page = response.content.decode()
    [token] = [part.split("/")[0] for part in page.split("/feed/")[1:2]]
    assert FeedToken.objects.get(user=polis_member).token_hash == feeds.token_hash(token)
    assert "webcal://" in page and "calendar.google.com" in page
    assert f"/feed/{token}/" not in client.get(reverse("account")).content.decode()


def test_turning_the_address_off_from_the_account_page(client, police_token, polis_member):
    client.force_login(polis_member)
    client.post(reverse("feed_revoke"))
    assert client.get(feed_url(police_token)).status_code == 410


def test_making_an_address_needs_a_post(client, polis_member):
    client.force_login(polis_member)
    assert client.get(reverse("feed_new")).status_code == 405
    assert not FeedToken.objects.exists()


def test_the_feed_does_not_grow_in_queries_with_meetings(
    client,
    django_assert_num_queries,
    police_token,
    scheduled_meeting,
    kommun,
    lansstyrelsen,
    polisen,
    kommun_coordinator,
):
    # The address with its user, the ETag's sums; the meetings, their invitations and agenda when the feed is
    # not kept under that ETag; one more when the feed changed since it was last served.
    with django_assert_num_queries(6):
        client.get(feed_url(police_token))
    with django_assert_num_queries(2):
        client.get(feed_url(police_token))
    for title in ("Två", "Tre"):
        other = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen], title=title)
        start, end = future_time(30)
        slot = Slot.objects.create(meeting=other, start=start, end=end, proposed_by_party=kommun)
        Meeting.objects.filter(pk=other.pk).update(
            status=Meeting.Status.SCHEDULED, opened_at=timezone.now(), confirmed_slot=slot
        )
    with django_assert_num_queries(6):
        response = client.get(feed_url(police_token))
    assert len(events(response)[1]) == 3


def test_a_change_that_leaves_the_meeting_row_alone_still_reaches_the_feed(
    client, police_token, scheduled_meeting, kommun, lansstyrelsen, kommun_coordinator
):
    """The feed keeps serialised events between requests; a renamed party or agenda item must still show.

    The ETag is made of the meetings' revisions: the party's save and the item's events raise them.
    """
    first = client.get(feed_url(police_token))
    lansstyrelsen.name = "Länsstyrelsen i Uppsala län"
    lansstyrelsen.save()
    renamed = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert renamed.status_code == 200 and renamed["ETag"] != first["ETag"]
    item = agenda.propose_agenda_item(
        meeting=scheduled_meeting, party=kommun, by=kommun_coordinator, title="Trygghetsvandring"
    )
    agenda.accept_agenda_item(item=item, party=kommun, by=kommun_coordinator)
    changed = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=renamed["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != renamed["ETag"]
    _, by_uid = events(changed)
    event = by_uid[scheduled_meeting.calendar_uid]
    assert event["ORGANIZER"].params["CN"] == "Länsstyrelsen i Uppsala län"
    assert "1. Trygghetsvandring" in str(event["DESCRIPTION"])


def test_the_etag_moves_when_the_person_joins_or_leaves_a_party(
    client, police_token, polis_member, scheduled_meeting, kommun, polisen
):
    """The meetings in the feed are the person's parties' ones: their number and ids are in the ETag."""
    first = client.get(feed_url(police_token))
    Membership.objects.filter(user=polis_member, party=polisen).delete()
    left = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert left.status_code == 200 and left["ETag"] != first["ETag"]
    assert list(events(left)[1]) == []
    Membership.objects.create(user=polis_member, party=kommun)
    joined = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=left["ETag"])
    # The same meetings as at first, the same feed: the same ETag.
    assert joined.status_code == 200 and joined["ETag"] == first["ETag"]
    assert list(events(joined)[1]) == [scheduled_meeting.calendar_uid]


def test_the_etag_moves_with_the_persons_language(client, police_token, polis_member, scheduled_meeting):
    first = client.get(feed_url(police_token))
    Profile.objects.create(user=polis_member, language="en")
    changed = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_the_etag_moves_when_a_meeting_is_saved_without_an_event(client, police_token, scheduled_meeting):
    """The admin's edits write no event; the saved row's updated_at, the events' DTSTAMP, is in the ETag."""
    first = client.get(feed_url(police_token))
    scheduled_meeting.refresh_from_db()
    scheduled_meeting.location = "Polishuset"
    scheduled_meeting.save()
    changed = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and b"LOCATION:Polishuset" in changed.content


def test_the_etag_moves_when_a_meeting_leaves_the_window(client, police_token, scheduled_meeting):
    first = client.get(feed_url(police_token))
    with time_machine.travel(timezone.now() + feeds.PAST + feeds.FUTURE):
        later = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert later.status_code == 200 and later["ETag"] != first["ETag"]
    assert list(events(later)[1]) == []


def test_a_304_reads_the_address_and_one_row_of_sums(
    client, django_assert_num_queries, police_token, scheduled_meeting
):
    first = client.get(feed_url(police_token))
    with django_assert_num_queries(2):
        again = client.get(feed_url(police_token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def feed_keys(user):
    language = feeds.feed_language(user)
    return [feeds.feed_event_key(feeds.feed_entry(m), language) for m in feeds.feed_meetings(user, timezone.now())]


def test_an_unchanged_meeting_comes_from_the_cache_and_a_changed_one_is_serialised_anew(
    cache_backend, polis_member, scheduled_meeting
):
    first = feeds.build_feed(polis_member, timezone.now())
    [key] = feed_keys(polis_member)
    kept = cache.get(key)
    assert kept is not None and kept in first

    # What the cache holds is what the feed serves: a marked copy shows that nothing was serialised again.
    # The whole feed is kept under its ETag too; without it, the feed is put together from its events.
    cache.set(key, kept.replace(b"SUMMARY:", b"SUMMARY:Ur cachen: "))
    cache.delete(feeds.user_feed(polis_member, timezone.now()).body_key)
    assert b"SUMMARY:Ur cachen: " in feeds.build_feed(polis_member, timezone.now())

    Meeting.objects.filter(pk=scheduled_meeting.pk).update(title="Nytt namn", updated_at=timezone.now())
    changed = feeds.build_feed(polis_member, timezone.now())
    assert b"SUMMARY:Nytt namn" in changed and b"Ur cachen" not in changed
    [new_key] = feed_keys(polis_member)
    assert new_key != key and cache.get(new_key) in changed


def test_the_whole_feed_is_kept_under_its_etag_and_any_change_makes_it_anew(
    cache_backend, client, police_token, polis_member, scheduled_meeting
):
    first = client.get(feed_url(police_token))
    feed = feeds.user_feed(polis_member, timezone.now())
    assert first["ETag"] == f'"{feed.etag}"' and cache.get(feed.body_key) == first.content

    # The next request for the same ETag is the kept bytes, not a calendar put together again.
    cache.set(feed.body_key, first.content.replace(b"X-WR-CALNAME:", b"X-WR-CALNAME:Ur cachen "))
    assert b"X-WR-CALNAME:Ur cachen " in client.get(feed_url(police_token)).content

    Meeting.objects.filter(pk=scheduled_meeting.pk).update(location="Polishuset", updated_at=timezone.now())
    changed = client.get(feed_url(police_token))
    assert changed["ETag"] != first["ETag"]
    assert b"LOCATION:Polishuset" in changed.content and b"Ur cachen" not in changed.content


# A fresh worker: a new Python process with the same settings, asking the cache for one key.
READ_IN_A_FRESH_PROCESS = """
import sys
import django
from django.conf import settings

django.setup()
settings.CACHES["default"]["KEY_PREFIX"] = sys.argv[2]
from django.core.cache import cache

value = cache.get(sys.argv[1])
sys.stdout.buffer.write(b"nothing" if value is None else value)
"""


def test_a_fresh_worker_finds_the_feed_another_made_when_they_share_redis(
    cache_backend, settings, polis_member, scheduled_meeting
):
    feed = feeds.user_feed(polis_member, timezone.now())
    body = feed.text()
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    if cache_backend == "redis":
        env["REDIS_URL"] = settings.CACHES["default"]["LOCATION"]
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            READ_IN_A_FRESH_PROCESS,
            feed.body_key,
            settings.CACHES["default"].get("KEY_PREFIX", ""),
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "samrad.settings"},
        cwd=settings.BASE_DIR,
        check=True,
        capture_output=True,
    ).stdout
    # Each process's memory is its own: there a fresh worker serialises every event again.
    assert read == (body if cache_backend == "redis" else b"nothing")

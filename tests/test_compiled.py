"""Queries compiled once per process: each run takes its own user's id and moments."""

from django.utils import timezone

from coordination import compiled
from coordination.services import feeds


def test_a_query_compiled_once_runs_with_each_users_id_and_moments(scheduled_meeting, polis_member, outsider):
    now = timezone.now()

    def count(user, start, end):
        return compiled.state_of("feed", feeds._feed_state_sql, user, start, end)[0]

    assert count(polis_member, now - feeds.PAST, now + feeds.FUTURE) == 1
    assert count(outsider, now - feeds.PAST, now + feeds.FUTURE) == 0
    assert count(polis_member, now + feeds.FUTURE, now + 2 * feeds.FUTURE) == 0
    assert count(polis_member, now - feeds.PAST, now + feeds.FUTURE) == 1

"""Migration 0007: existing meetings learn whether they were ever opened for answers."""

import importlib

from django.apps import apps

from coordination.models import Event, Meeting

migration = importlib.import_module("coordination.migrations.0008_meeting_opened_at")


def forget_opened_at():
    Meeting.objects.update(opened_at=None)


def test_a_meeting_opened_for_answers_and_then_cancelled_stays_opened(cancelled_after_opening):
    opened = Event.objects.get(meeting=cancelled_after_opening, action=Event.Action.POLLING_OPENED).created_at
    forget_opened_at()

    migration.set_opened_at(apps, None)

    assert Meeting.objects.get(pk=cancelled_after_opening.pk).opened_at == opened


def test_a_draft_cancelled_before_opening_stays_unopened(cancelled_draft):
    forget_opened_at()

    migration.set_opened_at(apps, None)

    assert Meeting.objects.get(pk=cancelled_draft.pk).opened_at is None


def test_a_draft_stays_unopened(draft_meeting):
    migration.set_opened_at(apps, None)

    assert Meeting.objects.get(pk=draft_meeting.pk).opened_at is None


def test_a_meeting_past_the_draft_without_an_opening_event_counts_as_opened(draft_meeting):
    """Written before the event log recorded openings, or by hand: it cannot be scheduled unopened."""
    Meeting.objects.filter(pk=draft_meeting.pk).update(status=Meeting.Status.POLLING)

    migration.set_opened_at(apps, None)

    assert Meeting.objects.get(pk=draft_meeting.pk).opened_at == draft_meeting.created_at

"""A held meeting followed up: a new draft with the same parties, its unfinished items and open actions, in a series."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from coordination import rules
from coordination.models import Action, AgendaItem, Event, Invitation, Meeting, Minutes, Notice
from coordination.services import copies, meetings, minutes
from coordination.services.base import RuleError


@pytest.fixture
def with_minutes(held, kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_secretary):
    """The held dialogue's minutes: the first item written, the second not; an open, a done and a dropped action."""
    meeting = meetings.mark_held(meeting=held, by=kommun_coordinator, party=kommun)
    meeting.items = held.items
    by = {"meeting": meeting, "party": lansstyrelsen, "by": lansstyrelsen_secretary}
    minutes.save_entry(**by, item=held.items[0], text="Vi gick igenom stödet från NOA.", base_version=0)
    due = timezone.localdate() + datetime.timedelta(days=30)
    meeting.open_action = minutes.add_action(
        **by, item=held.items[0], what="Utse kontaktpersoner", owner_party=polisen, person="Lind, Åsa", due_on=due
    )
    done = minutes.add_action(**by, item=held.items[0], what="Skicka lägesbilden", owner_party=kommun, due_on=due)
    minutes.set_action_status(action=done, party=lansstyrelsen, by=lansstyrelsen_secretary, status="done")
    dropped = minutes.add_action(**by, item=held.items[0], what="Boka lokal", owner_party=kommun, due_on=due)
    minutes.set_action_status(
        action=dropped, party=lansstyrelsen, by=lansstyrelsen_secretary, status="dropped", reason="Behövs inte"
    )
    return meeting


def sent_for_review(meeting):
    """The minutes leave the draft, as sending them for review (justering) does."""
    Minutes.objects.filter(meeting=meeting).update(state=Minutes.State.UNDER_REVIEW)


def follow_up_url(meeting):
    return reverse("meeting_follow_up", args=[meeting.pk])


@pytest.mark.parametrize(
    "persona, allowed",
    [
        ("kommun_coordinator", True),
        ("lansstyrelsen_coordinator", True),
        ("lansstyrelsen_secretary", False),
        ("polis_coordinator", False),
        ("polis_member", False),
    ],
)
def test_the_convening_coordinators_plan_the_follow_up_of_a_held_meeting(request, with_minutes, persona, allowed):
    access = rules.MeetingAccess.for_user(request.getfixturevalue(persona), with_minutes)
    assert rules.can_plan_follow_up(access) is allowed


def test_a_meeting_not_yet_held_has_no_follow_up(held, kommun, kommun_coordinator):
    assert not rules.can_plan_follow_up(rules.MeetingAccess.for_user(kommun_coordinator, held))
    with pytest.raises(RuleError):
        copies.plan_follow_up(meeting=held, by=kommun_coordinator, party=kommun)


def test_the_follow_up_has_the_parties_and_roles_and_carries_the_open_actions_and_unfinished_items(
    with_minutes, kommun, polisen, kommun_coordinator
):
    sent_for_review(with_minutes)
    # The carried titles are written in the language of the one who plans, here Swedish.
    with translation.override("sv"):
        follow_up = copies.plan_follow_up(meeting=with_minutes, by=kommun_coordinator, party=kommun)

    assert follow_up.status == Meeting.Status.DRAFT and follow_up.follows == with_minutes
    roles = lambda meeting: sorted(meeting.invitations.values_list("party__name", "role", "required"))  # noqa: E731
    assert roles(follow_up) == roles(with_minutes)
    items = list(follow_up.agenda_items.order_by("order"))
    assert [item.title for item in items] == ["Lokalt poliskontor i Gottsunda", "Uppföljning: Utse kontaktpersoner"]
    assert all(item.status == AgendaItem.Status.ACCEPTED and item.proposed_by_party == kommun for item in items)
    carried = items[1]
    assert carried.carried_action == with_minutes.open_action and carried.presenting_party == polisen
    assert "Utse kontaktpersoner" in carried.description and "Lind, Åsa" in carried.description
    # Both meetings are one series, and both logs say so.
    with_minutes.refresh_from_db()
    assert with_minutes.series_start == with_minutes and follow_up.series_start == with_minutes
    assert Event.objects.filter(action=Event.Action.FOLLOW_UP_PLANNED).count() == 2
    # The other convener hears of the follow-up once, in its log, not of each item it carries.
    assert not Notice.objects.filter(meeting=follow_up).exists()


def test_a_draft_of_the_minutes_carries_no_action_and_the_page_says_why(
    client, with_minutes, kommun, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    page = client.get(follow_up_url(with_minutes)).content.decode()
    assert "Lokalt poliskontor i Gottsunda" in page
    assert "Utse kontaktpersoner" not in page
    assert "inte skickats för justering" in page

    follow_up = copies.plan_follow_up(meeting=with_minutes, by=kommun_coordinator, party=kommun)
    assert not follow_up.agenda_items.filter(carried_action__isnull=False).exists()
    assert "Utse kontaktpersoner" not in "".join(follow_up.agenda_items.values_list("title", "description")[0])


def test_the_page_lists_what_goes_and_the_post_opens_the_new_draft_once(client, with_minutes, kommun_coordinator):
    sent_for_review(with_minutes)
    client.force_login(kommun_coordinator)
    page = client.get(follow_up_url(with_minutes)).content.decode()
    assert "Utse kontaktpersoner" in page and "Skicka lägesbilden" not in page and "Boka lokal" not in page
    token = page.split('name="form_token" value="')[1].split('"')[0]

    first = client.post(follow_up_url(with_minutes), {"form_token": token})
    second = client.post(follow_up_url(with_minutes), {"form_token": token})

    follow_up = Meeting.objects.get(follows=with_minutes)
    assert first.url == second.url == reverse("meeting_edit", args=[follow_up.pk])


def test_the_meeting_page_offers_the_follow_up_to_those_who_may_plan_it(
    client, with_minutes, kommun_coordinator, polis_coordinator
):
    client.force_login(kommun_coordinator)
    assert follow_up_url(with_minutes) in client.get(reverse("meeting_detail", args=[with_minutes.pk])).content.decode()
    client.force_login(polis_coordinator)
    assert (
        follow_up_url(with_minutes)
        not in client.get(reverse("meeting_detail", args=[with_minutes.pk])).content.decode()
    )


def test_each_meeting_page_shows_the_series_and_the_actions_carried(
    client, with_minutes, kommun, kommun_coordinator, polis_coordinator, polisen
):
    sent_for_review(with_minutes)
    follow_up = copies.plan_follow_up(meeting=with_minutes, by=kommun_coordinator, party=kommun)
    client.force_login(kommun_coordinator)
    for shown, other in ((with_minutes, follow_up), (follow_up, with_minutes)):
        page = client.get(reverse("meeting_detail", args=[shown.pk])).content.decode()
        assert "Mötesserie" in page
        assert reverse("meeting_detail", args=[other.pk]) in page
        series = page.split('id="series"')[1].split("</section>")[0]
        assert "Utse kontaktpersoner" in series and "öppen" in series
    # The police do not see the follow-up while it is a draft: for them there is no series yet.
    client.force_login(polis_coordinator)
    page = client.get(reverse("meeting_detail", args=[with_minutes.pk])).content.decode()
    assert "Mötesserie" not in page and reverse("meeting_detail", args=[follow_up.pk]) not in page
    # Once the action is done, the series says so where it is carried.
    minutes.set_action_status(action=with_minutes.open_action, party=polisen, by=polis_coordinator, status="done")
    client.force_login(kommun_coordinator)
    page = client.get(reverse("meeting_detail", args=[follow_up.pk])).content.decode()
    assert "klar" in page.split('id="series"')[1].split("</section>")[0]


def test_the_series_costs_the_same_queries_however_long_it_is(
    client, django_assert_num_queries, django_assert_max_num_queries, with_minutes, kommun, kommun_coordinator
):
    sent_for_review(with_minutes)
    first = copies.plan_follow_up(meeting=with_minutes, by=kommun_coordinator, party=kommun)
    client.force_login(kommun_coordinator)
    url = reverse("meeting_detail", args=[with_minutes.pk])
    client.get(url)
    with django_assert_max_num_queries(100) as short:
        client.get(url)
    # Three more meetings in the series, each carrying an action.
    earlier = first
    for _ in range(3):
        Meeting.objects.filter(pk=earlier.pk).update(status=Meeting.Status.HELD)
        earlier.refresh_from_db()
        earlier = copies.plan_follow_up(meeting=earlier, by=kommun_coordinator, party=kommun)
    action = Action.objects.get(pk=with_minutes.open_action.pk)
    for meeting in Meeting.objects.filter(series_start=with_minutes).exclude(pk=with_minutes.pk):
        AgendaItem.objects.create(meeting=meeting, title="Bärs vidare", proposed_by_party=kommun, carried_action=action)
    with django_assert_num_queries(len(short.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Bärs vidare") == 0 and page.count("Utse kontaktpersoner") >= 5
    assert Invitation.objects.filter(meeting=earlier).count() == Invitation.objects.filter(meeting=with_minutes).count()

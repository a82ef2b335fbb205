"""Who reaches a meeting's pages at all: anonymous users, outsiders, drafts hidden from invited parties, 403s.

Every refused request also proves that nothing changed: ``db_state()`` is a
snapshot of every row a meeting view could touch, taken before and after.
"""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from coordination.models import Event, Membership

from .views_support import MEETING_URLS, POST_ONLY, action_data, db_state, detail_url, forbidden, send, url_for

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")
Role = Membership.Role
UTC = datetime.UTC


# Anonymous users.


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", MEETING_URLS)
def test_anonymous_user_is_sent_to_the_login_page(client, scheduled_with_attendee, name, method):
    url = url_for(name, scheduled_with_attendee)
    before = db_state()

    response = send(client, method, url, action_data(name, scheduled_with_attendee))

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert target.path == reverse("login")
    assert parse_qs(target.query)["next"] == [url]
    assert db_state() == before


def test_anonymous_user_is_sent_to_the_login_page_from_my_meetings(client, db):
    response = client.get(reverse("my_meetings"))
    assert response.status_code == 302
    assert urlsplit(response.url).path == reverse("login")


# Who sees a meeting at all: outsiders get 404 everywhere, and drafts hide from invited parties.


def assert_hidden(response, meeting, name, method):
    """404 - or, for a GET on a POST-only URL, 405, which a meeting that does not exist gets too."""
    expected = 405 if method == "get" and name in POST_ONLY else 404
    assert response.status_code == expected
    assert meeting.title not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", MEETING_URLS)
@pytest.mark.parametrize("persona", ["outsider", "partyless"])
def test_a_user_outside_the_meeting_gets_404_on_every_meeting_url(
    client, request, scheduled_with_attendee, region, persona, name, method
):
    """Region Uppsala's coordinator (even acting for Region Uppsala) and an account without a party."""
    client.force_login(request.getfixturevalue(persona))
    url = url_for(name, scheduled_with_attendee, party=region)
    before = db_state()

    response = send(client, method, url, action_data(name, scheduled_with_attendee))

    assert_hidden(response, scheduled_with_attendee, name, method)
    assert db_state() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", MEETING_URLS)
@pytest.mark.parametrize("persona", ["polis_coordinator", "polis_member"])
def test_the_police_get_404_on_every_url_of_a_draft(client, request, draft_with_attendee, persona, name, method):
    client.force_login(request.getfixturevalue(persona))
    url = url_for(name, draft_with_attendee)  # the police's own party for answer and attendee URLs
    before = db_state()

    response = send(client, method, url, action_data(name, draft_with_attendee))

    assert_hidden(response, draft_with_attendee, name, method)
    assert db_state() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", MEETING_URLS)
@pytest.mark.parametrize("persona", ["polis_coordinator", "polis_member"])
def test_the_police_get_404_on_every_url_of_a_draft_cancelled_before_opening(
    client, request, cancelled_draft, persona, name, method
):
    """Cancelling does not open a draft: what the conveners wrote in it stays their own."""
    client.force_login(request.getfixturevalue(persona))
    url = url_for(name, cancelled_draft)
    before = db_state()

    response = send(client, method, url, action_data(name, cancelled_draft))

    assert_hidden(response, cancelled_draft, name, method)
    assert db_state() == before


def test_a_draft_cancelled_before_opening_is_not_on_the_polices_list(client, cancelled_draft, polis_member):
    client.force_login(polis_member)

    assert cancelled_draft.title not in client.get(reverse("my_meetings")).content.decode()


@pytest.mark.parametrize("persona", ["polis_coordinator", "polis_member", "polis_secretary"])
def test_the_police_still_see_a_meeting_cancelled_after_it_was_opened(
    client, request, cancelled_after_opening, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(detail_url(cancelled_after_opening))
    log = client.get(reverse("event_log", args=[cancelled_after_opening.pk]))

    assert response.status_code == 200
    assert cancelled_after_opening.title in response.content.decode()
    assert Event.Action.MEETING_CANCELLED in {event.action for event in log.context["events"]}
    assert cancelled_after_opening.title in client.get(reverse("my_meetings")).content.decode()


def test_a_meeting_cancelled_before_a_time_was_confirmed_has_no_calendar_file(
    client, cancelled_after_opening, kommun_coordinator
):
    """Without a confirmed time there is no event to download: refused, where it used to fail with a 500."""
    client.force_login(kommun_coordinator)

    response = client.get(reverse("meeting_ics", args=[cancelled_after_opening.pk]))

    assert forbidden(response)


@pytest.mark.parametrize("fixture", ["draft_meeting", "cancelled_draft"])
@pytest.mark.parametrize("persona", ["kommun_coordinator", "kommun_member", "lansstyrelsen_secretary"])
def test_members_of_a_convening_party_see_a_draft_cancelled_or_not(client, request, persona, fixture):
    draft_meeting = request.getfixturevalue(fixture)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(detail_url(draft_meeting))

    assert response.status_code == 200
    assert response.context["meeting"] == draft_meeting
    assert draft_meeting.title in response.content.decode()


@pytest.mark.parametrize("persona", ["polis_coordinator", "polis_member", "polis_secretary"])
def test_the_police_see_the_meeting_once_it_is_open_for_answers(client, request, meeting, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(detail_url(meeting))

    assert response.status_code == 200
    assert meeting.title in response.content.decode()


def test_the_dashboard_lists_a_meeting_only_for_its_parties(client, meeting, outsider, polis_member):
    client.force_login(outsider)
    assert meeting.title not in client.get(reverse("my_meetings")).content.decode()

    client.force_login(polis_member)
    assert meeting.title in client.get(reverse("my_meetings")).content.decode()


def test_the_event_log_is_shown_to_an_invited_party(client, meeting, polis_member):
    client.force_login(polis_member)

    response = client.get(reverse("event_log", args=[meeting.pk]))

    assert response.status_code == 200
    actions = {event.action for event in response.context["events"]}
    assert {Event.Action.MEETING_CREATED, Event.Action.SLOT_PROPOSED, Event.Action.POLLING_OPENED} <= actions


# Refusals of people who see the meeting but may not do this: 403 and nothing changes.

FORBIDDEN = [
    # url name, meeting fixture, persona
    ("meeting_edit", "meeting", "polis_coordinator"),
    ("meeting_edit", "meeting", "lansstyrelsen_secretary"),
    ("meeting_edit", "meeting", "kommun_member"),
    ("open_polling", "draft_meeting", "lansstyrelsen_secretary"),
    ("open_polling", "draft_meeting", "kommun_member"),
    ("propose_slots", "meeting", "polis_member"),
    ("propose_slots", "meeting", "polis_secretary"),
    ("propose_slots", "meeting", "kommun_member"),
    ("propose_slots", "meeting", "lansstyrelsen_secretary"),
    ("withdraw_slot", "meeting", "lansstyrelsen_coordinator"),
    ("withdraw_slot", "meeting", "polis_coordinator"),
    ("withdraw_slot", "meeting", "kommun_member"),
    ("confirm", "answered_meeting", "polis_coordinator"),
    ("confirm", "answered_meeting", "lansstyrelsen_secretary"),
    ("confirm", "answered_meeting", "kommun_member"),
    ("reschedule", "scheduled_meeting", "polis_coordinator"),
    ("reschedule", "scheduled_meeting", "lansstyrelsen_secretary"),
    ("reschedule", "scheduled_meeting", "kommun_member"),
    ("cancel", "meeting", "polis_coordinator"),
    ("cancel", "meeting", "lansstyrelsen_secretary"),
    ("cancel", "meeting", "kommun_member"),
    ("mark_held", "past_meeting", "polis_coordinator"),
    ("mark_held", "past_meeting", "lansstyrelsen_secretary"),
    ("mark_held", "past_meeting", "kommun_member"),
    ("attendee_confirm", "meeting_with_attendee", "polis_secretary"),
    ("attendee_confirm", "meeting_with_attendee", "kommun_coordinator"),
    ("attendee_confirm", "meeting_with_attendee", "lansstyrelsen_coordinator"),
    ("attendee_remove", "meeting_with_attendee", "polis_coordinator"),
    ("attendee_remove", "meeting_with_attendee", "lansstyrelsen_secretary"),
    ("attendee_remove", "meeting_with_attendee", "kommun_member"),
    ("event_log_csv", "meeting", "lansstyrelsen_secretary"),
    ("event_log_csv", "meeting", "polis_member"),
    ("event_log_json", "meeting", "lansstyrelsen_secretary"),
    ("event_log_json", "meeting", "kommun_coordinator"),
]


@pytest.mark.parametrize("name, meeting_fixture, persona", FORBIDDEN)
def test_a_party_member_without_the_right_is_refused_with_403(client, request, name, meeting_fixture, persona):
    the_meeting = request.getfixturevalue(meeting_fixture)
    client.force_login(request.getfixturevalue(persona))
    url = url_for(name, the_meeting)
    before = db_state()

    if name not in POST_ONLY:
        assert client.get(url).status_code == 403
    response = client.post(url, action_data(name, the_meeting))

    assert forbidden(response)
    assert db_state() == before


# A GET never changes anything.

SAFE_GETS = [
    # url name, meeting fixture, persona, status
    ("open_polling", "draft_meeting", "kommun_coordinator", 405),
    ("mark_held", "past_meeting", "kommun_coordinator", 405),
    ("attendee_confirm", "meeting_with_attendee", "lansstyrelsen_secretary", 405),
    ("withdraw_slot", "meeting", "kommun_coordinator", 200),
    ("attendee_remove", "meeting_with_attendee", "kommun_coordinator", 200),
    ("confirm", "answered_meeting", "kommun_coordinator", 200),
    ("reschedule", "scheduled_meeting", "kommun_coordinator", 200),
    ("cancel", "meeting", "kommun_coordinator", 200),
    ("meeting_edit", "meeting", "kommun_coordinator", 200),
    ("propose_slots", "meeting", "kommun_coordinator", 200),
    ("answer", "meeting", "polis_member", 200),
    ("attendee_create", "meeting", "polis_secretary", 200),
]


@pytest.mark.parametrize("name, meeting_fixture, persona, status", SAFE_GETS)
def test_a_get_never_changes_anything(client, request, name, meeting_fixture, persona, status):
    the_meeting = request.getfixturevalue(meeting_fixture)
    client.force_login(request.getfixturevalue(persona))
    before = db_state()

    response = client.get(url_for(name, the_meeting), action_data(name, the_meeting))

    assert response.status_code == status
    if status == 405:
        assert response["Allow"] == "POST"
    assert db_state() == before

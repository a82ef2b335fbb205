"""A change the rules refuse is answered the same way by every view: back to the meeting, with the reason.

The case behind it: the convener cancels the meeting while someone else posts
an agenda item, a position or a document. A post after the cancellation is
already refused by the rights (403); the one that passed the rights a moment
before the cancellation meets the service's rule instead. It must not be a
server error, and nothing may change.
"""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination.models import Event
from coordination.services import agenda, meetings
from coordination.views import agenda as agenda_views

from .agenda_support import add_item, db_state

AGENDA_CLOSED = "Mötet är inställt eller genomfört; dess dagordning kan inte längre ändras."


def proposed_item(f):
    return add_item(f("meeting"), f("polisen"), f("polis_coordinator"), "Lokalt poliskontor i Gottsunda")


def draft_position(f):
    item = proposed_item(f)
    return agenda.save_position(item=item, party=f("polisen"), by=f("polis_member"), text="Utkast", base_version=0)


def item_form(title):
    return {"title": title, "description": "", "presenting_party": "", "planned_minutes": 20}


# url name: f (the fixture by name) -> (who posts, the URL's arguments after the meeting, the form)
POSTS_TO_A_CANCELLED_MEETING = {
    "agenda_item_create": lambda f: (f("polis_member"), [], item_form("Kameror")),
    "agenda_item_edit": lambda f: (f("polis_coordinator"), [proposed_item(f).pk], item_form("Nytt namn")),
    "agenda_item_accept": lambda f: (f("kommun_coordinator"), [proposed_item(f).pk], {}),
    "agenda_item_decline": lambda f: (f("kommun_coordinator"), [proposed_item(f).pk], {"reason": "Inte nu"}),
    "position_edit": lambda f: (
        f("polis_member"),
        [proposed_item(f).pk, f("polisen").pk],
        {"text": "Polisens ståndpunkt", "base_version": 0},
    ),
    "position_share": lambda f: (f("polis_member"), [draft_position(f).pk], {}),
    "document_create": lambda f: (
        f("polis_coordinator"),
        [proposed_item(f).pk],
        {"file": SimpleUploadedFile("PM.txt", b"Promemoria.\n")},
    ),
}


@pytest.fixture
def cancelled_after_the_rights(monkeypatch, meeting, lansstyrelsen, lansstyrelsen_coordinator):
    """The county board cancels the meeting just after a view has looked up the user's rights in it."""
    looked_up = agenda_views.get_meeting_for_user

    def then_cancelled(*args, **kwargs):
        found = looked_up(*args, **kwargs)
        meetings.cancel_meeting(meeting=meeting, by=lansstyrelsen_coordinator, party=lansstyrelsen, reason="Löst")
        return found

    monkeypatch.setattr(agenda_views, "get_meeting_for_user", then_cancelled)


@pytest.mark.parametrize("name", POSTS_TO_A_CANCELLED_MEETING)
def test_a_change_to_the_agenda_of_a_meeting_cancelled_meanwhile_is_refused_with_a_message(
    client, request, documents_dir, meeting, name
):
    user, arguments, data = POSTS_TO_A_CANCELLED_MEETING[name](request.getfixturevalue)
    request.getfixturevalue("cancelled_after_the_rights")
    client.force_login(user)
    before = db_state()

    response = client.post(reverse(name, args=[meeting.pk, *arguments]), data)

    assert (response.status_code, response.url) == (302, reverse("meeting_detail", args=[meeting.pk]))
    assert [str(m) for m in get_messages(response.wsgi_request)] == [AGENDA_CLOSED]
    after = db_state()
    assert [action for _pk, action in after.pop("events")[len(before["events"]) :]] == [Event.Action.MEETING_CANCELLED]
    assert after == {key: rows for key, rows in before.items() if key != "events"}
    assert list(documents_dir.iterdir()) == []


def test_a_post_after_the_cancellation_is_refused_by_the_rights(
    client, meeting, polisen, polis_coordinator, kommun, kommun_coordinator
):
    item = add_item(meeting, polisen, polis_coordinator, "Lokalt poliskontor i Gottsunda")
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Frågan är löst")
    client.force_login(polis_coordinator)
    before = db_state()

    response = client.post(reverse("agenda_item_edit", args=[meeting.pk, item.pk]), item_form("Nytt namn"))

    assert response.status_code == 403
    assert db_state() == before

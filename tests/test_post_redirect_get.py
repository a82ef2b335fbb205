"""POST-redirect-GET everywhere (issue 6, item 4): every POST that changes something answers with a redirect.

A reload or the back button then repeats a harmless GET, never the change. The
table below has one successful POST for every URL that changes state; every
other URL is listed as one that only shows. A new URL in neither list fails.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone

from coordination import agenda, services
from coordination.models import Event, Slot
from coordination.urls import urlpatterns

from .agenda_support import add_item, attach
from .conftest import PASSWORD, future_time
from .test_views import answer_data, edit_data, slot_formset, slot_row

# URLs that only show something; a POST to them changes nothing.
SHOWING = {
    "my_meetings",
    "accessibility",
    "privacy",
    "healthz",
    "account",
    "feed",
    "meeting_detail",
    "event_log",
    "meeting_ics",
    "holds_ics",
    "kallelse",
    "agenda_item_detail",
    "position_versions",
    "document_download",
}


def url(name, *args):
    return reverse(name, args=args)


def item_of(f, *, accepted=False):
    meeting = f("meeting")
    convener = (f("kommun_coordinator"), f("kommun")) if accepted else None
    return add_item(meeting, f("kommun"), f("kommun_coordinator"), "Lokalt poliskontor", accept_by=convener)


def position_of(f, *, shared=False):
    item = item_of(f)
    position = agenda.save_position(item=item, party=f("polisen"), by=f("polis_member"), text="Utkast", base_version=0)
    if shared:
        position = agenda.set_position_shared(position=position, by=f("polis_member"), shared=True)
    return position


def named_attendee(f):
    meeting = f("meeting")
    return services.name_attendee(meeting=meeting, party=f("polisen"), by=f("polis_coordinator"), name="Rikspolischef")


def held_meeting_ready(f):
    """A scheduled meeting whose time has begun, so it can be marked as held."""
    meeting = f("scheduled_meeting")
    start = timezone.now() - datetime.timedelta(hours=1)
    Slot.objects.filter(pk=meeting.confirmed_slot_id).update(start=start, end=start + datetime.timedelta(hours=2))
    return meeting


def two_accepted_items(f):
    first = item_of(f, accepted=True)
    second = add_item(f("meeting"), f("kommun"), f("kommun_coordinator"), "Kameror", accept_by=(f("kommun_coordinator"), f("kommun")))
    return first, second


def upload(name="PM.txt"):
    return {"file": SimpleUploadedFile(name, b"Promemoria.\n")}


# url name: f (the fixture by name) -> (who posts, or None for a visitor; the URL; the form)
SUCCESSFUL_POSTS = {
    "login": lambda f: (None, url("login"), {"username": f("polis_member").username, "password": PASSWORD}),
    "logout": lambda f: (f("polis_member"), url("logout"), {}),
    "choose_language": lambda f: (f("polis_member"), url("choose_language"), {"language": "en", "next": "/"}),
    "feed_new": lambda f: (f("polis_member"), url("feed_new"), {}),
    "feed_revoke": lambda f: (f("polis_member"), url("feed_revoke"), {}),
    "meeting_create": lambda f: (f("kommun_coordinator"), url("meeting_create"), edit_data(f("meeting"), title="Ny")),
    "meeting_edit": lambda f: (
        f("kommun_coordinator"),
        url("meeting_edit", f("meeting").pk),
        edit_data(f("meeting"), location="Länsstyrelsen"),
    ),
    "open_polling": lambda f: (f("kommun_coordinator"), url("open_polling", f("draft_meeting").pk), {}),
    "propose_slots": lambda f: (
        f("polis_coordinator"),
        url("propose_slots", f("meeting").pk),
        slot_formset(slot_row(future_time(40)[0].date(), "13:00", "14:00")),
    ),
    "withdraw_slot": lambda f: (f("kommun_coordinator"), url("withdraw_slot", f("meeting").pk, f("slots")[0].pk), {}),
    "confirm": lambda f: (
        f("kommun_coordinator"),
        url("confirm", f("answered_meeting").pk, f("slots")[0].pk),
        {"reason": ""},
    ),
    "answer": lambda f: (f("polis_member"), url("answer", f("meeting").pk, f("polisen").pk), answer_data(f("meeting"))),
    "reschedule": lambda f: (
        f("kommun_coordinator"),
        url("reschedule", f("scheduled_meeting").pk),
        {"target": "polling", "reason": "Ordföranden är förhindrad"},
    ),
    "cancel": lambda f: (f("kommun_coordinator"), url("cancel", f("meeting").pk), {"reason": "Frågan är löst"}),
    "mark_held": lambda f: (f("kommun_coordinator"), url("mark_held", held_meeting_ready(f).pk), {}),
    "remind": lambda f: (f("kommun_coordinator"), url("remind", f("meeting").pk), {}),
    "attendee_create": lambda f: (
        f("polis_coordinator"),
        url("attendee_create", f("meeting").pk, f("polisen").pk),
        {"user": "", "name": "Rikspolischef", "email": "", "title": "", "kind": "principal"},
    ),
    "attendee_remove": lambda f: (
        f("polis_coordinator"),
        url("attendee_remove", f("meeting").pk, named_attendee(f).pk),
        {},
    ),
    "attendee_confirm": lambda f: (
        f("lansstyrelsen_secretary"),
        url("attendee_confirm", f("meeting").pk, named_attendee(f).pk),
        {},
    ),
    "agenda_item_create": lambda f: (
        f("polis_member"),
        url("agenda_item_create", f("meeting").pk),
        {"title": "Kameror", "description": "", "presenting_party": "", "planned_minutes": 20},
    ),
    "agenda_item_edit": lambda f: (
        f("kommun_coordinator"),
        url("agenda_item_edit", f("meeting").pk, item_of(f).pk),
        {"title": "Poliskontor i Gottsunda", "description": "", "presenting_party": "", "planned_minutes": 30},
    ),
    "agenda_item_accept": lambda f: (f("kommun_coordinator"), url("agenda_item_accept", f("meeting").pk, item_of(f).pk), {}),
    "agenda_item_decline": lambda f: (
        f("kommun_coordinator"),
        url("agenda_item_decline", f("meeting").pk, item_of(f).pk),
        {"reason": "Tas upp vid nästa möte"},
    ),
    "agenda_item_up": lambda f: (f("kommun_coordinator"), url("agenda_item_up", f("meeting").pk, two_accepted_items(f)[1].pk), {}),
    "agenda_item_down": lambda f: (
        f("kommun_coordinator"),
        url("agenda_item_down", f("meeting").pk, two_accepted_items(f)[0].pk),
        {},
    ),
    "document_create": lambda f: (f("kommun_coordinator"), url("document_create", f("meeting").pk, item_of(f).pk), upload()),
    "document_replace": lambda f: (
        f("kommun_coordinator"),
        url("document_replace", f("meeting").pk, attach(item_of(f), f("kommun"), f("kommun_coordinator"), "PM.txt", b"1\n").pk),
        upload(),
    ),
    "position_edit": lambda f: (
        f("polis_member"),
        url("position_edit", f("meeting").pk, item_of(f).pk, f("polisen").pk),
        {"text": "Polisens ståndpunkt", "base_version": 0},
    ),
    "position_share": lambda f: (f("polis_member"), url("position_share", f("meeting").pk, position_of(f).pk), {}),
    "position_withdraw": lambda f: (
        f("polis_member"),
        url("position_withdraw", f("meeting").pk, position_of(f, shared=True).pk),
        {},
    ),
    "position_document_create": lambda f: (
        f("polis_member"),
        url("position_document_create", f("meeting").pk, position_of(f).pk),
        upload(),
    ),
}


def test_every_url_either_changes_state_with_a_redirect_below_or_only_shows():
    names = {pattern.name for pattern in urlpatterns if isinstance(pattern, URLPattern)}
    assert names - SHOWING - SUCCESSFUL_POSTS.keys() == set(), "a URL without a row in this module"
    assert SUCCESSFUL_POSTS.keys() & SHOWING == set()
    assert (SUCCESSFUL_POSTS.keys() | SHOWING) - names == set(), "a row for a URL that no longer exists"


@pytest.mark.parametrize("name", SUCCESSFUL_POSTS)
def test_a_successful_post_redirects_to_a_page_that_shows_the_result(db, client, request, name):
    user, target, data = SUCCESSFUL_POSTS[name](request.getfixturevalue)
    if user is not None:
        client.force_login(user)
    events = Event.objects.count()

    response = client.post(target, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"] == []
    if target.startswith("/meetings/"):
        assert Event.objects.count() > events, "the POST changed nothing"
    assert client.get(response.url).status_code == 200

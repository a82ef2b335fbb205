"""POST-redirect-GET everywhere (issue 6, item 4): every POST that changes something answers with a redirect.

A reload or the back button then repeats a harmless GET, never the change. The
table below has one successful POST for every URL that changes state; every
other URL is listed as one that only shows. A new URL in neither list fails.
"""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination import two_factor
from coordination.models import CalendarReply, Event, Hold, OutboxMessage, Slot
from coordination.services import agenda, attendance, guests, minutes, people, review
from coordination.urls import urlpatterns

from .agenda_support import add_item, attach
from .builders import (
    PASSWORD,
    answer_data,
    current_code,
    edit_data,
    future_time,
    next_weekday,
    queued_mail,
    slot_formset,
    slot_row,
)

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
    "kallelse_pdf",
    "agenda_item_detail",
    "position_versions",
    "document_download",
    "password_reset_done",
    "password_reset_complete",
    "party_people",
    "guest_meeting",
    "guest_ics",
    "guest_document",
    "minutes",
    "minutes_versions",
    "minutes_print",
    "minutes_pdf",
}

# POSTs on a meeting that change only the user's own bookkeeping, not the meeting, so they write no event.
OWN_BOOKKEEPING = {"hold_times"}

# POSTs that answer with a file: the export of the log is itself logged, so it is a POST, and the
# browser saves the file without leaving the page, so there is nothing for a reload to repeat.
DOWNLOADS = {"event_log_csv", "event_log_json", "diarium_package"}

# The way to an identity provider and back: GETs by the protocol (redirects between two sites, with
# state, nonce and PKCE against a forged return); a POST is refused with 405.
SINGLE_SIGN_ON = {"sso_login", "sso_callback"}


def url(name, *args):
    return reverse(name, args=args)


def item_of(f, *, accepted=False):
    meeting = f("meeting")
    convener = (f("kommun_coordinator"), f("kommun")) if accepted else None
    return add_item(meeting, f("polisen"), f("polis_coordinator"), "Lokalt poliskontor", accept_by=convener)


def position_of(f, *, shared=False):
    item = item_of(f)
    position = agenda.save_position(item=item, party=f("polisen"), by=f("polis_member"), text="Utkast", base_version=0)
    if shared:
        position = agenda.set_position_shared(position=position, by=f("polis_member"), shared=True)
    return position


def named_attendee(f):
    meeting = f("meeting")
    return attendance.name_attendee(
        meeting=meeting, party=f("polisen"), by=f("polis_coordinator"), name="Rikspolischef"
    )


def confirmed_attendee(f):
    return attendance.confirm_attendance(
        attendee=named_attendee(f), by=f("lansstyrelsen_secretary"), party=f("lansstyrelsen")
    )


def given_up_mail(f):
    return queued_mail(f("meeting"), "rikspolischef@polisen.exmaple", failed_at=timezone.now(), failure="bad_address")


def proposed_from_a_calendar(f):
    """Another time an attendee proposed from their calendar (Outlook's "propose new time")."""
    start, end = future_time(40, hour=13)
    outcome = CalendarReply.Outcome.COUNTER
    return CalendarReply.objects.create(meeting=f("meeting"), outcome=outcome, proposed_start=start, proposed_end=end)


def held_meeting_ready(f):
    """A scheduled meeting whose time has begun, so it can be marked as held."""
    meeting = f("scheduled_meeting")
    start = timezone.now() - datetime.timedelta(hours=1)
    Slot.objects.filter(pk=meeting.confirmed_slot_id).update(start=start, end=start + datetime.timedelta(hours=2))
    return meeting


def minutes_agreement(f):
    held = f("held")
    return minutes.add_agreement(
        meeting=held,
        item=held.items[0],
        party=f("lansstyrelsen"),
        by=f("lansstyrelsen_secretary"),
        text="Samverka",
        parties=[f("kommun")],
    )


def minutes_action(f):
    held = f("held")
    return minutes.add_action(
        meeting=held,
        item=held.items[0],
        party=f("lansstyrelsen"),
        by=f("lansstyrelsen_secretary"),
        what="Rapportera",
        owner_party=f("polisen"),
        due_on=datetime.date(2026, 12, 1),
    )


def approved_minutes(f):
    """The held dialogue's minutes, sent for review and approved by each party's coordinators."""
    meeting = f("under_review")
    for party, user in (
        (f("kommun"), f("kommun_coordinator")),
        (f("lansstyrelsen"), f("lansstyrelsen_coordinator")),
        (f("polisen"), f("polis_coordinator")),
    ):
        review.approve(meeting=meeting, party=party, by=user, version=1)
    return meeting


def two_accepted_items(f):
    first = item_of(f, accepted=True)
    second = add_item(
        f("meeting"), f("kommun"), f("kommun_coordinator"), "Kameror", accept_by=(f("kommun_coordinator"), f("kommun"))
    )
    return first, second


def guest_of(f, **fields):
    return guests.add_guest(
        meeting=f("meeting"), party=f("polisen"), by=f("polis_coordinator"), name="Eva", email="eva@x.example", **fields
    )


def link_of(guest):
    return re.search(r"/guest/[^/\s]+/", OutboxMessage.objects.filter(kind="guest_link").latest("pk").text).group()


def guest_code_asked(f, **fields):
    """A guest's link opened and a code asked for, in the test's browser; returns the mailed code."""
    f("client").post(link_of(guest_of(f, **fields)))
    return re.search(r"^\d{6}$", OutboxMessage.objects.filter(kind="guest_code").latest("pk").text, re.M).group()


def guest_signed_in(f):
    """A guest allowed to answer for the police, signed in with the code in the test's browser."""
    f("client").post(url("guest_code"), {"code": guest_code_asked(f, may_answer=True)})
    return f("meeting")


def pending_code_login(f):
    """Log in with the password of a user who has two-factor login; the code is what the POST gives."""
    device = TOTPDevice.objects.create(user=f("polis_member"), name="TOTP", confirmed=True)
    f("client").post(url("login"), {"username": f("polis_member").username, "password": PASSWORD})
    return device


def reset_link_followed(f):
    """Open the link of a password reset mail; Django then asks for the new password at a URL of its own."""
    user = f("polis_member")
    link = url(
        "password_reset_confirm", urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    )
    return f("client").get(link).url


def activation_link_followed(f):
    """Open the activation link of a person just invited; Django's view asks for the password at a URL of its own."""
    person = people.invite_person(
        request=None,
        party=f("polisen"),
        by=f("polis_coordinator"),
        person="Ny",
        email="ny@polisen.example",
        role="member",
    ).user
    return f("client").get(people.activation_url(person).removeprefix(settings.SITE_URL)).url


def started_device(f):
    two_factor.start_setup(f("polis_member"))
    return two_factor.started_device(f("polis_member"))


def upload(name="PM.txt"):
    return {"file": SimpleUploadedFile(name, b"Promemoria.\n")}


# url name: f (the fixture by name) -> (who posts, or None for a visitor; the URL; the form)
SUCCESSFUL_POSTS = {
    "login": lambda f: (None, url("login"), {"username": f("polis_member").username, "password": PASSWORD}),
    "login_code": lambda f: (None, url("login_code"), {"code": current_code(pending_code_login(f))}),
    "logout": lambda f: (f("polis_member"), url("logout"), {}),
    "password_reset": lambda f: (None, url("password_reset"), {"email": "nobody@polisen.example"}),
    "password_reset_confirm": lambda f: (
        None,
        reset_link_followed(f),
        {"new_password1": "ett-nytt-langt-losenord", "new_password2": "ett-nytt-langt-losenord"},
    ),
    "password_change": lambda f: (
        f("polis_member"),
        url("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "ett-nytt-langt-losenord",
            "new_password2": "ett-nytt-langt-losenord",
        },
    ),
    "activate": lambda f: (
        None,
        activation_link_followed(f),
        {"new_password1": "ett-nytt-langt-losenord", "new_password2": "ett-nytt-langt-losenord"},
    ),
    "person_invite": lambda f: (
        f("polis_coordinator"),
        url("person_invite", f("polisen").pk),
        {"name": "Berg, Örjan", "email": "orjan.berg@polisen.example", "role": "member", "title": ""},
    ),
    "membership_role": lambda f: (
        f("polis_coordinator"),
        url("membership_role", f("polis_member").memberships.get().pk),
        {"role": "secretary"},
    ),
    "membership_remove": lambda f: (
        f("polis_coordinator"),
        url("membership_remove", f("polis_member").memberships.get().pk),
        {},
    ),
    "new_party": lambda f: (
        f("kommun_coordinator"),
        url("new_party", f("meeting").pk),
        {"party_name": "Region Uppsala", "short_name": "", "person": "Ekström, Åsa", "email": "asa@region.example"},
    ),
    "two_factor_start": lambda f: (f("polis_member"), url("two_factor_start"), {}),
    "two_factor_setup": lambda f: (
        f("polis_member"),
        url("two_factor_setup"),
        {"code": current_code(started_device(f))},
    ),
    "two_factor_remove": lambda f: (
        f("polis_member"),
        url("two_factor_remove"),
        {"code": current_code(pending_code_login(f))},
    ),
    "choose_language": lambda f: (f("polis_member"), url("choose_language"), {"language": "en", "next": "/"}),
    "feed_new": lambda f: (f("polis_member"), url("feed_new"), {}),
    "feed_revoke": lambda f: (f("polis_member"), url("feed_revoke"), {}),
    "notice_preferences": lambda f: (
        f("polis_member"),
        url("notice_preferences"),
        {
            "open_for_answers": "digest",
            "all_answered": "never",
            "agenda_proposed": "digest",
            "position_shared": "never",
            "minutes_commented": "digest",
        },
    ),
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
        slot_formset(slot_row(next_weekday(40), "13:00", "14:00")),
    ),
    "add_proposed_time": lambda f: (
        f("kommun_coordinator"),
        url("add_proposed_time", f("meeting").pk, proposed_from_a_calendar(f).pk),
        {},
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
    "meeting_copy": lambda f: (f("kommun_coordinator"), url("meeting_copy", f("cancelled_draft").pk), {}),
    "mark_held": lambda f: (f("kommun_coordinator"), url("mark_held", held_meeting_ready(f).pk), {}),
    "remind": lambda f: (f("kommun_coordinator"), url("remind", f("meeting").pk), {}),
    "hold_times": lambda f: (f("polis_member"), url("hold_times", f("meeting").pk), {}),
    "resend_mail": lambda f: (
        f("kommun_coordinator"),
        url("resend_mail", f("meeting").pk, given_up_mail(f).pk),
        {"email": "rikspolischef@polisen.example"},
    ),
    "registration_number": lambda f: (
        f("polis_secretary"),
        url("registration_number", f("meeting").pk, f("polisen").pk),
        {"registration_number": "A123.456/2026"},
    ),
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
    "attendee_unconfirm": lambda f: (
        f("lansstyrelsen_secretary"),
        url("attendee_unconfirm", f("meeting").pk, confirmed_attendee(f).pk),
        {},
    ),
    "attendees_confirm_party": lambda f: (
        f("lansstyrelsen_secretary"),
        url("attendees_confirm_party", f("meeting").pk, named_attendee(f).party_id),
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
    "agenda_item_accept": lambda f: (
        f("kommun_coordinator"),
        url("agenda_item_accept", f("meeting").pk, item_of(f).pk),
        {},
    ),
    "agenda_item_decline": lambda f: (
        f("kommun_coordinator"),
        url("agenda_item_decline", f("meeting").pk, item_of(f).pk),
        {"reason": "Tas upp vid nästa möte"},
    ),
    "agenda_item_up": lambda f: (
        f("kommun_coordinator"),
        url("agenda_item_up", f("meeting").pk, two_accepted_items(f)[1].pk),
        {},
    ),
    "agenda_item_down": lambda f: (
        f("kommun_coordinator"),
        url("agenda_item_down", f("meeting").pk, two_accepted_items(f)[0].pk),
        {},
    ),
    "document_create": lambda f: (
        f("kommun_coordinator"),
        url("document_create", f("meeting").pk, item_of(f).pk),
        upload(),
    ),
    "document_replace": lambda f: (
        f("kommun_coordinator"),
        url(
            "document_replace",
            f("meeting").pk,
            attach(item_of(f), f("kommun"), f("kommun_coordinator"), "PM.txt", b"1\n").pk,
        ),
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
    "guest_add": lambda f: (
        f("polis_coordinator"),
        url("guest_add", f("meeting").pk, f("polisen").pk),
        {"name": "Eva Expert", "email": "eva@expert.example"},
    ),
    "guest_revoke": lambda f: (
        f("polis_coordinator"),
        url("guest_revoke", f("meeting").pk, guest_of(f).pk),
        {},
    ),
    "minute_taker": lambda f: (
        f("kommun_coordinator"),
        url("minute_taker", f("held").pk),
        {"minute_taker": f("polis_member").memberships.get().pk},
    ),
    "minutes_entry": lambda f: (
        f("lansstyrelsen_secretary"),
        url("minutes_entry", f("held").pk, f("held").items[0].pk),
        {"text": "Polisen redogjorde för läget.", "base_version": 0},
    ),
    "minutes_presence": lambda f: (f("lansstyrelsen_secretary"), url("minutes_presence", f("held").pk), {}),
    "minutes_person_add": lambda f: (
        f("lansstyrelsen_secretary"),
        url("minutes_person_add", f("held").pk),
        {"name": "Kommundirektör", "party": f("kommun").pk},
    ),
    "agreement_create": lambda f: (
        f("lansstyrelsen_secretary"),
        url("agreement_create", f("held").pk, f("held").items[0].pk),
        {"text": "Gemensam lägesbild", "parties": [f("kommun").pk, f("polisen").pk]},
    ),
    "action_create": lambda f: (
        f("lansstyrelsen_secretary"),
        url("action_create", f("held").pk, f("held").items[0].pk),
        {"what": "Utse kontaktperson", "owner_party": f("polisen").pk, "due_on": "2026-12-01"},
    ),
    "decision_record": lambda f: (
        f("kommun_coordinator"),
        url("decision_record", f("held").pk, minutes_agreement(f).pk, f("kommun").pk),
        {"body": "kommunstyrelsen", "decided_on": "2026-12-01", "registration_number": "KS-2026/1"},
    ),
    "action_status": lambda f: (
        f("lansstyrelsen_secretary"),
        url("action_status", f("held").pk, minutes_action(f).pk),
        {"status": "done", "reason": ""},
    ),
    "minutes_reviewer": lambda f: (
        f("polis_coordinator"),
        url("minutes_reviewer", f("held").pk, f("polisen").pk),
        {"reviewer": f("polis_member").memberships.get().pk},
    ),
    "minutes_send": lambda f: (f("lansstyrelsen_secretary"), url("minutes_send", f("written").pk), {}),
    "minutes_take_back": lambda f: (
        f("lansstyrelsen_secretary"),
        url("minutes_take_back", f("under_review").pk),
        {"version": 1},
    ),
    "minutes_approve": lambda f: (
        f("polis_coordinator"),
        url("minutes_approve", f("under_review").pk, f("polisen").pk),
        {"version": 1},
    ),
    "minutes_comment": lambda f: (
        f("polis_coordinator"),
        url("minutes_comment", f("under_review").pk, f("under_review").items[0].pk, f("polisen").pk),
        {"text": "Skriv NOA i klartext", "version": 1},
    ),
    "minutes_correction": lambda f: (
        f("lansstyrelsen_secretary"),
        url("minutes_correction", approved_minutes(f).pk),
        {"agenda_item": "", "text": "Kommundirektören var också där."},
    ),
    "guest_link": lambda f: (None, link_of(guest_of(f)), {}),
    "guest_code": lambda f: (None, url("guest_code"), {"code": guest_code_asked(f)}),
    "guest_answer": lambda f: (None, url("guest_answer"), answer_data(guest_signed_in(f), value="yes", comment="")),
}


def test_every_url_either_changes_state_with_a_redirect_below_or_only_shows():
    names = {pattern.name for pattern in urlpatterns if isinstance(pattern, URLPattern)}
    listed = [SHOWING, DOWNLOADS, SINGLE_SIGN_ON, SUCCESSFUL_POSTS.keys()]
    assert names - set().union(*listed) == set(), "a URL without a row in this module"
    assert sum(len(names) for names in listed) == len(set().union(*listed)), "a URL in two lists"
    assert set().union(*listed) - names == set(), "a row for a URL that no longer exists"


@pytest.mark.parametrize("name", SUCCESSFUL_POSTS)
def test_a_successful_post_redirects_to_a_page_that_shows_the_result(db, client, request, name):
    user, target, data = SUCCESSFUL_POSTS[name](request.getfixturevalue)
    if user is not None:
        client.force_login(user)
    events = Event.objects.count()

    response = client.post(target, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"] == []
    if name in OWN_BOOKKEEPING:
        assert Hold.objects.exists(), "the POST changed nothing"
    elif target.startswith("/meetings/"):
        assert Event.objects.count() > events, "the POST changed nothing"
    assert client.get(response.url).status_code == 200

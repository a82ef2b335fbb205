"""Bad input never gives a 500: every form of the app, fed hostile values by Hypothesis.

Each test posts what a careless or malicious client could send, as a user who
may use the form, and accepts only three answers: the form again with an error
(200), a conflict page (409), or a save and a redirect (302) to a page that
shows the value escaped. Anything else — an exception, a 500, a database that
refuses a NUL byte, markup that comes out as markup — fails the test.

Every example runs inside a transaction that is rolled back, so each one starts
from the same meeting. The number of examples is fixed by the profile below
(``--hypothesis-show-statistics`` prints them); on CI the run is derandomised so
that it is the same run every time.
"""

import os
import re
from contextlib import contextmanager
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from coordination import documents
from coordination.models import Answer, Guest, OutboxMessage
from coordination.services import agenda, guests, meetings, minutes, people

from .builders import FROZEN_NOW, PASSWORD, answer_all, autumn_back, spring_forward

# The values are meant to be huge; Hypothesis need not warn that printing them is too.
pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

settings.register_profile(
    "samrad",
    max_examples=50,
    deadline=None,
    database=None,
    # Explaining a failure re-runs it hundreds of times; the shrunk example is explanation enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    # Fixtures are built once per test; the rollback below gives every example the same start.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("samrad-ci", parent=settings.get_profile("samrad"), derandomize=True)
# FUZZ_PROFILE=quick: a look at many forms at once while working, without shrinking what fails.
settings.register_profile("quick", parent=settings.get_profile("samrad"), phases=[Phase.generate])
settings.load_profile(os.environ.get("FUZZ_PROFILE") or ("samrad-ci" if os.environ.get("CI") else "samrad"))


# What people paste and what attackers type: control characters (PostgreSQL refuses NUL in text), bidi
# controls that turn text around, markup, template syntax, Markdown links to javascript:, header injection.
NASTY = [
    "\x00",
    "nul\x00byte",
    "\x1b[31mred\x1b[0m",
    "\x07\x08\x0b\x0c\x7f",
    "\u202etxt.exe\u202c",
    "\u200fمرحبا\u200e",
    "\u2066isolated\u2069",
    "\ufeffbom",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<samrad-fuzz>injected</samrad-fuzz>",
    "{{ request.user.password }}",
    "{% debug %}{% load static %}",
    "[klicka](javascript:alert(1))",
    "' OR '1'='1'; --",
    "../../etc/passwd",
    "line\r\n\r\nSet-Cookie: x=y",
    "😀" * 300,
    " ",
    "",
]
# Just under, at and over every length limit of the models and forms, and far beyond them.
LENGTHS = [60, 120, 199, 200, 201, 254, 255, 300, 301, 499, 500, 501, 2000, 2001, 5000, 5001, 20000, 20001, 200_000]


# Markdown that made Python-Markdown take a minute at 20,000 characters: unclosed brackets, images and links,
# emphasis runs, backticks, HTML-like text, nested quotes and lists (tests/test_markdown.py times each).
MARKDOWN_TRAPS = ["[", "![a", "[](", "[a](", "*_", "**a", "_a*", "`", "<a ", "<!--", "> ", "  - a\n", "1. ", "&#", "\\"]


def repeated_to(length, piece):
    return (piece * (length // len(piece) + 1))[:length]


def hostile_text():
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=200),
        st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=20)), max_size=6).map("".join),
        st.tuples(st.sampled_from(LENGTHS), st.sampled_from("aå<\x00\u202e😀")).map(lambda pair: pair[1] * pair[0]),
        st.tuples(st.sampled_from(LENGTHS), st.sampled_from(MARKDOWN_TRAPS)).map(lambda pair: repeated_to(*pair)),
    )


# Either side of the integer columns' ranges (32 and 64 bits), and "numbers" that only look like one.
EDGE_NUMBERS = [2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -1, 0]
ODD_NUMBERS = ["1e3", "NaN", "inf", "9" * 5000, "١٢", "²", "0x10", " 42 ", "4.5", "15", "600", "601"]


def hostile_number():
    return st.one_of(
        st.sampled_from([str(number) for number in EDGE_NUMBERS] + ODD_NUMBERS),
        st.integers(-(10**20), 10**20).map(str),
        hostile_text(),
    )


def hostile_date():
    return st.one_of(
        st.sampled_from(
            [
                "9999-12-31",
                "0001-01-01",
                "2027-02-29",
                "2028-02-29",
                "2027-03-28",
                "2027-10-31",
                "0000-00-00",
                "2027-13-01",
                "99999-01-01",
                "-2027-01-01",
            ]
        ),
        st.dates().map(str),
        hostile_text(),
    )


def hostile_time():
    return st.one_of(
        st.sampled_from(["02:30", "02:00", "03:00", "00:00", "23:59", "24:00", "25:61", "2:30 PM", "-01:00"]),
        st.times().map(lambda time: time.strftime("%H:%M")),
        hostile_text(),
    )


def hostile_choice(*valid):
    """One of the form's own choices, often, or anything at all."""
    return st.one_of(st.sampled_from([str(value) for value in valid]), hostile_number())


def post(client, url, data):
    """A form as a browser sends it, URL-encoded; lists are repeated keys."""
    body = urlencode(data, doseq=True)
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    response.too_big = len(body) > django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return response


def is_local(url):
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith(("//", "\\\\"))


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class Markup(HTMLParser):
    """The elements and attributes of a page, to find any that came from the input rather than the templates."""

    def __init__(self, html):
        super().__init__()
        self.problems = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag in ("samrad-fuzz", "iframe", "object", "embed", "img") or (tag == "script" and "src" not in names):
            self.problems.append(tag)
        self.problems += [f"{tag} {name}" for name in names if name.startswith("on")]
        self.problems += [
            f"{tag} {name}={value}"
            for name, value in attrs
            if name in ("href", "src", "action", "formaction")
            and (value or "").strip().lower().startswith("javascript:")
        ]


def assert_escaped(response):
    if "html" in response.get("Content-Type", ""):
        problems = Markup(response.content.decode()).problems
        assert not problems, problems


def has_form_errors(context):
    if "formset" in context:
        formset = context["formset"]
        # The time form's warnings (a Sunday, say) say what to look at just as errors do.
        return any(formset.errors) or bool(formset.non_form_errors()) or formset.has_warnings
    return bool(context["form"].errors)


def refused_as_too_big(response):
    """A form body over settings.DATA_UPLOAD_MAX_MEMORY_SIZE gets 400 before any view sees it (files do not count)."""
    too_big = getattr(response, "too_big", False)
    if too_big:
        assert response.status_code == 400
        event("answered 400 (request too big)")
    return too_big


def assert_handled(client, response):
    """A form error, a conflict, or a save whose page shows the value as text; a body over the limit is a 400."""
    if refused_as_too_big(response):
        return
    assert response.status_code in (200, 302, 409), response.status_code
    event(f"answered {response.status_code}")
    assert_escaped(response)
    if response.status_code == 200:
        assert has_form_errors(response.context), "a form came back without saying what is wrong"
    if response.status_code == 302:
        # The page it leads to, and the meeting's log, which shows every value before and after.
        meeting = re.match(r"/meetings/(\d+)/", response.url)
        for url in (response.url, *([reverse("event_log", args=[meeting.group(1)])] if meeting else [])):
            page = client.get(url)
            assert page.status_code == 200
            assert_escaped(page)


def mostly_valid(data, valid, hostile):
    """A valid form with one to three fields made hostile, so that most examples also reach the code that saves.

    Hostile values that pass validation (markup, template syntax, right-to-left
    marks, texts just at a length limit) then travel to the database and back to
    the pages, where they must come out as text.
    """
    names = data.draw(st.sets(st.sampled_from(sorted(hostile)), min_size=1, max_size=3), label="hostile fields")
    return {**valid, **{name: data.draw(hostile[name], label=name) for name in sorted(names)}}


def party_lists(parties):
    ids = [str(party.pk) for party in parties]
    return st.lists(st.one_of(st.sampled_from(ids), hostile_number()), max_size=3)


def meeting_form(data, convening, invited):
    valid = {
        "title": "Dialog om utökat samarbete",
        "purpose": "Stöd från NOA.",
        "location": "Stadshuset",
        "video_link": "",
        "duration_minutes": "120",
        "answer_deadline": "",
        "contact_name": "Samordnare, kommunledningskontoret",
        "contact_email": "samordnare@uppsala.example",
        "contact_phone": "018-727 00 00",
        "convening": [str(convening.pk)],
        "required_parties": [str(invited.pk)],
        "optional_parties": [],
    }
    hostile = {
        "title": hostile_text(),
        "purpose": hostile_text(),
        "location": hostile_text(),
        "video_link": st.one_of(
            st.sampled_from(["meet.example/x", "javascript:alert(1)", "https://x/\u202e"]), hostile_text()
        ),
        "duration_minutes": hostile_number(),
        "answer_deadline": hostile_date(),
        "contact_name": hostile_text(),
        "contact_email": hostile_email(),
        "contact_phone": hostile_text(),
        "convening": party_lists([convening, invited]),
        "required_parties": party_lists([convening, invited]),
        "optional_parties": party_lists([convening, invited]),
    }
    return mostly_valid(data, valid, hostile)


@given(data=st.data())
def test_creating_a_meeting_survives_any_input(client, kommun_coordinator, kommun, polisen, data):
    client.force_login(kommun_coordinator)
    with rolled_back():
        assert_handled(client, post(client, reverse("meeting_create"), meeting_form(data, kommun, polisen)))


@given(data=st.data())
def test_editing_a_meeting_survives_any_input(client, meeting, kommun_coordinator, kommun, polisen, data):
    client.force_login(kommun_coordinator)
    with rolled_back():
        assert_handled(
            client, post(client, reverse("meeting_edit", args=[meeting.pk]), meeting_form(data, kommun, polisen))
        )


# The days the clocks change in Stockholm, and the hour either side of it.
# From the frozen clock's next two years, so that they are always ahead of it and always the real changes.
DST_DAYS = [str(change(FROZEN_NOW.year + years)) for years in (1, 2) for change in (spring_forward, autumn_back)]
DST_TIMES = ["01:59", "02:00", "02:30", "02:59", "03:00", "03:30"]


@given(data=st.data())
def test_proposing_times_survives_any_input(client, meeting, kommun_coordinator, data):
    client.force_login(kommun_coordinator)
    # The clocks change on Sundays, which the form warns about: the valid post saves anyway.
    valid = {"slots-TOTAL_FORMS": "1", "slots-INITIAL_FORMS": "0", "save_anyway": "1"}
    hostile = {
        "slots-TOTAL_FORMS": hostile_choice(1, 2, 10, 11, 1010),
        "slots-INITIAL_FORMS": hostile_choice(0, 1),
        "save_anyway": hostile_choice("", "1"),
    }
    for index in range(2):
        valid.update({f"slots-{index}-date": DST_DAYS[index], f"slots-{index}-start_time": "10:00"})
        hostile.update(
            {
                f"slots-{index}-date": st.one_of(st.sampled_from(DST_DAYS), hostile_date()),
                f"slots-{index}-start_time": st.one_of(st.sampled_from(DST_TIMES), hostile_time()),
                f"slots-{index}-end_time": st.one_of(st.sampled_from(DST_TIMES), hostile_time()),
                f"slots-{index}-repeated_hour": hostile_choice("", "summer", "standard"),
            }
        )
    with rolled_back():
        assert_handled(
            client, post(client, reverse("propose_slots", args=[meeting.pk]), mostly_valid(data, valid, hostile))
        )


@given(data=st.data())
def test_answering_survives_any_input(client, meeting, slots, polisen, polis_member, data):
    client.force_login(polis_member)
    values = [value for value, _label in Answer.Value.choices]
    valid, hostile = {}, {}
    for slot in slots:
        valid.update({f"answer_{slot.pk}": "yes", f"comment_{slot.pk}": ""})
        hostile.update({f"answer_{slot.pk}": hostile_choice(*values), f"comment_{slot.pk}": hostile_text()})
    # Keys a tampered form could carry: slots that do not exist, and "numbers" Python reads differently.
    stray = data.draw(st.one_of(hostile_number(), st.sampled_from(["²", "١", "9" * 30, "-1", "0"])), label="stray slot")
    hostile[f"answer_{stray}"] = hostile_choice(*values)
    with rolled_back():
        assert_handled(
            client, post(client, reverse("answer", args=[meeting.pk, polisen.pk]), mostly_valid(data, valid, hostile))
        )


@pytest.fixture
def meeting_with_a_no(answered_meeting, polisen, polis_member):
    """The police cannot come: confirming needs a reason."""
    answer_all(answered_meeting, polisen, polis_member, Answer.Value.NO)
    return answered_meeting


@given(reason=hostile_text())
def test_confirming_survives_any_reason(client, meeting_with_a_no, slots, kommun_coordinator, reason):
    client.force_login(kommun_coordinator)
    with rolled_back():
        response = post(client, reverse("confirm", args=[meeting_with_a_no.pk, slots[0].pk]), {"reason": reason})
        assert_handled(client, response)


@given(data=st.data())
def test_rescheduling_survives_any_input(client, scheduled_meeting, slots, kommun_coordinator, data):
    client.force_login(kommun_coordinator)
    valid = {
        "target": "new",
        "new-date": DST_DAYS[0],
        "new-start_time": "10:00",
        "reason": "Landshövdingen är förhindrad.",
    }
    hostile = {
        "target": hostile_choice("polling", "new", *[slot.pk for slot in slots]),
        "reason": hostile_text(),
        "new-date": st.one_of(st.sampled_from(DST_DAYS), hostile_date()),
        "new-start_time": st.one_of(st.sampled_from(DST_TIMES), hostile_time()),
        "new-end_time": st.one_of(st.sampled_from(DST_TIMES), hostile_time()),
        "new-repeated_hour": hostile_choice("", "summer", "standard"),
    }
    with rolled_back():
        response = post(client, reverse("reschedule", args=[scheduled_meeting.pk]), mostly_valid(data, valid, hostile))
        assert_handled(client, response)


@given(reason=hostile_text())
def test_cancelling_survives_any_reason(client, meeting, kommun_coordinator, reason):
    client.force_login(kommun_coordinator)
    with rolled_back():
        assert_handled(client, post(client, reverse("cancel", args=[meeting.pk]), {"reason": reason}))


@given(token=st.one_of(st.uuids().map(str), hostile_text()))
def test_copying_a_meeting_survives_any_token(client, cancelled_after_opening, kommun_coordinator, token):
    client.force_login(kommun_coordinator)
    with rolled_back():
        url = reverse("meeting_copy", args=[cancelled_after_opening.pk])
        assert_handled(client, post(client, url, {"form_token": token}))


@pytest.fixture
def marked_held(held, kommun, kommun_coordinator):
    return meetings.mark_held(meeting=held, by=kommun_coordinator, party=kommun)


@given(token=st.one_of(st.uuids().map(str), hostile_text()))
def test_planning_a_follow_up_survives_any_token(client, marked_held, kommun_coordinator, token):
    client.force_login(kommun_coordinator)
    with rolled_back():
        url = reverse("meeting_follow_up", args=[marked_held.pk])
        assert_handled(client, post(client, url, {"form_token": token}))


@given(data=st.data())
def test_naming_an_attendee_survives_any_input(client, meeting, polisen, polis_coordinator, polis_member, data):
    client.force_login(polis_coordinator)
    membership = polis_member.memberships.get()
    valid = {
        "user": "",
        "name": "Rikspolischef",
        "email": "rikspolischef@polisen.example",
        "title": "",
        "kind": "principal",
    }
    hostile = {
        "user": hostile_choice(membership.pk),
        "name": hostile_text(),
        "email": st.one_of(
            st.emails(), hostile_text(), st.integers(250, 330).map(lambda n: "a" * (n - 12) + "@samrad.test")
        ),
        "title": hostile_text(),
        "kind": hostile_choice("principal", "deputy"),
    }
    with rolled_back():
        response = post(
            client, reverse("attendee_create", args=[meeting.pk, polisen.pk]), mostly_valid(data, valid, hostile)
        )
        assert_handled(client, response)


def hostile_email():
    return st.one_of(st.emails(), hostile_text(), st.integers(250, 330).map(lambda n: "a" * (n - 12) + "@samrad.test"))


@given(data=st.data())
def test_inviting_a_person_into_the_party_survives_any_input(client, polisen, polis_coordinator, kommun_member, data):
    client.force_login(polis_coordinator)
    valid = {"name": "Berg, Örjan", "email": "orjan.berg@polisen.example", "role": "member", "title": ""}
    hostile = {
        "name": hostile_text(),
        "email": st.one_of(hostile_email(), st.just(kommun_member.email)),
        "role": hostile_choice("member", "secretary", "coordinator"),
        "title": hostile_text(),
    }
    with rolled_back():
        response = post(client, reverse("person_invite", args=[polisen.pk]), mostly_valid(data, valid, hostile))
        assert_handled(client, response)


@given(role=hostile_choice("member", "secretary", "coordinator"))
def test_changing_a_role_survives_any_input(client, polis_coordinator, polis_member, role):
    client.force_login(polis_coordinator)
    with rolled_back():
        url = reverse("membership_role", args=[polis_member.memberships.get().pk])
        assert_handled(client, post(client, url, {"role": role}))


@given(data=st.data())
def test_bringing_in_a_new_party_survives_any_input(client, meeting, kommun_coordinator, polis_member, data):
    client.force_login(kommun_coordinator)
    valid = {
        "party_name": "Region Uppsala",
        "short_name": "Regionen",
        "required": "on",
        "person": "Ekström, Åsa",
        "email": "asa.ekstrom@region.example",
    }
    hostile = {
        "party_name": st.one_of(hostile_text(), st.just("Polismyndigheten")),
        "short_name": hostile_text(),
        "required": hostile_choice("on", ""),
        "person": hostile_text(),
        "email": st.one_of(hostile_email(), st.just(polis_member.email)),
    }
    with rolled_back():
        response = post(client, reverse("new_party", args=[meeting.pk]), mostly_valid(data, valid, hostile))
        assert_handled(client, response)


@pytest.fixture
def invited_person(polisen, polis_coordinator):
    return people.invite_person(
        request=None, party=polisen, by=polis_coordinator, person="Ny", email="ny@polisen.example", role="member"
    ).user


@given(password=hostile_text(), again=st.one_of(st.just(None), hostile_text()))
def test_choosing_the_first_password_survives_any_input(client, invited_person, password, again):
    link = people.activation_url(invited_person).removeprefix(django_settings.SITE_URL)
    with rolled_back():
        form = client.get(link).url
        response = post(
            client, form, {"new_password1": password, "new_password2": password if again is None else again}
        )
        assert_handled(client, response)
        client.logout()


def agenda_item_form(data, parties):
    valid = {"title": "Kameror för brottsutredning", "description": "", "presenting_party": "", "planned_minutes": "15"}
    hostile = {
        "title": hostile_text(),
        "description": hostile_text(),
        "presenting_party": hostile_choice(*[party.pk for party in parties]),
        "planned_minutes": hostile_number(),
    }
    return mostly_valid(data, valid, hostile)


@given(data=st.data())
def test_proposing_an_agenda_item_survives_any_input(client, meeting, polisen, kommun, polis_member, data):
    client.force_login(polis_member)
    with rolled_back():
        response = post(
            client, reverse("agenda_item_create", args=[meeting.pk]), agenda_item_form(data, [kommun, polisen])
        )
        assert_handled(client, response)


@pytest.fixture
def item(meeting, polisen, polis_member):
    """A topic the police proposed; the convener has not decided on it."""
    return agenda.propose_agenda_item(
        meeting=meeting, party=polisen, by=polis_member, title="Lokalt poliskontor i Gottsunda"
    )


@given(data=st.data())
def test_editing_an_agenda_item_survives_any_input(client, item, polisen, kommun, polis_member, data):
    client.force_login(polis_member)
    url = reverse("agenda_item_edit", args=[item.meeting_id, item.pk])
    with rolled_back():
        assert_handled(client, post(client, url, agenda_item_form(data, [kommun, polisen])))


@given(reason=hostile_text())
def test_declining_an_agenda_item_survives_any_reason(client, item, kommun_coordinator, reason):
    client.force_login(kommun_coordinator)
    with rolled_back():
        response = post(client, reverse("agenda_item_decline", args=[item.meeting_id, item.pk]), {"reason": reason})
        assert_handled(client, response)


@given(text=hostile_text(), base_version=st.one_of(st.just("1"), hostile_choice(0, 1, 2)))
def test_saving_a_position_survives_any_input(client, item, polisen, polis_member, text, base_version):
    client.force_login(polis_member)
    url = reverse("position_edit", args=[item.meeting_id, item.pk, polisen.pk])
    with rolled_back():
        agenda.save_position(
            item=item, party=polisen, by=polis_member, text="Vi ser behov av ett kontor.", base_version=0
        )
        assert_handled(client, post(client, url, {"text": text, "base_version": base_version}))


@given(data=st.data())
def test_marking_a_record_for_secrecy_survives_any_input(client, item, polisen, polis_coordinator, data):
    """The one secrecy form, on an item and on a position the police own; a stale version is a conflict (409)."""
    client.force_login(polis_coordinator)
    valid = {"secrecy": "covered", "provision": "OSL 18 kap. 1 §", "base_version": "0"}
    hostile = {
        "secrecy": hostile_choice("none", "review", "covered", ""),
        "provision": hostile_text(),
        "base_version": hostile_choice(0, 1),
    }
    with rolled_back():
        position = agenda.save_position(item=item, party=polisen, by=polis_coordinator, text="Utkast.", base_version=0)
        name, record = data.draw(st.sampled_from([("secrecy_item", item), ("secrecy_position", position)]))
        url = reverse(name, args=[item.meeting_id, record.pk])
        assert_handled(client, post(client, url, mostly_valid(data, valid, hostile)))


def multipart(filename, content):
    """A file upload as a hostile client can send it: the name as raw bytes, nothing escaped or checked."""
    boundary = "samrad-fuzz-boundary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'
    return head.encode() + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# Names that a browser or the desktop would run or render (issue 13), and names that are fine.
DANGEROUS_NAMES = ["x.js", "x.bat", "x.vbs", "x.hta", "x.url", "x.exe", "x.html", "x.htm", "x.svg", "x.xhtml"]
FILE_NAMES = ["../../x.txt", "C:\\temp\\a.pdf", 'q"uote.txt', "a\r\nb.txt", ".txt", "", "x.csv", "x.PDF", "x"]


@given(
    name=st.one_of(hostile_text(), st.sampled_from(FILE_NAMES + DANGEROUS_NAMES)),
    content=st.one_of(
        st.binary(max_size=2000),
        st.sampled_from(
            [
                b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
                b"<script>alert(1)</script>",
                b"\xef\xbb\xbf<html>",
                b"plain text\n",
                b"[InternetShortcut]\r\nURL=https://evil.example/\r\n",
                b"PK\x03\x04" + b"\x00" * 26 + b"AndroidManifest.xml",
            ]
        ),
    ),
)
@example(name="\u202etxt.exe", content=b"plain text\n")
@example(name="x.js", content=b"plain text\n")
@example(name="x.exe", content=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
def test_uploading_a_document_survives_any_file(client, item, polis_member, name, content):
    client.force_login(polis_member)
    body, content_type = multipart(name, content)
    with rolled_back():
        url = reverse("document_create", args=[item.meeting_id, item.pk])
        response = client.post(url, body, content_type=content_type)
        # A request whose multipart body cannot be read at all is a bad request.
        if response.status_code != 400:
            assert_handled(client, response)
        if response.status_code == 302:
            assert_downloads_safely(client, item.documents.get())


def assert_downloads_safely(client, document):
    """Stored only when the content and the name agree on an allowed type; downloaded only as an attachment."""
    kind = documents.ALLOWED_TYPES[document.content_type]
    assert documents.extension(document.original_name) in kind.extensions, document.original_name
    response = client.get(reverse("document_download", args=[document.agenda_item.meeting_id, document.pk]))
    assert response["Content-Type"] == document.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(
        r"""attachment; filename="[A-Za-z0-9 ()_.,+-]+"; filename\*=utf-8''[A-Za-z0-9%._~-]+""",
        response["Content-Disposition"],
    )


@given(
    language=hostile_choice("sv", "en"),
    next_url=st.one_of(st.sampled_from(["/", "//evil.example/", "javascript:alert(1)"]), hostile_text()),
)
def test_choosing_a_language_survives_any_input(client, kommun_member, language, next_url):
    client.force_login(kommun_member)
    with rolled_back():
        response = post(client, reverse("choose_language"), {"language": language, "next": next_url})
        if refused_as_too_big(response):
            return
        # Django's set_language answers with a redirect, to the page itself when "next" is not safe.
        assert response.status_code in (204, 302)
        if response.status_code == 302:
            assert is_local(response.url)


@given(
    username=st.one_of(st.just("kommun_member"), hostile_text()),
    password=st.one_of(st.just(PASSWORD), hostile_text()),
    next_url=st.one_of(st.just(""), st.sampled_from(["//evil.example/", "https://evil.example/"]), hostile_text()),
)
def test_logging_in_survives_any_input(client, kommun_member, username, password, next_url):
    with rolled_back():
        response = post(client, reverse("login"), {"username": username, "password": password, "next": next_url})
        if refused_as_too_big(response):
            return
        assert response.status_code in (200, 302)
        assert_escaped(response)
        if response.status_code == 302:
            assert (username, password) == ("kommun_member", PASSWORD)
            assert is_local(response.url)
        else:
            assert has_form_errors(response.context)
        client.logout()


@given(token=hostile_text())
def test_a_feed_address_of_any_shape_is_simply_not_found(client, db, token):
    with rolled_back():
        response = client.get(f"/feed/{quote(token, safe='')}/samrad.ics")
        assert response.status_code == 404


@given(older=hostile_number(), newer=hostile_number())
@example(older="²", newer="9" * 5000)
def test_comparing_position_versions_survives_any_numbers(client, item, polisen, polis_member, older, newer):
    client.force_login(polis_member)
    with rolled_back():
        position = agenda.save_position(item=item, party=polisen, by=polis_member, text="Första.", base_version=0)
        url = reverse("position_versions", args=[item.meeting_id, position.pk])
        response = client.get(url, {"from": older, "to": newer})
        assert response.status_code == 200
        assert_escaped(response)


@given(data=st.data())
def test_adding_a_guest_survives_any_input(client, meeting, polisen, polis_coordinator, data):
    client.force_login(polis_coordinator)
    valid = {"name": "Eva Expert", "email": "eva@expert.example", "may_answer": "on"}
    hostile = {
        "name": hostile_text(),
        "email": st.one_of(
            st.emails(), hostile_text(), st.integers(250, 330).map(lambda n: "a" * (n - 12) + "@samrad.test")
        ),
        "may_answer": hostile_text(),
    }
    with rolled_back():
        response = post(client, reverse("guest_add", args=[meeting.pk, polisen.pk]), mostly_valid(data, valid, hostile))
        assert_handled(client, response)


@given(number=hostile_text())
def test_setting_a_registration_number_survives_any_input(client, meeting, polisen, polis_secretary, number):
    client.force_login(polis_secretary)
    url = reverse("registration_number", args=[meeting.pk, polisen.pk])
    with rolled_back():
        assert_handled(client, post(client, url, {"registration_number": number}))


@given(token=hostile_text())
def test_a_guest_link_of_any_shape_is_refused_clearly(client, db, token):
    """Never a 500: a link that matches no guest is "not valid" (404); a few words are the guest pages' own."""
    with rolled_back():
        for method in (client.get, client.post):
            response = method(f"/guest/{quote(token, safe='')}/")
            assert response.status_code in (403, 404), response.status_code
            assert_escaped(response)


@given(code=st.one_of(st.from_regex(r"\A\d{6}\Z"), hostile_text()))
def test_entering_a_guest_code_survives_any_input(client, meeting, polisen, polis_coordinator, code):
    with rolled_back():
        guest = guests.add_guest(
            meeting=meeting, party=polisen, by=polis_coordinator, name="Eva Expert", email="eva@expert.example"
        )
        link = re.search(r"/guest/[^/\s]+/", OutboxMessage.objects.get(kind=OutboxMessage.Kind.GUEST_LINK).text)
        client.post(link.group())
        response = post(client, reverse("guest_code"), {"code": code})
        if refused_as_too_big(response):
            return
        assert response.status_code in (200, 302), response.status_code
        assert_escaped(response)
        failed = Guest.objects.get(pk=guest.pk).failed_codes
        if response.status_code == 200:
            assert has_form_errors(response.context)
            # A code of the right shape that is wrong counts towards the lock; anything else is only a form error.
            assert failed == (1 if re.fullmatch(r"\s*\d{6}\s*", code) else 0)
        else:
            assert failed == 0


# After the meeting: the minutes' forms, as the convening secretary who writes them.


@pytest.fixture
def minutes_writer(client, held, lansstyrelsen, lansstyrelsen_secretary):
    client.force_login(lansstyrelsen_secretary)
    return held


@given(text=hostile_text(), base_version=st.one_of(st.just("0"), hostile_choice(0, 1, 2)))
def test_writing_minutes_survives_any_input(client, minutes_writer, text, base_version):
    url = reverse("minutes_entry", args=[minutes_writer.pk, minutes_writer.items[0].pk])
    with rolled_back():
        assert_handled(client, post(client, url, {"text": text, "base_version": base_version}))


@given(present=st.lists(hostile_number(), max_size=3), name=hostile_text(), party=hostile_number())
def test_recording_who_was_present_survives_any_input(client, minutes_writer, kommun, present, name, party):
    with rolled_back():
        url = reverse("minutes_presence", args=[minutes_writer.pk])
        assert_handled(client, post(client, url, {"present": present + [str(minutes_writer.attendee.pk)]}))
        url = reverse("minutes_person_add", args=[minutes_writer.pk])
        assert_handled(client, post(client, url, {"name": name, "party": party or str(kommun.pk)}))


@given(data=st.data())
def test_recording_agreements_and_actions_survives_any_input(client, minutes_writer, kommun, polisen, data):
    item = minutes_writer.items[0]
    agreement = mostly_valid(
        data,
        {"text": "Gemensam lägesbild", "parties": [str(kommun.pk), str(polisen.pk)]},
        {"text": hostile_text(), "parties": party_lists([kommun, polisen])},
    )
    action = mostly_valid(
        data,
        {"what": "Utse kontaktperson", "owner_party": str(polisen.pk), "person": "", "due_on": "2026-12-01"},
        {
            "what": hostile_text(),
            "owner_party": hostile_choice(kommun.pk, polisen.pk),
            "person": hostile_text(),
            "due_on": hostile_date(),
        },
    )
    with rolled_back():
        assert_handled(client, post(client, reverse("agreement_create", args=[minutes_writer.pk, item.pk]), agreement))
        assert_handled(client, post(client, reverse("action_create", args=[minutes_writer.pk, item.pk]), action))


@given(data=st.data())
def test_recording_a_decision_and_an_action_status_survives_any_input(
    client, minutes_writer, lansstyrelsen, lansstyrelsen_secretary, polisen, data
):
    item = minutes_writer.items[0]
    decision = mostly_valid(
        data,
        {"body": "länsstyrelsens ledning", "decided_on": "2026-12-01", "registration_number": "LST-2026/1"},
        {"body": hostile_text(), "decided_on": hostile_date(), "registration_number": hostile_text()},
    )
    status = mostly_valid(
        data,
        {"status": "dropped", "reason": "Behövs inte längre"},
        {"status": hostile_choice("open", "done", "dropped"), "reason": hostile_text()},
    )
    with rolled_back():
        by = {"meeting": minutes_writer, "item": item, "party": lansstyrelsen, "by": lansstyrelsen_secretary}
        agreement = minutes.add_agreement(**by, text="Samverka", parties=[lansstyrelsen])
        action = minutes.add_action(**by, what="Rapportera", owner_party=polisen, due_on=FROZEN_NOW.date())
        url = reverse("decision_record", args=[minutes_writer.pk, agreement.pk, lansstyrelsen.pk])
        assert_handled(client, post(client, url, decision))
        url = reverse("action_status", args=[minutes_writer.pk, action.pk])
        assert_handled(client, post(client, url, status))


# Review (justering): the police's coordinator, who reviews for the police; the county board's secretary, who keeps
# the record.


@given(data=st.data())
def test_naming_a_reviewer_survives_any_input(client, held, polisen, polis_coordinator, polis_member, data):
    client.force_login(polis_coordinator)
    reviewer = data.draw(st.one_of(st.just(""), hostile_choice(polis_member.memberships.get().pk)), label="reviewer")
    with rolled_back():
        url = reverse("minutes_reviewer", args=[held.pk, polisen.pk])
        assert_handled(client, post(client, url, {"reviewer": reviewer}))


@given(data=st.data())
def test_reviewing_survives_any_input(client, under_review, polisen, polis_coordinator, data):
    client.force_login(polis_coordinator)
    item = under_review.items[0]
    comment = mostly_valid(
        data,
        {"text": "Skriv NOA i klartext", "version": "1"},
        {"text": hostile_text(), "version": hostile_choice(1, 2)},
    )
    version = data.draw(hostile_choice(1, 2), label="version")
    with rolled_back():
        url = reverse("minutes_comment", args=[under_review.pk, item.pk, polisen.pk])
        assert_handled(client, post(client, url, comment))
        assert_handled(
            client, post(client, reverse("minutes_approve", args=[under_review.pk, polisen.pk]), {"version": version})
        )


@given(data=st.data())
def test_taking_back_and_correcting_survive_any_input(
    client,
    under_review,
    approve_by_everyone,
    lansstyrelsen_secretary,
    data,
):
    client.force_login(lansstyrelsen_secretary)
    version = data.draw(hostile_choice(1, 2), label="version")
    correction = mostly_valid(
        data,
        {"agenda_item": "", "text": "Kommundirektören var också där."},
        {"agenda_item": hostile_choice(*[item.pk for item in under_review.items]), "text": hostile_text()},
    )
    with rolled_back():
        assert_handled(client, post(client, reverse("minutes_take_back", args=[under_review.pk]), {"version": version}))
    with rolled_back():
        approve_by_everyone(under_review)
        assert_handled(client, post(client, reverse("minutes_correction", args=[under_review.pk]), correction))

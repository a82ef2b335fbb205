"""The kallelse as an authority sends it: who sends it and when, whom to ask, each party's diarienummer, a clock
time per agenda item; and the same kallelse as a tagged PDF made on the server without the network."""

import datetime
import io
import sys

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

import coordination
from coordination.models import AgendaItem, Event, Invitation, Meeting
from coordination.overview import agenda_clock
from coordination.services import agenda, meetings
from coordination.times import STOCKHOLM

from .agenda_support import add_item
from .builders import create_meeting, pdf_module

pytestmark = pytest.mark.django_db


def test_the_items_follow_each_other_from_the_start_for_their_planned_minutes():
    start = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM)
    items = [AgendaItem(title=title, planned_minutes=minutes) for title, minutes in (("A", 20), ("B", 30), ("C", 15))]

    clock = [
        (item.title, f"{begin.astimezone(STOCKHOLM):%H:%M}", f"{end.astimezone(STOCKHOLM):%H:%M}")
        for item, begin, end in agenda_clock(start, items)
    ]

    assert clock == [("A", "10:00", "10:20"), ("B", "10:20", "10:50"), ("C", "10:50", "11:05")]


@pytest.fixture
def kallelse_meeting(scheduled_meeting, kommun, kommun_coordinator, polisen, polis_secretary):
    """The scheduled dialogue at 10:00 with three items of 20, 30 and 15 minutes, a contact and the police's dnr."""
    for title, minutes in (("Stöd från NOA", 20), ("Kameror för brottsutredning", 30), ("Poliskontor i Gottsunda", 15)):
        add_item(
            scheduled_meeting,
            kommun,
            kommun_coordinator,
            title,
            accept_by=(kommun_coordinator, kommun),
            minutes=minutes,
        )
    Meeting.objects.filter(pk=scheduled_meeting.pk).update(
        contact_name="Kanslichef Kommunledningskontoret",
        contact_email="kansli@uppsala.example",
        contact_phone="018-727 00 00",
    )
    meetings.set_registration_number(
        meeting=scheduled_meeting, party=polisen, by=polis_secretary, number="A123.456/2026"
    )
    return scheduled_meeting


def test_the_kallelse_names_its_senders_date_contact_registration_numbers_and_the_clock(
    client, kallelse_meeting, polis_member
):
    client.force_login(polis_member)

    page = client.get(reverse("kallelse", args=[kallelse_meeting.pk])).content.decode()

    confirmed = Event.objects.get(meeting=kallelse_meeting, action=Event.Action.SLOT_CONFIRMED).created_at
    assert f"<dt>Utfärdad</dt>\n        <dd>{confirmed.astimezone(STOCKHOLM):%Y-%m-%d}</dd>" in page
    assert '<ul class="authorities">\n          <li>Länsstyrelsen Uppsala län</li><li>Uppsala kommun</li>' in page
    assert (
        "Kanslichef Kommunledningskontoret" in page
        and "kansli@uppsala.example" in page
        and "Telefon 018-727 00 00" in page
    )
    assert "<dt>Dnr Polisen</dt>\n          <dd>A123.456/2026</dd>" in page
    for clock, title in (
        ("10.00–10.20", "Stöd från NOA"),
        ("10.20–10.50", "Kameror för brottsutredning"),
        ("10.50–11.05", "Poliskontor i Gottsunda"),
    ):
        assert f'<span class="clock">{clock}</span> {title}' in page
    assert f'href="{reverse("kallelse_pdf", args=[kallelse_meeting.pk])}"' in page
    assert "data-print hidden" in page


def test_before_a_time_is_confirmed_the_kallelse_is_not_yet_issued_and_has_no_clock(
    client, meeting, kommun, kommun_coordinator, polis_member
):
    add_item(meeting, kommun, kommun_coordinator, "Stöd från NOA", accept_by=(kommun_coordinator, kommun), minutes=20)
    client.force_login(polis_member)

    page = client.get(reverse("kallelse", args=[meeting.pk])).content.decode()

    assert "Inte utfärdad än: tiden är inte bestämd" in page
    assert 'class="clock"' not in page and "Stöd från NOA" in page


def test_a_new_meeting_names_its_creator_as_contact_until_the_conveners_name_another(
    client, kommun, polisen, kommun_coordinator
):
    meeting = create_meeting(kommun_coordinator, convening=[kommun], required=[polisen])
    assert (meeting.contact_name, meeting.contact_email) == (kommun_coordinator.first_name, kommun_coordinator.email)

    client.force_login(kommun_coordinator)
    form = client.get(reverse("meeting_create")).context["form"]
    assert (form.initial["contact_name"], form.initial["contact_email"]) == (
        kommun_coordinator.first_name,
        kommun_coordinator.email,
    )


def pdf_of(client, meeting):
    pdf_module()
    response = client.get(reverse("kallelse_pdf", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="kallelse-{meeting.pk}.pdf"'
    return PdfReader(io.BytesIO(response.content))


def test_the_pdf_is_the_kallelse_tagged_with_its_language_and_title(client, kallelse_meeting, polis_member):
    client.force_login(polis_member)

    reader = pdf_of(client, kallelse_meeting)

    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "sv"
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in catalog
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert reader.metadata.title == "Kallelse: Dialog om utökat samarbete – Samråd"
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "Länsstyrelsen Uppsala län Uppsala kommun",
        "Polismyndigheten",
        "Dnr Polisen A123.456/2026",
        "Kanslichef Kommunledningskontoret",
        "10.00–10.20 Stöd från NOA",
        "10.20–10.50 Kameror för brottsutredning",
        "10.50–11.05 Poliskontor i Gottsunda",
        "1 / 1",
    ):
        assert expected in text
    assert "Ladda ner som PDF" not in text and "Skriv ut" not in text


def test_the_pdf_is_in_english_for_an_english_reader(client, kallelse_meeting, polis_member):
    client.force_login(polis_member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    reader = pdf_of(client, kallelse_meeting)

    assert reader.trailer["/Root"]["/Lang"] == "en"
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Reg. no. Polisen A123.456/2026" in text and "10:00–10:20 Stöd från NOA" in text


def test_a_server_without_pango_says_so_in_swedish_and_sends_back_to_the_page(
    client, kallelse_meeting, polis_member, monkeypatch
):
    # As on a machine without Debian's Pango: WeasyPrint's import fails with OSError, which the app must not show.
    monkeypatch.delitem(sys.modules, "coordination.pdf", raising=False)
    monkeypatch.delattr(coordination, "pdf", raising=False)
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(polis_member)

    response = client.get(reverse("kallelse_pdf", args=[kallelse_meeting.pk]))

    assert response.status_code == 503
    text = response.content.decode()
    assert "PDF:en kan inte göras just nu" in text and "Traceback" not in text and "weasyprint" not in text.lower()
    assert f'href="/meetings/{kallelse_meeting.pk}/kallelse/"' in text


def test_the_pdf_is_only_for_those_who_see_the_kallelse(client, kallelse_meeting, outsider):
    client.force_login(outsider)
    assert client.get(reverse("kallelse_pdf", args=[kallelse_meeting.pk])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/samrad.css",
        "http://kallelse.invalid/static/samrad/kallelse.css",
        "{base}media/x.css",
        "{base}static/../samrad/settings.py",
        "{base}static/%2e%2e/manage.py",
        "{base}static/samrad/not-there.css",
        "file:///etc/passwd",
        "data:text/css,body{}",
    ],
)
def test_the_pdf_reads_no_address_but_the_apps_own_static_files(url):
    pdf = pdf_module()
    with pytest.raises(ValueError):
        pdf.StaticFilesOnly().fetch(url.replace("{base}", pdf.BASE_URL))


def test_the_pdf_reads_the_kallelse_stylesheet_from_disk():
    pdf = pdf_module()
    response = pdf.StaticFilesOnly().fetch(f"{pdf.BASE_URL}static/samrad/kallelse.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


# The diarienummer: each party's own.


def registration_url(meeting, party):
    return reverse("registration_number", args=[meeting.pk, party.pk])


@pytest.mark.parametrize("who", ["polis_secretary", "polis_coordinator"])
def test_a_partys_coordinator_or_secretary_sets_its_registration_number(client, meeting, polisen, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.post(registration_url(meeting, polisen), {"registration_number": " A123.456/2026 "})

    assert response.status_code == 302
    assert response["Location"] == reverse("meeting_detail", args=[meeting.pk]) + "#registration-numbers"
    assert Invitation.objects.get(meeting=meeting, party=polisen).registration_number == "A123.456/2026"
    event = Event.objects.get(meeting=meeting, action=Event.Action.REGISTRATION_NUMBER_SET)
    assert (event.party, event.actor, event.after) == (polisen, user, {"registration_number": "A123.456/2026"})


@pytest.mark.parametrize("who", ["polis_member", "kommun_coordinator", "lansstyrelsen_secretary", "outsider"])
def test_nobody_else_sets_a_partys_registration_number(client, meeting, polisen, who, request):
    client.force_login(request.getfixturevalue(who))

    response = client.post(registration_url(meeting, polisen), {"registration_number": "Fel-1"})

    assert response.status_code == (404 if who == "outsider" else 403)
    assert Invitation.objects.get(meeting=meeting, party=polisen).registration_number == ""


def test_the_meeting_page_offers_each_user_the_form_of_their_own_party_only(
    client, meeting, kommun, polisen, kommun_coordinator, polis_secretary
):
    meetings.set_registration_number(meeting=meeting, party=kommun, by=kommun_coordinator, number="KS 2026/17")
    client.force_login(polis_secretary)

    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()

    assert f'action="{registration_url(meeting, polisen)}"' in page
    assert f'action="{registration_url(meeting, kommun)}"' not in page
    assert "KS 2026/17" in page


def test_saving_the_same_number_again_writes_nothing(meeting, polisen, polis_secretary):
    assert meetings.set_registration_number(meeting=meeting, party=polisen, by=polis_secretary, number="A1")
    assert not meetings.set_registration_number(meeting=meeting, party=polisen, by=polis_secretary, number=" A1 ")
    assert Event.objects.filter(action=Event.Action.REGISTRATION_NUMBER_SET).count() == 1


def test_a_long_first_item_starts_on_the_first_page_and_every_page_is_numbered(
    client, kallelse_meeting, polisen, polis_member
):
    """An item longer than what is left of the first page breaks across pages rather than leave it half empty."""
    item = kallelse_meeting.agenda_items.get(title="Stöd från NOA")
    text = "\n\n".join(f"Stycke {n}: " + "Polisen behöver stöd från NOA i Gottsunda. " * 12 for n in range(1, 25))
    position = agenda.save_position(item=item, party=polisen, by=polis_member, text=text, base_version=0)
    agenda.set_position_shared(position=position, by=polis_member, shared=True)
    client.force_login(polis_member)

    reader = pdf_of(client, kallelse_meeting)

    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) > 1
    assert "10.00–10.20 Stöd från NOA" in pages[0] and "Stycke 1:" in pages[0]
    assert [page.endswith(f"{number} / {len(pages)}") for number, page in enumerate(pages, 1)] == [True] * len(pages)

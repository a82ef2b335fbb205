"""Minutes in a real headless Chromium: the county board's secretary writes them after the dialogue, every party
reviews them, the locked minutes print and download as PDF, and the follow-up meeting opens with the open
actions on its agenda."""

import io
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from coordination.models import Action, Agreement, Meeting, Minutes, OutboxMessage

from .builders import pdf_module

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "minutes"

AGREEMENTS = ("Gemensam lägesbild varje kvartal", "Ett lokalt poliskontor i Gottsunda")
ACTIONS = (
    (0, "Utse kontaktperson för NOA", "Polismyndigheten"),
    (0, "Sammanställ lägesbilden", "Länsstyrelsen Uppsala län"),
    (1, "Ta fram lokaler i Gottsunda", "Uppsala kommun"),
)


def write_the_minutes(secretary, held):
    """On the meeting page, the secretary opens the minutes: who was there, the first item's text, two agreements
    of all three parties and three actions."""
    secretary.go(f"/meetings/{held.pk}/")
    page = secretary.page
    page.get_by_role("link", name="Minnesanteckningar").click()
    secretary.check()

    page.get_by_role("link", name="Markera närvarande och frånvarande").click()
    page.get_by_label("Rikspolischef (Polisen)").check()
    page.get_by_role("button", name="Spara").click()

    page.get_by_role("link", name="Skriv minnesanteckningar för punkten").first.click()
    page.get_by_label("Minnesanteckningar").fill("Polisen redogjorde för **NOA:s** stöd.")
    page.get_by_role("button", name="Spara minnesanteckningar").click()

    for item_number, text in enumerate(AGREEMENTS):
        page.get_by_role("link", name="Lägg till överenskommelse").nth(item_number).click()
        page.get_by_label("Överenskommelse").fill(text)
        for party in ("Uppsala kommun", "Länsstyrelsen Uppsala län", "Polismyndigheten"):
            page.get_by_label(party, exact=True).check()
        page.get_by_role("button", name="Lägg till överenskommelse").click()

    for item_number, what, owner in ACTIONS:
        page.get_by_role("link", name="Lägg till åtgärd").nth(item_number).click()
        page.get_by_label("Vad").fill(what)
        page.get_by_label("Ansvarig part").select_option(label=owner)
        page.get_by_label("Klart senast").fill("2026-12-15")
        page.get_by_role("button", name="Lägg till åtgärd").click()


def test_the_secretary_writes_minutes_with_two_agreements_and_three_actions(
    people, held, lansstyrelsen_secretary, polis_member
):
    secretary = people(lansstyrelsen_secretary)
    write_the_minutes(secretary, held)
    page = secretary.page

    secretary.shot("minutes-written")
    assert page.get_by_text("NOA:s").is_visible()
    assert Agreement.objects.filter(minutes__meeting=held).count() == 2
    assert Action.objects.filter(minutes__meeting=held).count() == 3
    for _item, what, _owner in ACTIONS:
        assert page.get_by_role("cell", name=what, exact=True).is_visible()

    # The draft is the conveners' alone: the police do not reach it.
    police = people(polis_member)
    police.page.goto(f"{police.base}/meetings/{held.pk}/")
    assert police.page.get_by_role("link", name="Minnesanteckningar").count() == 0


def mailed_link(address):
    """The link in the latest mail asking ``address`` to review the minutes."""
    message = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MINUTES_REVIEW, recipient=address).latest("pk")
    return urlsplit(next(word for word in message.text.split() if "/minutes/" in word)).path


def approve(person, held, party):
    """A reviewer follows the link of their mail and approves for their party."""
    person.go(mailed_link(person.user.email))
    person.page.get_by_role("button", name=f"Justera för {party}").click()
    person.page.get_by_text(f"justerade minnesanteckningarna för {party}").or_(
        person.page.get_by_text("Alla parter har justerat minnesanteckningarna. De är låsta.")
    ).first.wait_for()


def test_every_party_reviews_the_minutes_and_the_locked_minutes_print_and_download_as_pdf(
    people,
    held,
    kommun_coordinator,
    lansstyrelsen_coordinator,
    lansstyrelsen_secretary,
    polis_coordinator,
    polis_member,
):
    secretary = people(lansstyrelsen_secretary)
    write_the_minutes(secretary, held)
    page = secretary.page

    # Sent for review: each party's coordinators are asked by mail, as no party named a reviewer of its own.
    page.get_by_role("button", name="Skicka för justering").click()
    page.get_by_text("Version 1 av minnesanteckningarna skickades för justering").wait_for()
    secretary.shot("sent-for-review")
    assert not page.get_by_role("link", name="Lägg till åtgärd").count()

    # The police's coordinator comments on the first item; the secretary takes the version back and revises it.
    police = people(polis_coordinator)
    police.user = polis_coordinator
    police.go(mailed_link(polis_coordinator.email))
    police.page.get_by_role("link", name="Kommentera för Polisen").first.click()
    police.page.get_by_label("Kommentar").fill("Skriv ut vad NOA står för.")
    police.page.get_by_role("button", name="Spara kommentar").click()
    police.page.get_by_text("Skriv ut vad NOA står för.").wait_for()
    police.shot("police-commented")

    secretary.go(f"/meetings/{held.pk}/minutes/")
    assert page.get_by_text("Skriv ut vad NOA står för.").is_visible()
    page.get_by_role("button", name="Ta tillbaka för revidering").click()
    page.get_by_role("link", name="Skriv minnesanteckningar för punkten").first.click()
    page.get_by_label("Minnesanteckningar").fill("Polisen redogjorde för stödet från Nationella operativa avdelningen.")
    page.get_by_role("button", name="Spara minnesanteckningar").click()
    page.get_by_role("button", name="Skicka för justering").click()
    page.get_by_text("Version 2 av minnesanteckningarna skickades för justering").wait_for()
    page.get_by_role("link", name="Versioner och ändringar").click()
    assert page.locator("del.diff-removed", has_text="NOA:s").is_visible()
    assert page.locator("ins.diff-added", has_text="Nationella operativa avdelningen").is_visible()
    secretary.shot("versions-compared")

    # All three parties approve version 2; the last approval locks the minutes.
    municipality, county_board = people(kommun_coordinator), people(lansstyrelsen_coordinator)
    municipality.user, county_board.user = kommun_coordinator, lansstyrelsen_coordinator
    approve(municipality, held, "Kommunen")
    approve(county_board, held, "Länsstyrelsen")
    approve(police, held, "Polisen")
    police.page.get_by_text("Alla parter har justerat minnesanteckningarna. De är låsta.").wait_for()
    police.shot("approved")
    assert Minutes.objects.get(meeting=held).is_approved

    # Every party now reads them, the police's member too, who reviewed nothing: the page to print, and the PDF.
    reader = people(polis_member)
    reader.go(f"/meetings/{held.pk}/")
    reader.page.get_by_role("link", name="Minnesanteckningar").click()
    reader.page.get_by_role("link", name="Utskrift").click()
    reader.check()
    reader.page.evaluate("window.print = () => { window.printed = true; }")
    reader.page.get_by_role("button", name="Skriv ut").click()
    assert reader.page.evaluate("window.printed") is True
    reader.shot("printable")
    pdf_module()
    with reader.page.expect_download() as download:
        reader.page.get_by_role("link", name="Ladda ner som PDF").click()
    assert download.value.suggested_filename == f"protokoll-{held.pk}.pdf"
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    for expected in (
        "Polisen redogjorde för stödet från Nationella operativa avdelningen.",
        *AGREEMENTS,
        *(what for _item, what, _owner in ACTIONS),
        "Rikspolischef",
        "Justerat av",
    ):
        assert expected in text, expected
    assert "NOA:s" not in text

    # The municipality marks the dialogue held and plans the follow-up: the open actions and the item the minutes
    # left unwritten are its agenda, and both meetings show the series.
    municipality.go(f"/meetings/{held.pk}/")
    municipality.page.get_by_role("button", name="Markera som genomfört").click()
    municipality.page.get_by_role("link", name="Planera uppföljande möte").click()
    municipality.page.wait_for_url("**/follow-up/")
    municipality.check()
    for _item, what, _owner in ACTIONS:
        assert municipality.page.get_by_text(what).is_visible()
    municipality.shot("follow-up-planned")
    municipality.page.get_by_role("button", name="Skapa det uppföljande mötet").click()
    municipality.page.wait_for_url("**/edit/")
    follow_up = Meeting.objects.get(follows=held)
    municipality.go(f"/meetings/{follow_up.pk}/")
    agenda = municipality.page.locator("#agenda").inner_text()
    for _item, what, _owner in ACTIONS:
        assert f"Uppföljning: {what}" in agenda
    assert "Lokalt poliskontor i Gottsunda" in agenda
    series = municipality.page.locator("#series").inner_text()
    assert held.title in series and "Utse kontaktperson för NOA" in series
    municipality.shot("follow-up-meeting")

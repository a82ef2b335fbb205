"""The agenda journey in a real headless Chromium, against the live server.

The police propose an agenda item → the convener accepts it and moves it up to
first place → the county board writes a draft position on it, attaches a PDF
and shares it → the municipality reads the position on the meeting page and in
the kallelse, with the PDF's name and SHA-256; the police, who could not see
the draft, see the shared position. Screenshots land in test-artifacts/.

Selectors are form actions, links and input names: the Swedish texts of the
agenda pages are still being translated.
"""

import hashlib
from pathlib import Path

import pytest

from coordination.models import AgendaItem, Document, Position
from coordination.services import agenda, meetings

from .builders import create_meeting, future_time

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "agenda"

ITEM_TITLE = "Lokalt poliskontor i Gottsunda"
EXISTING_TITLE = "Stöd från Nationella operativa avdelningen (NOA)"
DRAFT_TEXT = "Länsstyrelsen stöder ett lokalt poliskontor i Gottsunda och bidrar med lokaler från hösten."
PDF_NAME = "underlag-gottsunda.pdf"


def small_pdf():
    """A one-page PDF with a correct cross-reference table: starts with %PDF-1.4, ends with %%EOF."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    pdf = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF" % (len(objects) + 1, xref)
    return pdf


def agenda_order(person):
    """The accepted items' ids in the order the meeting page shows them."""
    return person.page.locator("#agenda ol.agenda > li").evaluate_all("items => items.map(item => item.id)")


def test_a_party_proposes_an_item_and_the_county_board_shares_its_position_with_a_document(
    people,
    documents_root,
    tmp_path,
    kommun,
    lansstyrelsen,
    polisen,
    kommun_coordinator,
    lansstyrelsen_secretary,
    polis_member,
):
    meeting = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen])
    meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(14)])
    meetings.open_polling(meeting=meeting, by=kommun_coordinator, party=kommun)
    # The convener's own item is on the agenda as soon as it is proposed.
    existing = agenda.propose_agenda_item(
        meeting=meeting, party=kommun, by=kommun_coordinator, title=EXISTING_TITLE, planned_minutes=30
    )
    meeting_page = f"/meetings/{meeting.pk}/"

    # A member of the police proposes an item, to be presented by the police.
    police = people(polis_member)
    police.go(meeting_page)
    police.page.click(f"a[href='/meetings/{meeting.pk}/agenda/new/']")
    police.page.fill("input[name='title']", ITEM_TITLE)
    police.page.fill("textarea[name='description']", "Var, när och med vilken bemanning.")
    police.page.select_option("select[name='presenting_party']", value=str(polisen.pk))
    police.page.fill("input[name='planned_minutes']", "20")
    police.shot("police-proposes-item")
    police.page.click("main button[type=submit]")
    item = AgendaItem.objects.get(meeting=meeting, title=ITEM_TITLE)
    item_page = f"/meetings/{meeting.pk}/agenda/{item.pk}/"
    police.page.wait_for_url(f"**{meeting_page}#agenda")  # back on the meeting, where the item waits
    police.shot("item-proposed")
    assert item.status == AgendaItem.Status.PROPOSED
    assert (item.proposed_by_party, item.proposed_by) == (polisen, polis_member)
    assert (item.presenting_party, item.planned_minutes) == (polisen, 20)

    # The convener accepts it: it goes last on the agenda.
    coordinator = people(kommun_coordinator)
    coordinator.go(meeting_page)
    coordinator.shot("convener-sees-proposal")
    coordinator.page.click(f"form[action='/meetings/{meeting.pk}/agenda/{item.pk}/accept/'] button")
    coordinator.page.wait_for_url(f"**{meeting_page}#agenda")
    assert agenda_order(coordinator) == [f"agenda-item-{existing.pk}", f"agenda-item-{item.pk}"]
    coordinator.shot("item-accepted-last")

    # ... and moves it up, to first place.
    up = f"form[action='/meetings/{meeting.pk}/agenda/{item.pk}/up/']"
    coordinator.page.click(f"{up} button")
    coordinator.page.wait_for_url(f"**{meeting_page}#agenda-item-{item.pk}")
    assert agenda_order(coordinator) == [f"agenda-item-{item.pk}", f"agenda-item-{existing.pk}"]
    assert coordinator.page.locator(up).count() == 0  # the first item cannot go further up
    coordinator.page.locator(f"form[action='/meetings/{meeting.pk}/agenda/{existing.pk}/up/']").wait_for()
    coordinator.shot("item-moved-first")
    assert list(meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED)) == [item, existing]

    # The county board's secretary writes a draft position on it ...
    secretary = people(lansstyrelsen_secretary)
    secretary.go(item_page)
    secretary.page.click(f"a[href='/meetings/{meeting.pk}/agenda/{item.pk}/positions/{lansstyrelsen.pk}/']")
    secretary.page.fill("textarea[name='text']", DRAFT_TEXT)
    secretary.shot("county-board-writes-draft")
    secretary.page.click("main button[type=submit]")
    secretary.page.wait_for_url(f"**{item_page}")
    position = Position.objects.get(agenda_item=item, party=lansstyrelsen)
    assert position.state == Position.State.DRAFT and position.text == DRAFT_TEXT
    assert DRAFT_TEXT in secretary.page.inner_text("main")

    # ... and attaches a PDF to it.
    pdf = small_pdf()
    pdf_path = tmp_path / PDF_NAME
    pdf_path.write_bytes(pdf)
    checksum = hashlib.sha256(pdf).hexdigest()
    secretary.page.click(f"a[href='/meetings/{meeting.pk}/positions/{position.pk}/documents/new/']")
    secretary.page.set_input_files("input[name='file']", pdf_path)
    secretary.shot("county-board-attaches-pdf")
    secretary.page.click("main button[type=submit]")
    secretary.page.wait_for_url(f"**{item_page}")
    document = Document.objects.get(position=position)
    assert (document.original_name, document.content_type, document.size) == (PDF_NAME, "application/pdf", len(pdf))
    assert document.sha256 == checksum
    stored = Path(document.file.path)
    assert stored.is_relative_to(documents_root) and stored.read_bytes() == pdf
    secretary.shot("draft-with-pdf")

    # The police do not see the draft, nor its document, anywhere.
    download = f"/meetings/{meeting.pk}/documents/{document.pk}/"
    for path in (meeting_page, item_page, f"/meetings/{meeting.pk}/kallelse/"):
        police.go(path)
        html = police.page.content()
        assert DRAFT_TEXT not in html and PDF_NAME not in html and checksum not in html, path
        assert f'href="{download}"' not in html, path
    assert police.page.request.get(f"{police.base}{download}").status == 404
    police.go(meeting_page)
    police.shot("police-before-share")

    # The secretary shares the position: a confirmation step, then it is shared.
    secretary.page.click(f"a[href='/meetings/{meeting.pk}/positions/{position.pk}/share/']")
    secretary.page.wait_for_url(f"**/meetings/{meeting.pk}/positions/{position.pk}/share/")
    secretary.shot("share-confirmation")
    secretary.page.click("main form button[type=submit]")
    secretary.page.wait_for_url(f"**{item_page}")
    secretary.page.locator(f"a[href='/meetings/{meeting.pk}/positions/{position.pk}/withdraw/']").wait_for()
    position.refresh_from_db()
    assert position.state == Position.State.SHARED
    secretary.shot("position-shared")

    # The municipality sees the position, the PDF's name and its checksum on the meeting page ...
    coordinator.go(meeting_page)
    entry = coordinator.page.inner_text(f"#agenda-item-{item.pk}")
    assert DRAFT_TEXT in entry and PDF_NAME in entry and checksum in entry
    assert coordinator.page.locator(f"#agenda-item-{item.pk} a[href='{download}']").count() == 1
    coordinator.shot("municipality-sees-shared-position")

    # ... and in the kallelse, where the item comes first.
    coordinator.go(f"/meetings/{meeting.pk}/kallelse/")
    kallelse = coordinator.page.inner_text("main")
    assert DRAFT_TEXT in kallelse and PDF_NAME in kallelse
    assert coordinator.page.locator("ol.agenda > li h3").all_inner_texts() == [ITEM_TITLE, EXISTING_TITLE]
    coordinator.shot("kallelse")

    # The police now see the position and download the very same PDF.
    police.go(meeting_page)
    entry = police.page.inner_text(f"#agenda-item-{item.pk}")
    assert DRAFT_TEXT in entry and PDF_NAME in entry and checksum in entry
    police.shot("police-after-share")
    with police.page.expect_download() as download_info:
        police.page.click(f"a[href='{download}']")
    assert download_info.value.suggested_filename == PDF_NAME
    assert hashlib.sha256(Path(download_info.value.path()).read_bytes()).hexdigest() == checksum

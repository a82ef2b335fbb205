"""Every page of the app, as the people who use it see it, checked with axe-core for WCAG 2.1 A and AA.

The journeys check the pages they pass through; this walks the rest too: each
state of a meeting, forms showing their errors, the error pages, in Swedish and
in English.
"""

import pytest
from django.core.files.base import ContentFile

from coordination.models import Position
from coordination.services import agenda, attendance

from .browser import axe_violations
from .builders import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rich_meeting(
    scheduled_meeting,
    kommun,
    polisen,
    lansstyrelsen,
    kommun_coordinator,
    polis_member,
    polis_coordinator,
    lansstyrelsen_secretary,
):
    """A scheduled meeting with attendees, an agenda with shared and draft positions, a document and sent mail."""
    attendance.name_attendee(
        meeting=scheduled_meeting,
        party=polisen,
        by=polis_coordinator,
        name="Rikspolischef",
        email="rpc@polisen.example",
    )
    item = agenda.propose_agenda_item(meeting=scheduled_meeting, party=polisen, by=polis_member, title="Stöd från NOA")
    agenda.accept_agenda_item(item=item, party=kommun, by=kommun_coordinator)
    agenda.propose_agenda_item(meeting=scheduled_meeting, party=polisen, by=polis_member, title="Resurser 2027")
    shared = agenda.save_position(
        item=item, party=kommun, by=kommun_coordinator, text="- Lokaler\n- **Bemanning**", base_version=0
    )
    agenda.set_position_shared(position=shared, by=kommun_coordinator, shared=True)
    agenda.save_position(
        item=item, party=kommun, by=kommun_coordinator, text="- Lokaler\n- Bemanning i två år", base_version=2
    )
    draft = agenda.save_position(item=item, party=polisen, by=polis_member, text="Utkast", base_version=0)
    agenda.attach_document(
        item=item,
        position=draft,
        party=polisen,
        by=polis_member,
        upload=ContentFile(b"Underlag\n", name="underlag.txt"),
        content_type="text/plain",
        sha256="0" * 64,
    )
    return scheduled_meeting, item, shared


def pages(rich, meeting, slots):
    scheduled, item, shared = rich
    m, s = scheduled.pk, scheduled.slots.first().pk
    polling = meeting.pk
    return [
        "/",
        f"/meetings/{m}/",
        f"/meetings/{m}/edit/",
        f"/meetings/{m}/log/",
        f"/meetings/{m}/reschedule/",
        f"/meetings/{m}/cancel/",
        f"/meetings/{m}/kallelse/",
        f"/meetings/{m}/agenda/new/",
        f"/meetings/{m}/agenda/{item.pk}/",
        f"/meetings/{m}/agenda/{item.pk}/edit/",
        f"/meetings/{m}/agenda/{item.pk}/decline/",
        f"/meetings/{m}/agenda/{item.pk}/positions/{item.positions.get(party__short_name='Kommunen').party_id}/",
        f"/meetings/{m}/agenda/{item.pk}/documents/new/",
        f"/meetings/{m}/positions/{shared.pk}/versions/",
        f"/meetings/{m}/positions/{shared.pk}/documents/new/",
        f"/meetings/{m}/attendees/{scheduled.invitations.get(party__short_name='Kommunen').party_id}/new/",
        f"/meetings/{m}/attendees/{scheduled.attendees.first().pk}/remove/",
        f"/meetings/{polling}/",
        f"/meetings/{polling}/slots/new/",
        f"/meetings/{polling}/slots/{slots[0].pk}/withdraw/",
        "/meetings/new/",
        f"/meetings/{polling}/parties/new/",
        "/party/",
        f"/party/{meeting.invitations.get(party__short_name='Kommunen').party_id}/invite/",
        "/account/",
        "/account/password/",
        "/account/two-factor/",
        "/accessibility/",
        "/privacy/",
        "/meetings/999999/",  # 404
        f"/meetings/{m}/slots/{s}/confirm/",  # this one is scheduled already: the meeting page with a note
    ]


def visit_all(browser, live_server, username, paths, language):
    context = browser.new_context(locale=language)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    found = {f"/login/ ({language})": axe_violations(page)}
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        found[f"{path} ({language})"] = axe_violations(page)
    context.close()
    return found


def report(found):
    return "\n".join(f"{path}: {violation}" for path, violations in found.items() for violation in violations)


@pytest.mark.parametrize("language", ["sv-SE", "en-GB"])
def test_every_page_a_convener_sees_has_no_axe_violations(browser, live_server, rich_meeting, meeting, slots, language):
    found = visit_all(browser, live_server, "kommun_coordinator", pages(rich_meeting, meeting, slots), language)
    assert len(found) > 20
    assert not report(found), report(found)


def test_the_pages_of_an_invited_party_and_a_secretary_have_no_axe_violations(
    browser, live_server, rich_meeting, meeting, slots, polisen, lansstyrelsen, lansstyrelsen_secretary
):
    scheduled, item, _ = rich_meeting
    draft = Position.objects.get(party=polisen)
    police = [
        f"/meetings/{meeting.pk}/answers/{polisen.pk}/",
        f"/meetings/{scheduled.pk}/",
        f"/meetings/{scheduled.pk}/agenda/{item.pk}/",
        f"/meetings/{scheduled.pk}/positions/{draft.pk}/share/",
        f"/meetings/{scheduled.pk}/positions/{draft.pk}/withdraw/",
        f"/meetings/{scheduled.pk}/positions/{draft.pk}/versions/",
        f"/meetings/{meeting.pk}/cancel/",  # 403
    ]
    found = visit_all(browser, live_server, "polis_member", police, "sv-SE")
    secretary = [f"/meetings/{scheduled.pk}/", f"/meetings/{scheduled.pk}/log/"]  # the log with its export buttons
    found.update(visit_all(browser, live_server, "lansstyrelsen_secretary", secretary, "sv-SE"))
    assert not report(found), report(found)


def test_forms_showing_their_errors_have_no_axe_violations(
    browser, live_server, meeting, polisen, kommun_coordinator, clock_changes
):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "kommun_coordinator")
    page.fill("#id_password", "wrong password")
    page.click("main button[type=submit]")
    found = {"login with a wrong password": axe_violations(page)}
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/slots/new/")
    page.fill("input[name='slots-0-date']", str(clock_changes.spring))
    page.fill("input[name='slots-0-start_time']", "02:30")
    page.fill("input[name='slots-1-date']", str(clock_changes.autumn))
    page.fill("input[name='slots-1-start_time']", "02:30")
    page.click("main button[type=submit]")
    found["slot form with the DST errors"] = axe_violations(page)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/slots/new/")
    page.fill("input[name='slots-0-date']", "2026-12-24")
    page.fill("input[name='slots-0-start_time']", "10:00")
    page.click("main button[type=submit]")
    page.get_by_text("Spara ändå").wait_for()
    found["slot form warning of julafton"] = axe_violations(page)
    page.goto(f"{live_server.url}/meetings/new/")
    page.click("main button[type=submit]")
    found["empty meeting form"] = axe_violations(page)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/cancel/")
    page.click("main button[type=submit]")
    found["cancel without a reason"] = axe_violations(page)
    context.close()
    assert not report(found), report(found)


def test_the_answer_form_with_an_error_has_no_axe_violations(
    browser, live_server, meeting, slots, polisen, polis_member
):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "polis_member")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/answers/{polisen.pk}/")
    page.fill(f"input[name='comment_{slots[0].pk}']", "En kommentar utan svar")
    page.click("main button[type=submit]")
    found = {"answer form with an error": axe_violations(page)}
    context.close()
    assert not report(found), report(found)


def test_pages_fit_320_css_pixels_without_scrolling_sideways(
    browser, live_server, rich_meeting, meeting, slots, kommun, kommun_coordinator
):
    """WCAG 1.4.10 Reflow: at 320 px (a phone, or 1280 px zoomed to 400 %) only the grid may scroll, in its region."""
    scheduled, item, _ = rich_meeting
    context = browser.new_context(locale="sv-SE", viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "kommun_coordinator")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    too_wide = {}
    for path in [
        "/",
        f"/meetings/{meeting.pk}/",
        f"/meetings/{scheduled.pk}/",
        f"/meetings/{scheduled.pk}/agenda/{item.pk}/",
        f"/meetings/{meeting.pk}/slots/new/",
        "/meetings/new/",
        f"/meetings/{scheduled.pk}/kallelse/",
        "/accessibility/",
        "/party/",
        f"/party/{kommun.pk}/invite/",
        f"/party/people/{kommun_coordinator.memberships.get().pk}/remove/",
        f"/meetings/{meeting.pk}/parties/new/",
    ]:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            too_wide[path] = width
    context.close()
    assert too_wide == {}


def test_the_minutes_pages_have_no_axe_violations(
    browser, live_server, held, kommun, lansstyrelsen, polisen, lansstyrelsen_secretary, kommun_coordinator
):
    """The minutes with an entry, an agreement with a decision, an action and a person added; each form."""
    from coordination.services import minutes

    item = held.items[0]
    by = {"meeting": held, "item": item, "party": lansstyrelsen, "by": lansstyrelsen_secretary}
    minutes.save_entry(**by, text="- Läget\n- **Resurser**", base_version=0)
    agreement = minutes.add_agreement(**by, text="Gemensam lägesbild", parties=[kommun, polisen])
    minutes.record_decision(
        agreement=agreement,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        body="landshövdingen",
        decided_on=held.confirmed_slot.start.date(),
        registration_number="LST-2026/9",
    )
    action = minutes.add_action(
        **by, what="Utse kontaktperson", owner_party=lansstyrelsen, due_on=held.confirmed_slot.start.date()
    )
    minutes.add_present_person(
        meeting=held, party=lansstyrelsen, by=lansstyrelsen_secretary, name="Expert", person_party=kommun
    )
    m = held.pk
    writer = [
        "/",
        f"/meetings/{m}/",
        f"/meetings/{m}/minutes/",
        f"/meetings/{m}/minutes/items/{item.pk}/",
        f"/meetings/{m}/minutes/presence/",
        f"/meetings/{m}/minutes/presence/new/",
        f"/meetings/{m}/minutes/items/{item.pk}/agreements/new/",
        f"/meetings/{m}/minutes/items/{item.pk}/actions/new/",
        f"/meetings/{m}/agreements/{agreement.pk}/decisions/{lansstyrelsen.pk}/",
        f"/meetings/{m}/actions/{action.pk}/status/",
    ]
    found = visit_all(browser, live_server, "lansstyrelsen_secretary", writer, "sv-SE")
    found.update(
        visit_all(browser, live_server, "kommun_coordinator", [f"/meetings/{m}/minutes/minute-taker/"], "en-GB")
    )
    assert not report(found), report(found)

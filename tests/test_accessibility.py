"""Every page of the app, as the people who use it see it, checked with axe-core for WCAG 2.1 A and AA.

The journeys check the pages they pass through; this walks the rest too: each
state of a meeting, forms showing their errors, the error pages, in Swedish and
in English, each on a phone (390 px) and on a desktop (1280 px).
"""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from coordination.models import Answer, Party, Position, Secrecy
from coordination.services import agenda, attendance, meetings, secrecy

from .browser import axe_violations
from .builders import PASSWORD, answer_all, create_meeting, future_time
from .e2e_steps import PHONE, scrolling_sideways

DESKTOP = {"width": 1280, "height": 800}

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
    """A scheduled meeting with attendees, an agenda with shared and draft positions, a document and sent mail.

    Names as long as real ones: the tables must still fit a phone.
    """
    Party.objects.filter(pk=lansstyrelsen.pk).update(name="Länsstyrelsen i Uppsala län")
    attendance.name_attendee(
        meeting=scheduled_meeting,
        party=polisen,
        by=polis_coordinator,
        name="Rikspolischef",
        email="rpc@polisen.example",
    )
    secretary = attendance.name_attendee(
        meeting=scheduled_meeting,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        name="Åberg, Åsa",
        email="asa.aberg@lansstyrelsen.example",
        title="Biträdande länsråd och chef för enheten för samhällsskydd och beredskap",
    )
    attendance.confirm_attendance(attendee=secretary, by=lansstyrelsen_secretary, party=lansstyrelsen)
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
    # Secrecy markings, shown beside the item and the position on every page that shows them.
    secrecy.mark_secrecy(
        record=item, party=kommun, by=kommun_coordinator, secrecy=Secrecy.COVERED, provision="OSL 18 kap. 1 §"
    )
    secrecy.mark_secrecy(record=shared, party=kommun, by=kommun_coordinator, secrecy=Secrecy.REVIEW)
    return scheduled_meeting, item, shared


@pytest.fixture
def polling_meeting(kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_secretary, polis_member):
    """A meeting open for answers, with long party names and the comments people write."""
    Party.objects.filter(pk=lansstyrelsen.pk).update(name="Länsstyrelsen i Uppsala län")
    polling = create_meeting(
        kommun_coordinator,
        convening=[kommun, lansstyrelsen],
        required=[polisen],
        title="Trygghetsskapande arbete i Gottsunda och Valsätra",
    )
    meetings.propose_slots(
        meeting=polling, party=kommun, by=kommun_coordinator, times=[future_time(days) for days in (15, 22, 29)]
    )
    meetings.open_polling(meeting=polling, by=kommun_coordinator, party=kommun)
    # A video link as the meeting services hand them out: one long word in the event log.
    details = {name: getattr(polling, name) for name in meetings.DETAIL_FIELDS}
    details["video_link"] = "https://video.uppsala.example/l/meetup-join/19%3ameeting_" + "NjQ1ZjE0YzItM2Y" * 12
    meetings.save_meeting(
        by=kommun_coordinator,
        party=kommun,
        details=details,
        convening={kommun, lansstyrelsen},
        required={polisen},
        optional=set(),
        meeting=polling,
    )
    answer_all(polling, lansstyrelsen, lansstyrelsen_secretary, comment="Landshövdingen kan om mötet slutar före 15.00")
    answer_all(
        polling,
        polisen,
        polis_member,
        Answer.Value.IF_NEED_BE,
        comment="Rikspolischefen föredrar i Stockholm samma förmiddag; en ersättare från polisregion Mitt kan komma",
    )
    return polling


def pages(rich, meeting, slots, polling_meeting, kommun):
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
        f"/meetings/{m}/agenda/{item.pk}/secrecy/",
        f"/meetings/{m}/positions/{shared.pk}/secrecy/",
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
        f"/meetings/{polling_meeting.pk}/",  # answered with comments, open for answers
        f"/meetings/{polling_meeting.pk}/answers/{kommun.pk}/",
        f"/meetings/{polling_meeting.pk}/log/",
    ]


def axe_at_both_widths(page, name):
    """axe on the page as it is now, on a desktop and on a phone: one load, two layouts."""
    found = {}
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        found[f"{name} at {viewport['width']} px"] = axe_violations(page)
    return found


def visit_all(browser, live_server, username, paths, language):
    context = browser.new_context(locale=language, viewport=DESKTOP)
    # The browser's locale does not choose the language; the person does, and the cookie keeps it.
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language[:2], "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    found = axe_at_both_widths(page, f"/login/ ({language})")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        found.update(axe_at_both_widths(page, f"{path} ({language})"))
    context.close()
    return found


def report(found):
    return "\n".join(f"{path}: {violation}" for path, violations in found.items() for violation in violations)


@pytest.mark.parametrize("language", ["sv-SE", "en-GB"])
def test_every_page_a_convener_sees_has_no_axe_violations(
    browser, live_server, rich_meeting, meeting, slots, polling_meeting, kommun, language
):
    paths = pages(rich_meeting, meeting, slots, polling_meeting, kommun)
    found = visit_all(browser, live_server, "kommun_coordinator", paths, language)
    assert len(found) > 2 * 20
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
    browser, live_server, meeting, kommun, polisen, kommun_coordinator, clock_changes
):
    context = browser.new_context(locale="sv-SE", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "kommun_coordinator")
    page.fill("#id_password", "wrong password")
    page.click("main button[type=submit]")
    found = axe_at_both_widths(page, "login with a wrong password")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/slots/new/")
    page.fill("input[name='slots-0-date']", str(clock_changes.spring))
    page.fill("input[name='slots-0-start_time']", "02:30")
    page.fill("input[name='slots-1-date']", str(clock_changes.autumn))
    page.fill("input[name='slots-1-start_time']", "02:30")
    page.click("main button[type=submit]")
    found.update(axe_at_both_widths(page, "slot form with the DST errors"))
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/slots/new/")
    page.fill("input[name='slots-0-date']", "2026-12-24")
    page.fill("input[name='slots-0-start_time']", "10:00")
    page.click("main button[type=submit]")
    page.get_by_text("Spara ändå").wait_for()
    found.update(axe_at_both_widths(page, "slot form warning of julafton"))
    page.goto(f"{live_server.url}/meetings/new/")
    page.click("main button[type=submit]")
    found.update(axe_at_both_widths(page, "empty meeting form"))
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/cancel/")
    page.click("main button[type=submit]")
    found.update(axe_at_both_widths(page, "cancel without a reason"))
    item = agenda.propose_agenda_item(meeting=meeting, party=kommun, by=kommun_coordinator, title="Lägesbild")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/agenda/{item.pk}/secrecy/")
    page.check("input[name='secrecy'][value='covered']")
    page.click("main button[type=submit]")
    page.locator(".invalid-feedback, .alert-danger").first.wait_for()
    found.update(axe_at_both_widths(page, "secrecy marking covered without its provision"))
    context.close()
    assert not report(found), report(found)


def test_the_answer_form_with_an_error_has_no_axe_violations(
    browser, live_server, meeting, slots, polisen, polis_member
):
    context = browser.new_context(locale="sv-SE", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "polis_member")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/answers/{polisen.pk}/")
    page.fill(f"input[name='comment_{slots[0].pk}']", "En kommentar utan svar")
    page.click("main button[type=submit]")
    found = axe_at_both_widths(page, "answer form with an error")
    context.close()
    assert not report(found), report(found)


@pytest.mark.parametrize("width, height", [(320, 640), (390, 844)])
def test_pages_fit_a_phone_without_scrolling_sideways(
    browser,
    live_server,
    rich_meeting,
    polling_meeting,
    kommun,
    kommun_coordinator,
    width,
    height,
):
    """WCAG 1.4.10 Reflow: at 320 px (1280 px zoomed to 400 %) and 390 px (a phone) nothing scrolls sideways.

    The tables (the answer form, the slot grid, the parties, the attendees, the event log) become stacked cards.
    """
    scheduled, item, shared = rich_meeting
    context = browser.new_context(locale="sv-SE", viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "kommun_coordinator")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    too_wide = {}
    for path in [
        "/",
        f"/meetings/{polling_meeting.pk}/",
        f"/meetings/{polling_meeting.pk}/answers/{kommun.pk}/",
        f"/meetings/{polling_meeting.pk}/log/",
        f"/meetings/{scheduled.pk}/",
        f"/meetings/{scheduled.pk}/log/",
        f"/meetings/{scheduled.pk}/agenda/{item.pk}/",
        f"/meetings/{scheduled.pk}/positions/{shared.pk}/versions/",
        f"/meetings/{scheduled.pk}/agenda/{item.pk}/secrecy/",
        f"/meetings/{polling_meeting.pk}/slots/new/",
        "/meetings/new/",
        f"/meetings/{scheduled.pk}/kallelse/",
        "/accessibility/",
        "/privacy/",
        "/party/",
        f"/party/{kommun.pk}/invite/",
        f"/party/people/{kommun_coordinator.memberships.get().pk}/remove/",
        f"/meetings/{polling_meeting.pk}/parties/new/",
    ]:
        page.goto(f"{live_server.url}{path}")
        if found := scrolling_sideways(page):
            too_wide[path] = found
    context.close()
    assert not too_wide, "\n".join(f"{path}: {', '.join(found)}" for path, found in too_wide.items())


def test_my_meetings_with_every_section_paged_has_no_axe_violations_and_fits_a_phone(browser, live_server):
    """Sixty meetings: the held and cancelled sections get their pagers, on the first page and on a middle one."""
    from coordination.management.commands.benchmark import build_dashboard

    coordinator = build_dashboard(60)
    coordinator.set_password(PASSWORD)
    coordinator.save()
    found = {}
    for language in ("sv-SE", "en-GB"):
        found.update(visit_all(browser, live_server, coordinator.username, ["/?held=2", "/?cancelled=2"], language))
    assert not report(found), report(found)
    context = browser.new_context(locale="sv-SE", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", coordinator.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/?held=2")
    assert page.get_by_text("Sida 2 av 3").is_visible()
    assert not scrolling_sideways(page), scrolling_sideways(page)
    context.close()


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
    # Held, its minutes sent on: the page that plans the follow-up, then both meetings showing their series.
    from coordination.models import Minutes
    from coordination.services import copies, meetings

    meetings.mark_held(meeting=held, by=kommun_coordinator, party=kommun)
    Minutes.objects.filter(meeting=held).update(state=Minutes.State.UNDER_REVIEW)
    found.update(visit_all(browser, live_server, "kommun_coordinator", [f"/meetings/{m}/follow-up/"], "sv-SE"))
    follow_up = copies.plan_follow_up(meeting=held, by=kommun_coordinator, party=kommun)
    series = [f"/meetings/{m}/", f"/meetings/{follow_up.pk}/"]
    found.update(visit_all(browser, live_server, "kommun_coordinator", series, "sv-SE"))
    assert not report(found), report(found)


def test_the_review_pages_have_no_axe_violations_and_fit_a_phone(
    browser,
    live_server,
    under_review,
    approve_by_everyone,
    lansstyrelsen,
    polisen,
    lansstyrelsen_secretary,
    polis_coordinator,
):
    """Under review, as the police's reviewer (a comment made) and as the secretary; approved, with a correction,
    as the secretary: the minutes, each form and step, the versions, the printable minutes."""
    from coordination.services import review

    m, item = under_review.pk, under_review.items[0]
    review.comment(meeting=under_review, item=item, party=polisen, by=polis_coordinator, text="Skriv NOA", version=1)
    reviewer = [
        f"/meetings/{m}/",
        f"/meetings/{m}/minutes/",
        f"/meetings/{m}/minutes/items/{item.pk}/comments/{polisen.pk}/",
        f"/meetings/{m}/minutes/approve/{polisen.pk}/",
        f"/meetings/{m}/minutes/reviewers/{polisen.pk}/",
        f"/meetings/{m}/minutes/versions/",
    ]
    found = visit_all(browser, live_server, "polis_coordinator", reviewer, "sv-SE")
    found.update(
        visit_all(browser, live_server, "lansstyrelsen_secretary", [f"/meetings/{m}/minutes/take-back/"], "en-GB")
    )
    review.take_back(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, version=1)
    found.update(
        visit_all(
            browser,
            live_server,
            "lansstyrelsen_secretary",
            [f"/meetings/{m}/minutes/", f"/meetings/{m}/minutes/send/"],
            "sv-SE",
        )
    )
    review.send_for_review(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary)
    approve_by_everyone(under_review, version=2)
    review.correct(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, item=item, text="Rätt datum")
    approved = [
        f"/meetings/{m}/minutes/",
        f"/meetings/{m}/minutes/versions/",
        f"/meetings/{m}/minutes/print/",
        f"/meetings/{m}/minutes/corrections/new/",
    ]
    found.update(visit_all(browser, live_server, "lansstyrelsen_secretary", approved, "sv-SE"))
    assert not report(found), report(found)

    context = browser.new_context(locale="sv-SE", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "lansstyrelsen_secretary")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    too_wide = {}
    for path in approved:
        page.goto(f"{live_server.url}{path}")
        if sideways := scrolling_sideways(page):
            too_wide[path] = sideways
    context.close()
    assert not too_wide, too_wide

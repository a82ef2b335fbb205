"""Keyboard-only journeys in a real headless Chromium, against the live server.

After logging in (which ``Person`` does with the mouse), the user never
clicks: Tab and Shift+Tab move focus, Space and the arrow keys choose in a
radio group, Enter follows links and presses buttons, and text, dates and
times are typed. At the moments that matter the tests check which element has
focus (by its name or accessible name), that the focus can be seen, and what
ended up in the database. axe-core runs on every page reached.

Chromium's date field takes its segments in the order of the browser's own
language, not the page's or the context's locale: the headless build runs in
en-US, so a date is typed as mm, dd, yyyy even for a Swedish user (see
``type_date``). Typing "2027-02-09" does not work: the digits all pile into
the year segment.
"""

import datetime
import re
import time
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from coordination.formatting import slot_label
from coordination.models import Answer, Meeting, Profile, Slot

from .browser import Person
from .builders import PASSWORD, next_weekday

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "keyboard"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAX_TABS = 60

# What the focused element is, in a few words, for the assertions and for a readable trail when one fails.
DESCRIBE_FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "body";
  const label = e.labels && e.labels.length ? e.labels[0].textContent : e.textContent || "";
  const text = label.replace(/\\s+/g, " ").trim();
  return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.name ? "[name=" + e.name + "]" : ""}` +
         `${e.type && e.tagName === "INPUT" ? "[type=" + e.type + "]" : ""} "${text.slice(0, 60)}"`;
}"""

# How the focused element shows that it has focus.
FOCUS_STYLE = """() => {
  const e = document.activeElement, style = getComputedStyle(e), box = e.getBoundingClientRect();
  return {
    focusVisible: e.matches(":focus-visible"),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
    width: box.width,
    height: box.height,
  };
}"""


def focused(page):
    return page.evaluate(DESCRIBE_FOCUS)


def focused_name(page):
    return page.evaluate("document.activeElement.name")


def tab_to(page, condition, *, key="Tab", limit=MAX_TABS):
    """Press Tab (or ``key``) until the JS ``condition`` holds for document.activeElement; return the trail."""
    trail = []
    for _ in range(limit):
        page.keyboard.press(key)
        trail.append(focused(page))
        if page.evaluate(f"(e => {condition})(document.activeElement)"):
            return trail
    raise AssertionError(f"{limit}× {key} never reached `{condition}`; focus went:\n  " + "\n  ".join(trail))


def tab_to_name(page, name, **kwargs):
    return tab_to(page, f"e.name === {name!r}", **kwargs)


def press_tab_expecting(page, condition, key="Tab"):
    """One Tab must land exactly on the element ``condition`` describes: the tab order has no detour."""
    page.keyboard.press(key)
    assert page.evaluate(f"(e => {condition})(document.activeElement)"), (
        f"After {key} focus is on {focused(page)}, expected `{condition}`"
    )


# True once the focused element is drawn with a focus indicator: an outline, or a box-shadow ring that is
# neither transparent nor of zero size. Bootstrap animates its ring in (transition: box-shadow .15s), so
# this is waited for rather than read once.
FOCUS_INDICATOR_SHOWN = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || !e.matches(":focus-visible")) return false;
  const box = e.getBoundingClientRect();
  if (!box.width || !box.height) return false;
  const style = getComputedStyle(e);
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) return true;
  return style.boxShadow.split(/,(?![^(]*\\))/).some(shadow => {
    const m = shadow.match(/rgba?\\(([^)]*)\\)\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+([\\d.]+)px\\s+(-?[\\d.]+)px/);
    if (!m) return false;
    const channels = m[1].split(",").map(parseFloat);
    const alpha = channels.length > 3 ? channels[3] : 1;
    return alpha > 0 && (parseFloat(m[4]) > 0 || parseFloat(m[5]) > 0);
  });
}"""


def wait_until(page, expression, timeout=2.0):
    """Poll ``expression`` in the page from here: the app's CSP forbids the eval behind wait_for_function."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError:
            pass  # the page is navigating; look again once it has loaded
        if time.monotonic() > deadline:
            raise PlaywrightTimeout(f"{expression} did not become true in {timeout} s")
        time.sleep(0.05)


def assert_focus_visible(page):
    """The focused element matches :focus-visible and is drawn with an outline or a focus ring."""
    try:
        wait_until(page, FOCUS_INDICATOR_SHOWN)
    except PlaywrightTimeout:
        raise AssertionError(f"{focused(page)} has no visible focus indicator: {page.evaluate(FOCUS_STYLE)}") from None


def assert_focus_outline(page):
    """The app's own :focus-visible outline (samrad.css: 3px solid #1b4f9c) is what shows focus."""
    style = page.evaluate(FOCUS_STYLE)
    assert style["outlineStyle"] != "none" and style["outlineWidth"] >= 2, (
        f"{focused(page)} shows focus without the app's outline: {style}"
    )


def type_date(page, day):
    """Type a date into the focused <input type=date>, segment by segment, in the headless browser's order.

    Chromium lays out the segments in its UI language (en-US here: mm/dd/yyyy), whatever the page
    language or the context's locale (sv-SE). The cursor moves to the next segment on its own once a
    segment is full, so the eight digits are typed in one go.
    """
    page.keyboard.type(f"{day:%m%d%Y}")
    value = page.evaluate("document.activeElement.value")
    assert value == day.isoformat(), (
        f"typed {day:%m%d%Y} into the date field and it holds {value!r}: its segment order is not mm/dd/yyyy here"
    )


def swedish_slot_label(slot):
    with translation.override("sv"):
        return str(slot_label(slot))


def test_answer_every_slot_with_the_keyboard(people, meeting, slots, polisen, polis_member):
    police = people(polis_member)
    police.go(f"/meetings/{meeting.pk}/answers/{polisen.pk}/")
    page = police.page
    first, second = slots

    # Tab into the first time's radio group: focus lands on its first choice, "Kan".
    trail = tab_to_name(page, f"answer_{first.pk}")
    assert page.evaluate("document.activeElement.value") == "yes", trail
    expect(page.locator(":focus")).to_have_accessible_name("Kan")
    assert_focus_visible(page)
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    police.shot("answer-first-yes")

    # On to its comment, and type one.
    press_tab_expecting(page, f"e.name === 'comment_{first.pk}'")
    expect(page.locator(":focus")).to_have_accessible_name(re.compile(re.escape(swedish_slot_label(first))))
    assert_focus_visible(page)
    page.keyboard.type("Rikspolischefen kan efter lunch")

    # The next Tab enters the second time's group; the arrow key moves to "Kan om det behövs" and chooses it.
    press_tab_expecting(page, f"e.name === 'answer_{second.pk}'")
    assert_focus_visible(page)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("[document.activeElement.value, document.activeElement.checked]") == ["if_need_be", True]
    expect(page.locator(":focus")).to_have_accessible_name("Kan om det behövs")
    assert page.locator(f"input[name='answer_{first.pk}'][value='yes']").is_checked()  # the first choice stays
    police.shot("answer-second-if-need-be")

    # Past the second comment to the submit button, and Enter.
    press_tab_expecting(page, f"e.name === 'comment_{second.pk}'")
    press_tab_expecting(page, "e.type === 'submit'")
    # Shift+Tab walks the same order backwards.
    press_tab_expecting(page, f"e.name === 'comment_{second.pk}'", key="Shift+Tab")
    press_tab_expecting(page, "e.type === 'submit'")
    expect(page.locator(":focus")).to_have_accessible_name("Spara svar")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    police.check()
    police.shot("answers-saved")

    answers = {a.slot_id: a for a in Answer.objects.filter(party=polisen)}
    assert (answers[first.pk].value, answers[first.pk].comment) == (Answer.Value.YES, "Rikspolischefen kan efter lunch")
    assert (answers[second.pk].value, answers[second.pk].comment) == (Answer.Value.IF_NEED_BE, "")
    assert {a.answered_by for a in answers.values()} == {polis_member}


def test_propose_a_slot_with_the_keyboard(people, meeting, kommun, kommun_coordinator):
    coordinator = people(kommun_coordinator)
    coordinator.go(f"/meetings/{meeting.pk}/slots/new/")
    page = coordinator.page
    day = next_weekday(40)
    existing = set(meeting.slots.values_list("pk", flat=True))

    tab_to_name(page, "slots-0-date")
    expect(page.locator(":focus")).to_have_accessible_name(re.compile("Datum"))
    assert_focus_visible(page)
    type_date(page, day)

    # Chromium's own calendar button inside the date field is one more Tab stop before the start time.
    trail = tab_to_name(page, "slots-0-start_time", limit=2)
    assert trail[0].startswith("input#id_slots-0-date"), trail
    assert_focus_visible(page)
    page.keyboard.type("1330")
    assert page.evaluate("document.activeElement.value") == "13:30"
    coordinator.shot("propose-typed")

    # Enter in the time field submits the form, as in any text field.
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    coordinator.check()
    coordinator.shot("proposed")

    [slot] = Slot.objects.filter(meeting=meeting).exclude(pk__in=existing)
    wall_clock = datetime.datetime.combine(day, datetime.time(13, 30))
    offset_hours = STOCKHOLM.utcoffset(wall_clock) // datetime.timedelta(hours=1)  # 1 in winter, 2 in summer
    assert slot.start.astimezone(datetime.UTC) == datetime.datetime.combine(
        day, datetime.time(13 - offset_hours, 30), tzinfo=datetime.UTC
    )
    assert slot.end - slot.start == datetime.timedelta(minutes=meeting.duration_minutes)
    assert slot.proposed_by_party == kommun and slot.proposed_by == kommun_coordinator


def test_confirm_a_slot_with_the_keyboard(people, answered_meeting, slots, kommun_coordinator):
    meeting = answered_meeting
    coordinator = people(kommun_coordinator)
    coordinator.go(f"/meetings/{meeting.pk}/")
    page = coordinator.page
    label = swedish_slot_label(slots[0])

    # The confirm link of the first time says which time it confirms.
    trail = tab_to(page, f"e.getAttribute('href') === '/meetings/{meeting.pk}/slots/{slots[0].pk}/confirm/'")
    expect(page.locator(":focus")).to_have_accessible_name(f"Bekräfta tid {label}")
    assert not any("/confirm/" in step for step in trail[:-1]), trail  # no other confirm link came first
    assert_focus_visible(page)
    coordinator.shot("confirm-link-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/meetings/{meeting.pk}/slots/{slots[0].pk}/confirm/")
    coordinator.check()

    tab_to(page, "e.type === 'submit' && e.closest('main') !== null")
    expect(page.locator(":focus")).to_have_accessible_name("Bekräfta tid")
    assert_focus_visible(page)
    coordinator.shot("confirm-button-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    coordinator.check()
    coordinator.shot("confirmed")

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert meeting.confirmed_slot == slots[0]


def test_the_first_tab_reaches_the_skip_link_and_enter_moves_focus_to_main(people, meeting, kommun_coordinator):
    coordinator = people(kommun_coordinator)
    coordinator.go(f"/meetings/{meeting.pk}/")
    page = coordinator.page

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')"), focused(page)
    expect(page.locator(":focus")).to_have_accessible_name("Hoppa till innehållet")
    assert_focus_visible(page)
    assert_focus_outline(page)  # a plain link: the app's own outline applies
    assert page.locator(".skip-link").is_visible()  # visually hidden until focused, then on screen
    coordinator.shot("skip-link")

    page.keyboard.press("Enter")
    wait_until(page, "document.activeElement && document.activeElement.id === 'main'")
    assert page.url.endswith("#main")
    # The next Tab continues inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), focused(page)
    expect(page.locator(":focus")).to_have_accessible_name("Mina möten")  # the breadcrumb's first link
    assert_focus_visible(page)


def test_tab_focus_shows_the_apps_outline_on_buttons_and_form_fields(people, meeting, polisen, polis_member):
    police = people(polis_member)
    police.go(f"/meetings/{meeting.pk}/answers/{polisen.pk}/")
    page = police.page
    failures = []
    # Header: the menu links and the language button; main: a radio, a text field, the submit button.
    for condition in (
        "e.classList.contains('nav-link')",
        "e.name === 'language'",
        "e.type === 'radio'",
        "e.type === 'text'",
        "e.type === 'submit' && e.closest('main') !== null",
    ):
        try:
            tab_to(page, condition)
            assert_focus_visible(page)
        except AssertionError as error:
            pytest.fail(f"could not reach and see focus on `{condition}`: {error}")
        try:
            assert_focus_outline(page)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])
    assert not failures, "\n".join(failures)


def test_language_choice_is_remembered_on_the_account(browser, live_server, people, kommun_coordinator):
    coordinator = people(kommun_coordinator, language="en-GB")
    page = coordinator.page
    # A browser set up in English still gets Swedish: the person chooses, not the browser.
    assert page.evaluate("document.documentElement.lang") == "sv"
    expect(page.locator("header")).to_contain_text("Mina möten")

    # The header's language button, named in the language it switches to: Tab to it, Enter. One step.
    tab_to(page, "e.name === 'language'")
    expect(page.locator(":focus")).to_have_accessible_name("English")
    assert_focus_visible(page)
    path = page.url
    page.keyboard.press("Enter")
    wait_until(page, "document.documentElement.lang === 'en'", timeout=10)
    expect(page.locator("header")).to_contain_text("My meetings")
    assert page.url == path  # on the same page
    coordinator.check()
    coordinator.shot("english")
    assert Profile.objects.get(user=kommun_coordinator).language == "en"

    # Log out (still with the keyboard) and in again in the same browser: English.
    tab_to(page, "e.type === 'submit' && e.closest('form').action.endsWith('/logout/')")
    expect(page.locator(":focus")).to_have_accessible_name("Log out")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login/")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.fill("#id_username", kommun_coordinator.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("header")).to_contain_text("My meetings")
    coordinator.check()

    # At another desk, a browser that has never seen the language cookie and asks for Swedish: the account's
    # choice wins at login.
    elsewhere = Person(browser, live_server, kommun_coordinator.username, coordinator.journey, language="sv-SE")
    try:
        assert elsewhere.page.evaluate("document.documentElement.lang") == "en"
        expect(elsewhere.page.locator("header")).to_contain_text("My meetings")
        elsewhere.shot("english-after-login-elsewhere")
    finally:
        elsewhere.close()

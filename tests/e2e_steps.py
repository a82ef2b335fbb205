"""The steps the browser journeys of issue 15 share: a party brought in, a person activated, a guest let in, SSO.

Each step is what one person does in their own browser (a ``Person`` from
tests/browser.py), checked as it goes; the mail steps read what the outbox
worker sent through the strict SMTP server (tests/smtp_server.py). Not a test
module: the e2e modules import it, so that one journey can chain the steps the
others take one by one.
"""

import re
from pathlib import Path

import icalendar

from coordination.outbox import send_due

PHONE = {"width": 390, "height": 844}


def on_a_phone(person):
    person.page.set_viewport_size(PHONE)
    return person


# What scrolls sideways at the page's width: the page itself, or a region of it (a table in a scrolling box hides
# its far columns just as well). A text field scrolling its own long value is as it should be.
SIDEWAYS = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) found.push("the page");
  for (const element of document.querySelectorAll("main *:not(input, textarea, select)")) {
    const overflow = getComputedStyle(element).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && element.scrollWidth > element.clientWidth) {
      found.push(`${element.tagName.toLowerCase()}.${element.className}`);
    }
  }
  return found;
}"""


def scrolling_sideways(page):
    """What scrolls sideways on the page as it is now (SIDEWAYS): nothing, on a page that reflows."""
    return page.evaluate(SIDEWAYS)


def fits_the_screen(person):
    """No page may scroll sideways (WCAG 1.4.10), nor any part of it, on a phone least of all."""
    page = person.page
    assert not scrolling_sideways(page), f"{page.url}: {scrolling_sideways(page)}"


def mailed_text(smtp_server, address, subject_start=""):
    """The text of the one mail to ``address`` whose subject starts so, once the outbox worker has sent what is due."""
    _sent, failed = send_due()
    assert failed == 0
    [mail] = [
        received
        for received in smtp_server.received
        if received.rcpt_tos == [address] and received.message["Subject"].lstrip().startswith(subject_start)
    ]
    return mail.message.get_body(preferencelist=("plain",)).get_content()


def mailed_activation_link(smtp_server, address):
    """The link in the one activation mail ("Välkommen till Samråd") to ``address``."""
    text = mailed_text(smtp_server, address, "Välkommen till Samråd")
    return re.search(r"https?://\S+/activate/\S+/", text).group(0)


def bring_in_party(convener, meeting, *, name, short_name, person, email):
    """On the meeting page, a convening coordinator invites a party new to Samråd by its first coordinator's address."""
    convener.go(f"/meetings/{meeting.pk}/")
    convener.page.click("text=Bjud in en ny part till Samråd")
    convener.page.wait_for_url("**/parties/new/")
    convener.check()
    convener.page.fill("input[name='party_name']", name)
    convener.page.fill("input[name='short_name']", short_name)
    convener.page.fill("input[name='person']", person)
    convener.page.fill("input[name='email']", email)
    convener.shot("new-party-filled")
    convener.page.click("main button[type=submit]")
    convener.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    convener.shot("new-party-invited")
    assert name in convener.page.inner_text("#parties-heading + *, section[aria-labelledby='parties-heading']")


def activate_with_password(newcomer, link, meeting, password):
    """A person opens the activation link from their mail, chooses a password, and lands on the meeting."""
    newcomer.go(link.removeprefix(newcomer.base))
    newcomer.shot("activate-form")
    newcomer.page.fill("#id_new_password1", password)
    newcomer.page.fill("#id_new_password2", password)
    newcomer.page.click("main button[type=submit]")
    newcomer.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    newcomer.shot("activated-on-the-meeting")
    assert meeting.title in newcomer.page.inner_text("h1")


def invite_colleague(coordinator, *, name, email, role):
    """From "Min part", a party's coordinator invites a person by e-mail with a role."""
    coordinator.page.click("nav >> text=Min part")
    coordinator.page.wait_for_url("**/party/")
    fits_the_screen(coordinator)
    coordinator.page.click("text=Bjud in en person")
    coordinator.page.wait_for_url("**/invite/")
    coordinator.check()
    fits_the_screen(coordinator)
    coordinator.page.fill("input[name='name']", name)
    coordinator.page.fill("input[name='email']", email)
    coordinator.page.select_option("select[name='role']", role)
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url("**/party/")
    coordinator.shot("colleague-invited")
    fits_the_screen(coordinator)
    assert name in coordinator.page.inner_text("main")


def add_guest(coordinator, meeting, party, *, name, email):
    """On the meeting page, a party's coordinator adds a guest for the party."""
    coordinator.go(f"/meetings/{meeting.pk}/")
    coordinator.page.click(f"a[href='/meetings/{meeting.pk}/guests/{party.pk}/new/']")
    coordinator.page.fill("input[name='name']", name)
    coordinator.page.fill("input[name='email']", email)
    coordinator.shot("add-guest")
    coordinator.page.click("main button[type=submit]")
    coordinator.page.wait_for_url(f"**/meetings/{meeting.pk}/**")
    assert name in coordinator.page.inner_text("#guests")
    coordinator.shot("guest-listed")


def guest_comes_in(guest, smtp_server, email):
    """The guest opens the personal link from the mail, asks for a code, and enters the code from the second mail."""
    text = mailed_text(smtp_server, email, "Du är inbjuden som gäst")
    link = re.search(rf"{re.escape(guest.base)}/guest/\S+/", text).group()
    guest.page.goto(link)
    guest.check()
    fits_the_screen(guest)
    guest.shot("personal-link")
    guest.page.click("main button[type=submit]")
    guest.page.wait_for_url("**/guest/code/")
    fits_the_screen(guest)
    code = re.search(r"^(\d{6})$", mailed_text(smtp_server, email, "Din engångskod"), re.MULTILINE).group(1)
    guest.page.fill("input[name='code']", code)
    guest.shot("code")
    guest.page.click("main button[type=submit]")
    guest.page.wait_for_url(f"{guest.base}/guest/")
    guest.check()
    fits_the_screen(guest)
    guest.shot("guest-meeting")


def guest_downloads_the_invitation(guest, meeting):
    """On the guest's page, the invitation (.ics) downloaded and read by icalendar: the meeting's own calendar entry."""
    with guest.page.expect_download() as download_info:
        guest.page.click("a[href='/guest/samrad.ics']")
    calendar = icalendar.Calendar.from_ical(Path(download_info.value.path()).read_bytes())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == meeting.calendar_uid and calendar["METHOD"] == "PUBLISH"


def at_provider(page, provider, sub):
    """Sent on to the local OpenID provider, the person with ``sub`` logs in there and is sent back to the app."""
    page.wait_for_url(f"{provider.issuer}/oauth2/authorize**")
    page.fill("input[name=sub]", sub)
    page.click("button:has-text('Authorize')")

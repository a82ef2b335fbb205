"""Parties and people join without the administrator, in a real headless Chromium against the live server.

The county board's coordinator brings Region Uppsala into the dialogue with the
address of its first coordinator → the activation mail goes through the strict
SMTP server → its link, opened in a fresh browser, sets a password and lands on
the meeting → the region's coordinator invites a colleague from "Min part", on a
390 px phone that must not scroll sideways.
"""

import re

import pytest

from coordination.models import Membership, OutboxMessage
from coordination.outbox import send_due

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "people"
PHONE = {"width": 390, "height": 800}


def mailed_link(smtp_server, address):
    [received] = [r for r in smtp_server.received if r.rcpt_tos == [address]]
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/activate/\S+/", text).group(0)


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_county_board_brings_in_region_uppsala_whose_coordinator_activates_and_invites_a_colleague(
    people, settings, live_server, smtp_server, meeting, lansstyrelsen_coordinator
):
    settings.SITE_URL = live_server.url
    county = people(lansstyrelsen_coordinator)
    county.go(f"/meetings/{meeting.pk}/")
    county.page.click("text=Bjud in en ny part till Samråd")
    county.check()
    county.page.fill("input[name='party_name']", "Region Uppsala")
    county.page.fill("input[name='short_name']", "Regionen")
    county.page.fill("input[name='person']", "Ekström, Åsa")
    county.page.fill("input[name='email']", "asa.ekstrom@region.example")
    county.shot("new-party-filled")
    county.page.click("main button[type=submit]")
    county.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    county.shot("new-party-invited")
    assert "Region Uppsala" in county.page.inner_text(
        "#parties-heading + *, section[aria-labelledby='parties-heading']"
    )

    assert send_due() == (1, 0)
    link = mailed_link(smtp_server, "asa.ekstrom@region.example")
    assert [r.message["To"].addresses[0].display_name for r in smtp_server.received] == ["Ekström, Åsa"]

    region = people(None)
    region.page.set_viewport_size(PHONE)
    region.go(link.removeprefix(live_server.url))
    region.shot("activate-form")
    region.page.fill("#id_new_password1", "Region-Uppsala-2026-losen")
    region.page.fill("#id_new_password2", "Region-Uppsala-2026-losen")
    region.page.click("main button[type=submit]")
    region.page.wait_for_url(f"**/meetings/{meeting.pk}/")
    region.shot("activated-on-the-meeting")
    assert "Dialog om utökat samarbete" in region.page.inner_text("h1")

    region.page.click("nav >> text=Min part")
    region.page.wait_for_url("**/party/")
    assert fits_the_phone(region.page)
    region.page.click("text=Bjud in en person")
    region.check()
    assert fits_the_phone(region.page)
    region.page.fill("input[name='name']", "Holm, Pär")
    region.page.fill("input[name='email']", "par.holm@region.example")
    region.page.select_option("select[name='role']", "secretary")
    region.page.click("main button[type=submit]")
    region.page.wait_for_url("**/party/")
    region.shot("colleague-invited")
    assert fits_the_phone(region.page)
    assert "Holm, Pär" in region.page.inner_text("main")

    colleague = Membership.objects.get(user__email="par.holm@region.example")
    assert (colleague.party.name, colleague.role) == ("Region Uppsala", Membership.Role.SECRETARY)
    assert OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.ACTIVATION, recipient="par.holm@region.example"
    ).exists()

    # The link is spent: opened again, it says so, and is no error page.
    again = region.page.goto(link)
    assert again.status == 400 and "Länken fungerar inte" in region.page.inner_text("main")
    region.check()

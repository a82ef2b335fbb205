"""Parties and people join without the administrator, in a real headless Chromium against the live server.

The county board's coordinator brings Region Uppsala into the dialogue with the
address of its first coordinator → the activation mail goes through the strict
SMTP server → its link, opened in a fresh browser, sets a password and lands on
the meeting → the region's coordinator invites a colleague from "Min part", on a
390 px phone that must not scroll sideways.
"""

import pytest

from coordination.models import Membership, OutboxMessage
from coordination.outbox import send_due

from .e2e_steps import activate_with_password, bring_in_party, invite_colleague, mailed_activation_link, on_a_phone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "people"


def test_the_county_board_brings_in_region_uppsala_whose_coordinator_activates_and_invites_a_colleague(
    people, settings, live_server, smtp_server, meeting, lansstyrelsen_coordinator
):
    settings.SITE_URL = live_server.url
    county = people(lansstyrelsen_coordinator)
    bring_in_party(
        county,
        meeting,
        name="Region Uppsala",
        short_name="Regionen",
        person="Ekström, Åsa",
        email="asa.ekstrom@region.example",
    )

    assert send_due() == (1, 0)
    link = mailed_activation_link(smtp_server, "asa.ekstrom@region.example")
    assert [r.message["To"].addresses[0].display_name for r in smtp_server.received] == ["Ekström, Åsa"]

    region = on_a_phone(people(None))
    activate_with_password(region, link, meeting, "Region-Uppsala-2026-losen")
    invite_colleague(region, name="Holm, Pär", email="par.holm@region.example", role="secretary")

    colleague = Membership.objects.get(user__email="par.holm@region.example")
    assert (colleague.party.name, colleague.role) == ("Region Uppsala", Membership.Role.SECRETARY)
    assert OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.ACTIVATION, recipient="par.holm@region.example"
    ).exists()

    # The link is spent: opened again, it says so, and is no error page.
    again = region.page.goto(link)
    assert again.status == 400 and "Länken fungerar inte" in region.page.inner_text("main")
    region.check()

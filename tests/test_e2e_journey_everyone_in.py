"""Issue 15's whole journey in one real headless Chromium: everyone in, without an administrator.

The county board, a convener, brings Region Uppsala into the scheduled dialogue
by its coordinator's address → she activates her account from the mail with a
password, on a phone → invites a colleague from "Min part" → adds a guest expert
to the meeting → the expert opens the personal link, enters the mailed code,
reads the agenda and downloads the invitation → the colleague, whose region
signs in through its own identity provider (the local OpenID provider), opens
the activation mail and logs in there instead of choosing a password. Every mail
goes through the strict SMTP server; the steps are those of the journeys in
test_e2e_people.py, test_e2e_guests.py and test_e2e_sso.py (tests/e2e_steps.py).
"""

import pytest

from coordination.models import Guest, Party

from .agenda_support import add_item
from .e2e_steps import (
    activate_with_password,
    add_guest,
    at_provider,
    bring_in_party,
    guest_comes_in,
    guest_downloads_the_invitation,
    invite_colleague,
    mailed_activation_link,
    on_a_phone,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "everyone-in"
COORDINATOR = "asa.ekstrom@region.example"
COLLEAGUE = "par.holm@region.example"
EXPERT = "eva.expert@expert.example"


def test_the_county_board_brings_in_the_region_whose_people_and_guest_expert_all_get_in(
    people,
    live_server,
    settings,
    smtp_server,
    oidc_provider,
    scheduled_meeting,
    kommun,
    polisen,
    kommun_coordinator,
    polis_coordinator,
    lansstyrelsen_coordinator,
):
    settings.SITE_URL = live_server.url
    provider = oidc_provider()
    settings.OIDC_PROVIDERS = [provider.config("regionen", "Region Uppsala", ["region.example"])]
    meeting = scheduled_meeting
    add_item(
        meeting, polisen, polis_coordinator, "Ambulansens väg till Gottsunda", accept_by=(kommun_coordinator, kommun)
    )

    # The county board brings in Region Uppsala; its coordinator activates with a password, on her phone.
    county = people(lansstyrelsen_coordinator)
    bring_in_party(
        county, meeting, name="Region Uppsala", short_name="Regionen", person="Ekström, Åsa", email=COORDINATOR
    )
    region = on_a_phone(people(None))
    activate_with_password(
        region, mailed_activation_link(smtp_server, COORDINATOR), meeting, "Region-Uppsala-2026-losen"
    )

    # She invites a colleague, then adds a guest expert for the region.
    invite_colleague(region, name="Holm, Pär", email=COLLEAGUE, role="member")
    add_guest(region, meeting, Party.objects.get(name="Region Uppsala"), name="Eva Expert", email=EXPERT)

    # The expert comes in by the personal link and the mailed code, reads the agenda, downloads the invitation.
    expert = on_a_phone(people(None))
    guest_comes_in(expert, smtp_server, EXPERT)
    assert "Ambulansens väg till Gottsunda" in expert.page.inner_text("#agenda")
    guest_downloads_the_invitation(expert, meeting)
    assert Guest.objects.get().party.name == "Region Uppsala"

    # The colleague's activation link offers the region's own sign-in: he logs in there and lands on the meeting.
    provider.person("r-holm", email=COLLEAGUE, email_verified=True)
    colleague = people(None)
    colleague.go(mailed_activation_link(smtp_server, COLLEAGUE).removeprefix(live_server.url))
    colleague.shot("colleague-activation-offers-sso")
    colleague.page.click("text=Logga in med Region Uppsala")
    at_provider(colleague.page, provider, "r-holm")
    colleague.page.wait_for_url(f"{live_server.url}/meetings/{meeting.pk}/")
    colleague.shot("colleague-in-by-sso")
    assert meeting.title in colleague.page.inner_text("h1")
    assert "Holm, Pär" in colleague.page.inner_text("header")

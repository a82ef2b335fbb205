"""Minutes in a real headless Chromium: the county board's secretary writes them after the dialogue."""

import pytest

from coordination.models import Action, Agreement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "minutes"


def test_the_secretary_writes_minutes_with_two_agreements_and_three_actions(
    people, held, lansstyrelsen_secretary, polis_member
):
    secretary = people(lansstyrelsen_secretary)
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

    for item_number, text in ((0, "Gemensam lägesbild varje kvartal"), (1, "Ett lokalt poliskontor i Gottsunda")):
        page.get_by_role("link", name="Lägg till överenskommelse").nth(item_number).click()
        page.get_by_label("Överenskommelse").fill(text)
        for party in ("Uppsala kommun", "Länsstyrelsen Uppsala län", "Polismyndigheten"):
            page.get_by_label(party, exact=True).check()
        page.get_by_role("button", name="Lägg till överenskommelse").click()

    for item_number, what, owner in (
        (0, "Utse kontaktperson för NOA", "Polismyndigheten"),
        (0, "Sammanställ lägesbilden", "Länsstyrelsen Uppsala län"),
        (1, "Ta fram lokaler i Gottsunda", "Uppsala kommun"),
    ):
        page.get_by_role("link", name="Lägg till åtgärd").nth(item_number).click()
        page.get_by_label("Vad").fill(what)
        page.get_by_label("Ansvarig part").select_option(label=owner)
        page.get_by_label("Klart senast").fill("2026-12-15")
        page.get_by_role("button", name="Lägg till åtgärd").click()

    secretary.shot("minutes-written")
    assert page.get_by_text("NOA:s").is_visible()
    assert Agreement.objects.filter(minutes__meeting=held).count() == 2
    assert Action.objects.filter(minutes__meeting=held).count() == 3
    for what in ("Utse kontaktperson för NOA", "Sammanställ lägesbilden", "Ta fram lokaler i Gottsunda"):
        assert page.get_by_role("cell", name=what, exact=True).is_visible()

    # The draft is the conveners' alone: the police do not reach it.
    police = people(polis_member)
    police.page.goto(f"{police.base}/meetings/{held.pk}/")
    assert police.page.get_by_role("link", name="Minnesanteckningar").count() == 0

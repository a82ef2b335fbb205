"""The agenda and the positions: services, rules, concurrent edits, ordering, minutes, the .ics and Markdown."""

import io
import re

import icalendar
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from coordination import rules
from coordination.models import AgendaItem, Document, Event, Meeting, Position, PositionVersion
from coordination.rules import MeetingAccess
from coordination.services import agenda, meetings
from coordination.services.base import RuleError

from .agenda_support import (
    add_item,
    attach,
    body_of,
    db_state,
)
from .builders import in_english

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def convener(kommun_coordinator, kommun):
    return (kommun_coordinator, kommun)


@pytest.fixture
def kommun_item(meeting, kommun, kommun_coordinator):
    """Proposed by the municipality, a convening party: on the agenda at once."""
    return add_item(meeting, kommun, kommun_coordinator, "Kameror för brottsutredning", minutes=25)


@pytest.fixture
def polis_item(meeting, polisen, polis_coordinator):
    """Proposed by the police, not yet accepted."""
    return add_item(meeting, polisen, polis_coordinator, "Polisens nationella resursfördelning", minutes=15)


def accepted_titles(meeting):
    return list(meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED).values_list("title", flat=True))


def events(meeting, action):
    return list(Event.objects.filter(meeting=meeting, action=action).order_by("pk"))


def cancel(meeting, kommun, kommun_coordinator):
    meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Inget behov")
    meeting.refresh_from_db()
    return meeting


# Agenda items: the services.


def test_a_proposed_item_waits_for_the_convener_and_the_log_says_who_proposed_it(meeting, polis_item, polisen):
    assert polis_item.status == AgendaItem.Status.PROPOSED
    assert polis_item.order == 0
    assert accepted_titles(meeting) == []
    [event] = events(meeting, Event.Action.AGENDA_ITEM_PROPOSED)
    assert (event.party, event.subject, event.after["planned_minutes"]) == (polisen, polis_item.title, 15)


def test_a_convening_party_s_own_item_is_on_the_agenda_at_once_and_logged_so(
    meeting, polis_item, kommun, kommun_item, lansstyrelsen, lansstyrelsen_secretary
):
    # The county board convenes too: an item its secretary proposes needs nobody's acceptance either.
    board_item = add_item(meeting, lansstyrelsen, lansstyrelsen_secretary, "Förebyggande arbete")

    assert accepted_titles(meeting) == [kommun_item.title, board_item.title]
    assert (kommun_item.status, kommun_item.order, polis_item.status) == ("accepted", 1, "proposed")
    accepted = events(meeting, Event.Action.AGENDA_ITEM_ACCEPTED)
    assert [(e.party, e.subject, e.after) for e in accepted] == [
        (kommun, kommun_item.title, {"status": "accepted", "order": 1}),
        (lansstyrelsen, board_item.title, {"status": "accepted", "order": 2}),
    ]


def test_the_convener_proposing_through_the_page_lands_on_the_meeting_s_agenda(client, meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    response = client.post(
        reverse("agenda_item_create", args=[meeting.pk]),
        {"title": "Kameror", "description": "", "presenting_party": "", "planned_minutes": "20"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("meeting_detail", args=[meeting.pk]) + "#agenda", 302)]
    assert "The agenda item was added to the agenda." in response.content.decode()
    assert AgendaItem.objects.get(title="Kameror").is_accepted


def test_accepting_puts_items_last_in_the_order_they_are_accepted(
    meeting, polis_item, polisen, polis_coordinator, kommun, kommun_coordinator
):
    later = add_item(meeting, polisen, polis_coordinator, "Kameror för brottsutredning")
    agenda.accept_agenda_item(item=later, party=kommun, by=kommun_coordinator)
    agenda.accept_agenda_item(item=polis_item, party=kommun, by=kommun_coordinator)

    assert accepted_titles(meeting) == [later.title, polis_item.title]
    assert list(meeting.agenda_items.order_by("order").values_list("order", flat=True)) == [1, 2]


def test_accepting_twice_changes_nothing_and_logs_once(meeting, polis_item, kommun, kommun_coordinator):
    agenda.accept_agenda_item(item=polis_item, party=kommun, by=kommun_coordinator)
    agenda.accept_agenda_item(item=polis_item, party=kommun, by=kommun_coordinator)

    assert AgendaItem.objects.get(pk=polis_item.pk).order == 1
    assert len(events(meeting, Event.Action.AGENDA_ITEM_ACCEPTED)) == 1


def test_declining_takes_the_item_off_and_renumbers_the_rest(meeting, convener, kommun, kommun_coordinator, polisen):
    items = [add_item(meeting, polisen, kommun_coordinator, f"Punkt {n}", accept_by=convener) for n in (1, 2, 3)]

    agenda.decline_agenda_item(item=items[0], party=kommun, by=kommun_coordinator, reason="  Tas upp i mars  ")

    declined = AgendaItem.objects.get(pk=items[0].pk)
    assert (declined.status, declined.order, declined.decline_reason) == ("declined", 0, "Tas upp i mars")
    assert list(meeting.agenda_items.filter(status="accepted").values_list("title", "order")) == [
        ("Punkt 2", 1),
        ("Punkt 3", 2),
    ]
    [event] = events(meeting, Event.Action.AGENDA_ITEM_DECLINED)
    assert event.before == {"status": "accepted"} and event.after["reason"] == "Tas upp i mars"


def test_a_declined_item_accepted_after_all_goes_last_without_its_reason(
    meeting, convener, kommun, kommun_coordinator, polisen
):
    first = add_item(meeting, polisen, kommun_coordinator, "Först", accept_by=convener)
    add_item(meeting, polisen, kommun_coordinator, "Sedan", accept_by=convener)
    agenda.decline_agenda_item(item=first, party=kommun, by=kommun_coordinator, reason="Nej")

    again = agenda.accept_agenda_item(item=first, party=kommun, by=kommun_coordinator)

    assert (again.status, again.order, again.decline_reason) == ("accepted", 2, "")
    assert accepted_titles(meeting) == ["Sedan", "Först"]


@pytest.mark.parametrize(
    "moved, step, order",
    [
        ("B", -1, ["B", "A", "C"]),
        ("B", 1, ["A", "C", "B"]),
        ("A", -1, ["A", "B", "C"]),  # already first
        ("C", 1, ["A", "B", "C"]),  # already last
    ],
)
def test_moving_an_item_swaps_it_with_its_neighbour(
    meeting, convener, kommun, kommun_coordinator, polisen, moved, step, order
):
    items = {t: add_item(meeting, polisen, kommun_coordinator, t, accept_by=convener) for t in "ABC"}
    events_before = len(events(meeting, Event.Action.AGENDA_REORDERED))

    agenda.move_agenda_item(item=items[moved], party=kommun, by=kommun_coordinator, step=step)

    assert accepted_titles(meeting) == order
    assert sorted(meeting.agenda_items.values_list("order", flat=True)) == [1, 2, 3]
    logged = events(meeting, Event.Action.AGENDA_REORDERED)[events_before:]
    if order == ["A", "B", "C"]:
        assert logged == []  # nothing moved, nothing logged
    else:
        assert [(e.before, e.after) for e in logged] == [({"order": ["A", "B", "C"]}, {"order": order})]


def test_only_an_accepted_item_can_be_moved(polis_item, kommun, kommun_coordinator):
    with pytest.raises(RuleError):
        agenda.move_agenda_item(item=polis_item, party=kommun, by=kommun_coordinator, step=1)


def test_editing_an_item_logs_only_what_changed(meeting, kommun_item, kommun, kommun_coordinator, polisen):
    fields = {"title": kommun_item.title, "description": "Nytt", "presenting_party": polisen, "planned_minutes": 25}

    agenda.edit_agenda_item(item=kommun_item, party=kommun, by=kommun_coordinator, **fields)
    agenda.edit_agenda_item(item=kommun_item, party=kommun, by=kommun_coordinator, **fields)  # no change

    [event] = events(meeting, Event.Action.AGENDA_ITEM_EDITED)
    assert event.before == {"description": "", "presenting_party": ""}
    assert event.after == {"description": "Nytt", "presenting_party": "Polismyndigheten"}


def test_a_cancelled_meetings_agenda_and_positions_cannot_change(
    meeting, kommun_item, kommun, kommun_coordinator, polisen, polis_member, documents_dir
):
    position = agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Utkast", base_version=0)
    cancel(meeting, kommun, kommun_coordinator)
    before = db_state()

    attempts = [
        lambda: agenda.propose_agenda_item(meeting=meeting, party=kommun, by=kommun_coordinator, title="Sent"),
        lambda: agenda.accept_agenda_item(item=kommun_item, party=kommun, by=kommun_coordinator),
        lambda: agenda.decline_agenda_item(item=kommun_item, party=kommun, by=kommun_coordinator, reason="x"),
        lambda: agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Nytt", base_version=1),
        lambda: agenda.set_position_shared(position=position, by=polis_member, shared=True),
        lambda: attach(kommun_item, polisen, polis_member, "sent.txt", b"Sent\n", position=position),
    ]
    for attempt in attempts:
        with pytest.raises(RuleError):
            attempt()
    assert db_state() == before
    assert list(documents_dir.iterdir()) == []


def test_changing_the_agenda_of_a_scheduled_meeting_raises_the_calendar_sequence(
    scheduled_meeting, kommun, kommun_coordinator, polisen, polis_coordinator
):
    item = add_item(scheduled_meeting, polisen, polis_coordinator, "Ny punkt")
    before = Meeting.objects.get(pk=scheduled_meeting.pk).sequence

    agenda.accept_agenda_item(item=item, party=kommun, by=kommun_coordinator)

    assert Meeting.objects.get(pk=scheduled_meeting.pk).sequence > before


# Positions: versions, sharing and the conflict of two editors.


def test_every_save_of_a_position_is_a_version_with_the_text_before_and_after(
    meeting, kommun_item, polisen, polis_member
):
    first = agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Ett", base_version=0)
    second = agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Två", base_version=1)
    same = agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Två", base_version=2)

    assert (first.version, second.version, same.version) == (1, 2, 2)
    assert (second.state, second.text) == ("draft", "Två")
    assert list(second.versions.values_list("number", "text", "state")) == [(1, "Ett", "draft"), (2, "Två", "draft")]
    saved = events(meeting, Event.Action.POSITION_SAVED)
    assert [(e.before, e.after["text"]) for e in saved] == [(None, "Ett"), ({"text": "Ett", "version": 1}, "Två")]


def test_a_save_from_an_older_version_raises_a_conflict_and_writes_nothing(
    meeting, kommun_item, polisen, polis_member, polis_coordinator
):
    agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Ursprunglig", base_version=0)
    agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Första personens", base_version=1)
    before = db_state()

    with pytest.raises(agenda.EditConflict) as conflict:
        agenda.save_position(
            item=kommun_item, party=polisen, by=polis_coordinator, text="Andra personens", base_version=1
        )

    assert conflict.value.current.text == "Första personens"
    assert conflict.value.current.version == 2
    assert db_state() == before


def test_two_members_writing_a_first_version_at_once_do_not_overwrite_each_other(
    kommun_item, polisen, polis_member, polis_coordinator
):
    agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Min", base_version=0)

    with pytest.raises(agenda.EditConflict) as conflict:
        agenda.save_position(item=kommun_item, party=polisen, by=polis_coordinator, text="Din", base_version=0)

    assert conflict.value.current.text == "Min"
    assert Position.objects.get().text == "Min"


def test_sharing_and_withdrawing_are_versions_and_events_of_their_own(meeting, kommun_item, polisen, polis_member):
    position = agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Text", base_version=0)

    agenda.set_position_shared(position=position, by=polis_member, shared=True)
    agenda.set_position_shared(position=position, by=polis_member, shared=True)  # idempotent
    withdrawn = agenda.set_position_shared(position=position, by=polis_member, shared=False)

    assert (withdrawn.state, withdrawn.version) == ("draft", 3)
    assert list(withdrawn.versions.values_list("number", "state")) == [(1, "draft"), (2, "shared"), (3, "draft")]
    actions = [e.action for e in Event.objects.filter(meeting=meeting).order_by("pk")]
    assert actions[-3:] == [Event.Action.POSITION_SAVED, Event.Action.POSITION_SHARED, Event.Action.POSITION_WITHDRAWN]


def edit_url(item, party):
    return reverse("position_edit", args=[item.meeting_id, item.pk, party.pk])


def base_version_in(body):
    match = re.search(r'<input[^>]*name="base_version"[^>]*>', body)
    assert match, "no base_version field"
    return int(re.search(r'value="(\d+)"', match.group(0)).group(1))


def test_two_people_editing_the_same_position_never_overwrite_each_other(
    client, kommun_item, polisen, polis_member, polis_coordinator
):
    """Both open the form at version 1; the first saves; the second gets both texts, then chooses to save."""
    agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Ursprunglig text", base_version=0)
    url = edit_url(kommun_item, polisen)
    client.force_login(polis_member)
    first_base = base_version_in(client.get(url).content.decode())
    client.force_login(polis_coordinator)
    second_base = base_version_in(client.get(url).content.decode())
    assert first_base == second_base == 1

    client.force_login(polis_member)
    saved = client.post(url, {"text": "Handläggarens text", "base_version": first_base})
    client.force_login(polis_coordinator)
    conflict = client.post(url, {"text": "Stabschefens text", "base_version": second_base})

    assert saved.status_code == 302
    assert conflict.status_code == 409
    body = conflict.content.decode()
    assert "Handläggarens text" in body and "Stabschefens text" in body
    assert "Someone else saved this position while you were editing it" in body
    position = Position.objects.get(agenda_item=kommun_item, party=polisen)
    assert (position.text, position.version) == ("Handläggarens text", 2)
    assert base_version_in(body) == 2

    resolved = client.post(url, {"text": "Stabschefens text", "base_version": base_version_in(body)})

    assert resolved.status_code == 302
    position.refresh_from_db()
    assert (position.text, position.version, position.updated_by) == ("Stabschefens text", 3, polis_coordinator)
    # Nothing was lost: every text that was saved is a version.
    assert list(position.versions.values_list("text", flat=True)) == [
        "Ursprunglig text",
        "Handläggarens text",
        "Stabschefens text",
    ]


def test_a_form_opened_before_the_position_existed_conflicts_with_the_first_save(
    client, kommun_item, polisen, polis_member, polis_coordinator
):
    url = edit_url(kommun_item, polisen)
    client.force_login(polis_coordinator)
    assert base_version_in(client.get(url).content.decode()) == 0
    agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="Först på plats", base_version=0)

    response = client.post(url, {"text": "Också först", "base_version": 0})

    assert response.status_code == 409
    assert Position.objects.get().text == "Först på plats"


def test_a_save_based_on_a_position_that_does_not_exist_is_refused_without_a_crash(
    client, kommun_item, polisen, polis_member
):
    client.force_login(polis_member)

    response = client.post(edit_url(kommun_item, polisen), {"text": "Från en gammal flik", "base_version": 3})

    assert response.status_code in (302, 409)
    assert not Position.objects.exists()


# The views of the agenda and the positions, for those who may use them.


def test_a_member_proposes_and_the_convener_accepts_through_the_pages(
    client, meeting, polis_member, kommun_coordinator
):
    client.force_login(polis_member)
    response = client.post(
        reverse("agenda_item_create", args=[meeting.pk]),
        {"title": "Trygghet i Gottsunda", "description": "", "presenting_party": "", "planned_minutes": "20"},
    )
    item = AgendaItem.objects.get(title="Trygghet i Gottsunda")
    # Back on the meeting, at its agenda, where the item now waits.
    assert response.status_code == 302 and response.url == reverse("meeting_detail", args=[meeting.pk]) + "#agenda"
    assert (item.status, item.proposed_by) == ("proposed", polis_member)

    client.force_login(kommun_coordinator)
    response = client.post(reverse("agenda_item_accept", args=[meeting.pk, item.pk]))

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.order) == ("accepted", 1)


def test_the_convener_declines_with_a_reason_every_party_reads(
    client, meeting, polis_item, kommun_coordinator, polis_member
):
    client.force_login(kommun_coordinator)
    url = reverse("agenda_item_decline", args=[meeting.pk, polis_item.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    assert AgendaItem.objects.get(pk=polis_item.pk).status == "proposed"

    assert client.post(url, {"reason": "Tas upp på nationell nivå"}).status_code == 302

    client.force_login(polis_member)
    body = client.get(reverse("agenda_item_detail", args=[meeting.pk, polis_item.pk])).content.decode()
    assert "Declined. Reason:" in body and "Tas upp på nationell nivå" in body


def test_the_proposer_edits_its_item_while_it_is_only_proposed(
    client, meeting, polis_item, polis_coordinator, convener
):
    client.force_login(polis_coordinator)
    url = reverse("agenda_item_edit", args=[meeting.pk, polis_item.pk])
    data = {"title": "Resursfördelning 2027", "description": "", "presenting_party": "", "planned_minutes": "20"}

    assert client.post(url, data).status_code == 302
    assert AgendaItem.objects.get(pk=polis_item.pk).title == "Resursfördelning 2027"

    agenda.accept_agenda_item(item=polis_item, party=convener[1], by=convener[0])
    assert client.post(url, {**data, "title": "Ändrad efteråt"}).status_code == 403
    assert AgendaItem.objects.get(pk=polis_item.pk).title == "Resursfördelning 2027"


def item_data(body, **changes):
    """What the edit form would post, read from the page: its fields as opened, with the user's changes."""
    data = {"base_version": base_version_in(body)}
    for name in ("title", "planned_minutes"):
        data[name] = re.search(rf'name="{name}"[^>]*value="([^"]*)"', body).group(1)
    data.update({"description": "", "presenting_party": "", **changes})
    return data


def test_two_people_editing_the_same_agenda_item_never_overwrite_each_other(
    client, meeting, polis_item, polis_coordinator, kommun_coordinator, polisen
):
    """Both open the form at version 1; the first saves; the second gets both texts, as for a position."""
    url = reverse("agenda_item_edit", args=[meeting.pk, polis_item.pk])
    convener = in_english(Client())  # a second browser
    client.force_login(polis_coordinator)
    convener.force_login(kommun_coordinator)
    first = item_data(client.get(url).content.decode(), description="Polisens beskrivning")
    second = item_data(convener.get(url).content.decode(), description="Sammankallandes beskrivning")
    assert first["base_version"] == second["base_version"] == 1

    saved = client.post(url, first)
    conflict = convener.post(url, {**second, "presenting_party": polisen.pk})

    assert saved.status_code == 302
    assert conflict.status_code == 409
    body = conflict.content.decode()
    assert "Someone else saved this agenda item while you were editing it" in body
    assert "Polisens beskrivning" in body and "Sammankallandes beskrivning" in body
    assert "Presented by Polismyndigheten" in body  # the loser's own choice of presenter, kept too
    item = AgendaItem.objects.get(pk=polis_item.pk)
    assert (item.description, item.version, item.updated_by) == ("Polisens beskrivning", 2, polis_coordinator)
    assert base_version_in(body) == 2
    # The form on that page still holds what the loser typed, now based on the saved version.
    assert re.search(r'<textarea name="description"[^>]*>\s*Sammankallandes beskrivning</textarea>', body)
    assert re.search(rf'<option value="{polisen.pk}" selected>', body)

    resolved = convener.post(url, {**second, "base_version": base_version_in(body)})

    assert resolved.status_code == 302
    item.refresh_from_db()
    assert (item.description, item.version, item.updated_by) == ("Sammankallandes beskrivning", 3, kommun_coordinator)
    # A fresh form, opened after that save, saves at once.
    reloaded = item_data(client.get(url).content.decode(), description="Slutlig beskrivning")
    assert client.post(url, reloaded).status_code == 302
    item.refresh_from_db()
    assert (item.description, item.version) == ("Slutlig beskrivning", 4)
    edits = events(meeting, Event.Action.AGENDA_ITEM_EDITED)
    assert [e.after["description"] for e in edits] == [
        "Polisens beskrivning",
        "Sammankallandes beskrivning",
        "Slutlig beskrivning",
    ]


def test_an_item_edit_from_an_older_version_raises_a_conflict_and_writes_nothing(
    meeting, polis_item, polisen, polis_coordinator, kommun, kommun_coordinator
):
    fields = {"title": polis_item.title, "presenting_party": None, "planned_minutes": 15}
    agenda.edit_agenda_item(
        item=polis_item, party=polisen, by=polis_coordinator, base_version=1, **fields, description="Ett"
    )
    before = db_state()

    with pytest.raises(agenda.EditConflict) as conflict:
        agenda.edit_agenda_item(
            item=polis_item, party=kommun, by=kommun_coordinator, base_version=1, **fields, description="Två"
        )
    # The same text again is the second post of a double click: nothing to lose, nothing to refuse.
    again = agenda.edit_agenda_item(
        item=polis_item, party=polisen, by=polis_coordinator, base_version=1, **fields, description="Ett"
    )

    assert (conflict.value.current.description, conflict.value.current.version) == ("Ett", 2)
    assert again.version == 2
    assert db_state() == before


def test_the_up_and_down_buttons_reorder_the_agenda_on_the_meeting_page(
    client, meeting, convener, kommun_coordinator, polisen
):
    items = [add_item(meeting, polisen, kommun_coordinator, f"Punkt {n}", accept_by=convener) for n in "ABC"]
    client.force_login(kommun_coordinator)

    down = client.post(reverse("agenda_item_down", args=[meeting.pk, items[0].pk]))
    up = client.post(reverse("agenda_item_up", args=[meeting.pk, items[2].pk]))

    assert down.status_code == up.status_code == 302
    assert down.url.endswith(f"#agenda-item-{items[0].pk}")
    assert accepted_titles(meeting) == ["Punkt B", "Punkt C", "Punkt A"]
    body = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert body.index("Punkt B") < body.index("Punkt C") < body.index("Punkt A")
    before = db_state()
    assert client.get(reverse("agenda_item_up", args=[meeting.pk, items[2].pk])).status_code == 405
    assert db_state() == before


def test_moving_a_proposed_item_is_refused_with_a_message(client, meeting, polis_item, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("agenda_item_up", args=[meeting.pk, polis_item.pk]), follow=True)

    assert "Only accepted items have a place on the agenda." in response.content.decode()
    assert db_state() == before


def test_a_party_writes_shares_and_withdraws_its_position_through_the_pages(
    client, meeting, kommun_item, polisen, polis_member
):
    client.force_login(polis_member)
    response = client.post(edit_url(kommun_item, polisen), {"text": "Polisens syn", "base_version": 0})
    assert response.status_code == 302
    position = Position.objects.get(agenda_item=kommun_item, party=polisen)
    assert position.state == "draft"

    share_url = reverse("position_share", args=[meeting.pk, position.pk])
    confirm = client.get(share_url)
    assert confirm.status_code == 200 and Position.objects.get(pk=position.pk).state == "draft"
    assert client.post(share_url).status_code == 302
    assert Position.objects.get(pk=position.pk).state == "shared"

    assert client.post(reverse("position_withdraw", args=[meeting.pk, position.pk])).status_code == 302
    assert Position.objects.get(pk=position.pk).state == "draft"


def test_the_versions_page_compares_two_versions(client, meeting, kommun_item, polisen, polis_member):
    agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text="rad ett\nrad två", base_version=0)
    position = agenda.save_position(
        item=kommun_item, party=polisen, by=polis_member, text="rad ett\nrad tre", base_version=1
    )
    client.force_login(polis_member)

    response = client.get(reverse("position_versions", args=[meeting.pk, position.pk]) + "?from=1&to=2")

    assert response.status_code == 200
    assert response.context["diff"] == [("same", "rad ett"), ("removed", "rad två"), ("added", "rad tre")]


# Minutes, the .ics and Markdown.


def test_the_planned_minutes_add_up_on_the_meeting_page_and_in_the_kallelse(
    client, meeting, convener, kommun_coordinator, polisen, kommun_member
):
    for title, minutes in (("NOA", 30), ("Kameror", 25), ("Gottsunda", 25), ("Förebyggande", 30)):
        add_item(meeting, polisen, kommun_coordinator, title, accept_by=convener, minutes=minutes)
    add_item(meeting, polisen, kommun_coordinator, "Bara föreslagen", minutes=15)  # not on the agenda yet
    client.force_login(kommun_member)

    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    kallelse = client.get(reverse("kallelse", args=[meeting.pk])).content.decode()

    assert "Planned: 110 of the meeting's 120 minutes." in page
    assert "The agenda is longer than the meeting." not in page
    assert "Planned: 110 of the meeting's 120 minutes." in kallelse

    add_item(meeting, polisen, kommun_coordinator, "En till", accept_by=convener, minutes=15)
    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Planned: 125 of the meeting's 120 minutes." in page
    assert "The agenda is longer than the meeting." in page


def ics_description(client, meeting):
    response = client.get(reverse("meeting_ics", args=[meeting.pk]))
    assert response.status_code == 200
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    return str(event["DESCRIPTION"]), body_of(response)


def test_the_ics_lists_the_accepted_agenda_in_order_and_never_a_position_or_a_document(
    client, scheduled_meeting, convener, kommun, kommun_coordinator, polisen, polis_member, kommun_member, documents_dir
):
    a, b, c = (
        add_item(scheduled_meeting, polisen, kommun_coordinator, t, accept_by=convener)
        for t in ("Alfa", "Beta", "Gamma")
    )
    agenda.move_agenda_item(item=c, party=kommun, by=kommun_coordinator, step=-1)
    add_item(scheduled_meeting, polisen, kommun_coordinator, "Föreslagen punkt")
    declined = add_item(scheduled_meeting, polisen, kommun_coordinator, "Avböjd punkt", accept_by=convener)
    agenda.decline_agenda_item(item=declined, party=kommun, by=kommun_coordinator, reason="Nej")
    shared = agenda.save_position(item=a, party=polisen, by=polis_member, text="DELAD-STÅNDPUNKT-901", base_version=0)
    agenda.set_position_shared(position=shared, by=polis_member, shared=True)
    agenda.save_position(item=b, party=kommun, by=kommun_coordinator, text="UTKAST-902", base_version=0)
    attach(a, polisen, polis_member, "bilaga-903.txt", b"DOKUMENTINNEHALL-904\n", position=shared)
    attach(b, kommun, kommun_coordinator, "bilaga-905.txt", b"DOKUMENTINNEHALL-906\n")

    for user in (kommun_coordinator, kommun_member, polis_member):
        client.force_login(user)
        description, body = ics_description(client, scheduled_meeting)

        assert "1. Alfa\n2. Gamma\n3. Beta" in description
        for absent in (
            "Föreslagen punkt",
            "Avböjd punkt",
            "DELAD-STÅNDPUNKT-901",
            "UTKAST-902",
            "bilaga-903",
            "DOKUMENTINNEHALL-904",
            "bilaga-905",
            "DOKUMENTINNEHALL-906",
        ):
            assert absent not in body


MARKDOWN = """Polisens ståndpunkt:

- första punkten
- andra punkten

Läs mer på [polisens webbplats](https://polisen.se/om-polisen).

<script>alert(1)</script>

<img src=x onerror=alert(1)>

[x](javascript:alert(1)) och [y](JaVaScRiPt:alert(2))

<a href="javascript:alert(3)" onclick="alert(4)">z</a> <p onmouseover="alert(5)">p</p>
"""


@pytest.mark.parametrize("page", ["meeting_detail", "agenda_item_detail", "kallelse"])
@pytest.mark.parametrize("reader", ["polis_member", "kommun_member"])
def test_a_position_in_markdown_renders_its_list_and_link_and_nothing_that_runs(
    client, request, meeting, kommun_item, convener, polisen, polis_member, page, reader
):
    agenda.accept_agenda_item(item=kommun_item, party=convener[1], by=convener[0])
    position = agenda.save_position(item=kommun_item, party=polisen, by=polis_member, text=MARKDOWN, base_version=0)
    agenda.set_position_shared(position=position, by=polis_member, shared=True)
    client.force_login(request.getfixturevalue(reader))
    args = [meeting.pk, kommun_item.pk] if page == "agenda_item_detail" else [meeting.pk]

    body = client.get(reverse(page, args=args)).content.decode()

    # HTML in the text stays text, shown escaped; no tag of the page runs anything.
    tags = re.findall(r"<[a-z][^>]*>", body.lower())
    # The page's own scripts are static files; none comes from the text.
    assert not [
        tag for tag in tags if tag.startswith("<img") or (tag.startswith("<script") and ' src="/static/' not in tag)
    ]
    assert not [tag for tag in tags if re.search(r"\son\w+=|javascript:", tag)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<li>första punkten</li>" in body and "<li>andra punkten</li>" in body
    assert re.search(r'<a href="https://polisen.se/om-polisen"[^>]*>polisens webbplats</a>', body)


# Rules: who may do what with the agenda and the positions.

AGENDA_RIGHTS = [
    # persona, may propose an item, may manage the agenda
    ("kommun_coordinator", True, True),
    ("lansstyrelsen_coordinator", True, True),
    ("kommun_member", True, False),
    ("lansstyrelsen_secretary", False, False),
    ("polis_coordinator", True, False),
    ("polis_member", True, False),
    ("polis_secretary", False, False),
    ("outsider", False, False),
]


@pytest.mark.parametrize("persona, may_propose, may_manage", AGENDA_RIGHTS)
def test_who_proposes_and_who_manages_the_agenda(request, meeting, persona, may_propose, may_manage):
    access = MeetingAccess.for_user(request.getfixturevalue(persona), meeting)

    assert rules.can_propose_agenda_item(access) is may_propose
    assert rules.can_manage_agenda(access) is may_manage


@pytest.mark.parametrize("persona", ["kommun_coordinator", "polis_coordinator", "polis_member"])
def test_nobody_proposes_or_manages_once_the_meeting_is_cancelled(
    request, meeting, kommun, kommun_coordinator, persona
):
    meeting = cancel(meeting, kommun, kommun_coordinator)
    access = MeetingAccess.for_user(request.getfixturevalue(persona), meeting)

    assert not rules.can_propose_agenda_item(access)
    assert not rules.can_manage_agenda(access)
    assert rules.position_party_ids(access) == []


EDIT_RIGHTS = [
    # persona, may edit the police's proposed item, may edit it once accepted, may attach a document to it once accepted
    ("kommun_coordinator", True, True, True),
    ("kommun_member", False, False, False),
    ("lansstyrelsen_secretary", False, False, False),
    ("polis_coordinator", True, False, True),
    ("polis_member", True, False, True),
    ("polis_secretary", False, False, True),
    ("outsider", False, False, False),
]


@pytest.mark.parametrize("persona, edit_proposed, edit_accepted, attach_accepted", EDIT_RIGHTS)
def test_who_edits_an_item_and_attaches_documents_to_it(
    request, meeting, polis_item, convener, persona, edit_proposed, edit_accepted, attach_accepted
):
    user = request.getfixturevalue(persona)
    access = MeetingAccess.for_user(user, meeting)
    assert rules.can_edit_agenda_item(access, polis_item) is edit_proposed

    accepted = agenda.accept_agenda_item(item=polis_item, party=convener[1], by=convener[0])

    assert rules.can_edit_agenda_item(access, accepted) is edit_accepted
    assert rules.can_attach_to_item(access, accepted) is attach_accepted


@pytest.mark.parametrize(
    "persona, own_party",
    [
        ("polis_member", "polisen"),
        ("polis_secretary", "polisen"),
        ("kommun_coordinator", "kommun"),
        ("lansstyrelsen_secretary", "lansstyrelsen"),
    ],
)
def test_every_member_writes_only_its_own_partys_positions(
    request, meeting, kommun_item, persona, own_party, kommun, lansstyrelsen, polisen
):
    access = MeetingAccess.for_user(request.getfixturevalue(persona), meeting)
    parties = {"kommun": kommun, "lansstyrelsen": lansstyrelsen, "polisen": polisen}

    assert rules.position_party_ids(access) == [parties[own_party].pk]
    for key, party in parties.items():
        assert rules.can_write_position_for(access, party.pk) is (key == own_party)
        position = Position(agenda_item=kommun_item, party=party, text="x")
        assert rules.can_attach_to_position(access, position) is (key == own_party)


def test_an_outsider_writes_no_position(meeting, outsider, region):
    access = MeetingAccess.for_user(outsider, meeting)

    assert rules.position_party_ids(access) == []
    assert not rules.can_write_position_for(access, region.pk)


# The demo data.


def test_the_demo_has_the_letters_agenda_with_a_shared_and_a_draft_position(client, db, documents_dir):
    call_command("load_demo", stdout=io.StringIO())
    dialogue = Meeting.objects.get(title="Dialog om utökat samarbete")

    assert accepted_titles(dialogue) == [
        "Stöd från Nationella operativa avdelningen (NOA)",
        "Kameror för brottsutredning",
        "Lokalt poliskontor i Gottsunda",
        "Långsiktigt förebyggande arbete i utsatta områden",
    ]
    assert list(dialogue.agenda_items.filter(status="proposed").values_list("title", flat=True)) == [
        "Polisens nationella resursfördelning 2027"
    ]
    positions = {
        (p.agenda_item.title, p.party.short_name): p.state
        for p in Position.objects.filter(agenda_item__meeting=dialogue).select_related("agenda_item", "party")
    }
    assert positions["Lokalt poliskontor i Gottsunda", "Kommunen"] == "shared"
    assert positions["Stöd från Nationella operativa avdelningen (NOA)", "Polisen"] == "draft"
    [document] = Document.objects.filter(agenda_item__meeting=dialogue)
    assert document.position.party.short_name == "Kommunen"
    assert [p.name for p in documents_dir.iterdir()] == [document.file.name]

    assert "NOA kan bidra med analysstöd" in Position.objects.get(state="draft", agenda_item__meeting=dialogue).text
    client.force_login(get_user("kommun.ordforande"))
    page = client.get(reverse("meeting_detail", args=[dialogue.pk])).content.decode()
    assert "Lokalt poliskontor i Gottsunda" in page and document.original_name in page
    assert "NOA kan bidra med analysstöd" not in page
    client.force_login(get_user("polis.handlaggare"))
    page = client.get(reverse("meeting_detail", args=[dialogue.pk])).content.decode()
    assert "NOA kan bidra med analysstöd" in page


def get_user(username):
    return get_user_model().objects.get(username=username)


def test_the_demo_positions_have_their_versions_and_events(db, documents_dir):
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # the second run adds nothing
    dialogue = Meeting.objects.get(title="Dialog om utökat samarbete")

    assert Position.objects.filter(agenda_item__meeting=dialogue).count() == 3
    assert PositionVersion.objects.filter(position__agenda_item__meeting=dialogue, state="shared").count() == 2
    assert len(events(dialogue, Event.Action.POSITION_SHARED)) == 2
    assert Document.objects.count() == 1

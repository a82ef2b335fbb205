"""Minutes, agreements, decisions and actions after the meeting (issue 17, sections 1, 2 and 5)."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from coordination import rules
from coordination.models import Action, Event, Minutes, OutboxMessage, Presence
from coordination.services import minutes as service
from coordination.services.agenda import EditConflict
from coordination.services.base import RuleError

pytestmark = pytest.mark.django_db


def access(user, meeting):
    return rules.MeetingAccess.for_user(user, meeting)


def write(meeting, by, party, text="Polisen redogjorde för läget.", item=0, base_version=0):
    return service.save_entry(
        meeting=meeting, item=meeting.items[item], party=party, by=by, text=text, base_version=base_version
    )


# The rules.


def test_minutes_are_not_offered_before_the_meeting_starts(scheduled_meeting, lansstyrelsen_secretary):
    assert not rules.can_write_minutes(access(lansstyrelsen_secretary, scheduled_meeting), None)
    assert not rules.can_see_minutes(access(lansstyrelsen_secretary, scheduled_meeting), None)


def test_the_convening_secretary_writes_and_the_invited_party_neither_writes_nor_sees(
    held, lansstyrelsen_secretary, polis_coordinator, polis_secretary, polis_member, kommun_coordinator
):
    assert rules.can_write_minutes(access(lansstyrelsen_secretary, held), None)
    assert rules.can_see_minutes(access(kommun_coordinator, held), None)
    assert not rules.can_write_minutes(access(kommun_coordinator, held), None)
    for user in (polis_coordinator, polis_secretary, polis_member):
        assert not rules.can_write_minutes(access(user, held), None)
        assert not rules.can_see_minutes(access(user, held), None)


def test_a_named_minute_taker_of_the_invited_party_writes(
    held, kommun, kommun_coordinator, polis_member, polis_coordinator
):
    minutes = service.name_minute_taker(meeting=held, party=kommun, by=kommun_coordinator, user=polis_member)
    assert rules.can_write_minutes(access(polis_member, held), minutes)
    assert rules.can_see_minutes(access(polis_member, held), minutes)
    # Only the minute-taker, not their party.
    assert not rules.can_see_minutes(access(polis_coordinator, held), minutes)


def test_a_party_records_decisions_only_for_itself(held, kommun, lansstyrelsen, kommun_coordinator, polisen):
    convener = access(kommun_coordinator, held)
    assert rules.can_record_decision_for(convener, None, kommun.pk)
    assert not rules.can_record_decision_for(convener, None, lansstyrelsen.pk)
    assert not rules.can_record_decision_for(convener, None, polisen.pk)


def test_minutes_no_longer_draft_cannot_be_written(held, lansstyrelsen, lansstyrelsen_secretary):
    minutes = Minutes.objects.create(meeting=held, state=Minutes.State.UNDER_REVIEW)
    assert not rules.can_write_minutes(access(lansstyrelsen_secretary, held), minutes)
    with pytest.raises(RuleError):
        write(held, lansstyrelsen_secretary, lansstyrelsen)


# The services.


def test_saving_minutes_renders_markdown_logs_privately_and_refuses_a_stale_edit(
    held, lansstyrelsen, lansstyrelsen_secretary
):
    entry = write(held, lansstyrelsen_secretary, lansstyrelsen, text="**Viktigt** <script>alert(1)</script>")
    assert "<strong>Viktigt</strong>" in entry.html and "<script" not in entry.html
    entry = write(held, lansstyrelsen_secretary, lansstyrelsen, text="Andra versionen", base_version=1)
    assert entry.version == 2
    with pytest.raises(EditConflict) as conflict:
        write(held, lansstyrelsen_secretary, lansstyrelsen, text="Tredje, från version 1", base_version=1)
    assert conflict.value.current.text == "Andra versionen"
    events = Event.objects.filter(meeting=held, action=Event.Action.MINUTES_SAVED)
    assert events.count() == 2 and all(event.private for event in events)


def test_presence_agreement_decision_and_action_each_log_an_event(
    held, kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_secretary
):
    by, party, item = lansstyrelsen_secretary, lansstyrelsen, held.items[0]
    service.record_presence(meeting=held, party=party, by=by, present_ids=[])
    assert Presence.objects.get(attendee=held.attendee).present is False
    service.add_present_person(meeting=held, party=party, by=by, name="Kommundirektör", person_party=kommun)
    agreement = service.add_agreement(
        meeting=held, item=item, party=party, by=by, text="Gemensam lägesbild", parties=[kommun, polisen]
    )
    assert set(agreement.parties.all()) == {kommun, polisen}
    decision = service.record_decision(
        agreement=agreement,
        party=kommun,
        by=kommun_coordinator,
        body="kommunstyrelsen",
        decided_on=datetime.date(2026, 12, 1),
        registration_number="KS-2026/123",
    )
    assert decision.registration_number == "KS-2026/123"
    action = service.add_action(
        meeting=held,
        item=item,
        party=party,
        by=by,
        what="Ta fram avtal",
        owner_party=polisen,
        due_on=datetime.date(2026, 12, 15),
        person="Rikspolischefens stab",
    )
    with pytest.raises(RuleError):
        service.set_action_status(action=action, party=polisen, by=by, status=Action.Status.DROPPED, reason=" ")
    service.set_action_status(action=action, party=polisen, by=by, status=Action.Status.DONE)
    actions = list(Event.objects.filter(meeting=held).values_list("action", flat=True))
    for kind in ("presence_recorded", "agreement_added", "decision_recorded", "action_added", "action_status_changed"):
        assert kind in actions


# The pages.


def test_the_meeting_page_links_to_the_minutes_only_for_those_who_see_them(
    client, held, lansstyrelsen_secretary, polis_coordinator
):
    minutes_url = f'href="{reverse("minutes", args=[held.pk])}"'
    client.force_login(lansstyrelsen_secretary)
    assert minutes_url in client.get(reverse("meeting_detail", args=[held.pk])).content.decode()
    client.force_login(polis_coordinator)
    assert minutes_url not in client.get(reverse("meeting_detail", args=[held.pk])).content.decode()


def test_the_draft_never_reaches_a_member_of_an_invited_party(
    client, held, lansstyrelsen, lansstyrelsen_secretary, polis_coordinator, polis_member
):
    write(held, lansstyrelsen_secretary, lansstyrelsen, text="Hemlig utkasttext")
    for user in (polis_coordinator, polis_member):
        client.force_login(user)
        assert client.get(reverse("minutes", args=[held.pk])).status_code == 403
        for page in ("meeting_detail", "event_log"):
            assert "Hemlig utkasttext" not in client.get(reverse(page, args=[held.pk])).content.decode()


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("minutes_entry", lambda m: {"item_pk": m.items[0].pk}),
        ("minutes_presence", lambda m: {}),
        ("agreement_create", lambda m: {"item_pk": m.items[0].pk}),
        ("action_create", lambda m: {"item_pk": m.items[0].pk}),
    ],
)
def test_the_invited_party_and_the_convening_coordinator_cannot_write(
    client, held, name, kwargs, polis_secretary, kommun_coordinator, lansstyrelsen_secretary
):
    url = reverse(name, kwargs={"pk": held.pk, **kwargs(held)})
    for user in (polis_secretary, kommun_coordinator):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(lansstyrelsen_secretary)
    assert client.get(url).status_code == 200


def test_a_stale_save_of_the_minutes_shows_the_conflict_page(client, held, lansstyrelsen, lansstyrelsen_secretary):
    write(held, lansstyrelsen_secretary, lansstyrelsen, text="Första")
    write(held, lansstyrelsen_secretary, lansstyrelsen, text="Någon annans", base_version=1)
    client.force_login(lansstyrelsen_secretary)
    url = reverse("minutes_entry", args=[held.pk, held.items[0].pk])
    response = client.post(url, {"text": "Min egen", "base_version": "1"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Någon annans" in body and "Min egen" in body


def test_a_decision_is_recorded_only_for_the_own_party(
    client, held, kommun, lansstyrelsen, polisen, lansstyrelsen_secretary, kommun_coordinator
):
    agreement = service.add_agreement(
        meeting=held,
        item=held.items[0],
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        text="Samverka",
        parties=[kommun, lansstyrelsen],
    )
    client.force_login(kommun_coordinator)
    data = {"body": "kommunstyrelsen", "decided_on": "2026-12-01", "registration_number": "KS-1"}
    other = reverse("decision_record", args=[held.pk, agreement.pk, lansstyrelsen.pk])
    assert client.post(other, data).status_code == 403
    own = reverse("decision_record", args=[held.pk, agreement.pk, kommun.pk])
    assert client.post(own, data).status_code == 302
    assert agreement.decisions.get().party == kommun


# Waiting for you, and the reminder of an overdue action.


def overdue_action(held, owner, by, party, *, days_late=1, what="Utse kontaktperson"):
    return service.add_action(
        meeting=held,
        item=held.items[0],
        party=party,
        by=by,
        what=what,
        owner_party=owner,
        due_on=timezone.localdate() - datetime.timedelta(days=days_late),
    )


def test_an_open_action_waits_for_its_owner_party(
    client, held, kommun, lansstyrelsen, lansstyrelsen_secretary, kommun_coordinator, polis_coordinator, polisen
):
    overdue_action(held, kommun, lansstyrelsen_secretary, lansstyrelsen)
    overdue_action(held, polisen, lansstyrelsen_secretary, lansstyrelsen)
    client.force_login(kommun_coordinator)
    body = client.get(reverse("my_meetings")).content.decode()
    assert body.count("Utse kontaktperson") == 1
    # The police's own action is in a draft the police do not see.
    client.force_login(polis_coordinator)
    assert "Utse kontaktperson" not in client.get(reverse("my_meetings")).content.decode()


def test_an_overdue_action_is_reminded_once_and_never_to_a_party_that_cannot_see_the_draft(
    held, kommun, lansstyrelsen, polisen, lansstyrelsen_secretary, kommun_coordinator
):
    overdue_action(held, kommun, lansstyrelsen_secretary, lansstyrelsen)
    overdue_action(held, polisen, lansstyrelsen_secretary, lansstyrelsen)
    call_command("send_reminders", stdout=open("/dev/null", "w"))
    sent = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.ACTION_OVERDUE)
    assert list(sent.values_list("recipient", flat=True)) == [kommun_coordinator.email]
    assert "Utse kontaktperson" in sent.get().text
    call_command("send_reminders", stdout=open("/dev/null", "w"))
    assert sent.count() == 1
    assert not Action.objects.filter(overdue_reminded_at__isnull=True, owner_party=kommun).exists()
    # Nobody of the police may see the draft yet: their action waits, unmarked, to be reminded once they may.
    assert Action.objects.get(owner_party=polisen).overdue_reminded_at is None


def test_an_action_not_yet_due_is_not_reminded(held, kommun, lansstyrelsen, lansstyrelsen_secretary):
    overdue_action(held, kommun, lansstyrelsen_secretary, lansstyrelsen, days_late=0, what="Senare")
    assert service.send_overdue_action_reminders(timezone.localdate()) == 0


def test_unticking_everyone_records_them_absent(client, held, lansstyrelsen_secretary):
    """With every box unticked the browser sends no field at all: still a save, not the form again."""
    client.force_login(lansstyrelsen_secretary)
    response = client.post(reverse("minutes_presence", args=[held.pk]))
    assert response.status_code == 302
    assert Presence.objects.get(attendee=held.attendee).present is False


def test_a_minute_taker_of_the_invited_party_writes_for_the_conveners_and_their_party_sees_nothing(
    client, held, kommun, kommun_coordinator, polis_member, polis_coordinator
):
    service.name_minute_taker(meeting=held, party=kommun, by=kommun_coordinator, user=polis_member)
    client.force_login(polis_member)
    url = reverse("minutes_entry", args=[held.pk, held.items[0].pk])
    assert client.post(url, {"text": "Utkast från polisens protokollförare", "base_version": "0"}).status_code == 302
    assert Event.objects.get(action=Event.Action.MINUTES_SAVED).party == kommun
    client.force_login(polis_coordinator)
    assert "Utkast från polisens" not in client.get(reverse("event_log", args=[held.pk])).content.decode()
    client.force_login(kommun_coordinator)
    assert "Utkast från polisens" in client.get(reverse("minutes", args=[held.pk])).content.decode()

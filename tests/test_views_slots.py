"""Proposing and withdrawing times through the views, and bad input: a clear message, and nothing stored."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from coordination.formatting import slot_label
from coordination.forms import SlotForm
from coordination.models import Answer, Event, Membership, Slot
from coordination.services import meetings
from coordination.times import stockholm_datetime, to_stockholm

from .builders import future_time, next_weekday, slot_formset, slot_row
from .views_support import db_state, detail_url, messages_of, url_for

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")
Role = Membership.Role
UTC = datetime.UTC


# Proposing and withdrawing slots.


@pytest.mark.parametrize(
    "persona, party", [("polis_coordinator", "polisen"), ("lansstyrelsen_coordinator", "lansstyrelsen")]
)
def test_a_coordinator_of_any_party_proposes_a_slot(client, request, meeting, persona, party):
    user, party = request.getfixturevalue(persona), request.getfixturevalue(party)
    client.force_login(user)
    start = stockholm_datetime(next_weekday(40), datetime.time(13))
    end = start + datetime.timedelta(hours=2)

    response = client.post(
        reverse("propose_slots", args=[meeting.pk]), slot_formset(slot_row(start.date(), "13:00", "15:00"))
    )

    assert response.status_code == 302 and response.url == detail_url(meeting)
    slot = meeting.slots.get(start=start)
    assert (slot.end, slot.proposed_by_party, slot.proposed_by) == (end, party, user)
    assert Answer.objects.get(slot=slot).party == party  # a party proposes times it can attend
    [(level, text)] = messages_of(response)
    assert level == "success" and "1" in text


def test_the_proposing_coordinator_sees_a_confirmation_page_before_withdrawing(
    client, meeting, slots, kommun_coordinator
):
    client.force_login(kommun_coordinator)

    response = client.get(url_for("withdraw_slot", meeting))

    assert response.status_code == 200
    with translation.override("en"):
        assert slot_label(slots[0]) in response.context["question"]
    slots[0].refresh_from_db()
    assert slots[0].withdrawn_at is None


def test_the_proposing_coordinator_withdraws_a_slot_and_the_row_remains(client, meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)
    slot_count = Slot.objects.count()

    response = client.post(reverse("withdraw_slot", args=[meeting.pk, slots[0].pk]))

    assert response.status_code == 302 and response.url == detail_url(meeting)
    assert Slot.objects.count() == slot_count
    slots[0].refresh_from_db()
    assert slots[0].withdrawn_at is not None
    assert Answer.objects.filter(slot=slots[0]).exists()  # the answers stay too
    assert Event.objects.filter(meeting=meeting, action=Event.Action.SLOT_WITHDRAWN).count() == 1
    assert [level for level, _ in messages_of(response)] == ["success"]


def test_only_the_police_coordinators_withdraw_a_police_slot(
    client, meeting, polisen, polis_coordinator, kommun_coordinator
):
    [slot] = meetings.propose_slots(meeting=meeting, party=polisen, by=polis_coordinator, times=[future_time(30)])
    url = reverse("withdraw_slot", args=[meeting.pk, slot.pk])
    before = db_state()

    client.force_login(kommun_coordinator)
    assert client.post(url).status_code == 403
    assert db_state() == before

    client.force_login(polis_coordinator)
    assert client.post(url).status_code == 302
    slot.refresh_from_db()
    assert slot.is_withdrawn


# Bad input when proposing slots: a clear message, and nothing is stored.


def propose(client, meeting, *rows, save_anyway=False):
    return client.post(reverse("propose_slots", args=[meeting.pk]), slot_formset(*rows, save_anyway=save_anyway))


def names_the_wall_clock(message, day, minutes):
    """The message names 02:30 (or 02.30) and the day, however the date is formatted."""
    return (
        bool(re.search(rf"\b0?2[.:]{minutes}\b", message))
        and str(day.year) in message
        and (day.isoformat() in message or re.search(rf"\b{day.day}\b", message))
    )


def slot_errors(response, index=0):
    return response.context["formset"].forms[index].errors


@pytest.fixture
def proposer(client, meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    return client


def test_a_slot_that_ends_before_it_starts_is_refused(proposer, meeting):
    day = future_time(30)[0].date()
    before = db_state()

    response = propose(proposer, meeting, slot_row(day, "14:00", "13:00"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["end_time"]
    assert db_state() == before


def test_a_slot_in_the_past_is_refused(proposer, meeting):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    before = db_state()

    response = propose(proposer, meeting, slot_row(yesterday, "10:00", "12:00"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["start_time"]
    assert db_state() == before


def test_a_start_in_the_spring_dst_gap_is_refused_with_a_message_naming_it(proposer, meeting, clock_changes):
    before = db_state()

    response = propose(proposer, meeting, slot_row(clock_changes.spring, "02:30", "04:00"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["start_time"]
    [message] = slot_errors(response)["start_time"]
    assert names_the_wall_clock(message, clock_changes.spring, "30")
    assert "does not exist" in message
    assert db_state() == before


def test_the_autumn_repeated_hour_without_a_choice_is_refused(proposer, meeting, clock_changes):
    before = db_state()

    response = propose(proposer, meeting, slot_row(clock_changes.autumn, "02:30", "04:30"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["repeated_hour"]
    [message] = slot_errors(response)["repeated_hour"]
    assert names_the_wall_clock(message, clock_changes.autumn, "30")
    assert "twice" in message
    assert db_state() == before


@pytest.mark.parametrize("repeated_hour, utc_hour", [("summer", 0), ("standard", 1)])
def test_the_autumn_repeated_hour_with_a_choice_is_stored_at_the_right_instant(
    proposer, meeting, clock_changes, repeated_hour, utc_hour
):
    autumn = clock_changes.autumn
    # The clocks change on a Sunday, which the form warns about.
    response = propose(proposer, meeting, slot_row(autumn, "02:30", "04:30", repeated_hour), save_anyway=True)

    assert response.status_code == 302
    slot = meeting.slots.latest("created_at")
    assert slot.start == datetime.datetime.combine(autumn, datetime.time(utc_hour, 30), tzinfo=UTC)
    assert slot.end == datetime.datetime.combine(autumn, datetime.time(3, 30), tzinfo=UTC)  # 04:30 CET


@pytest.mark.parametrize(
    "change, start, repeated_hour",
    [("spring", "01:00", ""), ("autumn", "02:30", "summer"), ("autumn", "01:30", "")],
    ids=["spring", "autumn-summer-time", "autumn-before-the-repeated-hour"],
)
def test_a_slot_without_an_end_lasts_the_planned_duration_across_a_dst_change(
    proposer, meeting, clock_changes, change, start, repeated_hour
):
    day = getattr(clock_changes, change)
    response = propose(proposer, meeting, slot_row(day, start, "", repeated_hour), save_anyway=True)

    assert response.status_code == 302
    slot = meeting.slots.latest("created_at")
    assert slot.end - slot.start == datetime.timedelta(minutes=meeting.duration_minutes)


def test_a_slot_already_proposed_is_refused(proposer, meeting, slots):
    start, end = to_stockholm(slots[0].start), to_stockholm(slots[0].end)
    before = db_state()

    response = propose(proposer, meeting, slot_row(start.date(), f"{start:%H:%M}", f"{end:%H:%M}"))

    assert response.status_code == 200
    assert list(slot_errors(response)) == ["start_time"]
    assert db_state() == before


def test_the_same_slot_twice_in_one_proposal_is_refused(proposer, meeting):
    day = future_time(30)[0].date()
    before = db_state()

    response = propose(proposer, meeting, slot_row(day, "09:00", "11:00"), slot_row(day, "09:00", "11:00"))

    assert response.status_code == 200
    assert len(response.context["formset"].non_form_errors()) == 1
    assert not any(form.errors for form in response.context["formset"].forms)
    assert db_state() == before


def test_a_withdrawn_time_can_be_proposed_again(proposer, meeting, slots, kommun, kommun_coordinator):
    meetings.withdraw_slot(slot=slots[0], by=kommun_coordinator, party=kommun)
    start, end = to_stockholm(slots[0].start), to_stockholm(slots[0].end)

    response = propose(proposer, meeting, slot_row(start.date(), f"{start:%H:%M}", f"{end:%H:%M}"))

    assert response.status_code == 302
    assert meeting.slots.filter(start=slots[0].start).count() == 2  # the withdrawn row stays


def test_an_empty_proposal_is_refused(proposer, meeting):
    before = db_state()

    response = propose(proposer, meeting, {"date": "", "start_time": "", "end_time": "", "repeated_hour": ""})

    assert response.status_code == 200
    assert len(response.context["formset"].non_form_errors()) == 1
    assert db_state() == before


# Warnings before saving: a day many are away, or a time before the answer deadline. A warning asks once.


def warnings_for(meeting, day):
    form = SlotForm({"date": day, "start_time": "10:00"}, meeting=meeting)
    assert form.is_valid(), form.errors
    return form.warnings


@pytest.mark.parametrize(
    "day, named",
    [
        ("2026-11-14", "Weekend"),
        ("2027-01-05", "Twelfth Night"),  # trettondagsafton
        ("2027-03-27", "Holy Saturday"),  # påskafton
        ("2027-05-15", "Whitsun Eve"),  # pingstafton
        ("2027-06-25", "Midsummer Eve"),
        ("2026-12-24", "Christmas Eve"),
        ("2026-12-31", "New Year's Eve"),
        ("2027-01-06", "Epiphany"),  # a holiday on a weekday
        ("2027-05-07", "Bridge day (klämdag)"),  # the Friday after Ascension
    ],
)
def test_the_form_warns_of_a_day_many_are_away(meeting, day, named):
    [warning] = warnings_for(meeting, day)
    assert named in warning and "away" in warning


def test_the_form_warns_of_a_time_on_or_before_the_answer_deadline(meeting):
    meeting.answer_deadline = datetime.date(2026, 11, 20)
    for day in ("2026-11-18", "2026-11-20"):
        [warning] = warnings_for(meeting, day)
        assert "answer deadline, 20 November 2026" in warning
    assert warnings_for(meeting, "2026-11-23") == []  # a Monday after the deadline


def test_an_ordinary_weekday_gets_no_warning(meeting):
    assert warnings_for(meeting, "2026-11-18") == []


def test_flagged_times_are_shown_with_their_warnings_and_saved_only_when_saved_anyway(proposer, meeting):
    rows = (slot_row(datetime.date(2026, 12, 24), "10:00"), slot_row(next_weekday(30), "10:00"))
    before = db_state()

    warned = propose(proposer, meeting, *rows)

    assert warned.status_code == 200 and db_state() == before  # nothing saved, not even the ordinary time
    page = warned.content.decode()
    assert "Christmas Eve" in page and "Save anyway" in page and 'name="save_anyway"' in page
    assert [bool(form.warnings) for form in warned.context["formset"].forms] == [True, False]

    count = meeting.slots.count()
    saved = propose(proposer, meeting, *rows, save_anyway=True)

    assert saved.status_code == 302 and meeting.slots.count() == count + 2


def test_times_without_warnings_save_at_once(proposer, meeting):
    response = propose(proposer, meeting, slot_row(next_weekday(30), "10:00"))

    assert response.status_code == 302
    assert "Save anyway" not in response.content.decode()


def test_six_times_are_proposed_in_one_post_from_the_rows_the_page_offers(proposer, meeting):
    page = proposer.get(reverse("propose_slots", args=[meeting.pk]))
    offered = page.context["formset"]
    assert len(offered.forms) >= 6  # without script, the page itself offers six rows
    days = [next_weekday(2 + 7 * week) for week in range(6)]  # Thursdays, none of them flagged
    data = slot_formset(*(slot_row(day, "09:00") for day in days))
    assert set(data) >= {f"slots-{i}-date" for i in range(6)}
    count = meeting.slots.count()

    response = proposer.post(reverse("propose_slots", args=[meeting.pk]), data)

    assert response.status_code == 302
    assert meeting.slots.count() == count + 6


def test_the_summer_time_question_is_asked_only_after_a_time_in_the_repeated_hour(proposer, meeting, clock_changes):
    page = proposer.get(reverse("propose_slots", args=[meeting.pk])).content.decode()
    assert page.count('class="repeated-hour" hidden') == 7  # six rows and the script's empty row: all hidden

    response = propose(proposer, meeting, slot_row(clock_changes.autumn, "02:30"), slot_row(next_weekday(30), "10:00"))

    page = response.content.decode()
    assert page.count('class="repeated-hour">') == 1 and page.count('class="repeated-hour" hidden') == 2


def test_a_slot_shows_its_day_flags_wherever_it_is_shown(client, meeting, kommun, kommun_coordinator, polisen):
    bridge_day = stockholm_datetime(datetime.date(2027, 5, 7), datetime.time(10))
    [slot] = meetings.propose_slots(
        meeting=meeting,
        party=kommun,
        by=kommun_coordinator,
        times=[(bridge_day, bridge_day + datetime.timedelta(hours=1))],
    )
    client.force_login(kommun_coordinator)
    pages = [
        reverse("meeting_detail", args=[meeting.pk]),
        reverse("answer", args=[meeting.pk, kommun.pk]),
        reverse("confirm", args=[meeting.pk, slot.pk]),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert '<span class="badge badge-holiday badge-bridge_day">Bridge day (klämdag)</span>' in page, url

"""Answers through the views: every party answers for itself, and a form older than a withdrawal is refused."""

import datetime

import pytest

from coordination.models import Answer, Membership
from coordination.services import meetings

from .builders import answer_data
from .views_support import db_state, detail_url, messages_of, refusal, url_for

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")
Role = Membership.Role
UTC = datetime.UTC


# Answers: every party answers for itself.


@pytest.mark.parametrize(
    "persona, party",
    [
        ("polis_member", "kommun"),
        ("polis_coordinator", "lansstyrelsen"),
        ("kommun_member", "polisen"),
        ("kommun_coordinator", "lansstyrelsen"),
        ("lansstyrelsen_secretary", "polisen"),
        ("polis_member", "region"),
    ],
)
def test_nobody_answers_for_another_party(client, request, meeting, persona, party):
    client.force_login(request.getfixturevalue(persona))
    url = url_for("answer", meeting, party=request.getfixturevalue(party))
    before = db_state()

    assert client.get(url).status_code == 403
    response = client.post(url, answer_data(meeting))

    assert response.status_code == 403
    assert db_state() == before


def test_police_member_cannot_answer_for_the_municipality(client, meeting, polis_member, kommun):
    client.force_login(polis_member)

    response = client.post(url_for("answer", meeting, party=kommun), answer_data(meeting, value="no"))

    assert response.status_code == 403
    assert not Answer.objects.filter(party=kommun, value="no").exists()
    assert set(Answer.objects.filter(party=kommun).values_list("value", flat=True)) == {"yes"}


@pytest.mark.parametrize(
    "persona, party",
    [
        ("polis_member", "polisen"),
        ("polis_secretary", "polisen"),
        ("polis_coordinator", "polisen"),
        ("kommun_member", "kommun"),
        ("lansstyrelsen_secretary", "lansstyrelsen"),
    ],
)
def test_any_member_answers_for_their_own_party_while_polling(client, request, meeting, persona, party):
    user, party = request.getfixturevalue(persona), request.getfixturevalue(party)
    client.force_login(user)
    url = url_for("answer", meeting, party=party)

    page = client.get(url)
    response = client.post(url, answer_data(meeting, value="if_need_be", comment="Med ersättare"))

    assert page.status_code == 200 and page.context["party"] == party
    assert response.status_code == 302 and response.url == detail_url(meeting)
    answers = Answer.objects.filter(party=party, slot__meeting=meeting)
    assert answers.count() == meeting.slots.active().count() == 2
    assert {(a.value, a.comment, a.answered_by) for a in answers} == {("if_need_be", "Med ersättare", user)}
    [(level, text)] = messages_of(response)
    assert level == "success" and party.short_name in text and "2" in text


def test_a_party_cannot_answer_once_the_meeting_is_scheduled(client, scheduled_meeting, polis_member, polisen):
    client.force_login(polis_member)
    before = db_state()

    response = client.post(url_for("answer", scheduled_meeting, party=polisen), answer_data(scheduled_meeting))

    assert response.status_code == 403
    assert db_state() == before


def test_a_form_posted_after_its_slot_was_withdrawn_stores_no_answer_to_that_slot(
    client, meeting, slots, kommun, kommun_coordinator, polis_member, polisen
):
    client.force_login(polis_member)
    stale_form = answer_data(meeting, value="yes")  # the form as the police saw it
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)

    response = client.post(url_for("answer", meeting, party=polisen), stale_form)

    assert response.status_code == 302
    assert not Answer.objects.filter(slot=slots[1], party=polisen).exists()
    assert len(messages_of(response)) == 1  # the user is told something


def test_a_form_posted_after_one_of_its_slots_was_withdrawn_is_refused_with_a_message(
    client, meeting, slots, kommun, kommun_coordinator, polis_member, polisen
):
    client.force_login(polis_member)
    stale_form = answer_data(meeting, value="yes")
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    before = db_state()

    response = client.post(url_for("answer", meeting, party=polisen), stale_form)

    assert db_state() == before
    stale_answers = {slot.pk: ("yes", "Kan inte då") for slot in slots}
    expected = refusal(meetings.answer_slots, meeting=meeting, party=polisen, by=polis_member, answers=stale_answers)
    assert messages_of(response) == [("error", expected)]


def test_a_comment_without_an_answer_is_a_form_error(client, meeting, slots, polis_member, polisen):
    client.force_login(polis_member)
    before = db_state()

    response = client.post(url_for("answer", meeting, party=polisen), {f"comment_{slots[0].pk}": "Kanske"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [f"answer_{slots[0].pk}"]
    assert db_state() == before

"""What the convening parties' coordinators do: edit, open, confirm, reschedule, cancel, mark as held."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from coordination import rules
from coordination.models import Event, Meeting, Membership, Slot
from coordination.services import meetings

from .builders import create_meeting, edit_data, future_time, make_user
from .views_support import db_state, detail_url, messages_of, refusal

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")
Role = Membership.Role
UTC = datetime.UTC


# The convening parties' coordinators: edit, open, confirm, reschedule, cancel, mark as held.


@pytest.mark.parametrize("persona", ["kommun_coordinator", "lansstyrelsen_coordinator"])
def test_a_convening_coordinator_edits_the_meeting(client, request, meeting, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("meeting_edit", args=[meeting.pk]), edit_data(meeting, title="Ny titel"))

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Ny titel"


def test_a_convening_coordinator_opens_a_draft_for_answers(client, draft_meeting, lansstyrelsen_coordinator):
    client.force_login(lansstyrelsen_coordinator)

    response = client.post(reverse("open_polling", args=[draft_meeting.pk]))

    assert response.status_code == 302
    draft_meeting.refresh_from_db()
    assert draft_meeting.status == Meeting.Status.POLLING
    assert [level for level, _ in messages_of(response)] == ["success"]


@pytest.mark.parametrize("persona", ["kommun_coordinator", "lansstyrelsen_coordinator"])
def test_a_convening_coordinator_confirms_a_slot_everybody_can_attend(
    client, request, answered_meeting, slots, persona
):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("confirm", args=[answered_meeting.pk, slots[0].pk]))
    response = client.post(reverse("confirm", args=[answered_meeting.pk, slots[0].pk]), {"reason": ""})

    assert page.status_code == 200 and page.context["row"].slot == slots[0]
    assert response.status_code == 302
    answered_meeting.refresh_from_db()
    assert (answered_meeting.status, answered_meeting.confirmed_slot) == (Meeting.Status.SCHEDULED, slots[0])
    assert [level for level, _ in messages_of(response)] == ["success"]


def test_a_convening_coordinator_reschedules_back_to_polling(client, scheduled_meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    sequence = scheduled_meeting.sequence

    response = client.post(
        reverse("reschedule", args=[scheduled_meeting.pk]), {"target": "polling", "reason": "Krock med budget"}
    )

    assert response.status_code == 302
    scheduled_meeting.refresh_from_db()
    assert (scheduled_meeting.status, scheduled_meeting.confirmed_slot) == (Meeting.Status.POLLING, None)
    assert scheduled_meeting.sequence == sequence + 1


def test_a_convening_coordinator_cancels_with_a_reason_shown_on_the_page(client, meeting, lansstyrelsen_coordinator):
    client.force_login(lansstyrelsen_coordinator)

    response = client.post(reverse("cancel", args=[meeting.pk]), {"reason": "Inget behov längre"}, follow=True)

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert "Inget behov längre" in response.content.decode()


def test_cancelling_without_a_reason_is_a_form_error(client, meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("cancel", args=[meeting.pk]), {"reason": "  "})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert db_state() == before


def test_a_convening_coordinator_marks_a_meeting_that_has_begun_as_held(client, past_meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)

    response = client.post(reverse("mark_held", args=[past_meeting.pk]))

    assert response.status_code == 302
    past_meeting.refresh_from_db()
    assert past_meeting.status == Meeting.Status.HELD


def test_a_meeting_that_has_not_begun_cannot_be_marked_as_held(client, scheduled_meeting, kommun, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("mark_held", args=[scheduled_meeting.pk]))

    assert response.status_code == 302
    assert db_state() == before
    expected = refusal(meetings.mark_held, meeting=scheduled_meeting, by=kommun_coordinator, party=kommun)
    assert messages_of(response) == [("error", expected)]


# Confirming: the rules about answers, and doing it twice.


def test_confirming_while_a_required_party_has_not_answered_is_refused(client, meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[meeting.pk, slots[0].pk]), {"reason": "Brådskande"})

    assert response.status_code == 302 and response.url == detail_url(meeting)
    assert db_state() == before
    with translation.override("en"):
        expected = str(rules.confirmation_problem(slots[0], meetings.required_party_ids(meeting), "Brådskande"))
    assert messages_of(response) == [("error", expected)]


@pytest.fixture
def police_said_no(answered_meeting, slots, polisen, polis_member):
    meetings.answer_slots(
        meeting=answered_meeting,
        party=polisen,
        by=polis_member,
        answers={slots[0].pk: ("no", "Rikspolischefen är bortrest")},
    )
    return answered_meeting


def test_confirming_against_a_required_no_without_a_reason_is_a_form_error(
    client, police_said_no, slots, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[police_said_no.pk, slots[0].pk]), {"reason": ""})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    assert response.context["row"].needs_reason
    assert db_state() == before


def test_confirming_against_a_required_no_with_a_reason_shows_the_reason_to_all(
    client, police_said_no, slots, kommun_coordinator, polis_member
):
    client.force_login(kommun_coordinator)

    response = client.post(
        reverse("confirm", args=[police_said_no.pk, slots[0].pk]), {"reason": "Biträdande rikspolischef deltar"}
    )

    assert response.status_code == 302
    police_said_no.refresh_from_db()
    assert police_said_no.status == Meeting.Status.SCHEDULED
    assert police_said_no.confirmation_reason == "Biträdande rikspolischef deltar"
    client.force_login(polis_member)
    page = client.get(detail_url(police_said_no)).content.decode()
    assert "Biträdande rikspolischef deltar" in page


def test_a_double_click_on_confirm_gives_exactly_one_event(client, answered_meeting, slots, kommun_coordinator):
    client.force_login(kommun_coordinator)
    url = reverse("confirm", args=[answered_meeting.pk, slots[0].pk])

    client.post(url, {"reason": ""})
    client.post(url, {"reason": ""})

    assert Event.objects.filter(meeting=answered_meeting, action=Event.Action.SLOT_CONFIRMED).count() == 1
    answered_meeting.refresh_from_db()
    assert answered_meeting.confirmed_slot == slots[0]


def test_the_second_click_of_a_double_click_on_confirm_lands_on_the_meeting_page(
    client, answered_meeting, slots, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    url = reverse("confirm", args=[answered_meeting.pk, slots[0].pk])

    client.post(url, {"reason": ""})
    response = client.post(url, {"reason": ""})

    assert response.status_code == 302 and response.url == detail_url(answered_meeting)


def test_confirming_another_slot_of_a_scheduled_meeting_is_refused_with_an_explanation(
    client, scheduled_meeting, slots, kommun, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[scheduled_meeting.pk, slots[1].pk]), {"reason": "Bättre tid"})

    # Typically a second convener whose page was opened before the first confirmed: told which time holds.
    expected = refusal(
        meetings.confirm_slot, meeting=scheduled_meeting, slot=slots[1], by=kommun_coordinator, party=kommun
    )
    assert (response.status_code, messages_of(response)) == (302, [("error", expected)])
    assert db_state() == before
    scheduled_meeting.refresh_from_db()
    assert scheduled_meeting.confirmed_slot == slots[0]


def test_confirming_a_withdrawn_slot_is_refused_with_a_message(
    client, answered_meeting, slots, kommun, kommun_coordinator
):
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(reverse("confirm", args=[answered_meeting.pk, slots[1].pk]), {"reason": ""})

    assert response.status_code == 302
    assert db_state() == before
    expected = refusal(
        meetings.confirm_slot, meeting=answered_meeting, slot=slots[1], by=kommun_coordinator, party=kommun
    )
    assert messages_of(response) == [("error", expected)]


# Who the event log says acted.


@pytest.fixture
def region_meeting(kommun, region):
    """Convened by Region Uppsala; the municipality (a party with a lower id) is invited.

    Its coordinator also coordinates the municipality, so the view must pick the convening party.
    """
    user = make_user("dubbel_samordnare", kommun, Role.COORDINATOR, "Samordnare, kommun och region")
    Membership.objects.create(user=user, party=region, role=Role.COORDINATOR)
    the_meeting = create_meeting(user, convening=[region], required=[kommun], title="Regional samverkan")
    meetings.propose_slots(meeting=the_meeting, party=region, by=user, times=[future_time(14)])
    return the_meeting, user


@pytest.mark.parametrize("name", ["open_polling", "mark_held"])
def test_the_event_log_credits_the_convening_party(client, region_meeting, region, kommun, name):
    the_meeting, user = region_meeting
    if name == "mark_held":
        the_meeting = meetings.open_polling(meeting=the_meeting, by=user, party=region)
        slot = the_meeting.slots.get()
        meetings.answer_slots(meeting=the_meeting, party=kommun, by=user, answers={slot.pk: ("yes", "")})
        meetings.confirm_slot(meeting=the_meeting, slot=slot, by=user, party=region)
        now = timezone.now()
        Slot.objects.filter(pk=slot.pk).update(
            start=now - datetime.timedelta(hours=3), end=now - datetime.timedelta(hours=1)
        )
    client.force_login(user)

    response = client.post(reverse(name, args=[the_meeting.pk]))

    assert response.status_code == 302
    assert the_meeting.events.order_by("-pk").first().party == region


def test_each_row_of_the_grid_links_to_its_own_time(client, answered_meeting, slots, kommun_coordinator):
    """The grid fills its rows' links in from one reversed address; each must still name its own slot."""
    client.force_login(kommun_coordinator)
    body = client.get(reverse("meeting_detail", args=[answered_meeting.pk])).content.decode()
    for slot in slots:
        assert f'href="{reverse("confirm", args=[answered_meeting.pk, slot.pk])}"' in body
        assert f'href="{reverse("withdraw_slot", args=[answered_meeting.pk, slot.pk])}"' in body


def test_an_edit_from_a_form_opened_before_another_edit_is_refused_and_shows_what_changed(
    client, meeting, lansstyrelsen_coordinator
):
    client.force_login(lansstyrelsen_coordinator)
    url = reverse("meeting_edit", args=[meeting.pk])
    base = client.get(url).context["form"]["base_version"].value()
    assert client.post(url, edit_data(meeting, location="Stadshuset", base_version=base)).status_code == 302
    events = Event.objects.count()

    response = client.post(url, edit_data(meeting, title="Dialog om trygghet", base_version=base))

    assert response.status_code == 409
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Dialog om utökat samarbete", "Stadshuset")
    assert Event.objects.count() == events
    page = response.content.decode()
    assert "Someone else changed this meeting while you were editing it." in page
    assert "Changed meanwhile to: Stadshuset" in page
    assert 'value="Dialog om trygghet"' in page
    # Saving again from that page is a choice made knowing the change: it goes through.
    again = response.context["form"]["base_version"].value()
    saved = client.post(url, edit_data(meeting, title="Dialog om trygghet", base_version=again))
    assert saved.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Dialog om trygghet", "Stadshuset")


def test_inviting_another_party_is_a_new_edit_version(meeting, lansstyrelsen, lansstyrelsen_coordinator, outsider):
    region = outsider.memberships.get().party
    before = meeting.edit_version
    invitations = list(meeting.invitations.select_related("party"))
    meetings.save_meeting(
        meeting=meeting,
        by=lansstyrelsen_coordinator,
        party=lansstyrelsen,
        details={name: getattr(meeting, name) for name in meetings.DETAIL_FIELDS},
        convening={i.party for i in invitations if i.is_convening},
        required={i.party for i in invitations if not i.is_convening and i.required} | {region},
        optional={i.party for i in invitations if not i.is_convening and not i.required},
        base_version=before,
    )
    meeting.refresh_from_db()
    assert meeting.edit_version != before


def test_my_meetings_separates_upcoming_polling_held_and_cancelled_with_a_word_for_an_empty_section(
    client, scheduled_meeting, kommun, lansstyrelsen, polisen, kommun_coordinator, polis_member
):
    def opened(title):
        other = create_meeting(kommun_coordinator, convening=[kommun], required=[polisen, lansstyrelsen], title=title)
        meetings.propose_slots(meeting=other, party=kommun, by=kommun_coordinator, times=[future_time(30)])
        return meetings.open_polling(meeting=other, by=kommun_coordinator, party=kommun)

    opened("Uppföljning")
    meetings.cancel_meeting(meeting=opened("Återkoppling"), by=kommun_coordinator, party=kommun, reason="Krock")
    client.force_login(polis_member)

    page = client.get(reverse("my_meetings")).content.decode()

    # A member, who creates no meetings, has no drafts section.
    sections = re.findall(r'<section aria-labelledby="\w+-heading" id="(\w+)" class="mb-4">(.*?)</section>', page, re.S)
    assert [key for key, _html in sections] == ["upcoming", "polling", "held", "cancelled"]
    shown = {
        key: re.findall(r'<h3 class="h5 card-title"><a href="[^"]+">([^<]+)</a></h3>', html) for key, html in sections
    }
    assert shown == {
        "upcoming": [scheduled_meeting.title],
        "polling": ["Uppföljning"],
        "held": [],
        "cancelled": ["Återkoppling"],
    }
    assert '<h2 id="held-heading">Held</h2>' in page and "No meeting has been held yet." in page

"""Notices: who hears that a meeting waits for their answer, that everyone has answered, of new agenda
proposals and shared positions — at once, in a digest, or not at all, as each person chooses."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from coordination.models import Membership, Notice, NoticePreferences, OutboxMessage, Profile, ReminderSent
from coordination.services import agenda, meetings, notices

from .builders import answer_all, edit_data, future_time, make_user

Kind = OutboxMessage.Kind
Role = Membership.Role


def mailed(kind):
    return sorted(OutboxMessage.objects.filter(kind=kind).values_list("recipient", flat=True))


def address(*usernames):
    return sorted(f"{name}@samrad.example" for name in usernames)


def message_to(user, kind):
    return OutboxMessage.objects.get(kind=kind, recipient=user.email)


def choose(user, **choices):
    NoticePreferences.objects.update_or_create(user=user, defaults=choices)


# Opening for answers.


@pytest.fixture
def everyone(
    kommun,
    polisen,
    kommun_member,
    lansstyrelsen_coordinator,
    lansstyrelsen_secretary,
    polis_coordinator,
    polis_member,
    polis_secretary,
    outsider,
):
    """Every persona, and two police who cannot be mailed: one who left, one without an address."""
    gone = make_user("polis_gone", polisen, Role.MEMBER)
    gone.is_active = False
    gone.save()
    without_address = make_user("polis_no_mail", polisen, Role.MEMBER)
    without_address.email = ""
    without_address.save()


def test_opening_for_answers_mails_everyone_who_can_answer_for_each_party_but_the_opener(
    everyone, draft_meeting, kommun, kommun_coordinator
):
    meetings.open_polling(meeting=draft_meeting, by=kommun_coordinator, party=kommun)
    assert mailed(Kind.OPEN_FOR_ANSWERS) == address(
        "kommun_member",
        "lansstyrelsen_coordinator",
        "lansstyrelsen_secretary",
        "polis_coordinator",
        "polis_member",
        "polis_secretary",
    )


def test_the_opening_mail_says_who_convenes_and_when_to_answer_and_links_to_answering_for_the_party(
    draft_meeting, kommun, kommun_coordinator, polisen, polis_secretary
):
    deadline = timezone.localdate() + datetime.timedelta(days=10)
    type(draft_meeting).objects.filter(pk=draft_meeting.pk).update(answer_deadline=deadline)
    meetings.open_polling(meeting=draft_meeting, by=kommun_coordinator, party=kommun)
    message = message_to(polis_secretary, Kind.OPEN_FOR_ANSWERS)
    link = settings.SITE_URL + reverse("answer", args=[draft_meeting.pk, polisen.pk])
    assert message.subject == "Svara för Polisen: ”Dialog om utökat samarbete” är öppet för svar"
    assert (
        "som Länsstyrelsen Uppsala län och Uppsala kommun kallar till, är nu öppet för svar från Polisen"
        in message.text
    )
    assert f"Svara för Polisen: {link}" in message.text
    assert f'<a href="{link}">Svara för Polisen</a>' in message.html
    assert f"Svara senast {deadline.day} " in message.text
    assert '<html lang="sv">' in message.html and "<title>" in message.html and "<h1>" in message.html


def test_the_opening_mail_is_in_the_recipients_language(draft_meeting, kommun, kommun_coordinator, polis_member):
    Profile.objects.create(user=polis_member, language="en")
    meetings.open_polling(meeting=draft_meeting, by=kommun_coordinator, party=kommun)
    message = message_to(polis_member, Kind.OPEN_FOR_ANSWERS)
    assert message.subject == "Answer for Polisen: “Dialog om utökat samarbete” is open for answers"
    assert '<html lang="en">' in message.html


def test_a_party_invited_to_a_meeting_already_open_hears_of_it(
    client, meeting, kommun_coordinator, region, outsider, polis_member
):
    before = mailed(Kind.OPEN_FOR_ANSWERS)
    client.force_login(kommun_coordinator)
    data = edit_data(meeting)
    data["optional_parties"] = [region.pk]
    assert client.post(reverse("meeting_edit", args=[meeting.pk]), data).status_code == 302
    assert sorted(set(mailed(Kind.OPEN_FOR_ANSWERS)) - set(before)) == [outsider.email]
    assert reverse("answer", args=[meeting.pk, region.pk]) in message_to(outsider, Kind.OPEN_FOR_ANSWERS).text


def test_a_draft_tells_no_one_when_a_party_is_invited(client, draft_meeting, kommun_coordinator, region, outsider):
    client.force_login(kommun_coordinator)
    data = edit_data(draft_meeting)
    data["optional_parties"] = [region.pk]
    client.post(reverse("meeting_edit", args=[draft_meeting.pk]), data)
    assert mailed(Kind.OPEN_FOR_ANSWERS) == []


def test_a_person_added_to_a_party_hears_of_its_meetings_open_for_answers(admin_client, meeting, polisen):
    newcomer = make_user("polis_ny", None, None)
    response = admin_client.post(
        "/admin/coordination/membership/add/",
        {"user": newcomer.pk, "party": polisen.pk, "role": Role.SECRETARY, "title": "Sekreterare"},
    )
    assert response.status_code == 302
    message = message_to(newcomer, Kind.OPEN_FOR_ANSWERS)
    assert reverse("answer", args=[meeting.pk, polisen.pk]) in message.text


def test_a_person_added_on_the_partys_page_in_the_admin_hears_of_it_too(admin_client, meeting, polisen):
    newcomer = make_user("polis_ny", None, None)
    prefix = "memberships"
    response = admin_client.post(
        f"/admin/coordination/party/{polisen.pk}/change/",
        {
            "name": polisen.name,
            "short_name": polisen.short_name,
            "email": polisen.email,
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-user": newcomer.pk,
            f"{prefix}-0-role": Role.MEMBER,
            f"{prefix}-0-title": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert mailed(Kind.OPEN_FOR_ANSWERS).count(newcomer.email) == 1


def test_no_one_is_welcomed_to_a_meeting_that_no_longer_takes_answers(scheduled_meeting, polisen):
    newcomer = make_user("polis_ny", polisen, Role.MEMBER)
    assert notices.welcome_member(Membership.objects.get(user=newcomer)) == 0


# Every party has answered.


@pytest.fixture
def conveners(kommun_coordinator, lansstyrelsen_coordinator, lansstyrelsen_secretary, polis_member):
    return [kommun_coordinator, lansstyrelsen_coordinator]


def test_the_conveners_coordinators_hear_once_that_everyone_has_answered(
    conveners, meeting, lansstyrelsen, lansstyrelsen_secretary, polisen, polis_member
):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    assert mailed(Kind.ALL_ANSWERED) == []
    answer_all(meeting, polisen, polis_member)
    assert mailed(Kind.ALL_ANSWERED) == address("kommun_coordinator", "lansstyrelsen_coordinator")
    message = OutboxMessage.objects.filter(kind=Kind.ALL_ANSWERED).first()
    assert message.subject == "Alla har svarat – bekräfta en tid: Dialog om utökat samarbete"
    assert reverse("meeting_detail", args=[meeting.pk]) + "#slots" in message.text
    # A changed answer is not a new round.
    answer_all(meeting, polisen, polis_member, value="if_need_be")
    assert len(mailed(Kind.ALL_ANSWERED)) == 2


def test_a_new_time_answered_by_all_makes_a_new_round(
    conveners,
    answered_meeting,
    kommun,
    kommun_coordinator,
    lansstyrelsen,
    lansstyrelsen_secretary,
    polisen,
    polis_member,
):
    assert len(mailed(Kind.ALL_ANSWERED)) == 2
    meetings.propose_slots(meeting=answered_meeting, party=kommun, by=kommun_coordinator, times=[future_time(30)])
    answer_all(answered_meeting, lansstyrelsen, lansstyrelsen_secretary)
    assert len(mailed(Kind.ALL_ANSWERED)) == 2
    answer_all(answered_meeting, polisen, polis_member)
    assert len(mailed(Kind.ALL_ANSWERED)) == 4


def test_withdrawing_the_last_unanswered_time_completes_the_answers(
    conveners, meeting, kommun, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary, polisen, polis_member
):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member)
    [late] = meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(30)])
    meetings.withdraw_slot(slot=late, by=kommun_coordinator, party=kommun)
    # The round of the first two times was told already; the withdrawn time never made a new one complete.
    assert len(mailed(Kind.ALL_ANSWERED)) == 2


# Agenda proposals and shared positions: the digest.


@pytest.fixture
def news(conveners, meeting, polisen, polis_member):
    """Two proposals and a shared position from the police."""
    first = agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Kameror")
    agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Lokalt poliskontor")
    position = agenda.save_position(item=first, party=polisen, by=polis_member, text="Ja till kameror", base_version=0)
    agenda.set_position_shared(position=position, by=polis_member, shared=True)
    return meeting


def later(hours):
    return timezone.now() + datetime.timedelta(hours=hours)


def test_proposals_and_shared_positions_come_as_one_digest_after_the_interval(news, kommun_coordinator):
    assert mailed(Kind.AGENDA_PROPOSED) == mailed(Kind.POSITION_SHARED) == []
    assert notices.send_due_digests(later(23)) == 0
    assert notices.send_due_digests(later(24)) == 2
    assert mailed(Kind.NOTICE_DIGEST) == address("kommun_coordinator", "lansstyrelsen_coordinator")
    digest = message_to(kommun_coordinator, Kind.NOTICE_DIGEST)
    assert digest.subject == "Nytt i ”Dialog om utökat samarbete”"
    assert "3 saker har hänt i mötet" in digest.text
    assert "Polisen har föreslagit dagordningspunkten ”Kameror”." in digest.text
    assert "Polisen har föreslagit dagordningspunkten ”Lokalt poliskontor”." in digest.text
    assert "Polisen har delat sin ståndpunkt om ”Kameror”." in digest.text
    assert "Ja till kameror" not in digest.text  # the fact, never the text
    assert notices.send_due_digests(later(48)) == 0


def test_the_interval_is_a_setting(news, settings):
    settings.NOTICE_DIGEST_HOURS = 1
    assert notices.send_due_digests(later(1)) == 2


def test_a_person_who_chose_not_at_all_gets_none_and_at_once_gets_one_each(
    conveners, meeting, polisen, polis_member, kommun_coordinator, lansstyrelsen_coordinator
):
    choose(kommun_coordinator, agenda_proposed="immediately", position_shared="immediately")
    choose(lansstyrelsen_coordinator, agenda_proposed="never", position_shared="never")
    item = agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Kameror")
    agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Lokalt poliskontor")
    position = agenda.save_position(item=item, party=polisen, by=polis_member, text="Ja", base_version=0)
    agenda.set_position_shared(position=position, by=polis_member, shared=True)
    assert mailed(Kind.AGENDA_PROPOSED) == address("kommun_coordinator", "kommun_coordinator")
    assert mailed(Kind.POSITION_SHARED) == address("kommun_coordinator")
    assert notices.send_due_digests(later(24)) == 0
    proposal = OutboxMessage.objects.filter(kind=Kind.AGENDA_PROPOSED).first()
    assert proposal.subject.startswith("Förslag till dagordningen från Polisen: ")
    assert (
        reverse("agenda_item_detail", args=[meeting.pk, item.pk])
        in message_to(kommun_coordinator, Kind.POSITION_SHARED).html
    )


def test_the_conveners_own_proposals_are_no_news_to_them(
    conveners, meeting, kommun, kommun_coordinator, lansstyrelsen_coordinator
):
    agenda.propose_agenda_item(meeting=meeting, party=kommun, by=kommun_coordinator, title="Trygghet")
    assert list(Notice.objects.values_list("user__username", flat=True)) == ["lansstyrelsen_coordinator"]


def test_a_digest_of_a_meeting_the_person_can_no_longer_see_is_dropped(news, kommun_coordinator, kommun):
    Membership.objects.filter(user=kommun_coordinator, party=kommun).delete()
    assert notices.send_due_digests(later(24)) == 1
    assert mailed(Kind.NOTICE_DIGEST) == address("lansstyrelsen_coordinator")
    assert not Notice.objects.filter(digested_at__isnull=True).exists()


def test_the_opening_mail_can_wait_for_the_digest_too(draft_meeting, kommun, kommun_coordinator, polis_member):
    choose(polis_member, open_for_answers="digest")
    meetings.open_polling(meeting=draft_meeting, by=kommun_coordinator, party=kommun)
    assert polis_member.email not in mailed(Kind.OPEN_FOR_ANSWERS)
    notices.send_due_digests(later(24))
    digest = message_to(polis_member, Kind.NOTICE_DIGEST)
    assert "”Dialog om utökat samarbete” är öppet för svar från Polisen." in digest.text
    assert "Svara för Polisen: " in digest.text


# Choosing in "Mitt konto".


def test_my_account_shows_the_defaults(client, polis_member):
    client.force_login(polis_member)
    response = client.get(reverse("account"))
    assert "Aviseringar via e-post" in response.content.decode()
    assert "Samlat i en sammanfattning" in response.content.decode()
    form = response.context["notice_form"]
    assert form.initial["open_for_answers"] == "immediately"
    assert form.initial["agenda_proposed"] == "digest"


def test_a_person_chooses_their_own_notices_and_no_one_elses(client, polis_member, kommun_coordinator):
    choose(kommun_coordinator, agenda_proposed="immediately")
    client.force_login(polis_member)
    data = {
        "open_for_answers": "digest",
        "all_answered": "never",
        "agenda_proposed": "never",
        "position_shared": "never",
        "minutes_commented": "digest",
    }
    response = client.post(reverse("notice_preferences"), {**data, "user": kommun_coordinator.pk}, follow=True)
    assert "Dina val av aviseringar är sparade." in response.content.decode()
    assert NoticePreferences.objects.get(user=polis_member).open_for_answers == "digest"
    assert NoticePreferences.objects.get(user=kommun_coordinator).agenda_proposed == "immediately"


def test_an_unknown_choice_is_refused_and_nothing_is_saved(client, polis_member):
    client.force_login(polis_member)
    data = {
        "open_for_answers": "hourly",
        "all_answered": "never",
        "agenda_proposed": "never",
        "position_shared": "never",
    }
    response = client.post(reverse("notice_preferences"), data)
    assert response.status_code == 400
    assert not NoticePreferences.objects.exists()


def test_invitations_are_not_notices_and_always_go(
    conveners, meeting, slots, kommun, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary, polisen, polis_member
):
    from coordination.services import attendance

    for user in (kommun_coordinator, polis_member):
        choose(
            user,
            open_for_answers="never",
            all_answered="never",
            agenda_proposed="never",
            position_shared="never",
            minutes_commented="never",
        )
    attendance.name_attendee(meeting=meeting, party=polisen, by=polis_member, name="Polis", email=polis_member.email)
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    answer_all(meeting, polisen, polis_member)
    meetings.confirm_slot(meeting=meeting, slot=slots[0], by=kommun_coordinator, party=kommun)
    assert mailed(Kind.INVITATION) == [polis_member.email]


# Reminders.


@pytest.fixture
def unanswered(meeting, lansstyrelsen, lansstyrelsen_secretary, polis_coordinator, polis_member, polis_secretary):
    answer_all(meeting, lansstyrelsen, lansstyrelsen_secretary)
    return meeting


def test_reminders_go_to_everyone_who_can_answer_secretaries_too(client, unanswered, kommun_coordinator, polisen):
    gone = make_user("polis_gone", polisen, Role.MEMBER)
    get_user_model().objects.filter(pk=gone.pk).update(is_active=False)
    client.force_login(kommun_coordinator)
    client.post(reverse("remind", args=[unanswered.pk]))
    assert mailed(Kind.REMINDER) == address("polis_coordinator", "polis_member", "polis_secretary")


def test_a_second_reminder_within_a_day_is_refused_and_the_page_says_when_the_last_went(
    client, unanswered, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    client.post(reverse("remind", args=[unanswered.pk]))
    response = client.post(reverse("remind", args=[unanswered.pk]), follow=True)
    page = response.content.decode()
    assert "Polisen fick en påminnelse " in page
    assert "En ny påminnelse kan skickas 24 timmar efter den förra" in page
    assert len(mailed(Kind.REMINDER)) == 3
    assert "Senast påmind " in page


def test_after_a_day_the_convener_may_remind_again(client, unanswered, kommun_coordinator):
    client.force_login(kommun_coordinator)
    client.post(reverse("remind", args=[unanswered.pk]))
    ReminderSent.objects.update(sent_at=timezone.now() - datetime.timedelta(hours=24, minutes=1))
    client.post(reverse("remind", args=[unanswered.pk]))
    assert len(mailed(Kind.REMINDER)) == 6


def test_a_party_reminded_within_a_day_is_left_out_and_the_others_are_reminded(
    client, meeting, polisen, kommun_coordinator, lansstyrelsen_coordinator, polis_member
):
    ReminderSent.objects.create(meeting=meeting, party=polisen, occasion=ReminderSent.Occasion.BY_HAND)
    client.force_login(kommun_coordinator)
    page = client.post(reverse("remind", args=[meeting.pk]), follow=True).content.decode()
    assert "En påminnelse är på väg till Länsstyrelsen." in page
    assert "Polisen fick en påminnelse för mindre än 24 timmar sedan och fick ingen nu." in page
    assert mailed(Kind.REMINDER) == address("lansstyrelsen_coordinator")


def test_a_party_reminded_by_the_daily_command_is_not_reminded_by_hand_the_same_day(
    client, unanswered, kommun_coordinator
):
    from coordination.services.reminders import send_due_reminders

    type(unanswered).objects.filter(pk=unanswered.pk).update(answer_deadline=timezone.localdate())
    send_due_reminders(timezone.localdate())
    client.force_login(kommun_coordinator)
    response = client.post(reverse("remind", args=[unanswered.pk]), follow=True)
    assert "Polisen fick en påminnelse " in response.content.decode()
    assert len(mailed(Kind.REMINDER)) == 3


# "Mina möten".


def test_agenda_proposals_wait_for_the_convener_on_my_meetings(
    client, meeting, polisen, polis_member, kommun_coordinator
):
    agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Kameror")
    agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Lokalt poliskontor")
    client.force_login(kommun_coordinator)
    assert "2 förslag till dagordningen väntar på ditt beslut" in client.get(reverse("my_meetings")).content.decode()
    client.force_login(polis_member)
    assert "förslag till dagordningen" not in client.get(reverse("my_meetings")).content.decode()


def test_the_send_notices_command_writes_the_due_digests(news):
    import io

    from django.core.management import call_command

    Notice.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    out = io.StringIO()
    call_command("send_notices", stdout=out)
    assert out.getvalue() == "2 digest(s) queued\n"
    assert len(mailed(Kind.NOTICE_DIGEST)) == 2

"""Parties and people managed in the app: a new party brought into a meeting, the activation link, "My party"."""

import datetime
import logging
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from coordination.models import Event, Invitation, Membership, OutboxMessage, Party
from coordination.services import people
from coordination.services.base import RuleError

from .builders import PASSWORD, activation_link, bring_in_region, make_user, path_of
from .views_support import messages_of

Role = Membership.Role
SECURITY = "samrad.security"
NEW_PASSWORD = "Ett-nytt-och-langt-losenord-2026"
User = get_user_model()


def activate(client, message, password=NEW_PASSWORD):
    """Follow the mailed link as a browser does: to the form without the token, then post the password."""
    opened = client.get(path_of(activation_link(message)))
    assert opened.status_code == 302
    return client.post(opened.url, {"new_password1": password, "new_password2": password})


# A new party brought into a meeting.


def test_a_convener_brings_in_a_new_party_with_its_first_coordinator(
    client, meeting, kommun, kommun_coordinator, caplog
):
    client.force_login(kommun_coordinator)
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = bring_in_region(client, meeting)

    assert response.status_code == 302 and response.url == reverse("meeting_detail", args=[meeting.pk])
    region = Party.objects.get(name="Region Uppsala")
    assert Invitation.objects.filter(meeting=meeting, party=region, required=True).exists()
    person = User.objects.get(email="Lindstrom.Asa@region.example")
    assert not person.has_usable_password() and person.first_name == "Lindström, Åsa"
    assert Membership.objects.get(user=person).role == Role.COORDINATOR
    events = meeting.events.filter(subject="Region Uppsala").values_list("action", "party")
    assert set(events) == {(Event.Action.PARTY_CREATED, kommun.pk), (Event.Action.PARTY_INVITED, kommun.pk)}
    [message] = OutboxMessage.objects.filter(recipient=person.email)
    assert message.kind == OutboxMessage.Kind.ACTIVATION and message.recipient_name == "Lindström, Åsa"
    assert message.subject == "Välkommen till Samråd: Region Uppsala"
    assert meeting.title in message.text and "7 dagar" in message.text
    assert f"party_created user_id={kommun_coordinator.pk}" in caplog.text
    assert f"person_invited user_id={person.pk}" in caplog.text and f"by_user_id={kommun_coordinator.pk}" in caplog.text


def test_a_party_already_in_samrad_is_not_made_twice(client, meeting, region, kommun_coordinator):
    client.force_login(kommun_coordinator)
    response = bring_in_region(client, meeting, party_name="region uppsala")

    assert response.status_code == 200
    assert "finns redan i Samråd" in response.content.decode()
    assert Party.objects.filter(name__iexact="Region Uppsala").count() == 1
    assert not OutboxMessage.objects.exists()


def test_an_address_of_another_partys_person_is_told_to_the_inviter_and_nothing_is_sent(
    client, meeting, kommun_coordinator, polis_member
):
    client.force_login(kommun_coordinator)
    response = bring_in_region(client, meeting, email=polis_member.email.upper())

    assert response.status_code == 200
    assert "tillhör en person i en annan part" in response.content.decode()
    assert not Party.objects.filter(name="Region Uppsala").exists()
    assert not OutboxMessage.objects.exists()
    assert list(Membership.objects.filter(user=polis_member).values_list("party__short_name", flat=True)) == ["Polisen"]


def test_only_the_conveners_coordinators_bring_in_a_new_party(
    client, meeting, polis_coordinator, lansstyrelsen_secretary
):
    for user in (polis_coordinator, lansstyrelsen_secretary):
        client.force_login(user)
        assert bring_in_region(client, meeting).status_code == 403
    assert not Party.objects.filter(name="Region Uppsala").exists()


# The activation link.


def test_the_link_sets_the_password_logs_in_and_lands_on_the_meeting(client, meeting, region_invited, caplog):
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = activate(client, region_invited)

    assert response.status_code == 302 and response.url == reverse("meeting_detail", args=[meeting.pk])
    page = client.get(response.url)
    assert page.status_code == 200 and "Region Uppsala" in page.content.decode()
    person = User.objects.get(email="Lindstrom.Asa@region.example")
    assert person.check_password(NEW_PASSWORD)
    assert f"account_activated user_id={person.pk}" in caplog.text


def test_the_password_must_pass_the_validators(client, region_invited):
    response = activate(client, region_invited, password="123")
    assert response.status_code == 200 and "lösenord" in response.content.decode()
    assert not User.objects.get(email="Lindstrom.Asa@region.example").has_usable_password()


def test_a_used_link_is_refused_clearly(client, region_invited):
    activate(client, region_invited)
    client.logout()

    again = client.get(path_of(activation_link(region_invited)))

    assert again.status_code == 400
    assert "Länken fungerar inte" in again.content.decode() and "använts" in again.content.decode()


def later(**delta):
    """A moment ahead in Stockholm time: Django's tokens count local clock time, and time-machine sets the
    process's time zone to the one of where it travels."""
    return timezone.localtime() + datetime.timedelta(**delta)


def test_a_link_older_than_seven_days_is_refused_as_too_old(client, region_invited):
    link = path_of(activation_link(region_invited))
    with time_machine.travel(later(days=6, hours=23)):
        assert client.get(link).status_code == 302
    with time_machine.travel(later(days=7, seconds=5)):
        refused = client.get(link)
    assert refused.status_code == 410 and "äldre än 7 dagar" in refused.content.decode()


def test_an_opened_link_that_expires_before_the_password_is_saved_is_refused(client, region_invited):
    with time_machine.travel(later(days=6, hours=23, minutes=50)):
        opened = client.get(path_of(activation_link(region_invited)))
    with time_machine.travel(later(days=7, minutes=10)):
        refused = client.post(opened.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert refused.status_code == 410
    assert not User.objects.get(email="Lindstrom.Asa@region.example").has_usable_password()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-3] + ("a" if link[-2] != "a" else "b") + "/",  # one character of the hash
        lambda link: link.replace("/activate/", "/activate/x"),  # another user id
        lambda link: re.sub(r"/activate/([^/]+)/[^/]+/", r"/activate/\1/nonsense/", link),
        lambda link: re.sub(r"/activate/([^/]+)/[^/]+/", r"/activate/\1/zzzzzzzzzzzzzz-abc/", link),
    ],
)
def test_a_tampered_link_is_refused_without_a_500(client, region_invited, tamper):
    response = client.get(tamper(path_of(activation_link(region_invited))))
    assert response.status_code == 400 and "Länken fungerar inte" in response.content.decode()


def test_a_password_reset_link_does_not_activate(client, region_invited):
    from django.contrib.auth.tokens import default_token_generator

    person = User.objects.get(email="Lindstrom.Asa@region.example")
    link = re.sub(
        r"/[^/]+/$", f"/{default_token_generator.make_token(person)}/", path_of(activation_link(region_invited))
    )
    assert client.get(link).status_code == 400


def test_the_link_of_a_person_removed_before_activating_is_refused(client, region_invited, kommun_coordinator):
    person = User.objects.get(email="Lindstrom.Asa@region.example")
    colleague = make_user("region_two", Party.objects.get(name="Region Uppsala"), Role.COORDINATOR)
    people.remove_person(request=None, membership=person.memberships.get(), by=colleague)

    assert client.get(path_of(activation_link(region_invited))).status_code == 400


# My party.


@pytest.fixture
def polis_secretary_user(polisen):
    return make_user("polis_sekreterare", polisen, Role.SECRETARY, "Sekreterare")


def test_a_coordinator_invites_a_colleague_by_email(client, polis_coordinator, polisen):
    client.force_login(polis_coordinator)
    data = {"name": "Berg, Örjan", "email": "orjan.berg@polisen.example", "role": "secretary", "title": "Sekreterare"}

    response = client.post(reverse("person_invite", args=[polisen.pk]), data)

    assert response.status_code == 302 and response.url == reverse("party_people")
    membership = Membership.objects.get(user__email="orjan.berg@polisen.example")
    assert (membership.party, membership.role, membership.title) == (polisen, Role.SECRETARY, "Sekreterare")
    [message] = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.ACTIVATION)
    assert message.recipient == "orjan.berg@polisen.example"
    page = client.get(reverse("party_people")).content.decode()
    assert "Berg, Örjan" in page and "har inte valt lösenord" in page


def test_an_account_of_no_party_gets_the_membership_and_a_notice(client, polis_coordinator, polisen):
    loner = make_user("fristaende", None, None)
    client.force_login(polis_coordinator)

    data = {"name": "Fristående", "email": loner.email, "role": "member", "title": ""}
    assert client.post(reverse("person_invite", args=[polisen.pk]), data).status_code == 302

    assert Membership.objects.get(user=loner).party == polisen
    [message] = OutboxMessage.objects.all()
    assert message.kind == OutboxMessage.Kind.MEMBERSHIP_ADDED and message.recipient == loner.email
    assert loner.check_password(PASSWORD)


def test_inviting_someone_already_in_the_party_but_not_activated_sends_a_new_link(client, polis_coordinator, polisen):
    client.force_login(polis_coordinator)
    data = {"name": "Ny", "email": "ny@polisen.example", "role": "member", "title": ""}
    client.post(reverse("person_invite", args=[polisen.pk]), data)
    client.post(reverse("person_invite", args=[polisen.pk]), data)

    assert Membership.objects.filter(user__email="ny@polisen.example").count() == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.ACTIVATION).count() == 2


def test_inviting_someone_already_in_the_party_is_refused(client, polis_coordinator, polis_member, polisen):
    client.force_login(polis_coordinator)
    data = {"name": "X", "email": polis_member.email, "role": "member", "title": ""}
    response = client.post(reverse("person_invite", args=[polisen.pk]), data)
    assert response.status_code == 200 and "finns redan i Polisen" in response.content.decode()


def test_inviting_another_partys_person_says_so_to_the_inviter(client, polis_coordinator, kommun_member, polisen):
    client.force_login(polis_coordinator)
    data = {"name": "X", "email": kommun_member.email, "role": "member", "title": ""}
    response = client.post(reverse("person_invite", args=[polisen.pk]), data)
    assert response.status_code == 200 and "tillhör en person i en annan part" in response.content.decode()
    assert not OutboxMessage.objects.exists()
    assert not Membership.objects.filter(user=kommun_member, party=polisen).exists()


def test_a_coordinator_changes_a_role(client, polis_coordinator, polis_member, caplog):
    client.force_login(polis_coordinator)
    membership = polis_member.memberships.get()
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = client.post(reverse("membership_role", args=[membership.pk]), {"role": "coordinator"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.COORDINATOR
    assert f"role_changed from=member to=coordinator user_id={polis_member.pk}" in caplog.text


def test_the_last_coordinator_cannot_give_up_the_role_or_leave(client, polis_coordinator):
    client.force_login(polis_coordinator)
    own = polis_coordinator.memberships.get()

    demoted = client.post(reverse("membership_role", args=[own.pk]), {"role": "member"}, follow=True)
    removed = client.post(reverse("membership_remove", args=[own.pk]), follow=True)

    for response in (demoted, removed):
        assert "Polisen måste alltid ha en samordnare" in " ".join(text for _, text in messages_of(response))
    own.refresh_from_db()
    assert own.role == Role.COORDINATOR


def test_with_another_coordinator_the_coordinator_may_leave(polis_coordinator, polisen):
    other = make_user("polis_coordinator_2", polisen, Role.COORDINATOR)
    people.remove_person(request=None, membership=polis_coordinator.memberships.get(), by=polis_coordinator)
    assert list(polisen.memberships.values_list("user", flat=True)) == [other.pk]
    with pytest.raises(RuleError):
        people.change_role(request=None, membership=other.memberships.get(), by=other, role=Role.MEMBER)


def test_removal_ends_the_persons_open_sessions_at_once(client, polis_coordinator, polis_member, caplog):
    from django.test import Client

    theirs = Client()
    theirs.force_login(polis_member)
    assert theirs.get(reverse("my_meetings")).status_code == 200
    client.force_login(polis_coordinator)
    with caplog.at_level(logging.INFO, logger=SECURITY):
        client.post(reverse("membership_remove", args=[polis_member.memberships.get().pk]))

    next_click = theirs.get(reverse("my_meetings"))
    assert next_click.status_code == 302 and next_click.url.startswith(reverse("login"))
    assert client.get(reverse("party_people")).status_code == 200  # the coordinator's own session goes on
    assert f"person_removed user_id={polis_member.pk}" in caplog.text


def test_a_person_in_two_parties_keeps_the_other_and_their_session(client, polis_coordinator, polis_member, kommun):
    from django.test import Client

    Membership.objects.create(user=polis_member, party=kommun, role=Role.MEMBER)
    theirs = Client()
    theirs.force_login(polis_member)
    client.force_login(polis_coordinator)

    client.post(reverse("membership_remove", args=[polis_member.memberships.get(party__short_name="Polisen").pk]))

    assert list(polis_member.memberships.values_list("party", flat=True)) == [kommun.pk]
    assert theirs.get(reverse("my_meetings")).status_code == 200


def test_nobody_manages_another_partys_people(client, polis_coordinator, kommun_member, kommun, polis_member, polisen):
    client.force_login(polis_coordinator)
    theirs = kommun_member.memberships.get()

    assert client.post(reverse("membership_role", args=[theirs.pk]), {"role": "coordinator"}).status_code == 404
    assert client.get(reverse("membership_remove", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("membership_remove", args=[theirs.pk])).status_code == 404
    invite = {"name": "X", "email": "x@kommun.example", "role": "coordinator", "title": ""}
    assert client.post(reverse("person_invite", args=[kommun.pk]), invite).status_code == 403
    theirs.refresh_from_db()
    assert theirs.role == Role.MEMBER and not Membership.objects.filter(party=kommun, user__email="x@kommun.example")

    client.force_login(polis_member)  # a member of the party, not its coordinator
    assert client.get(reverse("party_people")).status_code == 403
    assert client.post(reverse("membership_remove", args=[polis_coordinator.memberships.get().pk])).status_code == 404


def test_my_party_is_in_the_menu_of_coordinators_only(client, polis_coordinator, polis_member):
    client.force_login(polis_coordinator)
    assert 'href="/party/"' in client.get(reverse("account")).content.decode()
    client.force_login(polis_member)
    assert 'href="/party/"' not in client.get(reverse("account")).content.decode()


def test_a_bad_role_is_refused_plainly(client, polis_coordinator, polis_member):
    client.force_login(polis_coordinator)
    response = client.post(reverse("membership_role", args=[polis_member.memberships.get().pk]), {"role": "chef"})
    assert response.status_code == 302 and ("error", "Välj en av rollerna.") in messages_of(response)

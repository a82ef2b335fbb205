"""The password reset mail: written to the outbox, limited per address and per client, in no meeting."""

import datetime
import logging
import time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from coordination.models import OutboxMessage, Profile

SECURITY = "samrad.security"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 10


def ask(client, email, address="192.0.2.10"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_the_reset_mail_is_written_in_the_users_language_with_a_link_to_the_site(client, settings, polis_member):
    settings.SITE_URL = "https://samrad.uppsala.se"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]  # even a host the site answers to is not the link's
    Profile.objects.create(user=polis_member, language="en")

    client.post(reverse("password_reset"), {"email": polis_member.email}, HTTP_HOST="evil.example")

    [message] = OutboxMessage.objects.all()
    assert (message.kind, message.meeting, message.recipient) == ("password_reset", None, polis_member.email)
    assert message.recipient_name == "Handläggare"
    assert message.subject == "A new password for Samråd"
    assert "https://samrad.uppsala.se/password-reset/" in message.text and "evil" not in message.text
    assert 'href="https://samrad.uppsala.se/password-reset/' in message.html
    assert "Your username is polis_member." in message.text


def test_a_fourth_request_for_one_address_within_the_hour_sends_nothing_and_looks_the_same(
    cache_backend, client, polis_member, caplog
):
    answers = [ask(client, polis_member.email.upper(), address=f"192.0.2.{n}") for n in range(4)]

    assert OutboxMessage.objects.count() == 3
    assert {(answer.status_code, answer.url) for answer in answers} == {(302, reverse("password_reset_done"))}
    with caplog.at_level(logging.INFO, logger=SECURITY):
        ask(client, polis_member.email)
    assert f"password_reset_throttled user_id=- username='{polis_member.email}' client_ip=192.0.2.10" in caplog.text


def test_an_eleventh_request_from_one_client_within_the_hour_sends_nothing(
    cache_backend, client, polis_member, polis_coordinator
):
    for n in range(10):
        ask(client, f"nobody{n}@samrad.example")

    refused = ask(client, polis_member.email)
    allowed = ask(client, polis_coordinator.email, address="198.51.100.7")

    assert (refused.status_code, refused.url) == (allowed.status_code, allowed.url)
    assert [message.recipient for message in OutboxMessage.objects.all()] == [polis_coordinator.email]


def test_the_limits_start_again_after_the_hour(memory_cache, client, polis_member):
    for _ in range(4):
        ask(client, polis_member.email)

    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3601)):
        ask(client, polis_member.email)

    assert OutboxMessage.objects.count() == 4


def test_the_reset_mail_is_in_no_meetings_delivery_table_and_the_admin_lists_it(
    client, admin_client, meeting, kommun_coordinator
):
    ask(client, kommun_coordinator.email)
    reset = OutboxMessage.objects.get(kind=OutboxMessage.Kind.PASSWORD_RESET)
    client.force_login(kommun_coordinator)

    page = client.get(reverse("meeting_detail", args=[meeting.pk]))

    assert page.context["outbox"] is not None and reset not in page.context["outbox"]
    assert admin_client.get("/admin/coordination/outboxmessage/").status_code == 200
    assert admin_client.get(f"/admin/coordination/outboxmessage/{reset.pk}/change/").status_code == 200


def test_a_known_an_unknown_and_a_throttled_address_are_answered_after_the_same_fixed_time(
    client, settings, polis_member
):
    settings.PASSWORD_RESET_ANSWER_SECONDS = 0.2
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    took = {}
    for case, email in [
        ("known", polis_member.email),
        ("unknown", "nobody@samrad.example"),
        ("throttled", polis_member.email),
    ]:
        started = time.monotonic()
        ask(client, email)
        took[case] = time.monotonic() - started

    assert OutboxMessage.objects.count() == 1
    assert all(seconds >= 0.2 for seconds in took.values()), took

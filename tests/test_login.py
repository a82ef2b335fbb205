"""Logging in safely: lockout, no user enumeration, sessions that end, two-factor login, the security log."""

import datetime
import logging
import re
import smtplib

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.models import OutboxMessage
from coordination.outbox import send_due

from .builders import PASSWORD, current_code, recipients_of

SECURITY = "samrad.security"


@pytest.fixture(autouse=True)
def low_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def attempt(client, username, password="wrong-password-here", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def without_tokens(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.fixture
def device(polis_member):
    return TOTPDevice.objects.create(user=polis_member, name="TOTP", confirmed=True)


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(client, polis_member):
    unknown, wrong = attempt(client, "nobody-here"), attempt(client, "polis_member")
    assert unknown.status_code == wrong.status_code == 200
    assert without_tokens(unknown).replace("nobody-here", "polis_member") == without_tokens(wrong)


def test_a_name_longer_than_any_account_is_counted_under_its_first_150_characters(client, db):
    from axes.models import AccessAttempt

    response = attempt(client, "😀" * 300)
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "😀" * 150


def test_a_name_with_a_nul_character_is_refused_like_any_wrong_name(client, db):
    """PostgreSQL refuses NUL in a query: the per-account wait looked the name up before the form refused it."""
    from axes.models import AccessAttempt

    response = attempt(client, "polis\x00member")
    assert response.status_code == 200
    assert not any("\x00" in name for name in AccessAttempt.objects.values_list("username", flat=True))


def test_an_unknown_user_still_costs_a_password_hash(client, db, monkeypatch):
    calls = []
    original = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    attempt(client, "nobody-here")
    assert calls


def test_too_many_failures_from_one_client_lock_the_account_there_even_with_the_right_password(client, polis_member):
    for _ in range(3):
        attempt(client, "polis_member")
    response = attempt(client, "polis_member", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in response.wsgi_request.session


def test_an_attacker_elsewhere_does_not_lock_the_person_out_of_their_own_client(polis_member):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(5):
        attempt(attacker, "polis_member")
    assert attempt(attacker, "polis_member", PASSWORD).status_code == 429
    assert attempt(Client(REMOTE_ADDR="192.0.2.7"), "polis_member", PASSWORD).status_code == 302


def test_failures_for_other_accounts_from_a_shared_address_do_not_lock_this_account_there(client, polis_member):
    """Behind a proxy that is not trusted (or a shared office address) every client has one address."""
    for name in ("a-one", "a-two", "a-three", "a-four"):
        attempt(client, name)
    assert attempt(client, "polis_member", PASSWORD).status_code == 302


def delayed_for(response):
    """The wait the delay page asks for, as it says it (in Swedish), or None if it is not that page."""
    found = re.search(r"Vänta (\d+ \w+) och försök igen", response.content.decode())
    return found and found[1]


def test_many_failures_across_clients_slow_the_account_down_more_and_more_but_never_lock_it(
    polis_member, settings, caplog
):
    settings.LOGIN_ACCOUNT_DELAY_AFTER = 6
    person = Client(REMOTE_ADDR="192.0.2.7")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        # Each client makes fewer failures than the lockout: only the count for the account slows them.
        for number in range(6):
            assert attempt(Client(REMOTE_ADDR=f"203.0.113.{number}"), "polis_member").status_code == 200
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=SECURITY):
            refused = attempt(person, "polis_member", PASSWORD)
        assert refused.status_code == 429 and refused["Retry-After"] == "5"
        assert delayed_for(refused) == "5 sekunder"
        assert "login_delayed user_id=- username='polis_member' client_ip=192.0.2.7" in caplog.text
        # The refusal did not check the password, and did not count as a failure.
        assert "login_failed" not in caplog.text and "_auth_user_id" not in person.session

        waits = []
        for number in range(6, 10):
            clock.shift(datetime.timedelta(minutes=20))
            assert attempt(Client(REMOTE_ADDR=f"203.0.113.{number}"), "polis_member").status_code == 200
            waits.append(delayed_for(attempt(person, "polis_member", PASSWORD)))
        assert waits == ["10 sekunder", "20 sekunder", "40 sekunder", "2 minuter"]

        clock.shift(datetime.timedelta(seconds=79))
        assert delayed_for(attempt(person, "polis_member", PASSWORD)) == "1 sekund"
        clock.shift(datetime.timedelta(seconds=1))
        assert attempt(person, "polis_member", PASSWORD).status_code == 302


def test_the_delay_grows_to_its_maximum_and_failures_older_than_the_window_are_forgotten(polis_member, settings):
    from axes.models import AccessFailureLog

    settings.LOGIN_ACCOUNT_DELAY_AFTER = 2
    settings.LOGIN_ACCOUNT_DELAY_MAX = datetime.timedelta(minutes=3)
    for number in range(40):
        AccessFailureLog.objects.create(username="polis_member", ip_address=f"203.0.113.{number}", user_agent="x")
    assert delayed_for(attempt(Client(), "polis_member", PASSWORD)) == "3 minuter"
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, seconds=1), tick=True):
        assert attempt(Client(), "polis_member", PASSWORD).status_code == 302
    assert not AccessFailureLog.objects.exists()


def test_wrong_codes_for_the_account_slow_its_code_step_down_too(polis_member, device, settings):
    settings.LOGIN_ACCOUNT_DELAY_AFTER = 2
    first, second = Client(REMOTE_ADDR="203.0.113.1"), Client(REMOTE_ADDR="203.0.113.2")
    for thief in (first, second):
        attempt(thief, "polis_member", PASSWORD)
    for _ in range(2):
        assert first.post(reverse("login_code"), {"code": "000000"}).status_code == 200
    assert delayed_for(second.post(reverse("login_code"), {"code": current_code(device)})) == "5 sekunder"
    assert "_auth_user_id" not in second.session


def test_the_lockout_page_does_not_tell_whether_the_account_exists(polis_member):
    pages = []
    for number, name in enumerate(["polis_member", "nobody-here"]):
        client = Client(REMOTE_ADDR=f"192.0.2.{number + 20}")
        for _ in range(3):
            attempt(client, name)
        pages.append(attempt(client, name))
    assert [page.status_code for page in pages] == [429, 429]
    assert without_tokens(pages[0]) == without_tokens(pages[1])
    assert "Försök igen om 15 minuter" in without_tokens(pages[0])


def test_the_lockout_ends_after_the_cool_off(client, polis_member, settings):
    import datetime

    from axes.models import AccessAttempt

    for _ in range(3):
        attempt(client, "polis_member")
    assert attempt(client, "polis_member", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    assert attempt(client, "polis_member", PASSWORD).status_code == 302


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(polis_member):
    for number in range(3):
        attempt(Client(REMOTE_ADDR="192.0.2.30", HTTP_X_FORWARDED_FOR=f"8.8.4.{number}"), "polis_member")
    assert (
        attempt(Client(REMOTE_ADDR="192.0.2.30", HTTP_X_FORWARDED_FOR="8.8.4.9"), "polis_member", PASSWORD).status_code
        == 429
    )


def test_behind_a_trusted_proxy_the_client_is_read_from_the_right_and_a_forged_entry_is_ignored(polis_member, settings):
    # What TRUSTED_PROXY_COUNT=1 sets (test_the_settings_trust_forwarded_for_only_when_a_proxy_count_is_given).
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False
    for number in range(3):
        # The same attacker, 8.8.8.8, forging a different address each time in front of the real one.
        attempt(Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.1.1.{number}, 8.8.8.8"), "polis_member")
    assert (
        attempt(Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="8.8.8.8"), "polis_member", PASSWORD).status_code
        == 429
    )
    # The person, another client behind the same proxy, is not locked out.
    assert (
        attempt(Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="9.9.9.9"), "polis_member", PASSWORD).status_code
        == 302
    )


def test_the_settings_trust_forwarded_for_only_when_a_proxy_count_is_given():
    from .builders import run_django

    read = "from django.conf import settings as s; print(s.AXES_IPWARE_META_PRECEDENCE_ORDER, getattr(s, 'AXES_IPWARE_PROXY_COUNT', None))"
    assert run_django({}, "shell", "-c", read).stdout.strip().splitlines()[-1] == "('REMOTE_ADDR',) None"
    assert (
        run_django({"TRUSTED_PROXY_COUNT": "2"}, "shell", "-c", read).stdout.strip().splitlines()[-1]
        == "('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR') 1"
    )


@pytest.mark.parametrize("password", ["kort-lösen", "password1234", "123456789012345"])
def test_short_common_and_numeric_passwords_are_refused(client, polis_member, password):
    client.force_login(polis_member)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": password, "new_password2": password}
    )
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
    polis_member.refresh_from_db()
    assert polis_member.check_password(PASSWORD)


def test_changing_the_password_keeps_this_session_and_ends_the_others(polis_member, caplog):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.force_login(polis_member)
    new = "ett-nytt-och-langt-losenord"
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = here.post(
            reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
        )
    assert response.status_code == 302 and response.url == reverse("account")
    assert here.get(reverse("account")).status_code == 200
    assert elsewhere.get(reverse("account")).status_code == 302
    assert f"password_changed user_id={polis_member.pk}" in caplog.text
    assert new not in caplog.text and PASSWORD not in caplog.text


def test_the_account_page_links_to_the_password_change(client, polis_member):
    client.force_login(polis_member)
    assert reverse("password_change") in client.get(reverse("account")).content.decode()


def test_deactivating_a_user_ends_their_sessions(client, polis_member):
    client.force_login(polis_member)
    assert client.get(reverse("account")).status_code == 200
    polis_member.is_active = False
    polis_member.save()
    assert client.get(reverse("account")).status_code == 302


def test_sessions_end_after_the_idle_time_and_activity_extends_them(client, polis_member, settings, monkeypatch):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_HOURS * 3600 == 8 * 3600
    clock = [1_800_000_000]
    monkeypatch.setattr("coordination.middleware.time.time", lambda: clock[0])
    client.force_login(polis_member)
    # Within the renewal interval a page does not save the session again ...
    clock[0] += settings.SESSION_RENEW_SECONDS - 1
    assert settings.SESSION_COOKIE_NAME not in client.get(reverse("account")).cookies
    # ... after it, the next page renews the session for another full idle time.
    clock[0] += 1
    response = client.get(reverse("account"))
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600
    assert client.session.get_expiry_age() == 8 * 3600


def test_the_login_page_says_when_a_session_has_ended(client, polis_member):
    attempt(client, "polis_member", PASSWORD)
    client.cookies.pop("sessionid")
    page = client.get(reverse("login"))
    assert "Du har loggats ut" in page.content.decode()
    assert "Du har loggats ut" not in client.get(reverse("login")).content.decode()


def test_logging_out_on_purpose_does_not_say_the_session_ended(client, polis_member):
    attempt(client, "polis_member", PASSWORD)
    client.post(reverse("logout"))
    assert "Du har loggats ut" not in client.get(reverse("login")).content.decode()


def test_login_logout_and_failures_are_in_the_security_log(client, polis_member, caplog):
    with caplog.at_level(logging.INFO, logger=SECURITY):
        attempt(client, "polis_member", "fel-losenord-1", REMOTE_ADDR="192.0.2.40")
        attempt(client, "polis_member", PASSWORD, REMOTE_ADDR="192.0.2.40")
        client.post(reverse("logout"), REMOTE_ADDR="192.0.2.40")
    lines = [record.getMessage() for record in caplog.records if record.name == SECURITY]
    assert lines == [
        "login_failed user_id=- username='polis_member' client_ip=192.0.2.40",
        f"login user_id={polis_member.pk} username='polis_member' client_ip=192.0.2.40",
        f"logout user_id={polis_member.pk} username='polis_member' client_ip=192.0.2.40",
    ]
    assert "fel-losenord-1" not in caplog.text


def test_a_lockout_is_in_the_security_log(client, db, caplog):
    with caplog.at_level(logging.INFO, logger=SECURITY):
        for _ in range(4):
            attempt(client, "nobody-here")
    assert "lockout user_id=- username='nobody-here' client_ip=127.0.0.1" in caplog.text


def test_the_admin_logs_in_through_the_apps_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == "/login/?next=/admin/"


def test_a_logged_in_user_who_is_not_an_administrator_is_refused_at_the_admin_not_sent_round(client, polis_member):
    """The admin sends them to its login; there they were sent to ours, which sent them back to the admin."""
    client.force_login(polis_member)

    response = client.get("/admin/", follow=True)

    assert [url for url, _ in response.redirect_chain] == ["/admin/login/?next=/admin/"]
    assert response.status_code == 403
    assert "Administratörsgränssnittet är till för tjänstens administratörer." in response.content.decode()


def test_an_administrator_still_reaches_the_admin(admin_client):
    response = admin_client.get("/admin/login/?next=/admin/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/"


def test_a_user_with_two_factor_login_must_give_a_code(client, polis_member, device):
    response = attempt(client, "polis_member", PASSWORD)
    assert response.status_code == 302 and response.url.startswith(reverse("login_code"))
    assert client.get(reverse("my_meetings")).status_code == 302
    response = client.post(reverse("login_code"), {"code": current_code(device), "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get(reverse("my_meetings")).status_code == 200


def test_a_code_works_only_once(client, polis_member, device):
    attempt(client, "polis_member", PASSWORD)
    code = current_code(device)
    client.post(reverse("login_code"), {"code": code})
    client.post(reverse("logout"))
    attempt(client, "polis_member", PASSWORD)
    response = client.post(reverse("login_code"), {"code": code})
    assert response.status_code == 200 and "inte rätt" in response.content.decode()


def test_wrong_codes_count_towards_the_lockout(client, polis_member, device, caplog):
    attempt(client, "polis_member", PASSWORD)
    with caplog.at_level(logging.INFO, logger=SECURITY):
        responses = [client.post(reverse("login_code"), {"code": "000000"}) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert client.get(reverse("login_code")).status_code == 429
    assert caplog.text.count("login_failed user_id=- username='polis_member'") == 3
    assert "_auth_user_id" not in client.session


def test_the_code_step_needs_a_password_first(client, db):
    assert client.get(reverse("login_code")).url == reverse("login")


def test_setting_up_two_factor_login(client, polis_member, caplog):
    client.force_login(polis_member)
    client.post(reverse("two_factor_start"))
    page = client.get(reverse("two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=polis_member, confirmed=False)
    assert 'src="data:image/svg+xml' in page and "style=" not in page
    assert re.search(r'<code class="fs-5" id="totp-key">[A-Z2-7 ]+</code>', page)
    assert client.post(reverse("two_factor_setup"), {"code": "000000"}).status_code == 200
    device.throttle_reset()
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = client.post(reverse("two_factor_setup"), {"code": current_code(device)})
    assert response.url == reverse("account")
    assert TOTPDevice.objects.get(user=polis_member).confirmed
    assert f"two_factor_enrolled user_id={polis_member.pk}" in caplog.text


def test_turning_two_factor_login_off_needs_a_current_code(client, polis_member, device, caplog):
    client.force_login(polis_member)
    assert client.post(reverse("two_factor_remove"), {"code": "000000"}).status_code == 200
    assert TOTPDevice.objects.filter(user=polis_member).exists()
    device.throttle_reset()
    with caplog.at_level(logging.INFO, logger=SECURITY):
        client.post(reverse("two_factor_remove"), {"code": current_code(device)})
    assert not TOTPDevice.objects.filter(user=polis_member).exists()
    assert f"two_factor_removed user_id={polis_member.pk}" in caplog.text


def test_when_required_a_coordinator_without_two_factor_reaches_only_the_set_up(
    client, settings, kommun_coordinator, kommun_member
):
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    client.force_login(kommun_coordinator)
    for url in (reverse("my_meetings"), reverse("account"), "/admin/"):
        assert client.get(url).url == reverse("two_factor_setup")
    assert client.get(reverse("two_factor_setup")).status_code == 200
    member = Client()
    member.force_login(kommun_member)
    assert member.get(reverse("my_meetings")).status_code == 200


def test_when_required_a_coordinator_who_set_it_up_works_normally(client, settings, kommun_coordinator):
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    device = TOTPDevice.objects.create(user=kommun_coordinator, name="TOTP", confirmed=True)
    attempt(client, "kommun_coordinator", PASSWORD)
    client.post(reverse("login_code"), {"code": current_code(device)})
    assert client.get(reverse("my_meetings")).status_code == 200


def test_a_password_reset_answers_the_same_for_a_known_and_an_unknown_address(client, polis_member, mailoutbox):
    known = client.post(reverse("password_reset"), {"email": polis_member.email})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@samrad.example"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url) == (302, reverse("password_reset_done"))
    # The request only writes to the outbox; no mail server is spoken to while the visitor waits.
    assert mailoutbox == []
    assert [message.recipient for message in OutboxMessage.objects.all()] == [polis_member.email]


def test_a_mail_server_that_fails_does_not_tell_that_an_address_is_known(client, polis_member, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    response = client.post(reverse("password_reset"), {"email": polis_member.email})
    assert (response.status_code, response.url) == (302, reverse("password_reset_done"))
    # Nothing is lost: the mail waits in the outbox until the server is back.
    assert send_due() == (0, 1)
    monkeypatch.undo()
    assert send_due(now=timezone.now() + datetime.timedelta(hours=1)) == (1, 0)
    [sent] = mail.outbox
    assert recipients_of(sent) == [("Handläggare", polis_member.email)]


def test_the_reset_link_sets_a_new_password_and_ends_every_session(client, polis_member, mailoutbox, caplog):
    elsewhere = Client()
    elsewhere.force_login(polis_member)
    client.post(reverse("password_reset"), {"email": polis_member.email})
    send_due()
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link).url  # Django moves the token out of the address before showing the form
    new = "ett-nytt-och-langt-losenord"
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.url == reverse("password_reset_complete")
    polis_member.refresh_from_db()
    assert polis_member.check_password(new)
    assert elsewhere.get(reverse("account")).status_code == 302
    assert f"password_reset user_id={polis_member.pk}" in caplog.text


def test_when_required_a_session_that_never_gave_a_code_must_log_in_again(client, settings, kommun_coordinator):
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    TOTPDevice.objects.create(user=kommun_coordinator, name="TOTP", confirmed=True)
    client.force_login(kommun_coordinator)  # as a session begun before the requirement was switched on
    response = client.get(reverse("my_meetings"))
    assert response.url == reverse("login") + "?next=/"
    assert "_auth_user_id" not in client.session


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("chef", "chef@samrad.example", PASSWORD)


def test_when_required_an_administrator_without_two_factor_sets_it_up_before_seeing_the_admin(
    client, settings, superuser
):
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    attempt(client, "chef", PASSWORD)
    for url in ("/admin/", "/admin/coordination/meeting/", "/admin/login/?next=/admin/"):
        assert client.get(url).url == reverse("two_factor_setup")

    client.post(reverse("two_factor_start"))
    device = TOTPDevice.objects.get(user=superuser)
    client.post(reverse("two_factor_setup"), {"code": current_code(device)})
    assert client.get("/admin/coordination/meeting/").status_code == 200


def test_when_required_an_administrator_with_two_factor_gives_a_code_before_seeing_the_admin(
    client, settings, superuser
):
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    device = TOTPDevice.objects.create(user=superuser, name="TOTP", confirmed=True)
    client.force_login(superuser)  # as a session begun before the requirement was switched on
    assert client.get("/admin/").url == reverse("login") + "?next=/admin/"
    assert attempt(client, "chef", PASSWORD).url.startswith(reverse("login_code"))
    client.post(reverse("login_code"), {"code": current_code(device)})
    assert client.get("/admin/").status_code == 200


def test_when_required_the_admin_site_itself_admits_staff_only_with_a_code(rf, settings, superuser):
    """Whatever way a request reaches the admin, the site asks for the second factor itself."""
    from django.contrib import admin

    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    request = rf.get("/admin/")
    request.user = superuser
    superuser.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    superuser.is_verified = lambda: True
    assert admin.site.has_permission(request)
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = False
    superuser.is_verified = lambda: False
    assert admin.site.has_permission(request)


def test_when_required_staff_without_two_factor_are_sent_to_set_it_up(client, settings, django_user_model):
    settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS = True
    client.force_login(django_user_model.objects.create_user("stab", password=PASSWORD, is_staff=True))
    assert client.get("/admin/").url == reverse("two_factor_setup")

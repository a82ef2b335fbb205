"""The language a user chooses follows them: to their next login and into the mail they get."""

from django.conf import settings
from django.urls import reverse

from coordination.models import Profile

from .builders import PASSWORD


def test_choosing_english_is_remembered_on_the_account(client, polis_member):
    client.force_login(polis_member)
    response = client.post(reverse("choose_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert Profile.objects.get(user=polis_member).language == "en"
    assert client.get("/").content.decode().count("My meetings") >= 1


def test_the_next_login_shows_the_chosen_language(client, polis_member):
    Profile.objects.create(user=polis_member, language="en")
    response = client.post(reverse("login"), {"username": "polis_member", "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "My meetings" in client.get("/").content.decode()


def test_an_unknown_language_is_not_stored(client, polis_member):
    client.force_login(polis_member)
    client.post(reverse("choose_language"), {"language": "xx", "next": "/"})
    assert not Profile.objects.filter(user=polis_member).exists()


def test_an_anonymous_visitor_can_still_switch_language(client):
    response = client.post(reverse("choose_language"), {"language": "en", "next": "/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Log in" in client.get("/login/").content.decode()

"""The language a user chooses follows them: to their next login and into the mail they get."""

from django.conf import settings
from django.test import Client
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


def test_an_english_browser_gets_swedish_until_the_person_chooses(client, polis_member):
    """The service is Swedish first: the browser's Accept-Language does not choose the language."""
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    page = response.content.decode()
    assert '<html lang="sv">' in page and "Logga in" in page
    assert "Accept-Language" not in response.get("Vary", "")


def test_one_click_in_the_header_switches_and_stays_on_the_same_page(client, meeting, polis_member):
    client.force_login(polis_member)
    path = reverse("meeting_detail", args=[meeting.pk])
    header = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode().split("</header>")[0]
    # One button, named in the language it switches to, posting the page it is on.
    assert '<button class="btn btn-sm btn-outline-dark" type="submit" name="language" value="en" lang="en">' in header
    assert f'<input name="next" type="hidden" value="{path}">' in header

    response = client.post(reverse("choose_language"), {"language": "en", "next": path})

    assert response.status_code == 302 and response["Location"] == path
    page = client.get(path).content.decode()
    assert '<html lang="en">' in page and 'name="language" value="sv" lang="sv">Svenska</button>' in page


def test_the_choice_sticks_across_pages_and_to_the_next_login(client, polis_member):
    client.force_login(polis_member)
    client.post(reverse("choose_language"), {"language": "en", "next": "/"})
    for path in ("/", reverse("account"), reverse("privacy")):
        assert '<html lang="en">' in client.get(path, HTTP_ACCEPT_LANGUAGE="sv").content.decode(), path
    client.post(reverse("logout"))

    elsewhere = Client()
    elsewhere.post(reverse("login"), {"username": "polis_member", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="sv")
    assert '<html lang="en">' in elsewhere.get("/").content.decode()

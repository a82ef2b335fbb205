"""Mail in a real browser journey: it leaves through the outbox to a strict SMTP server, and its link works.

The municipality's coordinator opens a meeting for answers; a member of the
police who has forgotten the password asks for a new one on the login page;
the outbox worker sends the mail to tests/smtp_server.py over SMTP; the link
read from the mail that arrived sets a new password, and the member logs in
with it.
"""

import re

import pytest

from coordination.models import Meeting
from coordination.outbox import send_due

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "mail"
NEW_PASSWORD = "ett-nytt-och-langt-losenord"


def test_a_member_asks_for_a_new_password_and_logs_in_with_it_from_the_mail(
    people, live_server, settings, smtp_server, draft_meeting, kommun_coordinator, polis_member
):
    settings.SITE_URL = live_server.url

    # The municipality's coordinator opens the meeting for answers.
    coordinator = people(kommun_coordinator)
    coordinator.go(f"/meetings/{draft_meeting.pk}/")
    coordinator.page.click(f"form[action='/meetings/{draft_meeting.pk}/open/'] button")
    coordinator.page.wait_for_url(f"**/meetings/{draft_meeting.pk}/")
    coordinator.shot("open-for-answers")
    draft_meeting.refresh_from_db()
    assert draft_meeting.status == Meeting.Status.POLLING

    # A member of the police has forgotten the password and asks for a link on the login page.
    visitor = people(None)
    page = visitor.page
    page.click("text=Glömt lösenordet?")
    page.fill("#id_email", polis_member.email)
    visitor.shot("ask-for-a-new-password")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{visitor.base}/password-reset/sent/")
    visitor.shot("link-sent")

    # The worker sends it; the strict server takes it, addressed to the member alone.
    sent, failed = send_due()
    assert failed == 0 and sent >= 1
    [reset] = [r for r in smtp_server.received if r.message["Subject"] == "Nytt lösenord för Samråd"]
    assert reset.rcpt_tos == [polis_member.email]
    assert [(a.display_name, a.addr_spec) for a in reset.message["To"].addresses] == [
        ("Handläggare", polis_member.email)
    ]
    text = reset.message.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/password-reset/\S+/", text).group(0)
    html = reset.message.get_body(("html",)).get_content()
    assert f'href="{link}"' in html

    # The link from the mail, in the browser: a new password, then a login with it.
    page.goto(link)
    page.wait_for_url(f"{visitor.base}/password-reset/*/set-password/")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    visitor.shot("choose-a-new-password")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{visitor.base}/password-reset/done/")
    visitor.shot("password-saved")
    visitor.go("/login/")
    visitor.log_in(polis_member.username, NEW_PASSWORD)
    assert "Mina möten" in page.inner_text("main")
    visitor.shot("logged-in-with-the-new-password")

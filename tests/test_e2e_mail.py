"""Mail in real browser journeys: it leaves through the outbox to a strict SMTP server, and its link works.

The municipality's coordinator opens a meeting for answers; the outbox worker
sends the notice to tests/smtp_server.py over SMTP; the police coordinator
follows the link read from the mail that arrived and answers for the police.
And a member of the police who has forgotten the password asks for a new one
on the login page; the link from the mail sets it, and the member logs in.
"""

import re

import pytest

from coordination.models import Answer, Meeting
from coordination.outbox import send_due

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT_PREFIX = "mail"
NEW_PASSWORD = "ett-nytt-och-langt-losenord"


def arrived_for(smtp_server, user, subject_start):
    """The one mail that arrived for ``user`` whose subject starts so; its plain-text and HTML bodies."""
    [mail] = [
        r
        for r in smtp_server.received
        if r.rcpt_tos == [user.email] and r.message["Subject"].lstrip().startswith(subject_start)
    ]
    return mail, mail.message.get_body(("plain",)).get_content(), mail.message.get_body(("html",)).get_content()


def test_the_police_coordinator_is_told_the_meeting_is_open_and_answers_from_the_link_in_the_mail(
    people, live_server, settings, smtp_server, draft_meeting, polisen, kommun_coordinator, polis_coordinator
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

    # The worker sends the notices; the police coordinator's arrives, addressed to them alone.
    sent, failed = send_due()
    assert failed == 0 and sent >= 1
    notice, text, html = arrived_for(smtp_server, polis_coordinator, "Svara för Polisen")
    assert [(a.display_name, a.addr_spec) for a in notice.message["To"].addresses] == [
        ("Stabschef", polis_coordinator.email)
    ]
    link = f"{live_server.url}/meetings/{draft_meeting.pk}/answers/{polisen.pk}/"
    assert link in text and f'href="{link}"' in html

    # The link from the mail, in the browser: the police coordinator answers for the police.
    police = people(polis_coordinator)
    police.page.goto(link)
    police.check()
    slots = list(draft_meeting.slots.order_by("start"))
    police.page.check(f"input[name='answer_{slots[0].pk}'][value='yes']")
    police.page.check(f"input[name='answer_{slots[1].pk}'][value='no']")
    police.shot("answer-from-the-mail")
    police.page.click("main button[type=submit]")
    police.page.wait_for_url(f"**/meetings/{draft_meeting.pk}/")
    assert set(Answer.objects.filter(party=polisen).values_list("slot_id", "value")) == {
        (slots[0].pk, Answer.Value.YES),
        (slots[1].pk, Answer.Value.NO),
    }


def test_a_member_asks_for_a_new_password_and_logs_in_with_it_from_the_mail(
    people, live_server, settings, smtp_server, polis_member
):
    settings.SITE_URL = live_server.url

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
    reset, text, html = arrived_for(smtp_server, polis_member, "Nytt lösenord för Samråd")
    assert [(a.display_name, a.addr_spec) for a in reset.message["To"].addresses] == [
        ("Handläggare", polis_member.email)
    ]
    link = re.search(rf"{re.escape(live_server.url)}/password-reset/\S+/", text).group(0)
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

"""The one mail composer: addresses that survive any directory name, headers that cannot be injected."""

import pytest
from django.core import mail as django_mail
from django.template.loader import get_template

from coordination import mail
from coordination.models import OutboxMessage
from coordination.outbox import send_due

from .builders import recipients_of

Kind = OutboxMessage.Kind

# The names of a Swedish Exchange directory, and worse.
NAMES = [
    "Lindström, Åsa",
    "Stabschef, rikspolischefens kansli",
    'Kommunstyrelsens "ordförande"; Uppsala: <kansli>',
    "Sekreterare 📅, länsstyrelsen",
]


def reminder(meeting, name, *, language="sv", title=None):
    def context():
        return {
            "title": title or meeting.title,
            "party": meeting.invitations.first().party,
            "party_name": "Polisen",
            "url": "https://samrad.example/",
            "deadline": "",
            "answer_by": "–",
        }

    return mail.compose(
        Kind.REMINDER, mail.Recipient("kansli@polisen.example", name, language), context, meeting=meeting
    )


def queued(meeting, name, **options):
    message = reminder(meeting, name, **options)
    message.save()
    return message


@pytest.mark.parametrize("name", NAMES)
def test_a_directory_name_with_commas_and_quotes_leaves_as_one_address_with_that_name(meeting, name):
    queued(meeting, name)

    assert send_due() == (1, 0)

    [sent] = django_mail.outbox
    assert recipients_of(sent) == [(name, "kansli@polisen.example")]


def test_a_title_with_a_line_break_cannot_start_another_header(meeting):
    message = queued(meeting, "Polisen", title="Dialog\r\nBcc: spion@example.com")

    assert "\n" not in message.subject and "\r" not in message.subject
    assert send_due() == (1, 0)
    [sent] = django_mail.outbox
    assert "spion@example.com" not in sent.message()["To"] and sent.message()["Bcc"] is None


def test_every_message_says_it_is_automatic_and_keeps_its_message_id_on_a_retry(meeting, settings):
    settings.SITE_URL = "https://samrad.uppsala.se"
    message = queued(meeting, "Polisen")

    first, again = mail.to_email(message).message(), mail.to_email(message).message()

    assert first["Auto-Submitted"] == "auto-generated"
    assert first["X-Auto-Response-Suppress"] == "All"
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@samrad.uppsala.se>")
    settings.MAIL_MESSAGE_ID_DOMAIN = "mail.samrad.se"
    assert mail.to_email(message).message()["Message-ID"].endswith("@mail.samrad.se>")


def test_the_message_is_written_in_the_recipients_language(meeting):
    swedish = queued(meeting, "Polisen")
    english = reminder(meeting, "Chief", language="en")

    assert swedish.subject.startswith("Påminnelse: ") and english.subject.startswith("Reminder: ")


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_of_mail_has_a_subject_and_both_templates(kind):
    assert kind in mail.SUBJECTS
    for extension in ("txt", "html"):
        get_template(f"coordination/email/{mail.TEMPLATES[kind]}.{extension}")

"""A local run's mail: one .eml file per message under sent-mail/, each a whole message a mail client opens."""

import email
import email.policy

from django.core.mail import get_connection

from coordination import mail
from coordination.models import OutboxMessage

from .builders import recipients_of, run_django


def queued(meeting, name):
    def context():
        return {
            "title": meeting.title,
            "party": meeting.invitations.first().party,
            "party_name": "Polisen",
            "url": "https://samrad.example/",
            "deadline": "",
            "answer_by": "–",
        }

    recipient = mail.Recipient("kansli@polisen.example", name, "sv")
    message = mail.compose(OutboxMessage.Kind.REMINDER, recipient, context, meeting=meeting)
    message.save()
    return message


def test_two_messages_are_two_eml_files_each_a_whole_message(meeting, settings, tmp_path):
    settings.EMAIL_BACKEND = "coordination.mail_backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "sent-mail"
    messages = [mail.to_email(queued(meeting, name)) for name in ("Lindström, Åsa", "Öberg, Märta")]

    assert get_connection().send_messages(messages) == 2

    files = sorted((tmp_path / "sent-mail").iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    parsed = {
        message["Message-ID"]: message
        for message in (email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files)
    }
    assert sorted(parsed) == sorted(original.message()["Message-ID"] for original in messages)
    for original in messages:
        message = parsed[original.message()["Message-ID"]]
        assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == recipients_of(original)
        assert message.get_content_type() == "multipart/mixed"
        [alternative] = message.get_payload()
        assert [part.get_content_type() for part in alternative.iter_parts()] == ["text/plain", "text/html"]
        assert "Svara här" in alternative.get_body(("plain",)).get_content()
        assert not message.defects and not any(part.defects for part in message.walk())


def test_the_file_name_is_the_time_and_the_message_id_without_anything_a_path_could_misread(
    meeting, settings, tmp_path
):
    settings.EMAIL_FILE_PATH = tmp_path
    message = mail.to_email(queued(meeting, "Polisen"))
    message.extra_headers["Message-ID"] = "<../../etc/passwd@x>"

    get_connection("coordination.mail_backends.EmlFileBackend").send_messages([message, message])

    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 2 and all("/" not in name and name.endswith(".eml") for name in names)
    assert names[0].split("-", 1)[1].startswith("etc-passwd-x")


def test_a_local_run_without_a_mail_server_writes_eml_files_and_one_with_a_server_speaks_smtp():
    read = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    local = run_django({"EMAIL_HOST": ""}, "shell", "-c", read).stdout.strip().splitlines()[-1]
    server = run_django({"EMAIL_HOST": "smtp.example"}, "shell", "-c", read).stdout.strip().splitlines()[-1]
    assert (local, server) == (
        "coordination.mail_backends.EmlFileBackend",
        "django.core.mail.backends.smtp.EmailBackend",
    )

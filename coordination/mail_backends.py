"""Where mail goes on a local run: one .eml file per message under sent-mail/, for a developer to open.

Django's file backend writes every message of a connection into one .log
file, which no mail client opens. Here each message is a file of its own,
named ``<UTC time>-<Message-ID>.eml``, holding exactly the bytes an SMTP
server would have been given, so that Thunderbird, Outlook or Apple Mail
show it as it would arrive, attachments and all.
"""

import re
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

# What of a Message-ID may go into a file name: no slashes, dots only inside.
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *, file_path=None, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages):
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            mime = message.message()
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
            name = UNSAFE.sub("-", mime["Message-ID"] or "").strip(".-")[:100] or "message"
            path = self.directory / f"{stamp}-{name}.eml"
            count = 1
            while path.exists():  # the same message twice within a microsecond
                path = self.directory / f"{stamp}-{name}-{count}.eml"
                count += 1
            path.write_bytes(mime.as_bytes())
        return len(email_messages)

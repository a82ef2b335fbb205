"""The one mail composer: every message Samråd sends is written here.

``compose()`` writes one recipient's message into the outbox (unsaved, so a
service can bulk-create many in its own transaction): subject, plain text and
HTML from the templates of its kind, in the recipient's language.
``to_email()`` turns a stored message into what the outbox worker hands to
the mail server, shaped as Outlook and Gmail need it for Accept/Decline:

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; charset=utf-8; method=REQUEST|CANCEL   (the invitation itself)
      application/ics; name=invite.ics                        (the same bytes, as a file)

every part base64-encoded, the MIME method equal to the METHOD inside. The
recipient's address is written by ``email.utils.formataddr``, so a directory
name such as "Lindström, Åsa" is quoted or encoded rather than read as two
addresses.
"""

from dataclasses import dataclass
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from .models import OutboxMessage, person_name

Kind = OutboxMessage.Kind

# The subject of each kind; its placeholders are keys of the message's context.
SUBJECTS = {
    Kind.INVITATION: gettext_lazy("Invitation: %(title)s, %(when)s"),
    Kind.UPDATE: gettext_lazy("Updated: %(title)s, %(when)s"),
    Kind.CANCELLATION: gettext_lazy("Cancelled: %(title)s, %(when)s"),
    Kind.NO_LONGER_CALLED: gettext_lazy("No longer called: %(title)s"),
    Kind.REMINDER: gettext_lazy("Reminder: answer for %(party_name)s on “%(title)s” by %(answer_by)s"),
    Kind.HOLDS_RELEASED: gettext_lazy("Tentative hold released: %(title)s, %(when)s"),
    Kind.PASSWORD_RESET: gettext_lazy("A new password for Samråd"),
    Kind.ACTIVATION: gettext_lazy("Welcome to Samråd: %(party_name)s"),
    Kind.MEMBERSHIP_ADDED: gettext_lazy("You are now in %(party_name)s in Samråd"),
    Kind.OPEN_FOR_ANSWERS: gettext_lazy("Answer for %(party_name)s: “%(title)s” is open for answers"),
    Kind.ALL_ANSWERED: gettext_lazy("Everyone has answered – confirm a time: %(title)s"),
    Kind.AGENDA_PROPOSED: gettext_lazy("Agenda item proposed by %(party_name)s: “%(item)s” (%(title)s)"),
    Kind.POSITION_SHARED: gettext_lazy("Position shared by %(party_name)s: “%(item)s” (%(title)s)"),
    Kind.MINUTES_COMMENTED: gettext_lazy("%(party_name)s commented on the minutes: “%(item)s” (%(title)s)"),
    Kind.NOTICE_DIGEST: gettext_lazy("News of “%(title)s”"),
    Kind.GUEST_LINK: gettext_lazy("You are invited as a guest: %(title)s"),
    Kind.GUEST_CODE: gettext_lazy("Your one-time code for “%(title)s”"),
    Kind.ACTION_OVERDUE: gettext_lazy("Overdue action for %(party_name)s: %(title)s"),
    Kind.MINUTES_REVIEW: gettext_lazy("Review the minutes for %(party_name)s: %(title)s"),
    Kind.MINUTES_APPROVED: gettext_lazy("Approved minutes: %(title)s"),
}

# The templates of each kind, under templates/coordination/email/ as <name>.txt and <name>.html.
# The three calendar messages share one pair: they differ by a sentence, chosen by ``kind``.
TEMPLATES = {
    Kind.INVITATION: "invite",
    Kind.UPDATE: "invite",
    Kind.CANCELLATION: "invite",
    Kind.NO_LONGER_CALLED: "no_longer_called",
    Kind.REMINDER: "reminder",
    Kind.HOLDS_RELEASED: "holds_released",
    Kind.PASSWORD_RESET: "password_reset",
    Kind.ACTIVATION: "activation",
    Kind.MEMBERSHIP_ADDED: "membership_added",
    Kind.OPEN_FOR_ANSWERS: "open_for_answers",
    # The other notices, at once or collected in a digest: a list of entries.
    Kind.ALL_ANSWERED: "notice",
    Kind.AGENDA_PROPOSED: "notice",
    Kind.POSITION_SHARED: "notice",
    Kind.MINUTES_COMMENTED: "notice",
    Kind.NOTICE_DIGEST: "notice",
    Kind.GUEST_LINK: "guest_link",
    Kind.GUEST_CODE: "guest_code",
    Kind.ACTION_OVERDUE: "action_overdue",
    Kind.MINUTES_REVIEW: "minutes_review",
    Kind.MINUTES_APPROVED: "minutes_approved",
}

SUBJECT_LENGTH = OutboxMessage._meta.get_field("subject").max_length


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str

    @classmethod
    def user(cls, user):
        """A person with an account: their name, and their own choice of language."""
        profile = getattr(user, "profile", None)
        return cls(user.email, person_name(user), profile.language if profile else settings.LANGUAGE_CODE)

    @classmethod
    def attendee(cls, attendee):
        """A named attendee: with an account, as that user chose; without one, in Swedish."""
        language = cls.user(attendee.user).language if attendee.user_id else settings.LANGUAGE_CODE
        return cls(attendee.email, attendee.name, language)


def compose(kind, recipient, context, *, meeting=None, calendar="", method="", sequence=None):
    """One unsaved outbox message of ``kind`` to ``recipient``.

    ``context`` is a callable returning the template context: it is called in
    the recipient's language, so that dates and labels it formats read right.
    """
    with translation.override(recipient.language):
        values = {"meeting": meeting, "kind": kind, **context()}
        subject = str(SUBJECTS[kind]) % values
        template = f"coordination/email/{TEMPLATES[kind]}"
        return OutboxMessage(
            meeting=meeting,
            kind=kind,
            recipient=recipient.email,
            recipient_name=recipient.name,
            # A subject is one header line: a line break in a title must not start another header.
            subject=" ".join(subject.split())[:SUBJECT_LENGTH],
            text=render_to_string(f"{template}.txt", values),
            html=render_to_string(f"{template}.html", values),
            calendar=calendar,
            method=method,
            sequence=sequence,
            next_attempt_at=timezone.now(),
        )


def site_url(path):
    """A link in a mail: the site's own address (SITE_URL), never the Host header of a request."""
    return settings.SITE_URL + path


def message_id_domain():
    """The domain of every Message-ID: the configured one, else the site's own host name."""
    return settings.MAIL_MESSAGE_ID_DOMAIN or urlsplit(settings.SITE_URL).hostname or "localhost"


def to_email(message):
    """The stored ``message`` as it leaves. Its Message-ID is the same on every attempt, so a retry is one mail."""
    return CalendarEmail(
        subject=message.subject,
        body=message.text,
        to=[formataddr((message.recipient_name, message.recipient))],
        html=message.html,
        calendar=message.calendar,
        method=message.method,
        headers={
            "Message-ID": f"<samrad-{message.pk}-{message.created_at:%Y%m%d%H%M%S}@{message_id_domain()}>",
            # Out-of-office and other automatic answers must not answer an automatic message (RFC 3834),
            # and Exchange's own switch for the same.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )


class CalendarEmail(EmailMessage):
    """An EmailMessage whose body is built here, part by part.

    Django's attach_alternative with a method parameter writes the charset
    twice in the calendar part's Content-Type; building the parts with the
    standard library gives exactly one of each parameter.
    """

    def __init__(self, *, html, calendar, method, **kwargs):
        super().__init__(**kwargs)
        self.html = html
        self.calendar = calendar
        self.method = method

    def _create_message(self, msg):
        alternative = SafeMIMEMultipart(_subtype="alternative", encoding=self.encoding)
        alternative.attach(MIMEText(self.body, "plain", "utf-8"))
        alternative.attach(MIMEText(self.html, "html", "utf-8"))
        if self.calendar:
            inline = MIMEText(self.calendar, "calendar", "utf-8")
            inline.set_param("method", self.method)
            alternative.attach(inline)
        mixed = SafeMIMEMultipart(_subtype="mixed", encoding=self.encoding)
        mixed.attach(alternative)
        if self.calendar:
            attachment = MIMEBase("application", "ics", name="invite.ics")
            attachment.set_payload(self.calendar.encode())
            encoders.encode_base64(attachment)
            attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
            mixed.attach(attachment)
        return mixed

"""Review (justering) of the minutes: each party approves them through its reviewer, then they are locked.

The way of the minutes (models.Minutes.State):

    draft --send_for_review--> under review (version N kept as sent) --approve by every party--> approved (locked)
                                     |
                                     +--take_back--> draft (version N+1 being revised) --send_for_review--> ...

Each function checks the state it needs and writes the event log, in one
transaction under the meeting's row lock; the rights are checked by the view
(rules.can_send_minutes_for_review and its neighbours). The events of review
say what happened and to which version, never what a version or a comment
says: the log is read by every party, and a version under review is only the
conveners', the minute-taker's and the reviewers' (rules.can_see_minutes).
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import mail, markdown, rules
from ..formatting import slot_label
from ..models import (
    Event,
    Meeting,
    Membership,
    Minutes,
    MinutesApproval,
    MinutesCorrection,
    MinutesReviewer,
    MinutesVersion,
    OutboxMessage,
    ReviewComment,
    person_name,
)
from ..overview import build_minutes
from . import notices
from .agenda import EditConflict
from .base import RuleError, created_by_form, log_event
from .minutes import locked_minutes

# Far above any real review; a ceiling so that a loop of posts cannot grow a page without end.
MAX_COMMENTS_PER_ITEM = 50
MAX_CORRECTIONS = 200


def _under_review(meeting, version):
    """The minutes, if ``version`` is the one under review: a reviewer's page may show one replaced since."""
    meeting, minutes = locked_minutes(meeting)
    _check_under_review(minutes, version)
    return meeting, minutes


def _check_under_review(minutes, version):
    if not minutes.is_under_review:
        raise RuleError(_("The minutes are not under review now."))
    if minutes.version != version:
        # A step asked on a page of an older version: the view shows what is under review now (a comment is kept).
        raise EditConflict(
            _("Version %(number)s of the minutes has been sent for review since. Review that one.")
            % {"number": minutes.version},
            minutes.versions.get(number=minutes.version),
        )


def minutes_url(meeting, anchor=""):
    return mail.site_url(reverse("minutes", args=[meeting.pk]) + (f"#{anchor}" if anchor else ""))


@transaction.atomic
def name_reviewer(*, meeting, party, by, user):
    """``party``'s reviewer of the minutes, one of its own people (None: its coordinators review).

    Side effects: one event; while a version is under review, the new reviewer is asked to review it.
    """
    meeting, minutes = locked_minutes(meeting)
    if minutes.is_approved:
        raise RuleError(_("The minutes are approved: there is nothing more to review."))
    if user is not None and not Membership.objects.filter(user=user, party=party, user__is_active=True).exists():
        raise RuleError(_("A party's reviewer must be one of its own people."))
    row = MinutesReviewer.objects.select_for_update().filter(minutes=minutes, party=party).select_related("user")
    row = row.first()
    if (row.user_id if row else None) == (user.pk if user else None):
        return row
    before = person_name(row.user) if row else ""
    if user is None:
        row.delete()
    else:
        row = row or MinutesReviewer(minutes=minutes, party=party)
        row.user, row.named_by = user, by
        row.save()
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.REVIEWER_NAMED,
        subject=party.name,
        before={"reviewer": before},
        after={"reviewer": person_name(user) if user else ""},
    )
    if minutes.is_under_review:
        minutes = Minutes.objects.get(pk=minutes.pk)  # the reviewers as they are now
        _ask_to_review(meeting, minutes, [party], by=by)
    return row


def snapshot(meeting, minutes):
    """The minutes as plain values, to keep as a version: what a party approves is what it read."""
    record = build_minutes(Meeting.objects.for_kallelse().get(pk=meeting.pk), minutes)
    return {
        "items": [
            {
                "item": part.item.pk,
                "title": part.item.title,
                "text": part.entry.text if part.entry else "",
                "html": part.entry.html if part.entry else "",
                "agreements": [
                    {"text": agreement.text, "parties": [party.short_name for party in agreement.parties.all()]}
                    for agreement in part.agreements
                ],
                "actions": [
                    {
                        "what": action.what,
                        "owner": action.owner_party.short_name,
                        "person": action.person,
                        "due_on": action.due_on.isoformat(),
                    }
                    for action in part.actions
                ],
            }
            for part in record.items
        ],
        "presence": [
            {"name": attendee.name, "party": attendee.party.short_name, "present": row.present if row else None}
            for attendee, row in record.attendees
        ]
        + [{"name": row.name, "party": row.party.short_name, "present": True} for row in record.added],
    }


@transaction.atomic
def send_for_review(*, meeting, party, by):
    """Keep the minutes as they are now as a version, freeze them and ask each party's reviewer to review.

    A second send while that version is under review (a double click) does
    nothing. Side effects: the version, one event, a mail to every reviewer
    (rules.can_approve_minutes_for) of every party of the meeting.
    """
    meeting, minutes = locked_minutes(meeting)
    if minutes.is_under_review:
        return minutes.versions.get(number=minutes.version)
    if minutes.is_approved:
        raise RuleError(_("The minutes are approved and locked. Add a correction instead."))
    version = MinutesVersion.objects.create(
        minutes=minutes,
        number=minutes.version,
        content=snapshot(meeting, minutes),
        sent_by=by,
        sent_by_name=person_name(by),
    )
    minutes.state = Minutes.State.UNDER_REVIEW
    minutes.save(update_fields=["state"])
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MINUTES_SENT_FOR_REVIEW,
        after={"version": version.number},
    )
    parties = [invitation.party for invitation in meeting.invitations.select_related("party")]
    _ask_to_review(meeting, minutes, parties, by=by)
    return version


@transaction.atomic
def take_back(*, meeting, party, by, version):
    """Take the version under review back to revise it: the minutes are a draft again, the next version N+1.

    What the reviewers approved and said of version N stays with it; no
    approval carries over. Taking back a version already taken back does
    nothing. Side effect: one event.
    """
    meeting, minutes = locked_minutes(meeting)
    if minutes.is_draft and minutes.version == version + 1:
        return minutes
    _check_under_review(minutes, version)
    minutes.state = Minutes.State.DRAFT
    minutes.version += 1
    minutes.save(update_fields=["state", "version"])
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MINUTES_TAKEN_BACK,
        after={"version": version},
    )
    return minutes


@transaction.atomic
def approve(*, meeting, party, by, version):
    """``party`` approves version ``version`` of the minutes; once every party of the meeting has, they are locked.

    A party that approved already is not recorded twice. Side effects: one
    event; on the last approval a second one, the minutes locked (approved)
    and a mail with the approved minutes to every attendee with an address.
    """
    meeting, minutes = _under_review(meeting, version)
    kept = minutes.versions.get(number=version)
    approval = MinutesApproval.objects.filter(version=kept, party=party).first()
    if approval is not None:
        return approval
    approval = MinutesApproval.objects.create(
        version=kept, party=party, approved_by=by, approved_by_name=person_name(by)
    )
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MINUTES_APPROVED,
        subject=party.name,
        after={"version": version},
    )
    parties = set(meeting.invitations.values_list("party_id", flat=True))
    if parties <= set(kept.approvals.values_list("party_id", flat=True)):
        minutes.state = Minutes.State.APPROVED
        minutes.approved_at = timezone.now()
        minutes.save(update_fields=["state", "approved_at"])
        log_event(
            meeting=meeting,
            by=by,
            party=party,
            action=Event.Action.MINUTES_LOCKED,
            after={"version": version},
        )
        _send_approved(meeting)
    return approval


@transaction.atomic
def comment(*, meeting, item, party, by, text, version, form_token=None):
    """A reviewer's comment for ``party`` on ``item`` of the version under review. Side effects: one event,
    which names the item and the version but not the comment (see the module's docstring), and a notice to those
    who keep the minutes, as each of them chose to get it."""
    meeting, minutes = _under_review(meeting, version)
    created = created_by_form(ReviewComment, form_token)
    if created is not None:
        return created
    kept = minutes.versions.get(number=version)
    if kept.comments.filter(agenda_item=item, party=party).count() >= MAX_COMMENTS_PER_ITEM:
        raise RuleError(
            _("A party can make at most %(limit)d comments on an item of a version.") % {"limit": MAX_COMMENTS_PER_ITEM}
        )
    row = ReviewComment.objects.create(
        version=kept,
        party=party,
        agenda_item=item,
        text=text,
        author=by,
        author_name=person_name(by),
        form_token=form_token,
    )
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MINUTES_COMMENTED,
        subject=item.title,
        after={"version": version},
    )
    notices.minutes_commented(row, meeting=meeting, minutes=minutes)
    return row


@transaction.atomic
def correct(*, meeting, party, by, item, text, form_token=None):
    """Correction number N of approved minutes: its text, the item it concerns (None: the minutes as a whole),
    who and when. The minutes themselves stay as approved. Side effect: one event, with the text."""
    meeting, minutes = locked_minutes(meeting)
    if not minutes.is_approved:
        raise RuleError(_("Only approved minutes are corrected; until then the minute-taker revises them."))
    created = created_by_form(MinutesCorrection, form_token)
    if created is not None:
        return created
    number = minutes.corrections.count() + 1
    if number > MAX_CORRECTIONS:
        raise RuleError(_("The minutes can have at most %(limit)d corrections.") % {"limit": MAX_CORRECTIONS})
    correction = MinutesCorrection.objects.create(
        minutes=minutes,
        number=number,
        agenda_item=item,
        text=text,
        html=markdown.render(text),
        made_by=by,
        made_by_name=person_name(by),
        form_token=form_token,
    )
    log_event(
        meeting=meeting,
        by=by,
        party=party,
        action=Event.Action.MINUTES_CORRECTED,
        subject=item.title if item else "",
        after={"number": number, "text": text},
    )
    return correction


# Mail.


def _ask_to_review(meeting, minutes, parties, *, by):
    """Ask the reviewers of each of ``parties`` to review the version under review."""
    url = minutes_url(meeting, "review")
    messages = []
    for party in parties:

        def context(party=party):
            return {
                "title": meeting.title,
                "party": party,
                "party_name": party.short_name,
                "version": minutes.version,
                "sender": person_name(by),
                "url": url,
            }

        reviewers = rules.people_with_right(
            meeting,
            lambda access, pk=party.pk: rules.can_approve_minutes_for(access, minutes, pk),
            party_ids=[party.pk],
        )
        messages += [
            mail.compose(OutboxMessage.Kind.MINUTES_REVIEW, mail.Recipient.user(user), context, meeting=meeting)
            for user in reviewers
        ]
    OutboxMessage.objects.bulk_create(messages)
    return len(messages)


def _send_approved(meeting):
    """The approved minutes to every attendee with an address, once each: a link to the page, the print and the PDF.

    As a link: the outbox keeps a message's text, HTML and calendar part, and no file.
    """
    attendees = meeting.attendees.exclude(email="").select_related("user__profile").order_by("pk")
    slot = meeting.confirmed_slot
    links = {
        "title": meeting.title,
        "url": minutes_url(meeting),
        "print_url": mail.site_url(reverse("minutes_print", args=[meeting.pk])),
        "pdf_url": mail.site_url(reverse("minutes_pdf", args=[meeting.pk])),
    }

    def context():
        # Called in each recipient's language (mail.compose): the date reads in it.
        return {**links, "when": slot_label(slot) if slot else ""}

    messages, told = [], set()
    for attendee in attendees:
        if attendee.email.lower() in told:
            continue
        told.add(attendee.email.lower())
        recipient = mail.Recipient.attendee(attendee)
        messages.append(
            mail.compose(
                OutboxMessage.Kind.MINUTES_APPROVED,
                recipient,
                context,
                meeting=meeting,
            )
        )
    OutboxMessage.objects.bulk_create(messages)
    return len(messages)

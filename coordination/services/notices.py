"""Notices: mail telling a person that something needs them or changed (DESIGN.md, "Avisering").

Each person chooses per kind (NoticePreferences) whether a notice comes at
once, in a digest, or not at all. At once, it is written to the outbox in the
same transaction as the change it tells of; for the digest, it waits as a
``Notice`` row until ``send_due_digests`` (``manage.py send_notices``) collects
a person's waiting notices of a meeting into one mail, at most once every
``NOTICE_DIGEST_HOURS``.

The kinds, and who gets them:

- open for answers: everyone who can answer for a party of the meeting
  (``rules.people_who_can_answer_for``) when the meeting opens for answers
  (not the person who opened it), when their party is invited to a meeting
  already open, and when they join a party with meetings open for answers;
- every party has answered: the conveners' coordinators (``rules.can_confirm``),
  once per round of answers: again only after a new time was proposed;
- an agenda item proposed, a position shared: the conveners' coordinators
  (``rules.can_manage_agenda``), when another party did it.
- a reviewer commented on the minutes: those who keep them (``rules.can_take_back_minutes``), but the
  commenter (services/review.py).

Invitations, updates and cancellations are not notices: ``invites.py`` always sends them.
"""

import datetime
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import Func, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from .. import mail, rules
from ..formatting import plain_date
from ..models import Answer, Invitation, Meeting, Notice, NoticeKind, NoticePreferences, OutboxMessage, Slot

Delivery = NoticePreferences.Delivery


def account_url():
    return mail.site_url(reverse("account"))


def preferences_of(users):
    """user id -> NoticePreferences, the defaults for a person who never chose."""
    chosen = {p.user_id: p for p in NoticePreferences.objects.filter(user__in=users)}
    return {user.pk: chosen.get(user.pk) or NoticePreferences(user=user) for user in users}


def describe(kind, *, title, party_name="", subject="", item=None, position=None):
    """One notice in words, in the current language: (the sentence, the text of its link).

    ``item`` and ``position`` are the records it names: of a record marked for secrecy the notice gives the
    marking beside the title it already gives (marking_sentences), and never more.
    """
    text, link = _describe(kind, title=title, party_name=party_name, subject=subject)
    markings = marking_sentences(item=item, position=position)
    return (f"{text} {markings}" if markings else text), link


def marking_sentences(*, item=None, position=None):
    """The secrecy markings of the records a notice names, in words; "" when none is marked."""
    sentences = []
    if item is not None and item.secrecy:
        sentences.append(_("The agenda item is marked: %(marking)s.") % {"marking": item.secrecy_label})
    if position is not None and position.secrecy:
        sentences.append(_("The position is marked: %(marking)s.") % {"marking": position.secrecy_label})
    return " ".join(sentences)


def _describe(kind, *, title, party_name, subject):
    if kind == NoticeKind.OPEN_FOR_ANSWERS:
        return (
            _("“%(title)s” is open for answers from %(party)s.") % {"title": title, "party": party_name},
            _("Answer for %(party)s") % {"party": party_name},
        )
    if kind == NoticeKind.ALL_ANSWERED:
        return (
            _("Every required party has answered every proposed time for “%(title)s”.") % {"title": title},
            _("Confirm a time"),
        )
    if kind == NoticeKind.AGENDA_PROPOSED:
        return (
            _("%(party)s proposed the agenda item “%(item)s”.") % {"party": party_name, "item": subject},
            _("Accept or decline it"),
        )
    if kind == NoticeKind.MINUTES_COMMENTED:
        return (
            _("%(party)s commented on “%(item)s” in the minutes sent for review.")
            % {"party": party_name, "item": subject},
            _("Read the comment"),
        )
    return (
        _("%(party)s shared its position on “%(item)s”.") % {"party": party_name, "item": subject},
        _("Read the position"),
    )


def notify(kind, users, *, meeting, party=None, subject="", url, context=None, item=None, position=None):
    """Tell ``users`` of one thing, each as they chose: a mail now, a row for the digest, or nothing.

    ``context`` (a callable, as for mail.compose) gives a mail of its own
    template; without it the mail is the one-entry notice. ``item`` and
    ``position`` are the records it tells of: a mail now gives their secrecy
    markings as they are now, the digest as they are when it is written.
    Returns the number of people told, now or later.
    """
    messages, waiting = [], []
    preferences = preferences_of(users)
    for user in users:
        delivery = preferences[user.pk].delivery(kind)
        if delivery == Delivery.IMMEDIATELY:
            messages.append(
                mail.compose(
                    kind,
                    mail.Recipient.user(user),
                    context
                    or _entry_context(
                        kind, meeting=meeting, party=party, subject=subject, url=url, item=item, position=position
                    ),
                    meeting=meeting,
                )
            )
        elif delivery == Delivery.DIGEST:
            waiting.append(
                Notice(
                    user=user,
                    meeting=meeting,
                    kind=kind,
                    party=party,
                    subject=subject,
                    url=url,
                    agenda_item=item,
                    position=position,
                )
            )
    OutboxMessage.objects.bulk_create(messages)
    Notice.objects.bulk_create(waiting)
    return len(messages) + len(waiting)


def _entry_context(kind, *, meeting, party, subject, url, item, position):
    def context():
        text, link = describe(
            kind,
            title=meeting.title,
            party_name=party.short_name if party else "",
            subject=subject,
            item=item,
            position=position,
        )
        return {
            "title": meeting.title,
            "item": subject,
            "party_name": party.short_name if party else "",
            "entries": [{"text": text, "link": link, "url": url}],
            "account_url": account_url(),
        }

    return context


# Open for answers.


def open_for_answers(meeting, parties, *, by=None, only=None):
    """Tell everyone who can answer for each of ``parties`` that the meeting waits for their answer.

    ``by`` (who opened it or invited the party) is not told; ``only`` limits it
    to one person (who just joined the party). Returns the number told.
    """
    if meeting.status != Meeting.Status.POLLING:
        return 0
    convening = list(meeting.invitations.filter(role=Invitation.Role.CONVENING).select_related("party"))
    slot_count = meeting.slots.active().count()
    told = 0
    for party in parties:
        users = [
            user
            for user in rules.people_who_can_answer_for(meeting, party)
            if user != by and (only is None or user == only)
        ]
        url = mail.site_url(reverse("answer", args=[meeting.pk, party.pk]))

        def context(party=party, url=url):
            return {
                "title": meeting.title,
                "purpose": meeting.purpose,
                "party": party,
                "party_name": party.short_name,
                "conveners": get_text_list([inv.party.name for inv in convening], _("and")),
                "deadline": plain_date(meeting.answer_deadline),
                "slot_count": slot_count,
                "url": url,
                "account_url": account_url(),
            }

        told += notify(NoticeKind.OPEN_FOR_ANSWERS, users, meeting=meeting, party=party, url=url, context=context)
    return told


def welcome_member(membership):
    """A person just joined a party: tell them of the party's meetings that wait for its answers.

    Called wherever a membership is created (today the administrator's
    interface). Returns the number of notices.
    """
    meetings = Meeting.objects.filter(status=Meeting.Status.POLLING, invitations__party=membership.party)
    return sum(open_for_answers(meeting, [membership.party], only=membership.user) for meeting in meetings)


# The conveners.


def _count(queryset):
    """The number of rows of ``queryset`` (filtered on the outer meeting) as a subquery."""
    return Subquery(queryset.order_by().annotate(n=Func("pk", function="COUNT")).values("n"))


def everyone_has_answered(meeting):
    """Every required party has answered every open time (and there is at least one): one query."""
    required = Invitation.objects.filter(meeting=OuterRef("pk"), required=True)
    open_slots = Slot.objects.filter(meeting=OuterRef("pk"), withdrawn_at__isnull=True)
    answers = Answer.objects.filter(
        slot__meeting=OuterRef("pk"),
        slot__withdrawn_at__isnull=True,
        party__in=Invitation.objects.filter(meeting=OuterRef(OuterRef("pk")), required=True).values("party"),
    )
    required_count, slot_count, answer_count = (
        Meeting.objects.filter(pk=meeting.pk)
        .annotate(n_required=_count(required), n_slots=_count(open_slots), n_answers=_count(answers))
        .values_list("n_required", "n_slots", "n_answers")
        .get()
    )
    return bool(required_count and slot_count) and answer_count == required_count * slot_count


def check_all_answered(meeting):
    """Tell the conveners once per round that every required party has answered every open time.

    A changed answer does not make a new round; a time proposed after the
    last such notice does. Called by the services that change answers, times
    or the parties, inside their transaction (the meeting is locked). Returns
    whether the conveners were told now.
    """
    if meeting.status != Meeting.Status.POLLING:
        return False
    told_before = meeting.all_answered_at
    if told_before and not meeting.slots.active().filter(created_at__gt=told_before).exists():
        return False
    if not everyone_has_answered(meeting):
        return False
    meeting.all_answered_at = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(all_answered_at=meeting.all_answered_at)
    notify(
        NoticeKind.ALL_ANSWERED,
        rules.people_with_right(meeting, rules.can_confirm),
        meeting=meeting,
        url=mail.site_url(reverse("meeting_detail", args=[meeting.pk]) + "#slots"),
    )
    return True


def agenda_item_proposed(item, *, by):
    """Tell the conveners' coordinators of another party's proposal."""
    return _tell_conveners(NoticeKind.AGENDA_PROPOSED, item, party=item.proposed_by_party, by=by)


def position_shared(position, *, by):
    """Tell the conveners' coordinators of a position another party shared."""
    return _tell_conveners(
        NoticeKind.POSITION_SHARED, position.agenda_item, party=position.party, by=by, position=position
    )


def _tell_conveners(kind, item, *, party, by, position=None):
    """Those who decide on the agenda hear of what ``party`` did to ``item``, unless it is their own party."""
    meeting = item.meeting
    return notify(
        kind,
        rules.people_with_right(meeting, rules.can_manage_agenda, leave_out_party=party, leave_out=by),
        meeting=meeting,
        party=party,
        subject=item.title,
        url=mail.site_url(reverse("agenda_item_detail", args=[meeting.pk, item.pk])),
        item=item,
        position=position,
    )


# The digest.


def digest_interval():
    return datetime.timedelta(hours=settings.NOTICE_DIGEST_HOURS)


def send_due_digests(now):
    """Write one digest per person and meeting whose oldest waiting notice is ``NOTICE_DIGEST_HOURS`` old.

    So a person gets at most one digest per meeting in each interval, however
    many things happened. A notice of a meeting the person can no longer see
    is dropped. Safe to run often and in parallel. Returns the number of
    digests written.
    """
    written = 0
    with transaction.atomic():
        waiting = list(
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(digested_at__isnull=True)
            .select_related("user__profile", "meeting", "party", "agenda_item", "position")
            .order_by("user_id", "meeting_id", "created_at", "pk")
        )
        done = []
        messages = []
        for (_user_id, _meeting_id), group in groupby(waiting, key=lambda n: (n.user_id, n.meeting_id)):
            notices = list(group)
            if notices[0].created_at > now - digest_interval():
                continue
            done += notices
            user, meeting = notices[0].user, notices[0].meeting
            if not user.is_active or not user.email:
                continue
            if not Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists():
                continue
            messages.append(
                mail.compose(
                    OutboxMessage.Kind.NOTICE_DIGEST,
                    mail.Recipient.user(user),
                    _digest_context(meeting, notices),
                    meeting=meeting,
                )
            )
        OutboxMessage.objects.bulk_create(messages)
        Notice.objects.filter(pk__in=[n.pk for n in done]).update(digested_at=now)
        written = len(messages)
    return written


def _digest_context(meeting, notices):
    def context():
        entries = []
        for notice in notices:
            text, link = describe(
                notice.kind,
                title=meeting.title,
                party_name=notice.party.short_name if notice.party else "",
                subject=notice.subject,
                item=notice.agenda_item,
                position=notice.position,
            )
            entries.append({"text": text, "link": link, "url": notice.url})
        return {"title": meeting.title, "count": len(entries), "entries": entries, "account_url": account_url()}

    return context


def choose_delivery(*, user, choices):
    """Keep how ``user`` gets each kind of notice: ``choices`` maps a NoticeKind value to a Delivery."""
    NoticePreferences.objects.update_or_create(
        user=user, defaults={NoticeKind(kind).value: Delivery(delivery) for kind, delivery in choices.items()}
    )


def minutes_commented(comment, *, meeting, minutes):
    """Tell those who keep the minutes that a reviewer commented on an item of the version under review."""
    return notify(
        NoticeKind.MINUTES_COMMENTED,
        rules.people_with_right(
            meeting, lambda access: rules.can_take_back_minutes(access, minutes), leave_out=comment.author
        ),
        meeting=meeting,
        party=comment.party,
        subject=comment.agenda_item.title,
        url=mail.site_url(reverse("minutes", args=[meeting.pk]) + f"#item-{comment.agenda_item_id}"),
    )

"""Samråd's data: parties, meetings and everything parties say about them.

Names follow the glossary in DESIGN.md. State changes are not made here but
in ``services.py``; rights live in ``rules.py``.
"""

import datetime
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import storages
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import eventchain


def form_token_field():
    """Where a row keeps the one-time token of the form that created it (see services.created_by_form)."""
    return models.UUIDField(null=True, blank=True, unique=True, editable=False)


class Party(models.Model):
    """An organisation taking part: the municipality, the county board, the police..."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60)
    email = models.EmailField(
        _("functional mailbox"),
        blank=True,
        help_text=_("Used as the organiser address in calendar invites."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Saved, and every meeting the party is in takes a new ``revision``: their pages and feeds show its name.

        A party changes outside any meeting's log (the admin), so no event raises it for them.
        """
        super().save(*args, **kwargs)
        Meeting.objects.filter(invitations__party=self).raise_revision()


class Membership(models.Model):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("coordinator")
        MEMBER = "member", _("member")
        SECRETARY = "secretary", _("secretary")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(_("title"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "party"], name="one_membership_per_party")]

    def __str__(self):
        return f"{self.user} – {self.party} ({self.get_role_display()})"


# A person's name kept as text beside a record (who did it, who attends, who gets the mail); a Django
# user's first and last name together may be longer (150 + 1 + 150 characters).
NAME_LENGTH = 200


def person_name(user):
    """The user's full name, else the username, cut to fit wherever a name is stored."""
    return (user.get_full_name() or user.get_username())[:NAME_LENGTH]


def default_contact(user):
    """The kallelse's contact person until the conveners name another: the meeting's creator."""
    return {"contact_name": person_name(user), "contact_email": user.email}


def own_party_ids(user):
    """The ids of the user's parties, as a subquery; nothing for an anonymous visitor."""
    if not user.is_authenticated:
        return Membership.objects.none().values("party_id")
    return Membership.objects.filter(user=user).values("party_id")


def visible_meeting_ids(party_ids):
    """The ids of the meetings the given parties (ids, or a subquery of them) may see, as a subquery.

    Those the parties are invited to once the meeting has been opened for
    answers; one never opened (a draft, or a draft cancelled) only for the
    convening parties. The event log, positions and documents filter on these directly: through
    visible_to() they would nest one level deeper, and compiling the nested
    subqueries costs more than running them.
    """
    invited = Q(invitations__party__in=party_ids, opened_at__isnull=False)
    convening = Q(invitations__party__in=party_ids, invitations__role=Invitation.Role.CONVENING)
    return Meeting.objects.filter(invited | convening).values("pk")


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Meetings the user may see: those of their parties; one never opened only for the convening parties."""
        if not user.is_authenticated:
            return self.none()
        return self.visible_to_parties(own_party_ids(user))

    def visible_to_parties(self, party_ids):
        """Meetings that the given parties (ids, or a subquery of them) may see."""
        return self.filter(pk__in=visible_meeting_ids(party_ids))

    def for_dashboard(self):
        """The "Mina möten" rows with everything they need, in a fixed number of queries.

        Which meetings is the caller's to say: those visible_to() the user, or the ones on the pages shown
        (overview.dashboard). The answers are read apart as plain values (overview.given_answers). The
        proposed agenda items are counted in a subquery, not by grouping the meetings: a grouped query
        cannot be paged by a window function.
        """
        proposed = (
            AgendaItem.objects.filter(meeting=models.OuterRef("pk"), status=AgendaItem.Status.PROPOSED)
            .order_by()
            .values("meeting")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        return (
            self.with_parties()
            .select_related("confirmed_slot")
            .prefetch_related(
                models.Prefetch("slots", queryset=Slot.objects.active()),
                "attendees",
            )
            .annotate(proposed_agenda_items=Coalesce(models.Subquery(proposed), 0))
        )

    def for_calendar(self):
        """What a calendar event of the meeting needs: parties, attendees (and their language), the agenda."""
        return (
            self.with_parties()
            .select_related("confirmed_slot")
            .prefetch_related(
                models.Prefetch("attendees", queryset=Attendee.objects.select_related("party", "user__profile")),
                "agenda_items",
            )
        )

    def for_feed(self):
        """What a feed's events need (feeds.feed_entry): no attendees, whom a feed never lists.

        The related rows land in plain lists (to_attr): a related manager per
        meeting would cost more than the rest of a 500-meeting feed's query.
        """
        return self.select_related("confirmed_slot").prefetch_related(
            models.Prefetch(
                "invitations", queryset=Invitation.objects.select_related("party"), to_attr="feed_invitations"
            ),
            models.Prefetch("agenda_items", to_attr="feed_agenda_items"),
        )

    def state_sql(self, **counted):
        """(SQL, parameters) of one row of sums that changes whenever any of these meetings changes, or the set does.

        Every change anyone could see is an event, which raises its meeting's ``revision`` (eventchain.link);
        a row saved without one moves its ``updated_at``. Which meetings are in the set is told by their
        number and two sums of their ids. Sums, not the rows: one row comes back however many meetings there
        are, and two changes at once would have to cancel out in every sum alike to go unseen. ``counted``:
        conditions (Q) whose meetings are counted too (what the clock decides). Run through compiled.state_of;
        kept under: the feeds' ETags (services.feeds), the pages of "Mina möten" (overview.dashboard).
        """
        flags = {name: models.Case(models.When(condition, then=1), default=0) for name, condition in counted.items()}
        inner, params = (
            self.order_by()
            .annotate(**flags)
            .values_list("id", "revision", "updated_at", *flags)
            .query.sql_with_params()
        )
        sums = "".join(f', SUM("{name}")' for name in flags)
        return (
            # Django's compiled query inside, the annotations' own names outside: every value is a parameter.
            'SELECT COUNT(*), SUM("id"), SUM("id" * "id"), SUM("revision"), SUM("id" * "revision"), '  # nosec B608
            f'MAX("updated_at"){sums} FROM ({inner}) meetings',
            params,
        )

    def with_parties(self):
        """What every meeting view needs to decide rights: the invitations and their parties."""
        return self.prefetch_related(
            models.Prefetch("invitations", queryset=Invitation.objects.select_related("party"))
        )

    def for_kallelse(self):
        """The notice of meeting: parties, the confirmed time and attendees; no slots or answers.

        ``time_confirmed_at``: when its present time was fixed (confirmed, or moved straight to another time),
        read from the event log, the record of it; the kallelse's date of issue.
        """
        fixed = Event.objects.filter(
            meeting=models.OuterRef("pk"), action__in=[Event.Action.SLOT_CONFIRMED, Event.Action.MEETING_RESCHEDULED]
        )
        return (
            self.with_parties()
            .select_related("confirmed_slot")
            .prefetch_related(models.Prefetch("attendees", queryset=Attendee.objects.select_related("party")))
            .annotate(time_confirmed_at=models.Subquery(fixed.order_by("-created_at", "-pk").values("created_at")[:1]))
        )

    def for_answer_export(self):
        """The answers per time as a file: the parties, the times and the confirmed one; the answers are read
        apart as plain values (overview.given_answers), as on the meeting page."""
        return self.with_parties().select_related("confirmed_slot").prefetch_related("slots")

    def raise_revision(self):
        """Mark these meetings changed: their pages' cached parts are not reused (Meeting.revision)."""
        return self.update(revision=models.F("revision") + 1)

    def for_meeting_page(self):
        """A meeting to build the answer grid of; its answers, thousands in a big grid, are read apart as plain
        values.

        Each invitation carries when its party was last reminded (``last_reminded_at``), in the same query.
        """
        last_reminder = ReminderSent.objects.filter(
            meeting=models.OuterRef("meeting_id"), party=models.OuterRef("party_id")
        )
        invitations = Invitation.objects.select_related("party").annotate(
            last_reminded_at=models.Subquery(last_reminder.order_by("-sent_at").values("sent_at")[:1])
        )
        return (
            self.prefetch_related(models.Prefetch("invitations", queryset=invitations))
            .select_related("confirmed_slot", "moved_from", "created_by")
            .prefetch_related(
                models.Prefetch("slots", queryset=Slot.objects.select_related("proposed_by_party")),
                models.Prefetch("attendees", queryset=Attendee.objects.select_related("party", "confirmed_by")),
            )
        )

    def around_parts(self):
        """The meeting page's meeting around the parts the cache keeps (fragments): the invitations, which
        decide the rights. Not the slots, the reminders nor the attendees: only the parts show those, and a part
        rendered anew reads its meeting with for_meeting_page()."""
        return self.with_parties().select_related("confirmed_slot", "moved_from")


class Meeting(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        POLLING = "polling", _("polling")
        SCHEDULED = "scheduled", _("scheduled")
        CANCELLED = "cancelled", _("cancelled")
        HELD = "held", _("held")

    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), max_length=5000, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    duration_minutes = models.PositiveIntegerField(_("planned duration (minutes)"), default=120)
    answer_deadline = models.DateField(_("answer deadline"), null=True, blank=True)
    # Whom the kallelse names for questions: plain text, as an authority's letter names its contact, who need
    # not have an account; the meeting form fills in its creator.
    contact_name = models.CharField(_("contact person"), max_length=NAME_LENGTH, blank=True)
    contact_email = models.EmailField(_("contact person's e-mail"), blank=True)
    contact_phone = models.CharField(_("contact person's phone"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    confirmed_slot = models.ForeignKey(
        "Slot", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("confirmed time")
    )
    confirmation_reason = models.TextField(_("reason for confirming despite a no"), blank=True)
    cancellation_reason = models.TextField(_("reason for cancelling"), blank=True)
    # The time of the last move (services.meetings.reschedule) and why, which the meeting page tells everyone.
    moved_from = models.ForeignKey(
        "Slot", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("moved from")
    )
    moved_reason = models.TextField(_("reason for moving"), blank=True)
    # The meeting this one follows up (services.copies.plan_follow_up), and the first meeting of its series,
    # set on every meeting of a series, the first included: one query reads a whole series, however long.
    follows = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups", verbose_name=_("follows")
    )
    series_start = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Calendar identity: the UID never changes; SEQUENCE rises with every change sent out.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # Raised in the transaction of every event of the meeting's log (eventchain.link), so with every change
    # anyone could see, and by the few changes the page shows that are not events (an automatic reminder): the
    # meeting page's rendered parts are kept under it (fragments.py). Only raise_revision() writes it: save()
    # leaves it out, so that an instance read before the change cannot set it back.
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    form_token = form_token_field()
    # When the conveners were told that every required party had answered every open time (services/notices.py).
    all_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the meeting was first opened for answers (services.meetings.open_polling): from then on the
    # invited parties see it, whatever its later status; one never opened stays the conveners' own.
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="scheduled", confirmed_slot__isnull=False) | ~Q(status="scheduled"),
                name="scheduled_meeting_has_slot",
            ),
            # A meeting being planned has no confirmed time. Since times can only be withdrawn while
            # the meeting is being planned, this also keeps a confirmed time from being withdrawn.
            models.CheckConstraint(
                condition=Q(confirmed_slot__isnull=True) | ~Q(status__in=["draft", "polling"]),
                name="planned_meeting_has_no_confirmed_slot",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name for field in self._meta.concrete_fields if not field.primary_key and field.name != "revision"
            ]
        super().save(*args, **kwargs)

    @property
    def calendar_uid(self):
        return f"{self.uid}@samrad"

    @property
    def safe_video_link(self):
        """The video link wherever it is shown or linked, or "" unless it is an http(s) address.

        The form takes only web addresses, but a row written another way (the
        admin, an old row, the database) could hold "javascript:" or "data:";
        pages, mail and calendar events read this instead of the field.
        """
        link = self.video_link.strip()
        try:
            parts = urlsplit(link)
        except ValueError:
            return ""
        return link if parts.scheme.lower() in ("http", "https") and parts.netloc else ""

    @property
    def is_open(self):
        """Draft and polling meetings still take slots and answers."""
        return self.status in (self.Status.DRAFT, self.Status.POLLING)

    @property
    def is_polling(self):
        """The parties are answering the proposed times."""
        return self.status == self.Status.POLLING

    @cached_property
    def proposed_times(self):
        """(start, end) of each time still proposed: from the slots where they are loaded already, else in one
        query of plain values (the meeting page leaves the slots to its cached parts, and asks this only for its
        guests' links and the times proposed from calendars)."""
        if "slots" in getattr(self, "_prefetched_objects_cache", {}):
            return [(slot.start, slot.end) for slot in self.slots.all() if not slot.is_withdrawn]
        return list(self.slots.filter(withdrawn_at__isnull=True).values_list("start", "end"))

    @property
    def has_confirmed_time(self):
        """Scheduled or held: one time is confirmed and is the meeting's time."""
        return self.status in (self.Status.SCHEDULED, self.Status.HELD)

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    @property
    def deadline_passed(self):
        """The answer deadline is behind us while answers are still being collected."""
        return bool(self.answer_deadline and self.answer_deadline < timezone.localdate() and self.is_open)

    @property
    def edit_version(self):
        """What an edit form remembers of the meeting it was opened on: any later save changes it."""
        return self.updated_at.isoformat()

    @property
    def is_active(self):
        """Until it is held or cancelled, the agenda and the positions can still change."""
        return self.status in (self.Status.DRAFT, self.Status.POLLING, self.Status.SCHEDULED)


class Invitation(models.Model):
    class Role(models.TextChoices):
        CONVENING = "convening", _("convening")
        INVITED = "invited", _("invited")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="invitations")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.INVITED)
    required = models.BooleanField(_("required"), default=True)
    # The party's own reference for the meeting in its diarium, set by the party itself; shown on the kallelse
    # and filed with the party's copy of the record.
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)

    class Meta:
        ordering = ["role", "party__name"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["meeting", "party"], name="one_invitation_per_party")]

    def __str__(self):
        return f"{self.party} – {self.get_role_display()}"

    @property
    def is_convening(self):
        return self.role == self.Role.CONVENING


class SlotQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_at__isnull=True)


class Slot(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    proposed_by_party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["start", "end"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="slot_ends_after_start"),
            models.UniqueConstraint(
                fields=["meeting", "start", "end"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_slot_per_time",
            ),
        ]

    def __str__(self):
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None


class Answer(models.Model):
    """A party's current availability for a slot; earlier answers live on in the event log."""

    class Value(models.TextChoices):
        # A context of their own: "Yes" as an answer is "Kan" in Swedish, not "Ja".
        YES = "yes", pgettext_lazy("answer", "Yes")
        IF_NEED_BE = "if_need_be", pgettext_lazy("answer", "If need be")
        NO = "no", pgettext_lazy("answer", "No")

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="answers")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(_("answer"), max_length=20, choices=Value.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["slot", "party"], name="one_answer_per_slot_and_party")]

    def __str__(self):
        return f"{self.party}: {self.get_value_display()}"

    @property
    def is_available(self):
        return self.value in (self.Value.YES, self.Value.IF_NEED_BE)


class Attendee(models.Model):
    class Kind(models.TextChoices):
        PRINCIPAL = "principal", _("principal")
        DEPUTY = "deputy", _("deputy")

    class Status(models.TextChoices):
        NAMED = "named", _("named")
        CONFIRMED = "confirmed", _("confirmed")

    class Rsvp(models.TextChoices):
        """The attendee's own answer from their calendar (iCalendar PARTSTAT)."""

        NEEDS_ACTION = "NEEDS-ACTION", _("no answer from the calendar yet")
        ACCEPTED = "ACCEPTED", _("accepted in the calendar")
        TENTATIVE = "TENTATIVE", _("tentatively accepted in the calendar")
        DECLINED = "DECLINED", _("declined in the calendar")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    email = models.EmailField(_("e-mail"), blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    kind = models.CharField(_("principal or deputy"), max_length=20, choices=Kind.choices, default=Kind.PRINCIPAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NAMED)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rsvp = models.CharField(_("calendar answer"), max_length=20, choices=Rsvp.choices, default=Rsvp.NEEDS_ACTION)
    rsvp_at = models.DateTimeField(null=True, blank=True)
    # What the attendee wrote with the answer in their calendar (the reply's COMMENT).
    rsvp_comment = models.TextField(_("comment with the calendar answer"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    form_token = form_token_field()

    class Meta:
        ordering = ["party__name", "kind", "name"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")

    def __str__(self):
        return self.name

    @property
    def is_confirmed(self):
        return self.status == self.Status.CONFIRMED

    @property
    def is_deputy(self):
        return self.kind == self.Kind.DEPUTY


class AppendOnlyError(IntegrityError):
    """An attempt to change or remove a row of the event log, which is the record."""


class EventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The log of the user's meetings; what concerns a party's drafts only to that party."""
        return self.visible_to_parties(own_party_ids(user))

    def visible_to_parties(self, party_ids):
        """What the given parties (ids, or a subquery of them) may see of the log: the export of one party."""
        return self.filter(meeting__in=visible_meeting_ids(party_ids)).filter(Q(private=False) | Q(party__in=party_ids))

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            eventchain.link(objs)
            return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        raise AppendOnlyError("The event log is append-only: its rows are never updated.")

    def delete(self):
        raise AppendOnlyError("The event log is append-only: its rows are never deleted.")


class Event(models.Model):
    """One row per change: who did what, when, with the values before and after. Never edited."""

    class Action(models.TextChoices):
        MEETING_CREATED = "meeting_created", _("created the meeting")
        MEETING_EDITED = "meeting_edited", _("edited the meeting")
        POLLING_OPENED = "polling_opened", _("opened the meeting for answers")
        PARTY_INVITED = "party_invited", _("invited a party")
        PARTY_UNINVITED = "party_uninvited", _("removed a party")
        PARTY_CREATED = "party_created", _("brought a new party into Samråd")
        SLOT_PROPOSED = "slot_proposed", _("proposed a time")
        SLOT_WITHDRAWN = "slot_withdrawn", _("withdrew a time")
        ANSWER_GIVEN = "answer_given", _("answered")
        ANSWER_CHANGED = "answer_changed", _("changed an answer")
        SLOT_CONFIRMED = "slot_confirmed", _("confirmed a time")
        MEETING_RESCHEDULED = "meeting_rescheduled", _("rescheduled the meeting")
        MEETING_CANCELLED = "meeting_cancelled", _("cancelled the meeting")
        MEETING_HELD = "meeting_held", _("marked the meeting as held")
        MEETING_COPIED = "meeting_copied", _("copied the meeting to a new draft")
        FOLLOW_UP_PLANNED = "follow_up_planned", _("planned a follow-up meeting")
        ATTENDEE_NAMED = "attendee_named", _("named an attendee")
        ATTENDEE_REMOVED = "attendee_removed", _("removed an attendee")
        ATTENDANCE_CONFIRMED = "attendance_confirmed", _("confirmed attendance")
        ATTENDANCE_UNCONFIRMED = "attendance_unconfirmed", _("took back a confirmation of attendance")
        AGENDA_ITEM_PROPOSED = "agenda_item_proposed", _("proposed an agenda item")
        AGENDA_ITEM_EDITED = "agenda_item_edited", _("edited an agenda item")
        AGENDA_ITEM_ACCEPTED = "agenda_item_accepted", _("accepted an agenda item")
        AGENDA_ITEM_DECLINED = "agenda_item_declined", _("declined an agenda item")
        AGENDA_REORDERED = "agenda_reordered", _("reordered the agenda")
        POSITION_SAVED = "position_saved", _("saved a position")
        POSITION_SHARED = "position_shared", _("shared a position")
        POSITION_WITHDRAWN = "position_withdrawn", _("withdrew a shared position")
        DOCUMENT_ADDED = "document_added", _("added a document")
        DOCUMENT_REPLACED = "document_replaced", _("replaced a document")
        REMINDER_SENT = "reminder_sent", _("sent a reminder")
        CALENDAR_REPLY = "calendar_reply", _("answered the invitation in their calendar")
        LOG_EXPORTED = "log_exported", _("exported the event log")
        PACKAGE_EXPORTED = "package_exported", _("downloaded a diarium package")
        ANSWERS_EXPORTED = "answers_exported", _("downloaded the answers per time")
        MAIL_RESENT = "mail_resent", _("corrected an address and sent the mail again")
        GUEST_ADDED = "guest_added", _("added a guest")
        GUEST_REVOKED = "guest_revoked", _("revoked a guest's link")
        REGISTRATION_NUMBER_SET = "registration_number_set", _("set the party's registration number")
        MINUTE_TAKER_NAMED = "minute_taker_named", _("named the minute-taker")
        MINUTES_SAVED = "minutes_saved", _("saved the minutes of an agenda item")
        PRESENCE_RECORDED = "presence_recorded", _("recorded who was present")
        AGREEMENT_ADDED = "agreement_added", _("recorded an agreement")
        DECISION_RECORDED = "decision_recorded", _("recorded the party's decision on an agreement")
        ACTION_ADDED = "action_added", _("recorded an action")
        ACTION_STATUS_CHANGED = "action_status_changed", _("changed the status of an action")
        SECRECY_MARKED = "secrecy_marked", _("marked a record for secrecy")
        SECRECY_UNMARKED = "secrecy_unmarked", _("took a secrecy marking off a record")
        REVIEWER_NAMED = "reviewer_named", _("named the party's reviewer of the minutes")
        MINUTES_SENT_FOR_REVIEW = "minutes_sent_for_review", _("sent the minutes for review")
        MINUTES_COMMENTED = "minutes_commented", _("commented on the minutes")
        MINUTES_TAKEN_BACK = "minutes_taken_back", _("took the minutes back to revise them")
        MINUTES_APPROVED = "minutes_approved", _("approved the minutes for the party")
        MINUTES_LOCKED = "minutes_locked", _("locked the minutes, approved by every party")
        MINUTES_CORRECTED = "minutes_corrected", _("added a correction to the approved minutes")

    # A meeting or a party with a log is never deleted: the log is the record (see also the database trigger
    # in the migration). A deleted account only loses its link; its name stays as text.
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # Kept as text so the record stays readable after the account is gone.
    actor_name = models.CharField(max_length=NAME_LENGTH)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=40, choices=Action.choices)
    subject = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # A change to a draft (its text, its documents) is seen in the log by the party's own people only.
    private = models.BooleanField(default=False)
    # Set when the event is linked into its chain (eventchain.link), so its time is part of its hash.
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # SHA-256 over the event's content and the hash of the event before it in its chain (eventchain).
    hash = models.CharField(max_length=64, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("event")
        verbose_name_plural = _("event log")
        constraints = [
            models.CheckConstraint(condition=~Q(actor_name=""), name="event_names_its_actor"),
            # A row written past the model (raw SQL) has no place in its chain: the database refuses it.
            models.CheckConstraint(condition=~Q(hash=""), name="event_is_linked_into_its_chain"),
            # A private event belongs to its party's own chain (eventchain.chain_key), so it must name the party.
            models.CheckConstraint(condition=~Q(private=True, party=None), name="private_event_names_its_party"),
        ]

    def __str__(self):
        return f"{self.actor_name} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The event log is append-only: its rows are never updated.")
        with transaction.atomic(savepoint=False):
            eventchain.link([self])
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The event log is append-only: its rows are never deleted.")


class Secrecy(models.TextChoices):
    """A record's secrecy marking under the Public Access to Information and Secrecy Act (OSL).

    Unmarked is the empty value (the fields are blank=True), so that no form or filter needs a third word.
    """

    REVIEW = "review", _("Under secrecy review")
    COVERED = "covered", _("Covered by secrecy")


class SecrecyMarked(models.Model):
    """What an agenda item, a position and a document share: a secrecy marking, who set it and when.

    A marked record is shown in Samråd as before, with its marking wherever it is; it never leaves Samråd in
    a mail or a calendar file, which carry only its title and its marking (``with_marking``). Changed only by
    services/secrecy.py's ``mark_secrecy``; who may is rules.can_mark_secrecy, which reads
    ``secrecy_party_id``, the party that owns the record.
    """

    secrecy = models.CharField(_("secrecy marking"), max_length=20, choices=Secrecy.choices, blank=True)
    # The provision of OSL, e.g. "OSL 18 kap. 1 §": required for "covered", optional while under review.
    secrecy_provision = models.CharField(_("provision"), max_length=200, blank=True)
    # Who last set or took off the marking, and when; the name is kept as text like the event log's, so the
    # pages show it without a join and it stays after the account is gone.
    secrecy_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    secrecy_marked_by_name = models.CharField(max_length=NAME_LENGTH, blank=True)
    secrecy_marked_at = models.DateTimeField(null=True, blank=True)
    # Raised by every change of the marking: a change based on an older number is a conflict, never an overwrite.
    secrecy_version = models.PositiveIntegerField(default=0)

    # The fields a copy of the record (a replacing document, a copied meeting's item) takes along.
    SECRECY_FIELDS = (
        "secrecy",
        "secrecy_provision",
        "secrecy_marked_by",
        "secrecy_marked_by_name",
        "secrecy_marked_at",
    )

    class Meta:
        abstract = True
        constraints = [
            # Covered by secrecy says under which provision; the service asks for it, the database insists.
            models.CheckConstraint(
                condition=~Q(secrecy="covered", secrecy_provision=""), name="%(class)s_covered_names_provision"
            ),
        ]

    @property
    def is_secrecy_marked(self):
        return bool(self.secrecy)

    @property
    def secrecy_label(self):
        """The marking as people read it: "Omfattas av sekretess (OSL 18 kap. 1 §)", "Sekretessprövas"; or "".

        Lazy, like the choice's label: put into words in the language active where it is read, so that one
        invitation's agenda, built once, reads in each recipient's language in their mail.
        """
        if not self.secrecy:
            return ""
        label = Secrecy(self.secrecy).label
        return format_lazy("{} ({})", label, self.secrecy_provision) if self.secrecy_provision else label

    def with_marking(self, title):
        """``title`` as it may leave Samråd (mail, calendar files): followed by the marking, if the record has one."""
        if not self.secrecy:
            return title
        return format_lazy("{} – {}", title, self.secrecy_label)

    def secrecy_values(self):
        """The marking's fields as a copy of the record takes them along (SECRECY_FIELDS)."""
        return {name: getattr(self, name) for name in self.SECRECY_FIELDS}


class AgendaItem(SecrecyMarked):
    """A topic for the meeting: proposed by any party, accepted and ordered by the convener."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    proposed_by_party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    presenting_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("presenting party")
    )
    planned_minutes = models.PositiveIntegerField(_("planned minutes"), default=15)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    # The place among the accepted items; proposed and declined items keep 0.
    order = models.PositiveIntegerField(default=0)
    # An open action of the earlier meeting, brought onto a follow-up meeting's agenda to be reported on.
    carried_action = models.ForeignKey(
        "Action", on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_to"
    )
    # Raised by every edit of the title, description, presenter or minutes: an edit based on an older number
    # is a conflict, never an overwrite.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    form_token = form_token_field()

    # The URL of its secrecy form (views/secrecy.py).
    secrecy_url_name = "secrecy_item"

    class Meta(SecrecyMarked.Meta):
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self):
        return self.title

    @property
    def secrecy_party_id(self):
        """An agenda item is its proposing party's record."""
        return self.proposed_by_party_id

    @property
    def is_accepted(self):
        return self.status == self.Status.ACCEPTED

    @property
    def is_declined(self):
        return self.status == self.Status.DECLINED


class PositionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Own parties' positions in any state; other parties' only while shared.

        Every page, download, .ics and kallelse that shows positions starts here.
        """
        if not user.is_authenticated:
            return self.none()
        return self.visible_to_parties(own_party_ids(user))

    def visible_to_parties(self, party_ids):
        """What the given parties (ids, or a subquery of them) see: the diarium package asks for one party."""
        meetings = visible_meeting_ids(party_ids)
        return self.filter(agenda_item__meeting__in=meetings).filter(
            Q(party__in=party_ids) | Q(state=Position.State.SHARED)
        )

    def shared(self):
        """What every party sees: a guest's view, and the kallelse's."""
        return self.filter(state=Position.State.SHARED)


class Position(SecrecyMarked):
    """A party's standpoint on an agenda item. Its versions keep every text ever saved."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SHARED = "shared", _("shared")

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="positions")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    text = models.TextField(_("text"), max_length=20000)
    # The text's sanitised HTML, rendered once by coordination/markdown.py when the text is saved
    # (services/agenda.py), so a page never parses Markdown: shown as it is.
    html = models.TextField(blank=True, editable=False)
    # Raised by every save: an edit based on an older number is a conflict, never an overwrite.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = PositionQuerySet.as_manager()
    secrecy_url_name = "secrecy_position"

    class Meta(SecrecyMarked.Meta):
        ordering = ["party__name"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.UniqueConstraint(fields=["agenda_item", "party"], name="one_position_per_party"),
            *SecrecyMarked.Meta.constraints,
        ]

    def __str__(self):
        return f"{self.party} – {self.agenda_item}"

    @property
    def secrecy_party_id(self):
        return self.party_id

    @property
    def is_shared(self):
        return self.state == self.State.SHARED


class PositionVersionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Own parties see every version; others only versions saved while shared, of a position still shared."""
        own_parties = own_party_ids(user)
        return self.filter(position__in=Position.objects.visible_to(user)).filter(
            Q(position__party__in=own_parties) | Q(state=Position.State.SHARED)
        )


class PositionVersion(models.Model):
    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    state = models.CharField(max_length=20, choices=Position.State.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    author_name = models.CharField(max_length=NAME_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PositionVersionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "number"]
        verbose_name = _("position version")
        verbose_name_plural = _("position versions")
        constraints = [models.UniqueConstraint(fields=["position", "number"], name="one_version_number")]

    def __str__(self):
        return f"{self.position} v{self.number}"


def documents_storage():
    """Documents live in their own storage, outside the static and public folders (settings.STORAGES)."""
    return storages["documents"]


def generated_document_name(instance, filename):
    # The uploader's file name is kept as text only; on disk every document has a random name.
    return uuid.uuid4().hex


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A document is visible exactly when what it is attached to is: the agenda item, or the position."""
        return self.visible_to_parties(own_party_ids(user))

    def visible_to_parties(self, party_ids):
        """What the given parties (ids, or a subquery of them) see, as visible_to."""
        meetings = visible_meeting_ids(party_ids)
        return self.filter(agenda_item__meeting__in=meetings).filter(
            Q(position__isnull=True) | Q(position__in=Position.objects.visible_to_parties(party_ids))
        )

    def current(self):
        return self.filter(replaced_at__isnull=True)

    def shared(self):
        """The documents every party sees: those on an item, and those of a shared position."""
        return self.filter(Q(position__isnull=True) | Q(position__state=Position.State.SHARED))


class Document(SecrecyMarked):
    """A file attached to an agenda item or to a position. A replaced document is kept."""

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="documents")
    position = models.ForeignKey(Position, on_delete=models.CASCADE, null=True, blank=True, related_name="documents")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file = models.FileField(storage=documents_storage, upload_to=generated_document_name, max_length=100)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    replaced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    form_token = form_token_field()

    objects = DocumentQuerySet.as_manager()
    secrecy_url_name = "secrecy_document"

    class Meta(SecrecyMarked.Meta):
        ordering = ["created_at", "pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.original_name

    @property
    def secrecy_party_id(self):
        """The party that added it: a position's party, or the party of whoever attached it to the item."""
        return self.party_id


class Profile(models.Model):
    """What a user has chosen for themselves: the language of pages and of mail to them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="sv")

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return str(self.user)


class OutboxMessageQuerySet(models.QuerySet):
    def due(self, now):
        """Waiting and due: neither sent nor given up on."""
        return self.filter(sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "pk"
        )


class OutboxMessage(models.Model):
    """A mail written in the same transaction as the change it tells of, and sent after commit by the worker.

    The content is frozen when written: a later change makes a later message.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("invitation")
        UPDATE = "update", _("update")
        CANCELLATION = "cancellation", _("cancellation")
        # To an attendee of a party no longer invited: cancels the event in their calendar once it was sent.
        NO_LONGER_CALLED = "no_longer_called", _("no longer called to the meeting")
        REMINDER = "reminder", _("reminder")
        HOLDS_RELEASED = "holds_released", _("tentative holds released")
        PASSWORD_RESET = "password_reset", _("password reset")
        # A person invited into a party (services/people.py): the link that sets their password.
        ACTIVATION = "activation", _("account activation")
        # An existing account of no party added to one: the person hears of it.
        MEMBERSHIP_ADDED = "membership_added", _("added to a party")
        # Notices (services/notices.py): each person chooses how they get these.
        OPEN_FOR_ANSWERS = "open_for_answers", _("open for answers")
        ALL_ANSWERED = "all_answered", _("every party has answered")
        AGENDA_PROPOSED = "agenda_proposed", _("agenda item proposed")
        POSITION_SHARED = "position_shared", _("position shared")
        MINUTES_COMMENTED = "minutes_commented", _("a reviewer commented on the minutes")
        NOTICE_DIGEST = "notice_digest", _("digest of notices")
        GUEST_LINK = "guest_link", _("a guest's personal link")
        GUEST_CODE = "guest_code", _("a guest's one-time code")
        ACTION_OVERDUE = "action_overdue", _("an action is overdue")
        # Review (justering, services/review.py): a reviewer is asked to review; the attendees get the approved minutes.
        MINUTES_REVIEW = "minutes_review", _("minutes sent for review")
        MINUTES_APPROVED = "minutes_approved", _("minutes approved")

    class Failure(models.TextChoices):
        """Why the last attempt failed, said for people; the technical text is in last_error (admin, logs)."""

        # Transient: tried again later.
        UNREACHABLE = "unreachable", _("the mail server could not be reached")
        DEFERRED = "deferred", _("the mail server asked to try again later")
        # Permanent: not tried again until someone corrects the address.
        RECIPIENT_REFUSED = "recipient_refused", _("the address was refused by the recipient's mail server")
        BAD_ADDRESS = "bad_address", _("the address cannot be used for e-mail")
        MESSAGE_REFUSED = "message_refused", _("the mail server refused the message")
        GAVE_UP = "gave_up", _("the mail server did not accept it in three days of attempts")

    # Empty for mail that belongs to no meeting (a password reset); such mail is in no meeting's delivery table.
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="outbox", null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.EmailField()
    recipient_name = models.CharField(max_length=NAME_LENGTH, blank=True)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField()
    calendar = models.TextField(blank=True)
    method = models.CharField(max_length=20, blank=True)
    # The SEQUENCE of the invitation in this message: a reply to an older one is stale.
    sequence = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    failure = models.CharField(max_length=20, choices=Failure.choices, blank=True)
    # Given up on: a permanent failure, or too many transient ones. Not due again until corrected.
    failed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"

    @property
    def is_sent(self):
        return self.sent_at is not None

    @property
    def has_failed(self):
        return self.failed_at is not None


class FeedToken(models.Model):
    """A user's secret calendar feed address. Only its SHA-256 is stored; the address is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The feed's ETag as last served and when it last changed: its Last-Modified, the same from every worker.
    served_etag = models.CharField(max_length=64, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed address")
        verbose_name_plural = _("calendar feed addresses")

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d})"


class Guest(models.Model):
    """A person without an account whom a party's coordinator lets into one meeting, for the party, by a link.

    A guest is deliberately no Django user: nothing behind login_required ever
    opens to them, and what they may do is only what the guest pages
    (views/guests.py) and rules.py's guest predicates allow. The personal link
    is a random secret of which only the SHA-256 is kept (as the calendar
    feed's address); the one-time code mailed on first use from a browser is
    kept only as a salted hash (Django's password hashers).
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    email = models.EmailField(_("e-mail address"))
    may_answer = models.BooleanField(
        _("may also answer for the party"),
        default=False,
        help_text=_("Without it the guest only reads the meeting, the agenda and the shared positions."),
    )
    link_hash = models.CharField(max_length=64, unique=True, editable=False)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The code mailed last, as a hash, until it is used or expires.
    code_hash = models.CharField(max_length=200, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failed_codes = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    form_token = form_token_field()

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("guest")
        verbose_name_plural = _("guests")

    def __str__(self):
        return f"{self.name} ({self.party}, {self.meeting})"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def valid_until(self):
        """The meeting's end (its confirmed time, else its last time proposed) and settings.GUEST_LINK_DAYS_AFTER.

        Read when asked rather than stored, so that a rescheduled meeting moves its guests' links along.
        """
        meeting = self.meeting
        if meeting.confirmed_slot_id:
            end = meeting.confirmed_slot.end
        else:
            end = max((end for _, end in meeting.proposed_times), default=self.added_at)
        return end + datetime.timedelta(days=settings.GUEST_LINK_DAYS_AFTER)

    @property
    def is_expired(self):
        return timezone.now() >= self.valid_until


class ReminderSent(models.Model):
    """That a party was reminded of an answer deadline: the automatic reminders go once per deadline."""

    class Occasion(models.TextChoices):
        TWO_DAYS_BEFORE = "two_days_before", _("two days before the deadline")
        ON_THE_DAY = "on_the_day", _("on the day of the deadline")
        BY_HAND = "by_hand", _("by hand")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reminders")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    # A reminder by hand may come before any deadline is set.
    deadline = models.DateField(null=True, blank=True)
    occasion = models.CharField(max_length=20, choices=Occasion.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "party", "deadline", "occasion"],
                condition=~Q(occasion="by_hand"),
                name="one_reminder_per_occasion",
            )
        ]

    def __str__(self):
        return f"{self.party}: {self.get_occasion_display()} ({self.sent_at:%Y-%m-%d})"


class CalendarReply(models.Model):
    """Every message read from the reply mailbox, applied or not, and why."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        UNCHANGED = "unchanged", _("already recorded")
        NOT_A_REPLY = "not_a_reply", _("not a calendar reply")
        MALFORMED = "malformed", _("unreadable calendar")
        UNKNOWN_MEETING = "unknown_meeting", _("no such meeting")
        STALE = "stale", _("answers an older version of the invitation")
        UNKNOWN_ATTENDEE = "unknown_attendee", _("not an attendee of the meeting")
        UNREADABLE = "unreadable", _("unreadable message")
        TOO_LARGE = "too_large", _("too large to be a calendar reply")
        WRONG_SENDER = "wrong_sender", _("sent from another address than the attendee's")
        CANCELLED = "cancelled", _("the meeting is cancelled")
        COUNTER = "counter", _("proposes another time")

    message_id = models.CharField(max_length=300, blank=True)
    sender = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    meeting = models.ForeignKey(Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    attendee = models.ForeignKey(Attendee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    partstat = models.CharField(max_length=20, blank=True)
    comment = models.TextField(blank=True)
    # The time a COUNTER ("propose new time") proposes instead.
    proposed_start = models.DateTimeField(null=True, blank=True)
    proposed_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("calendar reply")
        verbose_name_plural = _("calendar replies")

    def __str__(self):
        return f"{self.sender}: {self.get_outcome_display()}"

    @property
    def proposed_slot(self):
        """The time a COUNTER proposes, as an unsaved slot: labelled and compared like the meeting's own."""
        if self.proposed_start is None:
            return None
        return Slot(start=self.proposed_start, end=self.proposed_end)

    @property
    def answer(self):
        """The answer the reply gives, as the attendee list names it."""
        return Attendee.Rsvp(self.partstat).label if self.partstat in Attendee.Rsvp.values else ""

    @property
    def refusal(self):
        """Why a reply about a meeting was not applied, as the conveners read it on the meeting's page."""
        return REPLY_REFUSALS.get(self.outcome, "")


# The refusals that name a meeting (the others cannot be shown on one), and what the conveners may do about each.
REPLY_REFUSALS = {
    CalendarReply.Outcome.WRONG_SENDER: _(
        "The reply came from another address than the attendee's. Ask the attendee to answer from their own "
        "address, or correct the attendee's address."
    ),
    CalendarReply.Outcome.CANCELLED: _("The meeting is cancelled. Nothing needs to be done."),
    CalendarReply.Outcome.STALE: _(
        "The reply was to an older version of the invitation. The attendee needs to answer the latest one."
    ),
    CalendarReply.Outcome.UNKNOWN_ATTENDEE: _(
        "The address is not one of the meeting's attendees. Name the person as an attendee if they are to take part."
    ),
}


class Hold(models.Model):
    """That a user put a polling meeting's proposed times in their calendar as tentative holds.

    When a time is confirmed, the holds of the other times are cancelled in that calendar.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="holds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    slots = models.ManyToManyField(Slot, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tentative hold")
        verbose_name_plural = _("tentative holds")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_hold_per_user")]

    def __str__(self):
        return f"{self.user}: {self.meeting}"


class NoticeKind(models.TextChoices):
    """What a notice tells; each person chooses per kind how it reaches them (NoticePreferences)."""

    OPEN_FOR_ANSWERS = "open_for_answers", _("A meeting is open for your party's answers")
    ALL_ANSWERED = "all_answered", _("Every party has answered: a time can be confirmed")
    AGENDA_PROPOSED = "agenda_proposed", _("Another party proposed an agenda item")
    POSITION_SHARED = "position_shared", _("Another party shared a position")
    MINUTES_COMMENTED = "minutes_commented", _("A reviewer commented on minutes you keep")


class NoticePreferences(models.Model):
    """How a person gets each kind of notice: at once, in the digest, or not at all.

    A field per NoticeKind, named by its value. Invitations, updates and
    cancellations of meetings a person attends are not notices: they always go.
    """

    class Delivery(models.TextChoices):
        IMMEDIATELY = "immediately", _("At once, one mail each")
        DIGEST = "digest", _("Collected in a digest")
        NEVER = "never", _("Not at all")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences")
    open_for_answers = models.CharField(
        NoticeKind.OPEN_FOR_ANSWERS.label, max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATELY
    )
    all_answered = models.CharField(
        NoticeKind.ALL_ANSWERED.label, max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATELY
    )
    agenda_proposed = models.CharField(
        NoticeKind.AGENDA_PROPOSED.label, max_length=20, choices=Delivery.choices, default=Delivery.DIGEST
    )
    position_shared = models.CharField(
        NoticeKind.POSITION_SHARED.label, max_length=20, choices=Delivery.choices, default=Delivery.DIGEST
    )
    minutes_commented = models.CharField(
        NoticeKind.MINUTES_COMMENTED.label, max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATELY
    )

    class Meta:
        verbose_name = _("notice preferences")
        verbose_name_plural = _("notice preferences")

    def __str__(self):
        return str(self.user)

    def delivery(self, kind):
        return getattr(self, NoticeKind(kind).value)


class Notice(models.Model):
    """A notice waiting for the recipient's next digest; ``digested_at`` is set when the digest is written.

    What it tells is kept as plain values (who, about what) and put into words
    in the recipient's language when the digest is written.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    # The party that did it, or the party the notice is for (open for answers).
    party = models.ForeignKey(Party, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=300, blank=True)
    # The record the notice tells of (an item proposed, a position shared): the digest, written later, gives
    # its secrecy marking as it is then.
    agenda_item = models.ForeignKey("AgendaItem", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    position = models.ForeignKey("Position", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    url = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()}"


# After the meeting: the minutes, what the parties agreed and what they undertook (issue 17).


class Minutes(models.Model):
    """A meeting's minutes: one text per agenda item, who was present, agreements and actions.

    A draft is seen only by the conveners and the minute-taker (rules.can_see_minutes). Sent for review
    (justering, services/review.py) it is kept as a MinutesVersion numbered ``version`` and frozen until every
    party has approved it (then locked for good: later changes are numbered corrections) or it is taken back
    to be revised, which raises ``version`` for the next one sent.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        UNDER_REVIEW = "under_review", _("under review")
        APPROVED = "approved", _("approved")

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(default=1)
    # Named by the conveners, from any party of the meeting; without one the convening secretaries write.
    minute_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("minute-taker"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the last party approved: from then on the minutes are locked.
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self):
        return f"{self.meeting} ({self.get_state_display()})"

    @property
    def is_draft(self):
        return self.state == self.State.DRAFT

    @property
    def is_under_review(self):
        return self.state == self.State.UNDER_REVIEW

    @property
    def is_approved(self):
        return self.state == self.State.APPROVED

    @property
    def has_been_sent(self):
        """Some version has gone out for review: under review or approved now, or taken back to be revised."""
        return not self.is_draft or self.version > 1

    @cached_property
    def reviewer_ids(self):
        """party id -> the user id of the reviewer the party named, if that person is still one of the party's.

        A party whose reviewer has left it is reviewed for by its coordinators again (rules.can_approve_minutes_for).
        A page of many minutes reads them all at once (prime_reviewer_ids).
        """
        return dict(standing_reviewers([self]).values_list("party_id", "user_id"))

    @classmethod
    def prime_reviewer_ids(cls, minutes):
        """Set ``reviewer_ids`` of each of ``minutes`` from one query."""
        found = {}
        for minutes_id, party_id, user_id in standing_reviewers(minutes).values_list(
            "minutes_id", "party_id", "user_id"
        ):
            found.setdefault(minutes_id, {})[party_id] = user_id
        for row in minutes:
            row.__dict__["reviewer_ids"] = found.get(row.pk, {})
        return minutes


def standing_reviewers(minutes):
    """The reviewers named for ``minutes`` who are still active people of the party that named them."""
    return MinutesReviewer.objects.filter(
        minutes__in=minutes, user__is_active=True, user__memberships__party=models.F("party")
    )


class MinutesEntry(models.Model):
    """What was said on one agenda item: Markdown, rendered once when saved, like a position's text."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="entries")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("minutes"), max_length=20000)
    html = models.TextField(blank=True, editable=False)
    # Raised by every save: an edit based on an older number is a conflict, never an overwrite.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("minutes of an agenda item")
        verbose_name_plural = _("minutes of agenda items")
        constraints = [models.UniqueConstraint(fields=["minutes", "agenda_item"], name="one_entry_per_item")]

    def __str__(self):
        return str(self.agenda_item)


class Presence(models.Model):
    """Whether a person was at the meeting: a confirmed attendee marked present or absent, or someone added."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="presences")
    attendee = models.OneToOneField(Attendee, on_delete=models.CASCADE, null=True, blank=True, related_name="presence")
    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("party"))
    present = models.BooleanField(_("present"), default=True)
    form_token = form_token_field()

    class Meta:
        ordering = ["party__name", "name", "pk"]
        verbose_name = _("presence")
        verbose_name_plural = _("presences")

    def __str__(self):
        return self.name


class Agreement(models.Model):
    """What parties agreed on an agenda item, and which of them stand behind it."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="agreements")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("agreement"), max_length=5000)
    parties = models.ManyToManyField(Party, related_name="+", verbose_name=_("parties behind it"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    form_token = form_token_field()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self):
        return self.text[:60]


class DecisionReference(models.Model):
    """A party's own later decision on an agreement: which body, when, under its own diarienummer."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="decisions")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    body = models.CharField(_("decided by"), max_length=200)
    decided_on = models.DateField(_("date of decision"))
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["party__name"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [models.UniqueConstraint(fields=["agreement", "party"], name="one_decision_per_party")]

    def __str__(self):
        return f"{self.party}: {self.body}"


class Action(models.Model):
    """Something a party undertook at the meeting, by a due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="actions")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    what = models.TextField(_("what"), max_length=2000)
    owner_party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"))
    person = models.CharField(_("person responsible"), max_length=NAME_LENGTH, blank=True)
    due_on = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    drop_reason = models.TextField(_("reason for dropping"), max_length=2000, blank=True)
    # When the owner party was told the action is overdue: once, never again (services/minutes.py).
    overdue_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    form_token = form_token_field()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self):
        return self.what[:60]

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self):
        return self.is_open and self.due_on < timezone.localdate()


class MinutesReviewer(models.Model):
    """The person a party names to review (justera) the minutes for it; without one, its coordinators review."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="reviewers")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("reviewer")
    )
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    named_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reviewer of the minutes")
        verbose_name_plural = _("reviewers of the minutes")
        constraints = [models.UniqueConstraint(fields=["minutes", "party"], name="one_reviewer_per_party")]

    def __str__(self):
        return f"{self.party}: {self.user}"


class MinutesVersion(models.Model):
    """The minutes as they were sent for review: every item's text, agreements and actions, and who was present.

    ``content`` is a snapshot (services.review.snapshot), kept as it was sent, so that what each party approved
    stays readable and two versions can be compared whatever happens to the rows later.
    """

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_by_name = models.CharField(max_length=NAME_LENGTH)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["minutes", "number"]
        verbose_name = _("version of the minutes")
        verbose_name_plural = _("versions of the minutes")
        constraints = [models.UniqueConstraint(fields=["minutes", "number"], name="one_minutes_version_number")]

    def __str__(self):
        return f"{self.minutes} v{self.number}"


class MinutesApproval(models.Model):
    """That a party approved one version of the minutes; an approval never carries over to a later version."""

    version = models.ForeignKey(MinutesVersion, on_delete=models.CASCADE, related_name="approvals")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    approved_by_name = models.CharField(max_length=NAME_LENGTH)
    approved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["party__name"]
        verbose_name = _("approval of the minutes")
        verbose_name_plural = _("approvals of the minutes")
        constraints = [models.UniqueConstraint(fields=["version", "party"], name="one_approval_per_party")]

    def __str__(self):
        return f"{self.party}: {self.version}"


class ReviewComment(models.Model):
    """A reviewer's comment on one agenda item of a version sent for review: what the minute-taker revises by."""

    version = models.ForeignKey(MinutesVersion, on_delete=models.CASCADE, related_name="comments")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("comment"), max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    author_name = models.CharField(max_length=NAME_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    form_token = form_token_field()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment on the minutes")
        verbose_name_plural = _("comments on the minutes")

    def __str__(self):
        return f"{self.party}: {self.text[:60]}"


class MinutesCorrection(models.Model):
    """A numbered correction (rättelse) of approved minutes: they are never edited once locked."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="corrections")
    number = models.PositiveIntegerField()
    # The item corrected; empty for the minutes as a whole (who was present, say).
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("agenda item")
    )
    text = models.TextField(_("correction"), max_length=5000)
    # Rendered once when saved, like a position's text (coordination/markdown.py).
    html = models.TextField(blank=True, editable=False)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    made_by_name = models.CharField(max_length=NAME_LENGTH)
    made_at = models.DateTimeField(default=timezone.now)
    form_token = form_token_field()

    class Meta:
        ordering = ["number"]
        verbose_name = _("correction of the minutes")
        verbose_name_plural = _("corrections of the minutes")
        constraints = [models.UniqueConstraint(fields=["minutes", "number"], name="one_correction_number")]

    def __str__(self):
        return f"{self.minutes}: {self.number}"

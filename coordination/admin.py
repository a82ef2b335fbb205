from django.contrib import admin
from django.db import models

from .models import (
    AgendaItem,
    Answer,
    Attendee,
    CalendarReply,
    Document,
    Event,
    Invitation,
    Meeting,
    Membership,
    OutboxMessage,
    Party,
    Position,
    PositionVersion,
    Slot,
)
from .services import notices


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "email"]
    search_fields = ["name", "short_name"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        # A person added to the party hears of its meetings that wait for answers.
        for membership in formset.new_objects:
            if isinstance(membership, Membership):
                notices.welcome_member(membership)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "party", "role", "title"]
    list_filter = ["party", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "party__name"]
    autocomplete_fields = ["user", "party"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # A person added to a party hears of its meetings that wait for answers.
            notices.welcome_member(obj)


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    autocomplete_fields = ["party"]


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    fields = ["start", "end", "proposed_by_party", "proposed_by", "withdrawn_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "answer_deadline", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    # Status and time change only through the app, where the rules are checked and the change is logged.
    readonly_fields = [
        "status",
        "uid",
        "sequence",
        "confirmed_slot",
        "moved_from",
        "moved_reason",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [InvitationInline, SlotInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A change here writes no event, which would raise the revision that the meeting's page parts and
        # the feeds' ETags are kept under (fragments.py, feeds.feed_etag): raised here, after the invitations.
        Meeting.objects.filter(pk=form.instance.pk).raise_revision()

    def has_delete_permission(self, request, obj=None):
        # A meeting is cancelled in the app, not deleted: its event log is the record and must stay readable.
        # Only one that never got a log (made here by mistake) may go; none in bulk.
        return obj is not None and not obj.events.exists() and super().has_delete_permission(request, obj)


@admin.register(Attendee)
class AttendeeAdmin(admin.ModelAdmin):
    list_display = ["name", "party", "meeting", "kind", "status"]
    list_filter = ["status", "kind"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through the app, where the rules are checked and the change is logged."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "meeting", "status", "order", "proposed_by_party", "planned_minutes"]
    list_filter = ["status"]
    search_fields = ["title", "meeting__title"]


class PositionVersionInline(admin.TabularInline):
    model = PositionVersion
    fields = ["number", "state", "author_name", "created_at", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ["agenda_item", "party", "state", "version", "updated_at"]
    list_filter = ["state"]
    inlines = [PositionVersionInline]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "agenda_item", "party", "content_type", "size", "sha256", "replaced_at"]
    # Documents have no URL of their own; they are downloaded only through the app's visibility check.
    exclude = ["file"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The event log is the record: readable in the admin, never edited or deleted."""

    list_display = ["created_at", "meeting", "actor_name", "party", "action", "subject"]
    list_filter = ["action"]
    search_fields = ["actor_name", "subject", "meeting__title"]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ["slot", "party", "value", "answered_by", "answered_at"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "meeting",
        "kind",
        "recipient",
        "attempts",
        "sent_at",
        "next_attempt_at",
        "failure",
        "failed_at",
    ]
    list_filter = ["kind", "failure"]
    search_fields = ["recipient", "meeting__title"]


@admin.register(CalendarReply)
class CalendarReplyAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "sender", "outcome", "meeting", "attendee", "partstat"]
    list_filter = ["outcome"]

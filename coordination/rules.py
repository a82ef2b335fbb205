"""Who may do what with a meeting: one named predicate per right.

Views, templates and services all ask these functions, so each right is
decided in exactly one place. A predicate takes a ``MeetingAccess`` — the
user's roles in the meeting's parties, computed once per request.
"""

from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AgendaItem, Answer, Meeting, Membership

Role = Membership.Role
Status = Meeting.Status


def request_memberships(request):
    """The logged-in user's memberships with their parties, read once per request: the access helper, the
    meeting's visibility and the page header (context_processors) all ask, and a query each costs more than
    the page's own work when its parts come from the cache."""
    if not hasattr(request, "_samrad_memberships"):
        user = request.user
        found = user.memberships.select_related("party").order_by("party__name") if user.is_authenticated else []
        request._samrad_memberships = list(found)
    return request._samrad_memberships


def request_roles(request):
    """party id -> the logged-in user's role in it (request_memberships)."""
    return {membership.party_id: membership.role for membership in request_memberships(request)}


@dataclass(frozen=True)
class MeetingAccess:
    user: object
    meeting: Meeting
    # party id -> the user's role in that party, for the meeting's parties only.
    roles: dict = field(default_factory=dict)
    convening_ids: frozenset = frozenset()
    parties: dict = field(default_factory=dict)
    # A guest (models.Guest) on the guest pages: no roles, only what the guest predicates below allow.
    guest: object = None

    @classmethod
    def for_guest(cls, guest):
        return cls.from_roles(None, guest.meeting, {}, guest=guest)

    @classmethod
    def for_user(cls, user, meeting):
        return cls.from_roles(user, meeting, roles_of(user))

    @classmethod
    def for_request(cls, request, meeting):
        """As for_user, with the memberships the request has read already (request_memberships)."""
        return cls.from_roles(request.user, meeting, request_roles(request))

    @classmethod
    def from_roles(cls, user, meeting, roles, guest=None):
        """Build from all of the user's roles (party id -> role); keeps those of the meeting's parties."""
        invitations = list(meeting.invitations.all())
        return cls(
            user=user,
            guest=guest,
            meeting=meeting,
            roles={inv.party_id: roles[inv.party_id] for inv in invitations if inv.party_id in roles},
            convening_ids=frozenset(inv.party_id for inv in invitations if inv.is_convening),
            parties={inv.party_id: inv.party for inv in invitations},
        )

    def party_ids_with_role(self, *roles):
        return {party_id for party_id, role in self.roles.items() if role in roles}

    @property
    def my_party_ids(self):
        return set(self.roles)

    def acting_party(self, *roles, convening=False):
        """The party the user acts for in a meeting-wide action (the first, if several qualify)."""
        candidates = self.party_ids_with_role(*roles)
        if convening:
            candidates &= self.convening_ids
        return self.parties[min(candidates)] if candidates else None

    def rights(self):
        """Every meeting-wide right as a plain boolean, for templates."""
        return {
            "can_edit": can_edit_meeting(self),
            "can_bring_in_new_party": can_bring_in_new_party(self),
            "can_open_polling": can_open_polling(self),
            "can_propose_slot": can_propose_slot(self),
            "can_confirm": can_confirm(self),
            "can_reschedule": can_reschedule(self),
            "can_remind": can_remind(self),
            "can_cancel": can_cancel(self),
            "can_mark_held": can_mark_held(self),
            "can_copy": can_copy_meeting(self),
            "can_plan_follow_up": can_plan_follow_up(self),
            "can_confirm_attendance": can_confirm_attendance(self),
            "can_download_ics": can_download_ics(self),
            "can_hold_times": can_hold_times(self),
            "can_see_delivery": can_see_delivery(self),
            "can_correct_delivery": can_correct_delivery(self),
            "can_see_calendar_replies": can_see_calendar_replies(self),
            "can_add_proposed_time": can_add_proposed_time(self),
            "can_export_answers": can_export_answers(self),
            "answer_party_ids": answerable_party_ids(self),
            "attendee_party_ids": attendee_party_ids(self),
            "can_propose_agenda_item": can_propose_agenda_item(self),
            "can_manage_agenda": can_manage_agenda(self),
            "position_party_ids": position_party_ids(self),
        }


def _convening_coordinator(access):
    return bool(access.party_ids_with_role(Role.COORDINATOR) & access.convening_ids)


def _convening_staff(access):
    """A coordinator or secretary of a convening party: those who follow the whole meeting for the convener."""
    return bool(access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY) & access.convening_ids)


def must_use_two_factor(user):
    """Coordinators and secretaries confirm meetings and keep the record, and the admin's staff see every
    party's drafts: a setting can make them all use two factors."""
    return settings.TWO_FACTOR_REQUIRED_FOR_COORDINATORS and (
        user.is_staff
        or user.is_superuser
        or user.memberships.filter(role__in=[Role.COORDINATOR, Role.SECRETARY]).exists()
    )


def can_create_meeting(user):
    """Any party's coordinator may call a meeting."""
    return Membership.objects.filter(user=user, role=Role.COORDINATOR).exists()


def creating_party(user, convening):
    """The convening party a new meeting is created for: the first one the user coordinates."""
    membership = (
        Membership.objects.filter(user=user, role=Role.COORDINATOR, party__in=convening)
        .select_related("party")
        .order_by("party_id")
        .first()
    )
    return membership.party


# A party's own people.


def roles_of(user):
    """The user's role in each of their parties (party id -> role): what the rules on people read."""
    if not user.is_authenticated:
        return {}
    return dict(Membership.objects.filter(user=user).values_list("party_id", "role"))


def can_manage_people_of(roles, party_id):
    """A party's coordinators bring in its people, change their roles and remove them; nobody else does."""
    return roles.get(party_id) == Role.COORDINATOR


def managed_party_ids(roles):
    """The parties whose people the user manages (their "Min part" page)."""
    return sorted(party_id for party_id in roles if can_manage_people_of(roles, party_id))


def can_bring_in_new_party(access):
    """The convener's coordinators invite a party new to Samråd, as they invite any other: while they may edit."""
    return can_edit_meeting(access)


def can_edit_meeting(access):
    return _convening_coordinator(access) and access.meeting.status in (Status.DRAFT, Status.POLLING, Status.SCHEDULED)


def can_open_polling(access):
    return _convening_coordinator(access) and access.meeting.status == Status.DRAFT


def can_propose_slot(access):
    """Coordinators of any party of the meeting propose times while it is open."""
    return bool(access.party_ids_with_role(Role.COORDINATOR)) and access.meeting.is_open


def can_withdraw_slot(access, slot):
    """Only the proposing party's coordinators withdraw, and only before a time is fixed."""
    return (
        slot.proposed_by_party_id in access.party_ids_with_role(Role.COORDINATOR)
        and access.meeting.is_open
        and not slot.is_withdrawn
    )


def can_answer_for(access, party_id):
    """Every party answers for itself: any member of that party, or its guest allowed to, while the meeting polls."""
    answers = party_id in access.roles or _guest_answering_for(access, party_id)
    return answers and access.meeting.status == Status.POLLING


def people_who_can_answer_for(meeting, party):
    """The people who can answer for ``party`` in ``meeting`` (can_answer_for) and can be mailed about it.

    The one list of whom the opening for answers, a reminder and the welcome of a new member go to.
    """
    return people_with_right(meeting, lambda access: can_answer_for(access, party.pk), party_ids=[party.pk])


def people_with_right(meeting, right, *, party_ids=None, leave_out_party=None, leave_out=None):
    """The active people with an e-mail address for whom ``right`` (a predicate here) holds in ``meeting``.

    Their roles are read in ``party_ids`` (default: every party of the
    meeting). ``leave_out_party``'s members and ``leave_out`` are left out.
    """
    invitations = list(meeting.invitations.all())
    convening_ids = frozenset(inv.party_id for inv in invitations if inv.is_convening)
    memberships = (
        Membership.objects.filter(
            party__in=[inv.party_id for inv in invitations] if party_ids is None else party_ids,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user__profile")
        .order_by("user__username", "party_id")
    )
    people = []
    for user, rows in groupby(memberships, key=lambda m: m.user):
        roles = {m.party_id: m.role for m in rows}
        if user == leave_out or (leave_out_party is not None and leave_out_party.pk in roles):
            continue
        if right(MeetingAccess(user=user, meeting=meeting, roles=roles, convening_ids=convening_ids)):
            people.append(user)
    return people


def answerable_party_ids(access):
    return sorted(party_id for party_id in access.roles if can_answer_for(access, party_id))


def can_confirm(access):
    return _convening_coordinator(access) and access.meeting.status == Status.POLLING


def can_remind(access):
    """The convener's coordinators remind the parties that have not answered, while answers are collected."""
    return _convening_coordinator(access) and access.meeting.status == Status.POLLING


def can_reschedule(access):
    return _convening_coordinator(access) and access.meeting.status == Status.SCHEDULED


def can_cancel(access):
    return _convening_coordinator(access) and access.meeting.status in (Status.DRAFT, Status.POLLING, Status.SCHEDULED)


def has_begun(meeting):
    """The meeting's confirmed time has started: only then can anyone say it was held."""
    return meeting.confirmed_slot_id is not None and meeting.confirmed_slot.start <= timezone.now()


def can_mark_held(access):
    return _convening_coordinator(access) and access.meeting.status == Status.SCHEDULED and has_begun(access.meeting)


def can_copy_meeting(access):
    """A cancelled meeting is called again by those who may call one for its convening party: its coordinators."""
    return _convening_coordinator(access) and access.meeting.status == Status.CANCELLED


def can_plan_follow_up(access):
    """A held meeting is followed up by those who may call a meeting for its convening party: its coordinators."""
    return _convening_coordinator(access) and access.meeting.status == Status.HELD


def can_name_attendees_for(access, party_id):
    """A party's coordinators and secretaries name who attends for it."""
    return party_id in access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY) and access.meeting.status in (
        Status.POLLING,
        Status.SCHEDULED,
    )


def attendee_party_ids(access):
    return sorted(party_id for party_id in access.roles if can_name_attendees_for(access, party_id))


def can_confirm_attendance(access):
    """A convening party's secretary confirms who attends."""
    return bool(access.party_ids_with_role(Role.SECRETARY) & access.convening_ids) and access.meeting.status in (
        Status.POLLING,
        Status.SCHEDULED,
    )


def can_see_delivery(access):
    """The convening parties' coordinators and secretaries follow what was mailed to whom."""
    return _convening_staff(access)


def can_correct_delivery(access):
    """Those who follow the delivery correct an address the mail server refused, and send the mail again."""
    return can_see_delivery(access)


def can_see_calendar_replies(access):
    """Those who follow the delivery also see what came back from the calendars and was not applied, and the
    times the attendees proposed instead; the other parties do not."""
    return can_see_delivery(access)


def can_add_proposed_time(access):
    """A time an attendee proposed from their calendar is added by someone who sees it and may propose times."""
    return can_see_calendar_replies(access) and can_propose_slot(access)


def can_export_answers(access):
    """The convening parties' coordinators and secretaries download every party's answers per proposed time, to
    brief their chair; at any stage, as a confirmed or cancelled meeting's answers still explain its choice.

    Not the invited parties: the grid on the page shows them the same answers, but a file of them is the
    convener's working paper.
    """
    return _convening_staff(access)


def can_export_records_for(access, party_id):
    """A party's coordinators and secretaries export its records for its registry (diarium): the log as that
    party sees it, and the diarium package of everything the party holds of the meeting.

    Every party keeps its own record, and many parties have no secretary in Samråd: their coordinator hands
    the copy to the registrar.
    """
    return _party_registry_staff(access, party_id)


def records_export_party_ids(access):
    return sorted(party_id for party_id in access.roles if can_export_records_for(access, party_id))


def can_set_registration_number_for(access, party_id):
    """A party's coordinators and secretaries enter its own diarienummer for the meeting; no party another's.

    At any stage: a meeting is often registered when it is called, and a held or cancelled one still is.
    """
    return _party_registry_staff(access, party_id)


def _party_registry_staff(access, party_id):
    """Those who deal with a party's registry (diarium) for it: its coordinators and secretaries."""
    return party_id in access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY)


def registration_number_party_ids(access):
    return sorted(party_id for party_id in access.roles if can_set_registration_number_for(access, party_id))


def can_hold_times(access):
    """While the parties answer, anyone in them may block the proposed times in their own calendar."""
    return bool(access.roles) and access.meeting.status == Status.POLLING


def can_download_ics(access):
    """A calendar event needs a time: one cancelled before a time was confirmed has none to download."""
    meeting = access.meeting
    return meeting.confirmed_slot_id is not None and meeting.status in (Status.SCHEDULED, Status.CANCELLED, Status.HELD)


# Rules about slots rather than people.


def blocking_answers(answers, required_party_ids):
    """Why a slot is not plainly confirmable: required parties that said no or have not answered.

    ``answers`` maps party id to the party's answer to the slot (anything with a ``value``).
    """
    said_no = [pid for pid in required_party_ids if pid in answers and answers[pid].value == Answer.Value.NO]
    missing = [pid for pid in required_party_ids if pid not in answers]
    return said_no, missing


def confirmation_problem(slot, required_party_ids, reason):
    """The message that stops a confirmation, or None if the slot may be confirmed.

    A slot is confirmable when every required party has answered yes or if
    need be. Against a "no" a reason is needed, shown to all; a party that has
    not answered at all blocks the confirmation.
    """
    said_no, missing = blocking_answers({answer.party_id: answer for answer in slot.answers.all()}, required_party_ids)
    if missing:
        return _("Every required party must answer this time before it can be confirmed.")
    if said_no and not (reason or "").strip():
        return _("A required party cannot attend at this time. Give a reason to confirm it anyway.")
    return None


# The agenda, positions and documents.


def can_propose_agenda_item(access):
    """Coordinators and members of any party of the meeting propose topics."""
    return bool(access.party_ids_with_role(Role.COORDINATOR, Role.MEMBER)) and access.meeting.is_active


def can_manage_agenda(access):
    """The convener's coordinators accept, decline, reorder and edit agenda items."""
    return _convening_coordinator(access) and access.meeting.is_active


def can_edit_agenda_item(access, item):
    """The convener, or the proposing party while the item is still only proposed."""
    if can_manage_agenda(access):
        return True
    return (
        access.meeting.is_active
        and item.status == item.Status.PROPOSED
        and item.proposed_by_party_id in access.party_ids_with_role(Role.COORDINATOR, Role.MEMBER)
    )


def can_write_position_for(access, party_id):
    """Every member of a party writes, shares and withdraws its own positions."""
    return party_id in access.roles and access.meeting.is_active


def position_party_ids(access):
    return sorted(party_id for party_id in access.roles if can_write_position_for(access, party_id))


def can_attach_to_item(access, item):
    """Documents on the item itself come from whoever may edit it."""
    return can_edit_agenda_item(access, item) or (
        access.meeting.is_active and item.proposed_by_party_id in access.roles
    )


def can_attach_to_position(access, position):
    return can_write_position_for(access, position.party_id)


def can_mark_secrecy(access, record):
    """The party that owns a record marks it for secrecy, or takes the marking off (models.SecrecyMarked).

    A position or a document: any of its party's people, who write and attach them. An agenda item: the
    proposing party's coordinators and secretaries, or the conveners of record, whose agenda it is on. At
    any stage of the meeting: a held meeting's records are still filed and asked for.
    """
    owner = record.secrecy_party_id
    if isinstance(record, AgendaItem):
        return owner in access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY) or _convener_of_record(access)
    return owner in access.roles


# Guests (models.Guest): a person without an account, let in by a party's coordinator to one meeting.


def can_read_as_guest(access):
    """A guest reads their meeting, its accepted agenda and what every party shares, once it has been opened.

    Never a draft of the party's own (guests are not its people), never the
    event log, another meeting or anyone's people lists: those pages are
    behind login, and a guest is never logged in.
    """
    guest = access.guest
    return guest is not None and guest.party_id in access.parties and access.meeting.opened_at is not None


def _guest_answering_for(access, party_id):
    guest = access.guest
    return guest is not None and guest.may_answer and guest.party_id == party_id and can_read_as_guest(access)


def can_add_guest_for(access, party_id):
    """A party's coordinators add guests for it, to a meeting the parties see and that is still ahead."""
    return (
        party_id in access.party_ids_with_role(Role.COORDINATOR)
        and access.meeting.opened_at is not None
        and access.meeting.is_active
    )


def guest_party_ids(access):
    return sorted(party_id for party_id in access.roles if can_add_guest_for(access, party_id))


def guest_list_party_ids(access):
    """The parties whose guests the user sees and may revoke: those they coordinate."""
    return sorted(access.party_ids_with_role(Role.COORDINATOR))


def can_revoke_guest(access, guest):
    return guest.party_id in guest_list_party_ids(access)


# After the meeting: minutes, agreements and actions (models.Minutes). ``minutes`` is None until begun.


def minutes_are_due(meeting):
    """Minutes are written once the meeting is held, or has started though nobody marked it held yet."""
    if meeting.status == Status.HELD:
        return True
    return meeting.status == Status.SCHEDULED and meeting.confirmed_slot.start <= timezone.now()


def _is_minute_taker(access, minutes):
    return minutes is not None and access.user is not None and minutes.minute_taker_id == access.user.pk


def _convener_of_record(access):
    """The conveners as the minutes know them: a convening party's coordinators and secretaries."""
    return bool(access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY) & access.convening_ids)


def can_see_minutes(access, minutes):
    """A draft is the conveners' and the minute-taker's alone; a version under review theirs and the reviewers'.
    Only approved minutes reach everyone of every party of the meeting."""
    if not minutes_are_due(access.meeting):
        return False
    if minutes is not None and minutes.is_approved:
        return bool(access.roles)
    if minutes is not None and minutes.is_under_review and reviewing_party_ids(access, minutes):
        return True
    return _convener_of_record(access) or _is_minute_taker(access, minutes)


def can_write_minutes(access, minutes):
    """The convening party's secretary, or the minute-taker the conveners named, writes the draft."""
    writer = bool(access.party_ids_with_role(Role.SECRETARY) & access.convening_ids) or _is_minute_taker(
        access, minutes
    )
    return writer and minutes_are_due(access.meeting) and (minutes is None or minutes.is_draft)


def can_name_minute_taker(access, minutes):
    """The convener's coordinators name who takes the minutes, while they are a draft."""
    return _convening_coordinator(access) and minutes_are_due(access.meeting) and (minutes is None or minutes.is_draft)


def can_record_decision_for(access, minutes, party_id):
    """A party records only its own decision on an agreement: its coordinators and secretaries, who see it."""
    return party_id in access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY) and can_see_minutes(access, minutes)


def decision_party_ids(access, minutes):
    return sorted(party_id for party_id in access.roles if can_record_decision_for(access, minutes, party_id))


def can_update_action(access, minutes, action):
    """Whoever writes the minutes, or the owner party's coordinators and secretaries, mark an action done or
    dropped."""
    owner = action.owner_party_id in access.party_ids_with_role(Role.COORDINATOR, Role.SECRETARY)
    return can_write_minutes(access, minutes) or (owner and can_see_minutes(access, minutes))


# Review (justering): each party approves the minutes through its reviewer, then they are locked (services/review.py).


def _reviews_for(access, minutes, party_id):
    """The party's named reviewer, still one of its people; until it names one, its coordinators."""
    if minutes is None or party_id not in access.roles:
        return False
    named = minutes.reviewer_ids.get(party_id)
    if named is not None:
        return access.user is not None and access.user.pk == named
    return access.roles[party_id] == Role.COORDINATOR


def reviewing_party_ids(access, minutes):
    """The parties the user reviews the minutes for, whatever their state: whose versions they may read."""
    return sorted(party_id for party_id in access.roles if _reviews_for(access, minutes, party_id))


def can_name_reviewer_for(access, minutes, party_id):
    """A party's coordinators name its reviewer, from its own people, until the minutes are approved."""
    return (
        access.roles.get(party_id) == Role.COORDINATOR
        and minutes_are_due(access.meeting)
        and (minutes is None or not minutes.is_approved)
    )


def reviewer_party_ids(access, minutes):
    return sorted(party_id for party_id in access.roles if can_name_reviewer_for(access, minutes, party_id))


def _keeps_the_record(access, minutes):
    """Who sends the minutes for review, takes them back and corrects them: the minute-taker and the convening
    parties' coordinators and secretaries."""
    return _convener_of_record(access) or _is_minute_taker(access, minutes)


def can_send_minutes_for_review(access, minutes):
    return (
        _keeps_the_record(access, minutes) and minutes_are_due(access.meeting) and (minutes is None or minutes.is_draft)
    )


def can_take_back_minutes(access, minutes):
    """A version under review is taken back to be revised; its approvals stay with it and never carry over."""
    return _keeps_the_record(access, minutes) and minutes is not None and minutes.is_under_review


def can_approve_minutes_for(access, minutes, party_id):
    """A reviewer approves only for their own party, and only the version under review."""
    return minutes is not None and minutes.is_under_review and _reviews_for(access, minutes, party_id)


def can_comment_on_minutes_for(access, minutes, party_id):
    """A reviewer comments, per agenda item, for their own party on the version under review."""
    return minutes is not None and minutes.is_under_review and _reviews_for(access, minutes, party_id)


def approving_party_ids(access, minutes):
    return sorted(party_id for party_id in access.roles if can_approve_minutes_for(access, minutes, party_id))


def commenting_party_ids(access, minutes):
    return sorted(party_id for party_id in access.roles if can_comment_on_minutes_for(access, minutes, party_id))


def can_see_minutes_versions(access, minutes):
    """The versions sent for review, and what the reviewers said of them, stay with those who wrote and reviewed
    them, also once approved: the other parties read the approved minutes, not the way there."""
    return (
        minutes is not None
        and minutes.has_been_sent
        and minutes_are_due(access.meeting)
        and (_keeps_the_record(access, minutes) or bool(reviewing_party_ids(access, minutes)))
    )


def can_print_minutes(access, minutes):
    """The printable page and the PDF are of approved minutes, for everyone who sees them."""
    return minutes is not None and minutes.is_approved and can_see_minutes(access, minutes)


def can_correct_minutes(access, minutes):
    """Approved minutes change only by a numbered correction, from those who keep the record."""
    return _keeps_the_record(access, minutes) and minutes is not None and minutes.is_approved

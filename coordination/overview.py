"""Plain values for the pages: the slot × party grid and the "Mina möten" list.

Built in Python from prefetched rows, so a template never queries and the
number of queries does not grow with slots, parties or answers.
"""

import datetime
import difflib
import functools
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, F, Q, When, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import compiled, rules
from .formatting import plain_date, slot_label
from .models import (
    Action,
    AgendaItem,
    Answer,
    Attendee,
    Document,
    Invitation,
    Meeting,
    Membership,
    Minutes,
    MinutesApproval,
    Position,
)


class GivenAnswer(NamedTuple):
    """A party's answer to a slot as the grid shows it: read as plain values, since a grid holds thousands."""

    value: str
    comment: str

    @property
    def label(self):
        return Answer.Value(self.value).label


def given_answers(meetings):
    """slot id -> party id -> GivenAnswer for the open slots of ``meetings``, in one query."""
    given = {}
    rows = Answer.objects.filter(slot__meeting__in=meetings, slot__withdrawn_at__isnull=True).values_list(
        "slot_id", "party_id", "value", "comment"
    )
    for slot_id, party_id, value, comment in rows:
        given.setdefault(slot_id, {})[party_id] = GivenAnswer(value, comment) if comment else _PLAIN_ANSWERS[value]
    return given


# Most answers carry no comment: they share one value object each instead of one per cell.
_PLAIN_ANSWERS = {value: GivenAnswer(value, "") for value in Answer.Value.values}


@dataclass
class SlotRow:
    slot: object
    invitations: list  # the grid's parties, in its order
    answers: list  # GivenAnswer or None per party, in the same order
    yes: int = 0
    if_need_be: int = 0
    no: int = 0
    missing: int = 0
    confirmable: bool = False
    needs_reason: bool = False
    best: bool = False
    can_withdraw: bool = False

    @property
    def available(self):
        return self.yes + self.if_need_be

    @property
    def cells(self):
        """(invitation, GivenAnswer or None) per party; paired on demand, as the grid itself needs no pairs."""
        return list(zip(self.invitations, self.answers, strict=True))

    @cached_property
    def label(self):
        """The slot's name for people, formatted once though the row shows it up to three times."""
        return slot_label(self.slot)

    # The row's texts come from here rather than from {% blocktranslate %} in the template's
    # loop, which costs ten times as much and runs for every row of a hundred.
    @property
    def proposed_by(self):
        return _("Proposed by %(party)s") % {"party": self.slot.proposed_by_party.short_name}

    @property
    def summary(self):
        return _("%(yes)s yes, %(maybe)s if need be, %(no)s no") % {
            "yes": self.yes,
            "maybe": self.if_need_be,
            "no": self.no,
        }


@dataclass
class Grid:
    invitations: list
    rows: list
    withdrawn: list
    unanswered: dict = field(default_factory=dict)  # party id -> number of open slots without an answer

    @property
    def parties(self):
        return [inv.party for inv in self.invitations]

    @property
    def missing_required(self):
        """The required parties with at least one open time they have not answered."""
        return [inv.party for inv in self.invitations if inv.required and self.unanswered[inv.party_id]]

    @property
    def best(self):
        """The row marked best, or None while a required party still has a time to answer."""
        return next((row for row in self.rows if row.best), None)

    @property
    def party_status(self):
        """(invitation, number of open slots it has not answered) per party."""
        return [(inv, self.unanswered[inv.party_id]) for inv in self.invitations]


def ordered_invitations(meeting):
    return sorted(meeting.invitations.all(), key=lambda inv: (inv.role != Invitation.Role.CONVENING, inv.party.name))


def build_grid(meeting, access=None, answers=None):
    """The slot × party matrix with counts; the best slot is marked once every required party has answered.

    ``answers`` is given_answers() of a list of meetings including this one;
    without it one query reads this meeting's. Best: the slot every required
    party can attend, then the most parties available, then the most plain
    yeses, then the earliest. Before every required answer is in, a "best"
    time would only be the one the quick answerers like, and would draw the
    convener to confirm too early; once a time is confirmed there is nothing to choose.
    """
    if answers is None:
        answers = given_answers([meeting.pk])
    invitations = ordered_invitations(meeting)
    # Read once: a foreign key's id goes through a descriptor on every access, thousands of times here.
    party_ids = [inv.party_id for inv in invitations]
    required = [inv.party_id for inv in invitations if inv.required]
    active = [slot for slot in meeting.slots.all() if not slot.is_withdrawn]
    rows = []
    unanswered = dict.fromkeys(party_ids, 0)
    for slot in active:
        slot_answers = answers.get(slot.pk, {})
        given = [slot_answers.get(party_id) for party_id in party_ids]
        values = [answer.value for answer in given if answer is not None]
        row = SlotRow(
            slot=slot,
            invitations=invitations,
            answers=given,
            yes=values.count(Answer.Value.YES),
            if_need_be=values.count(Answer.Value.IF_NEED_BE),
            no=values.count(Answer.Value.NO),
            missing=len(party_ids) - len(values),
        )
        if row.missing:
            for party_id, answer in zip(party_ids, given, strict=True):
                if answer is None:
                    unanswered[party_id] += 1
        said_no, missing = rules.blocking_answers(slot_answers, required)
        row.confirmable = not missing and not said_no
        row.needs_reason = not missing and bool(said_no)
        row.can_withdraw = access is not None and rules.can_withdraw_slot(access, slot)
        rows.append(row)
    answered_rows = [row for row in rows if row.available]
    if meeting.is_polling and answered_rows and not any(unanswered[party_id] for party_id in required):
        best = max(
            answered_rows,
            key=lambda r: (r.confirmable, r.available, r.yes, -r.slot.start.timestamp()),
        )
        best.best = True
    withdrawn = [slot for slot in meeting.slots.all() if slot.is_withdrawn]
    return Grid(invitations=invitations, rows=rows, withdrawn=withdrawn, unanswered=unanswered)


@dataclass
class Participation:
    """What the meeting page tells a member first: their place in the meeting, and whether they attend."""

    places: list  # (party, the user's role there, as a word) for each of the meeting's parties the user is in
    attendee: Attendee | None  # the user named as an attendee, if they are


def participation(access, attendees):
    """The user's Participation, or None for one in none of the meeting's parties; ``attendees`` need hold only the
    user's own (the meeting page reads just those)."""
    if not access.roles:
        return None
    places = [
        (access.parties[party_id], Membership.Role(role).label) for party_id, role in sorted(access.roles.items())
    ]
    mine = next((attendee for attendee in attendees if attendee.user_id == access.user.pk), None)
    return Participation(places=places, attendee=mine)


@dataclass
class DashboardRow:
    meeting: Meeting
    access: rules.MeetingAccess
    unanswered: list  # (party, number of open slots without its answer) for parties the user answers for
    ready_to_confirm: int = 0
    attendance_to_confirm: int = 0
    agenda_proposals: int = 0  # proposed agenda items waiting for the convener's decision
    open_actions: list = field(default_factory=list)  # open actions of the user's parties, in minutes they see
    reviews: list = field(default_factory=list)  # the parties the user has yet to approve the minutes for

    @cached_property
    def url(self):
        return _links()["meeting"](self.meeting.pk)

    @property
    def minutes_url(self):
        return _links()["minutes"](self.meeting.pk)

    @property
    def answer_links(self):
        """(party, number of open slots without its answer, the answer form's address) per unanswered party."""
        answer = _links()["answer"]
        return [(party, count, answer(self.meeting.pk, party.pk)) for party, count in self.unanswered]

    @property
    def waiting(self):
        return bool(
            self.unanswered
            or self.ready_to_confirm
            or self.attendance_to_confirm
            or self.agenda_proposals
            or self.open_actions
            or self.reviews
        )


@functools.cache
def _links():
    """The addresses a dashboard row links to, by the ids in them: reverse() once per process with marks for the
    ids, then each row's links are joined strings, not a resolver's work for every link of every row."""
    return {
        "meeting": _link("meeting_detail", 1),
        "minutes": _link("minutes", 1),
        "answer": _link("answer", 2),
    }


def _link(name, count):
    marks = [str(LINK_MARK + i) for i in range(count)]
    pieces, rest = [], reverse(name, args=marks)
    for mark in marks:
        head, rest = rest.split(mark, 1)
        pieces.append(head)

    def link(*ids):
        return "".join(f"{piece}{id_}" for piece, id_ in zip(pieces, ids, strict=True)) + rest

    return link


# A number no id in a link reaches, and which no address has in it otherwise.
LINK_MARK = 987_654_321_000


def dashboard_rows(user, meetings=None, *, roles=None):
    """A row, with what waits for the user, per meeting of ``meetings`` (for_dashboard() rows; all by default).

    Only the meetings shown get a row: their answers, actions and grids are read for them alone. ``roles``:
    the user's (party id -> role), if already read.
    """
    if roles is None:
        roles = rules.roles_of(user)
    if meetings is None:
        meetings = Meeting.objects.visible_to(user).for_dashboard().order_by("-created_at")
    meetings = list(meetings)
    answers = given_answers([meeting.pk for meeting in meetings])
    actions = open_actions_by_meeting(meetings, roles)
    minutes, approved = minutes_under_way(meetings)
    rows = []
    for meeting in meetings:
        access = rules.MeetingAccess.from_roles(user, meeting, roles)
        mine = actions.get(meeting.pk, [])
        record = minutes.get(meeting.pk)
        grid = build_grid(meeting, answers=answers)
        parties = {inv.party_id: inv.party for inv in grid.invitations}
        unanswered = [
            (parties[party_id], grid.unanswered[party_id])
            for party_id in rules.answerable_party_ids(access)
            if grid.unanswered[party_id]
        ]
        rows.append(
            DashboardRow(
                meeting=meeting,
                access=access,
                unanswered=unanswered,
                ready_to_confirm=sum(row.confirmable for row in grid.rows) if rules.can_confirm(access) else 0,
                attendance_to_confirm=(
                    sum(1 for a in meeting.attendees.all() if a.status == Attendee.Status.NAMED)
                    if rules.can_confirm_attendance(access)
                    else 0
                ),
                agenda_proposals=meeting.proposed_agenda_items if rules.can_manage_agenda(access) else 0,
                open_actions=mine if mine and rules.can_see_minutes(access, record) else [],
                reviews=[
                    access.parties[party_id]
                    for party_id in rules.approving_party_ids(access, record)
                    if (record.pk, party_id) not in approved
                ]
                if record is not None
                else [],
            )
        )
    return rows


class ShownMeeting(NamedTuple):
    """A meeting on a page of "Mina möten" as the page keeps it: the row itself is in the section's HTML."""

    pk: int
    title: str
    status: str


class ShownRow(NamedTuple):
    meeting: ShownMeeting


class DashboardSection(NamedTuple):
    key: str
    heading: str
    empty: str  # what the section says when it has no meeting
    rows: list  # a ShownRow per meeting on the page, in the page's order
    page: Page  # which of the section's pages is shown (a Page of positions; the rows are the meetings)
    previous: str  # the query string of the section's previous page, "" on the first
    next: str  # the same for the next page, "" on the last
    html: str = ""  # the section's list and pager (_dashboard_section.html), safe HTML


Status = Meeting.Status
# Each section of "Mina möten": its status, how many meetings a page shows, and the meetings' order on it.
# The meetings still to come are the page's point; held and cancelled ones pile up and are paged back.
DASHBOARD_SECTIONS = {
    "upcoming": (Status.SCHEDULED, 20),  # the soonest first
    "polling": (Status.POLLING, 20),  # the nearest answer deadline first
    "drafts": (Status.DRAFT, 20),  # the newest first
    "held": (Status.HELD, 10),  # the last held first
    "cancelled": (Status.CANCELLED, 10),  # the last cancelled first
}


def _only(status, field):
    """``field`` for a meeting of ``status``, else NULL: one ordering term that orders one section alone."""
    return Case(When(status=status, then=F(field)))


# One ordering for every section: each of the first four terms is NULL outside its own section.
DASHBOARD_ORDER = [
    _only(Status.SCHEDULED, "confirmed_slot__start").asc(),
    _only(Status.POLLING, "answer_deadline").asc(nulls_last=True),
    _only(Status.HELD, "confirmed_slot__start").desc(nulls_last=True),
    _only(Status.CANCELLED, "updated_at").desc(),
    F("created_at").desc(),
    F("pk").desc(),
]


def dashboard(user, roles, query, *, with_drafts):
    """ "Mina möten": a page of each section (``query`` names the page of each, e.g. ``held=2``), its HTML made
    once per change of the person's meetings.

    The sections are kept in the cache (a day, like the meeting page's parts) under everything they are made
    of: one row of sums over the person's meetings that moves with any change to any of them
    (MeetingQuerySet.state_sql), with the number of those begun by now (their minutes become due), the person's
    roles (``roles``: party id -> role, as the request has read them), the day (deadlines pass, actions fall
    overdue), the query, the language and the release (release_digest). So a page that did not change costs two
    queries, whether the person has one meeting or five hundred.
    """
    now = timezone.now()
    state = compiled.state_of("dashboard", _dashboard_meetings, user, now) if roles else None
    content = (
        user.pk,
        sorted(roles.items()),
        with_drafts,
        state,
        timezone.localdate(now),
        sorted(query.lists()),
        translation.get_language(),
        release_digest(),
    )
    key = "dashboard:" + hashlib.sha256(repr(content).encode()).hexdigest()
    sections = cache.get(key)
    if sections is None:
        sections = [
            section._replace(
                rows=[
                    ShownRow(ShownMeeting(row.meeting.pk, row.meeting.title, row.meeting.status))
                    for row in section.rows
                ],
                html=render_to_string("coordination/_dashboard_section.html", {"section": section}),
            )
            for section in _dashboard_sections(user, roles, query, with_drafts=with_drafts)
        ]
        cache.set(key, sections, DASHBOARD_SECONDS)
    return sections


def _dashboard_meetings(user, now):
    """The person's meetings, with those begun by ``now`` counted apart: their minutes become due."""
    return Meeting.objects.visible_to(user).state_sql(begun=Q(status=Status.SCHEDULED, confirmed_slot__start__lte=now))


# A day: a change moves the key at once; this only lets pages nobody asks for again leave the cache.
DASHBOARD_SECONDS = 24 * 60 * 60


@functools.cache
def release_digest():
    """A digest of every template, the template tags (they write HTML in Python) and the translations, read once
    per process: kept under it, a page part made by the last release is never served by a new one (the meeting
    page's parts, fragments.py; the sections of "Mina möten", dashboard())."""
    base = Path(settings.BASE_DIR)
    files = sorted((base / "templates").rglob("*.html"))
    files += sorted((Path(__file__).parent / "templatetags").glob("*.py"))
    for folder in settings.LOCALE_PATHS:
        files += sorted(Path(folder).glob("*/LC_MESSAGES/django.mo"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _dashboard_sections(user, roles, query, *, with_drafts):
    """The sections of dashboard() with their rows (DashboardRow), read in SQL.

    One query finds the meetings on the pages shown, with each section's count (a row number and a count
    per section, by window functions); one more reads those meetings with what their rows need. So the
    page costs the same queries and about the same work for a party in one meeting or in five hundred,
    and nothing is built for a meeting not shown. A page past a section's last shows its last, one that
    is not a whole number or below 1 its first. Within a page the meetings that wait for the user come
    first. Drafts are their conveners' alone: the section is there for those who may create meetings,
    or who have one.
    """
    wanted = {key: _page_number(query.get(key)) for key in DASHBOARD_SECTIONS}
    positions, counts = {}, {}
    for pk, status, position, total in _on_pages(user, wanted) if roles else []:
        positions[pk], counts[status] = position, total
    meetings = sorted(Meeting.objects.filter(pk__in=positions).for_dashboard(), key=lambda m: positions[m.pk])
    rows = dashboard_rows(user, meetings, roles=roles)
    rows.sort(key=lambda row: not row.waiting)
    texts = {
        "upcoming": (_("Upcoming"), _("No meeting has a confirmed time yet.")),
        "polling": (_("Collecting answers"), _("No meeting is collecting answers.")),
        "drafts": (_("Drafts"), _("You have no drafts.")),
        "held": (_("Held"), _("No meeting has been held yet.")),
        "cancelled": (_("Cancelled"), _("No meeting has been cancelled.")),
    }
    sections = []
    for key, (status, per_page) in DASHBOARD_SECTIONS.items():
        if key == "drafts" and not (with_drafts or counts.get(status)):
            continue
        # The same page as the query chose: a Paginator over the section's count, clamped the same way.
        page = Paginator(range(counts.get(status, 0)), per_page).get_page(wanted[key])
        sections.append(
            DashboardSection(
                key=key,
                heading=texts[key][0],
                empty=texts[key][1],
                rows=[row for row in rows if row.meeting.status == status],
                page=page,
                previous=_page_query(query, key, page.previous_page_number()) if page.has_previous() else "",
                next=_page_query(query, key, page.next_page_number()) if page.has_next() else "",
            )
        )
    return sections


def _on_pages(user, wanted):
    """(pk, status, position in its section, the section's count) of each meeting on the pages ``wanted``.

    Django numbers the user's meetings per section (window functions over visible_to()); the pages are
    picked around that query in SQL of our own, since Django's own filter on a window function compiles
    the query again around itself, which cost more than the rest of the page. The page asked for, or
    the section's last page when it has fewer: (count - 1) // size * size + 1 is the last page's first.
    """
    ranked = (
        Meeting.objects.visible_to(user)
        # Annotations, so that each column has the name the SQL around it reads.
        .annotate(
            meeting=F("pk"),
            section=F("status"),
            position=Window(RowNumber(), partition_by=F("status"), order_by=DASHBOARD_ORDER),
            total=Window(Count("pk"), partition_by=F("status")),
        )
        .order_by()
        .values_list("meeting", "section", "position", "total")
    )
    ranked_sql, ranked_params = ranked.query.sql_with_params()
    sizes, wants = [], []
    for key, (status, per_page) in DASHBOARD_SECTIONS.items():
        sizes += [status, per_page]
        wants += [status, (wanted[key] - 1) * per_page + 1]
    when = " ".join(["WHEN %s THEN %s"] * len(DASHBOARD_SECTIONS))
    last = '("total" - 1) / "size" * "size" + 1'
    sql = (
        # Nothing but Django's compiled query, column names and placeholders: every value is a parameter.
        'SELECT "meeting", "section", "position", "total" FROM ('  # nosec B608
        f'SELECT "meeting", "section", "position", "total", "size", '
        f'CASE WHEN "want" < {last} THEN "want" ELSE {last} END AS "start" FROM ('
        f'SELECT ranked.*, CASE "section" {when} END AS "size", CASE "section" {when} END AS "want" '
        f"FROM ({ranked_sql}) ranked) sized) paged "
        'WHERE "position" >= "start" AND "position" < "start" + "size"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sizes, *wants, *ranked_params])
        return cursor.fetchall()


# Beyond any section's last page; a larger number could not be stored in the query's integers.
LAST_PAGE = 10**9


def _page_number(value):
    """The page asked for: 1 unless a whole number of at least 1; at most LAST_PAGE."""
    try:
        return min(max(int(value), 1), LAST_PAGE)
    except (TypeError, ValueError):
        return 1


def _page_query(query, key, number):
    """The query string that shows page ``number`` of section ``key`` and keeps every other section's page."""
    pages = query.copy()
    pages[key] = str(number)
    if number == 1:
        del pages[key]
    return "?" + pages.urlencode()


def minutes_under_way(meetings):
    """meeting id -> its minutes (their reviewers read at once), and the (minutes id, party id) of every approval of a
    version now under review: at most three queries, whatever the number of meetings."""
    # Minutes can exist only once a meeting has begun: a list of meetings being planned costs no query for them.
    due = [meeting.pk for meeting in meetings if rules.minutes_are_due(meeting)]
    minutes = {row.meeting_id: row for row in Minutes.objects.filter(meeting__in=due)} if due else {}
    if not minutes:
        return {}, set()
    Minutes.prime_reviewer_ids(list(minutes.values()))
    under_review = [row.pk for row in minutes.values() if row.is_under_review]
    approved = set(
        MinutesApproval.objects.filter(
            version__minutes__in=under_review, version__number=F("version__minutes__version")
        ).values_list("version__minutes_id", "party_id")
        if under_review
        else []
    )
    return minutes, approved


def open_actions_by_meeting(meetings, roles):
    """meeting id -> the open actions owned by the user's parties (``roles``' keys), in one query.

    Whether the user may see each action's minutes is for the caller to ask (rules.can_see_minutes).
    """
    by_meeting = {}
    rows = Action.objects.filter(
        status=Action.Status.OPEN, owner_party__in=list(roles), minutes__meeting__in=[m.pk for m in meetings]
    ).select_related("minutes", "owner_party")
    for action in rows:
        by_meeting.setdefault(action.minutes.meeting_id, []).append(action)
    return by_meeting


@dataclass
class AgendaEntry:
    item: AgendaItem
    positions: list  # (party, Position or None, the position's current documents) per party of the meeting
    documents: list  # the item's own current documents

    @property
    def planned_minutes(self):
        return self.item.planned_minutes

    @property
    def without_position(self):
        """Short names of the parties with no position the user can see: one line on the page, not a card each."""
        return [party.short_name for party, position, _documents in self.positions if position is None]


@dataclass
class Agenda:
    accepted: list
    proposed: list
    declined: list
    duration_minutes: int

    @property
    def planned_minutes(self):
        return sum(entry.item.planned_minutes for entry in self.accepted)

    @property
    def over_time(self):
        return self.planned_minutes > self.duration_minutes

    def clock(self, start):
        """(entry, start, end) per accepted item, from the meeting's start: see agenda_clock."""
        return agenda_clock(start, self.accepted)

    def entry_for(self, item):
        return next(entry for entry in self.accepted + self.proposed + self.declined if entry.item.pk == item.pk)


def agenda_clock(start, items):
    """(item, start, end) per item, each beginning where the one before ended, ``planned_minutes`` long.

    Counted in UTC: minutes that elapse, so an item across a change to or from summer time ends when it
    really ends; shown, as every time, in Stockholm's.
    """
    times = []
    begin = start.astimezone(datetime.UTC)
    for item in items:
        end = begin + datetime.timedelta(minutes=item.planned_minutes)
        times.append((item, begin, end))
        begin = end
    return times


def build_agenda(meeting, access, *, shared_only=False):
    """The agenda with, per item, each party's position the viewer may see, and the documents.

    ``access`` is the viewer's rules.MeetingAccess: their parties in the meeting, already read, decide which
    drafts they see. ``shared_only`` leaves out even their own drafts (the kallelse shows what every party
    sees); an ``access`` of None (a guest's page) gets just that too. Three queries, whatever the number of
    items, parties, positions or documents.
    """
    parties = [inv.party for inv in ordered_invitations(meeting)]
    items = list(meeting.agenda_items.select_related("presenting_party", "proposed_by_party"))
    if access is None or shared_only:
        positions, documents = Position.objects.shared(), Document.objects.shared()
    else:
        party_ids = list(access.roles)
        positions = Position.objects.visible_to_parties(party_ids)
        documents = Document.objects.visible_to_parties(party_ids)
    positions = positions.filter(agenda_item__meeting=meeting).select_related("updated_by")
    by_item = {}
    for position in positions:
        by_item.setdefault(position.agenda_item_id, {})[position.party_id] = position
    item_documents, position_documents = {}, {}
    for document in documents.current().filter(agenda_item__meeting=meeting):
        if document.position_id:
            position_documents.setdefault(document.position_id, []).append(document)
        else:
            item_documents.setdefault(document.agenda_item_id, []).append(document)
    entries = {status: [] for status in AgendaItem.Status.values}
    for item in items:
        item_positions = by_item.get(item.pk, {})
        columns = []
        for party in parties:
            position = item_positions.get(party.pk)
            columns.append((party, position, position_documents.get(position.pk, []) if position else []))
        entries[item.status].append(
            AgendaEntry(item=item, positions=columns, documents=item_documents.get(item.pk, []))
        )
    return Agenda(
        accepted=entries[AgendaItem.Status.ACCEPTED],
        proposed=entries[AgendaItem.Status.PROPOSED],
        declined=entries[AgendaItem.Status.DECLINED],
        duration_minutes=meeting.duration_minutes,
    )


def text_diff(old, new):
    """Line by line: ("same" | "added" | "removed", line), for comparing two versions of a text."""
    kinds = {"  ": "same", "+ ": "added", "- ": "removed"}
    return [
        (kinds[line[:2]], line[2:]) for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:2] in kinds
    ]


@dataclass
class MinutesItem:
    item: AgendaItem
    entry: object  # MinutesEntry or None
    agreements: list
    actions: list
    # What the reviewers said of the item in the latest version sent for review (with_review_comments).
    comments: list = field(default_factory=list)


@dataclass
class MinutesRecord:
    """The minutes page as plain values: per accepted item its text, agreements and actions; who was present."""

    items: list
    # (attendee, Presence or None) per confirmed attendee, then the people added (Presence rows).
    attendees: list
    added: list


def build_minutes(meeting, minutes):
    """The minutes of ``meeting`` (as for_kallelse()) in a fixed number of queries, whatever their size."""
    items = list(meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED))
    confirmed = [a for a in meeting.attendees.all() if a.status == Attendee.Status.CONFIRMED]
    if minutes is None:
        return MinutesRecord(
            items=[MinutesItem(item, None, [], []) for item in items],
            attendees=[(a, None) for a in confirmed],
            added=[],
        )
    entries = {entry.agenda_item_id: entry for entry in minutes.entries.all()}
    agreements, actions = {}, {}
    for agreement in minutes.agreements.prefetch_related("parties", "decisions__party"):
        agreements.setdefault(agreement.agenda_item_id, []).append(agreement)
    for action in minutes.actions.select_related("owner_party"):
        actions.setdefault(action.agenda_item_id, []).append(action)
    presences = list(minutes.presences.select_related("party"))
    marked = {p.attendee_id: p for p in presences if p.attendee_id}
    return MinutesRecord(
        items=[
            MinutesItem(item, entries.get(item.pk), agreements.get(item.pk, []), actions.get(item.pk, []))
            for item in items
        ],
        attendees=[(a, marked.get(a.pk)) for a in confirmed],
        added=[p for p in presences if not p.attendee_id],
    )


@dataclass
class Series:
    """A meeting's series: the meetings the user may see, oldest first, and the actions carried between them."""

    meetings: list
    # (action, the meeting it was agreed at, the follow-up item that carries it), oldest first.
    carried: list


def series(meeting, user):
    """The series ``meeting`` belongs to, as far as ``user`` sees it, or None when it is in none: two queries,
    however long the series."""
    if meeting.series_start_id is None:
        return None
    start = meeting.series_start_id
    members = list(
        Meeting.objects.visible_to(user)
        .filter(Q(pk=start) | Q(series_start=start))
        .select_related("confirmed_slot")
        .order_by("created_at", "pk")
    )
    if len(members) < 2:  # the others are drafts the user does not see yet: no series to show
        return None
    items = (
        AgendaItem.objects.filter(meeting__in=[member.pk for member in members], carried_action__isnull=False)
        .select_related("meeting", "carried_action__owner_party", "carried_action__minutes__meeting")
        .order_by("meeting__created_at", "order", "pk")
    )
    visible = {member.pk for member in members}
    carried = []
    for item in items:
        action = item.carried_action
        # A party added to a later meeting sees the item it is on, not the earlier meeting it came from.
        earlier = action.minutes.meeting if action.minutes.meeting_id in visible else None
        carried.append((action, earlier, item))
    return Series(meetings=members, carried=carried)


# Review (justering): the panel on the minutes page, and what changed between two versions sent for review.


@dataclass
class ReviewParty:
    """One party in the review: who reviews for it (None: its coordinators) and its approval of the version."""

    party: object
    reviewer: object  # a user, or None
    approval: object  # MinutesApproval of the version shown, or None
    comments: int


@dataclass
class ReviewState:
    version: object  # the latest version sent for review (MinutesVersion), or None before the first
    parties: list  # ReviewParty per party of the meeting, the conveners first
    comments: dict  # item id -> ReviewComment rows on ``version``
    corrections: list  # MinutesCorrection rows, once approved

    @property
    def approved_party_ids(self):
        return {row.party.pk for row in self.parties if row.approval}


def build_review(meeting, minutes):
    """The review of ``minutes`` as plain values, in a fixed number of queries whatever the number of items."""
    invitations = ordered_invitations(meeting)
    if minutes is None:
        return ReviewState(None, [ReviewParty(inv.party, None, None, 0) for inv in invitations], {}, [])
    version = minutes.versions.defer("content").order_by("-number").prefetch_related("approvals").first()
    named = {row.party_id: row.user for row in minutes.reviewers.select_related("user")}
    standing = minutes.reviewer_ids
    comments, counts = {}, {}
    # Once approved, the way there stays on the versions page, with those who wrote and reviewed the minutes.
    for comment in version.comments.select_related("party") if version and not minutes.is_approved else []:
        comments.setdefault(comment.agenda_item_id, []).append(comment)
        counts[comment.party_id] = counts.get(comment.party_id, 0) + 1
    approvals = {approval.party_id: approval for approval in version.approvals.all()} if version else {}
    corrections = list(minutes.corrections.select_related("agenda_item")) if minutes.is_approved else []
    parties = [
        ReviewParty(
            inv.party,
            named.get(inv.party_id) if inv.party_id in standing else None,
            approvals.get(inv.party_id),
            counts.get(inv.party_id, 0),
        )
        for inv in invitations
    ]
    return ReviewState(version, parties, comments, corrections)


def _presence_word(present):
    if present is None:
        return _("not recorded")
    return _("present") if present else _("absent")


def version_item_text(item):
    """An item of a kept version as lines to compare: its text, then each agreement and action on a line."""
    lines = item["text"].splitlines()
    for agreement in item["agreements"]:
        lines.append(
            _("Agreement: %(text)s (behind it: %(parties)s)")
            % {"text": " ".join(agreement["text"].split()), "parties": ", ".join(agreement["parties"]) or "–"}
        )
    for action in item["actions"]:
        owner = ", ".join(part for part in (action["owner"], action["person"]) if part)
        lines.append(
            _("Action: %(what)s (%(owner)s, by %(due)s)")
            % {
                "what": " ".join(action["what"].split()),
                "owner": owner,
                "due": plain_date(datetime.date.fromisoformat(action["due_on"])),
            }
        )
    return "\n".join(lines)


def version_presence_text(content):
    return "\n".join(
        f"{person['name']} ({person['party']}): {_presence_word(person['present'])}" for person in content["presence"]
    )


class VersionChange(NamedTuple):
    item_id: object  # the agenda item's id; None for who was present
    title: str
    diff: list  # text_diff's (kind, line) pairs
    changed: bool


def compare_versions(older, newer):
    """What changed from one kept version to another, per item (the newer's order, then items dropped since)
    and in who was present: each as text_diff, as a position's versions are compared."""
    old_items = {item["item"]: item for item in older.content["items"]}
    new_ids = [item["item"] for item in newer.content["items"]]
    changes = []
    for item in newer.content["items"] + [item for pk, item in old_items.items() if pk not in new_ids]:
        before = version_item_text(old_items[item["item"]]) if item["item"] in old_items else ""
        after = version_item_text(item) if item["item"] in new_ids else ""
        changes.append(VersionChange(item["item"], item["title"], text_diff(before, after), before != after))
    before, after = version_presence_text(older.content), version_presence_text(newer.content)
    changes.append(VersionChange(None, _("Who was present"), text_diff(before, after), before != after))
    return changes


def with_review_comments(record, review):
    """Each item of the minutes with the reviewers' comments on it, until the minutes are approved."""
    for part in record.items:
        part.comments = review.comments.get(part.item.pk, [])
    return record


def printable_minutes(meeting, minutes):
    """What the printable minutes show: the page, its PDF and the diarium package's copy."""
    return {
        "meeting": meeting,
        "minutes": minutes,
        "invitations": ordered_invitations(meeting),
        "record": build_minutes(meeting, minutes),
        "review": build_review(meeting, minutes),
    }

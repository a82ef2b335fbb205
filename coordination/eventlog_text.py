"""What an event of the log says in words, in the active language, built from what the event row stores.

The log stores machine values (choice codes, ISO times, lists); a registrar
reads sentences: "Svar för Polisen på tisdag 12 januari 2027 kl. 14.00–16.00:
Kan inte → Kan om det behövs". DESCRIBERS maps every Event.Action to its
describer — a kind without one fails tests/test_event_log_text.py — and the log
page, the CSV and the JSON export all take their text from ``describe``.

A describer returns a headline and the changes, each (label, before, after) in
words; the page shows the changes beside the headline, the exports join them.
"""

import datetime
import logging
from typing import NamedTuple

from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .formatting import period_label, plain_date, stockholm_moment, wall_clock_period_label
from .models import Action, AgendaItem, Answer, Attendee, Event, Invitation, Meeting, Position, Secrecy

EMPTY = "–"
logger = logging.getLogger(__name__)


class Description(NamedTuple):
    headline: str
    changes: list  # of (label, before, after), each in words


def describe(event):
    """The event as a Description in the active language."""
    try:
        headline, changes = DESCRIBERS[event.action](event, event.before or {}, event.after or {})
    except (KeyError, TypeError, ValueError):
        # Data of a shape the describer does not know must not take the record's page down: the kind of
        # event and its subject still say what happened. tests/test_event_log_text.py keeps this path unused.
        logger.warning("Event %s (%s) has data its describer cannot read", event.pk, event.action)
        return Description(
            _("%(event)s: %(subject)s") % {"event": capfirst(event.get_action_display()), "subject": event.subject}, []
        )
    return Description(headline, [(label, before or EMPTY, after or EMPTY) for label, before, after in changes])


def sentence(event):
    """The event as one line of text, for the exports."""
    headline, changes = describe(event)
    if not changes:
        return headline
    return "{}: {}".format(headline, "; ".join(_change(label, before, after) for label, before, after in changes))


def _change(label, before, after):
    # A value set where there was none reads as the value alone: "Kommentar: Helgdag", not "– → Helgdag".
    change = after if before == EMPTY else _("%(before)s → %(after)s") % {"before": before, "after": after}
    return f"{label}: {change}" if label else change


def when(event):
    """The event's moment as a person reads it, in Stockholm time with the date written out."""
    return stockholm_moment(event.created_at)


def _party(event):
    return event.party.short_name if event.party else EMPTY


def _choice(choices, value):
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _slot(data):
    """A slot stored as ISO start and end."""
    return period_label(datetime.datetime.fromisoformat(data["start"]), datetime.datetime.fromisoformat(data["end"]))


def _plain(name, value):
    return "" if value is None else str(value)


def _fields(model, names, before, after, words=_plain):
    """The changed fields of a row, labelled by the model's own field names."""
    return [
        (
            str(model._meta.get_field(name).verbose_name).capitalize(),
            words(name, before.get(name)),
            words(name, after.get(name)),
        )
        for name in names
        if name in before or name in after
    ]


def _meeting_words(name, value):
    if name == "answer_deadline" and value:
        return plain_date(datetime.date.fromisoformat(value))
    return _plain(name, value)


def _minutes(value):
    return ngettext("%(minutes)s minute", "%(minutes)s minutes", value) % {"minutes": value}


def _role(state):
    # A change keeps only what changed (services.base.event_row): a required flag alone was an invited party's,
    # and a role alone changed between convening and a required invitation.
    if not state:
        return ""
    if state.get("role", Invitation.Role.INVITED) == Invitation.Role.CONVENING:
        return _("convening party")
    return _("invited party, must attend") if state.get("required", True) else _("invited party, may attend")


def _with_reason(headline, after):
    if not after.get("reason"):
        return headline, []
    return _("%(event)s. Reason: %(reason)s") % {"event": headline, "reason": after["reason"]}, []


def meeting_created(event, before, after):
    return _("The meeting “%(title)s” was created") % {"title": event.subject}, []


def meeting_edited(event, before, after):
    return _("The meeting's details were changed"), _fields(
        Meeting, [f.name for f in Meeting._meta.fields], before, after, _meeting_words
    )


def polling_opened(event, before, after):
    return _("The meeting was opened for answers"), []


def party_invited(event, before, after):
    if not before:
        return _("%(party)s was invited as %(role)s") % {"party": event.subject, "role": _role(after)}, []
    return _("The role of %(party)s was changed") % {"party": event.subject}, [("", _role(before), _role(after))]


def party_uninvited(event, before, after):
    return _("%(party)s was removed from the meeting") % {"party": event.subject}, []


def party_created(event, before, after):
    return _("%(party)s was brought into Samråd") % {"party": event.subject}, []


def slot_proposed(event, before, after):
    return _("A time was proposed: %(slot)s") % {"slot": _slot(after)}, []


def slot_withdrawn(event, before, after):
    return _("A time was withdrawn: %(slot)s") % {"slot": _slot(before)}, []


def _answer(value):
    return _choice(Answer.Value, value)


def answer(event, before, after):
    headline = _("Answer for %(party)s on %(slot)s") % {
        "party": _party(event),
        "slot": wall_clock_period_label(event.subject),
    }
    changes = [("", _answer(before.get("value")), _answer(after.get("value")))]
    if before.get("comment") or after.get("comment"):
        changes.append((_("Comment"), before.get("comment"), after.get("comment")))
    return headline, changes


def slot_confirmed(event, before, after):
    return _with_reason(_("The time was confirmed: %(slot)s") % {"slot": _slot(after)}, after)


def meeting_rescheduled(event, before, after):
    if "start" in after:
        headline = _("The meeting was moved from %(before)s to %(after)s") % {
            "before": _slot(before),
            "after": _slot(after),
        }
        return _with_reason(headline, after)
    headline = _("The meeting went back to proposing times; %(slot)s no longer holds") % {"slot": _slot(before)}
    return _with_reason(headline, after)


def meeting_cancelled(event, before, after):
    return _with_reason(_("The meeting was cancelled"), after)


def meeting_held(event, before, after):
    return _("The meeting was marked as held"), []


def _attendee(data):
    words = [data["name"]]
    if data.get("title") and data["title"] != data["name"]:
        words.append(data["title"])
    words.append(_choice(Attendee.Kind, data.get("kind")))
    return ", ".join(words)


def attendee_named(event, before, after):
    return _("Attendee named for %(party)s: %(attendee)s") % {"party": _party(event), "attendee": _attendee(after)}, []


def attendee_removed(event, before, after):
    return _("Attendee removed: %(attendee)s") % {"attendee": _attendee(before)}, []


def attendance_confirmed(event, before, after):
    return _("The attendance of %(name)s was confirmed") % {"name": event.subject}, []


def attendance_unconfirmed(event, before, after):
    return _("The confirmation of the attendance of %(name)s was taken back") % {"name": event.subject}, []


def meeting_copied(event, before, after):
    items = len(after.get("agenda_items", []))
    if "copied_from" in after:
        return ngettext(
            "Created as a copy of the cancelled meeting “%(title)s” (meeting number %(number)s), with %(count)s "
            "agenda item",
            "Created as a copy of the cancelled meeting “%(title)s” (meeting number %(number)s), with %(count)s "
            "agenda items",
            items,
        ) % {"title": event.subject, "number": after["copied_from"], "count": items}, []
    return _("The meeting was copied to a new draft (meeting number %(number)s)") % {"number": after.get("copy")}, []


def follow_up_planned(event, before, after):
    items = len(after.get("agenda_items", []))
    if "follows" in after:
        return ngettext(
            "Planned as the follow-up of “%(title)s” (meeting number %(number)s), with %(count)s agenda item",
            "Planned as the follow-up of “%(title)s” (meeting number %(number)s), with %(count)s agenda items",
            items,
        ) % {"title": event.subject, "number": after["follows"], "count": items}, []
    return _("A follow-up meeting was planned (meeting number %(number)s)") % {"number": after.get("follow_up")}, []


def agenda_item_proposed(event, before, after):
    if not after.get("presenting_party"):
        return _("Agenda item proposed: “%(title)s”, %(minutes)s") % {
            "title": event.subject,
            "minutes": _minutes(after.get("planned_minutes")),
        }, []
    return _("Agenda item proposed: “%(title)s”, presented by %(party)s, %(minutes)s") % {
        "title": event.subject,
        "party": after["presenting_party"],
        "minutes": _minutes(after.get("planned_minutes")),
    }, []


def agenda_item_edited(event, before, after):
    return _("Agenda item “%(title)s” was changed") % {"title": event.subject}, _fields(
        AgendaItem, ["title", "description", "presenting_party", "planned_minutes"], before, after
    )


def agenda_item_accepted(event, before, after):
    return _("Agenda item “%(title)s” was accepted as item %(number)s") % {
        "title": event.subject,
        "number": after.get("order"),
    }, []


def agenda_item_declined(event, before, after):
    return _with_reason(_("Agenda item “%(title)s” was declined") % {"title": event.subject}, after)


def _order(titles):
    return ", ".join(f"{number}. {title}" for number, title in enumerate(titles or [], start=1))


def agenda_reordered(event, before, after):
    return _("The agenda was reordered (“%(title)s” moved)") % {"title": event.subject}, [
        ("", _order(before.get("order")), _order(after.get("order")))
    ]


def _state(value):
    return _choice(Position.State, value)


def position_saved(event, before, after):
    headline = _("%(party)s's position on “%(title)s” was saved (version %(version)s, %(state)s)") % {
        "party": _party(event),
        "title": event.subject,
        "version": after.get("version"),
        "state": _state(after.get("state")),
    }
    return headline, [(_("Text"), before.get("text"), after.get("text"))]


def position_shared(event, before, after):
    return _("%(party)s's position on “%(title)s” was shared (version %(version)s)") % {
        "party": _party(event),
        "title": event.subject,
        "version": after.get("version"),
    }, []


def position_withdrawn(event, before, after):
    return _("%(party)s's position on “%(title)s” was withdrawn to a draft (version %(version)s)") % {
        "party": _party(event),
        "title": event.subject,
        "version": after.get("version"),
    }, []


def _document(data):
    if data.get("size") is None:
        return data["name"]
    return "{} ({})".format(data["name"], filesizeformat(data["size"]))


def document_added(event, before, after):
    return _("Document added: %(document)s") % {"document": _document(after)}, []


def document_replaced(event, before, after):
    return _("A document was replaced"), [("", _document(before), _document(after))]


def reminder_sent(event, before, after):
    return _("A reminder to answer was sent to %(parties)s") % {
        "parties": get_text_list(after.get("parties", []), _("and"))
    }, []


def calendar_reply(event, before, after):
    changes = [("", _choice(Attendee.Rsvp, before.get("rsvp")), _choice(Attendee.Rsvp, after.get("rsvp")))]
    if before.get("comment") or after.get("comment"):
        changes.append((_("Comment"), before.get("comment"), after.get("comment")))
    return _("%(name)s answered the invitation in their calendar") % {"name": event.subject}, changes


def log_exported(event, before, after):
    return _("The event log was exported as %(format)s for the registry of %(party)s") % {
        "format": event.subject,
        "party": _party(event),
    }, []


def package_exported(event, before, after):
    return _("A diarium package was downloaded for the registry of %(party)s") % {"party": _party(event)}, []


def answers_exported(event, before, after):
    return _("The answers per time were downloaded as %(format)s by %(party)s") % {
        "format": event.subject,
        "party": _party(event),
    }, []


def mail_resent(event, before, after):
    return _("The address of %(name)s was corrected and the mail sent again") % {"name": event.subject}, [
        ("", before.get("email"), after.get("email"))
    ]


def guest_added(event, before, after):
    may = _("may answer for the party") if after.get("may_answer") else _("may read only")
    return _("Guest added: %(name)s (%(email)s), %(may)s") % {
        "name": after.get("name", event.subject),
        "email": after.get("email"),
        "may": may,
    }, []


def guest_revoked(event, before, after):
    return _("The guest link of %(name)s was revoked") % {"name": event.subject}, []


def registration_number_set(event, before, after):
    return _("Registration number of %(party)s") % {"party": event.subject}, [
        ("", before.get("registration_number"), after.get("registration_number"))
    ]


def minute_taker_named(event, before, after):
    return _("Minute-taker"), [("", before.get("minute_taker"), after.get("minute_taker"))]


def minutes_saved(event, before, after):
    headline = _("The minutes of “%(title)s” were saved (version %(version)s)") % {
        "title": event.subject,
        "version": after.get("version"),
    }
    return headline, [(_("Text"), before.get("text"), after.get("text"))]


def _presence(value):
    if value is None:
        return EMPTY
    return _("present") if value else _("absent")


def presence_recorded(event, before, after):
    if "name" in after:  # someone who came without being a confirmed attendee
        return _("%(name)s (%(party)s) was added as present") % {"name": after["name"], "party": after["party"]}, []
    return _("Who was present"), [(name, _presence(before.get(name)), _presence(now)) for name, now in after.items()]


def agreement_added(event, before, after):
    return _("Agreement on “%(title)s”: %(text)s. Behind it: %(parties)s") % {
        "title": event.subject,
        "text": after.get("text"),
        "parties": get_text_list(after.get("parties", []), _("and")) or EMPTY,
    }, []


def _decided_on(data):
    return plain_date(datetime.date.fromisoformat(data["decided_on"])) if data.get("decided_on") else ""


def decision_recorded(event, before, after):
    headline = _("%(party)s's decision on the agreement “%(agreement)s”") % {
        "party": _party(event),
        "agreement": event.subject,
    }
    return headline, [
        (_("Decided by"), before.get("body"), after.get("body")),
        (_("Date"), _decided_on(before), _decided_on(after)),
        (_("Registration number"), before.get("registration_number"), after.get("registration_number")),
    ]


def action_added(event, before, after):
    headline = _("Action on “%(title)s”: %(what)s, for %(owner)s by %(due)s") % {
        "title": event.subject,
        "what": after.get("what"),
        "owner": after.get("owner"),
        "due": plain_date(datetime.date.fromisoformat(after["due_on"])),
    }
    return headline, [(_("Person"), "", after.get("person"))] if after.get("person") else []


def action_status_changed(event, before, after):
    changes = [("", _choice(Action.Status, before.get("status")), _choice(Action.Status, after.get("status")))]
    if after.get("reason"):
        changes.append((_("Reason"), before.get("reason"), after.get("reason")))
    return _("Status of the action “%(what)s”") % {"what": event.subject}, changes


def _secrecy(marking):
    """A stored marking in words, as the record's badge reads: "Omfattas av sekretess (OSL 18 kap. 1 §)"."""
    if not marking or not marking.get("secrecy"):
        return _("Not marked")
    label = _choice(Secrecy, marking["secrecy"])
    return f"{label} ({marking['provision']})" if marking.get("provision") else label


def secrecy_marked(event, before, after):
    """A marking set, changed or taken off: which record, and the marking before and after."""
    record = after.get("record")
    if record == "agenda_item":
        headline = _("Secrecy marking of the agenda item “%(title)s”") % {"title": event.subject}
    elif record == "position":
        headline = _("Secrecy marking of the position of %(party)s on “%(title)s”") % {
            "party": _party(event),
            "title": event.subject,
        }
    else:
        headline = _("Secrecy marking of the document %(name)s") % {"name": event.subject}
    return headline, [("", _secrecy(before.get("marking")), _secrecy(after.get("marking")))]


def reviewer_named(event, before, after):
    return _("Reviewer of the minutes for %(party)s") % {"party": event.subject}, [
        (
            "",
            before.get("reviewer") or _("the party's coordinators"),
            after.get("reviewer") or _("the party's coordinators"),
        )
    ]


def minutes_sent_for_review(event, before, after):
    return _("Version %(number)s of the minutes was sent for review") % {"number": after.get("version")}, []


def minutes_commented(event, before, after):
    return _("%(party)s commented on “%(title)s” in version %(number)s of the minutes") % {
        "party": _party(event),
        "title": event.subject,
        "number": after.get("version"),
    }, []


def minutes_taken_back(event, before, after):
    return _("Version %(number)s of the minutes was taken back to be revised") % {"number": after.get("version")}, []


def minutes_approved(event, before, after):
    return _("%(party)s approved version %(number)s of the minutes") % {
        "party": _party(event),
        "number": after.get("version"),
    }, []


def minutes_locked(event, before, after):
    return _("Every party has approved version %(number)s: the minutes are locked") % {
        "number": after.get("version")
    }, []


def minutes_corrected(event, before, after):
    if event.subject:
        headline = _("Correction %(number)s of the minutes, on “%(title)s”") % {
            "number": after.get("number"),
            "title": event.subject,
        }
    else:
        headline = _("Correction %(number)s of the minutes") % {"number": after.get("number")}
    return headline, [(_("Text"), "", after.get("text"))]


A = Event.Action
DESCRIBERS = {
    A.MEETING_CREATED: meeting_created,
    A.MEETING_EDITED: meeting_edited,
    A.POLLING_OPENED: polling_opened,
    A.PARTY_INVITED: party_invited,
    A.PARTY_UNINVITED: party_uninvited,
    A.PARTY_CREATED: party_created,
    A.SLOT_PROPOSED: slot_proposed,
    A.SLOT_WITHDRAWN: slot_withdrawn,
    A.ANSWER_GIVEN: answer,
    A.ANSWER_CHANGED: answer,
    A.SLOT_CONFIRMED: slot_confirmed,
    A.MEETING_RESCHEDULED: meeting_rescheduled,
    A.MEETING_CANCELLED: meeting_cancelled,
    A.MEETING_HELD: meeting_held,
    A.ATTENDEE_NAMED: attendee_named,
    A.ATTENDEE_REMOVED: attendee_removed,
    A.ATTENDANCE_CONFIRMED: attendance_confirmed,
    A.ATTENDANCE_UNCONFIRMED: attendance_unconfirmed,
    A.MEETING_COPIED: meeting_copied,
    A.FOLLOW_UP_PLANNED: follow_up_planned,
    A.AGENDA_ITEM_PROPOSED: agenda_item_proposed,
    A.AGENDA_ITEM_EDITED: agenda_item_edited,
    A.AGENDA_ITEM_ACCEPTED: agenda_item_accepted,
    A.AGENDA_ITEM_DECLINED: agenda_item_declined,
    A.AGENDA_REORDERED: agenda_reordered,
    A.POSITION_SAVED: position_saved,
    A.POSITION_SHARED: position_shared,
    A.POSITION_WITHDRAWN: position_withdrawn,
    A.DOCUMENT_ADDED: document_added,
    A.DOCUMENT_REPLACED: document_replaced,
    A.REMINDER_SENT: reminder_sent,
    A.CALENDAR_REPLY: calendar_reply,
    A.LOG_EXPORTED: log_exported,
    A.PACKAGE_EXPORTED: package_exported,
    A.ANSWERS_EXPORTED: answers_exported,
    A.MAIL_RESENT: mail_resent,
    A.GUEST_ADDED: guest_added,
    A.GUEST_REVOKED: guest_revoked,
    A.REGISTRATION_NUMBER_SET: registration_number_set,
    A.MINUTE_TAKER_NAMED: minute_taker_named,
    A.MINUTES_SAVED: minutes_saved,
    A.PRESENCE_RECORDED: presence_recorded,
    A.AGREEMENT_ADDED: agreement_added,
    A.DECISION_RECORDED: decision_recorded,
    A.ACTION_ADDED: action_added,
    A.ACTION_STATUS_CHANGED: action_status_changed,
    A.SECRECY_MARKED: secrecy_marked,
    A.SECRECY_UNMARKED: secrecy_marked,
    A.REVIEWER_NAMED: reviewer_named,
    A.MINUTES_SENT_FOR_REVIEW: minutes_sent_for_review,
    A.MINUTES_COMMENTED: minutes_commented,
    A.MINUTES_TAKEN_BACK: minutes_taken_back,
    A.MINUTES_APPROVED: minutes_approved,
    A.MINUTES_LOCKED: minutes_locked,
    A.MINUTES_CORRECTED: minutes_corrected,
}

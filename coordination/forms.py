"""Forms validate and convert what people type; they never change anything."""

import datetime
import unicodedata
import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.db.models.fields import BLANK_CHOICE_DASH
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import documents, mail, sso, times
from .formatting import format_date, format_time, plain_date, slot_label
from .models import (
    NAME_LENGTH,
    Action,
    AgendaItem,
    Agreement,
    Answer,
    Attendee,
    DecisionReference,
    Guest,
    Invitation,
    Meeting,
    Membership,
    MinutesCorrection,
    MinutesEntry,
    NoticePreferences,
    OutboxMessage,
    Party,
    ReviewComment,
    Secrecy,
    SecrecyMarked,
    default_contact,
    person_name,
)
from .services.meetings import DETAIL_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class FormTokenField(forms.UUIDField):
    """A one-time token, new with every form shown, by which a second post of it is recognised.

    The created row keeps it (see services.created_by_form). A post without one is not refused,
    it only goes without that protection.
    """

    widget = forms.HiddenInput

    def __init__(self):
        super().__init__(required=False, initial=uuid.uuid4)


# Bidi embeddings, overrides and isolates reorder the text around them: a name or a file name could be
# made to read as something else. The plain marks (U+200E, U+200F) only nudge and are kept.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A text area takes line breaks and tabs; a one-line field takes none, as what it holds ends up in mail
# headers and calendar lines. NUL is left to Django's own check, which every CharField has.
MULTILINE_ALLOWED = frozenset("\t\n\r\x00")
ONE_LINE_ALLOWED = frozenset("\x00")


def has_control_characters(text, *, multiline):
    allowed = MULTILINE_ALLOWED if multiline else ONE_LINE_ALLOWED
    return any((unicodedata.category(char) == "Cc" and char not in allowed) or char in BIDI_CONTROLS for char in text)


# What a select offers before anything is chosen: a word, not Django's "---------", which a screen reader spells out.
EMPTY_CHOICE = _("Choose …")
_DASHES = BLANK_CHOICE_DASH[0][1]


def name_empty_choices(fields):
    """Every select's empty choice says "Choose …" where Django would show dashes; a chosen word is kept."""
    for field in fields.values():
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label == _DASHES:
                field.empty_label = EMPTY_CHOICE
        elif isinstance(field, forms.ChoiceField):
            choices = list(field.choices)
            if any(label == _DASHES for _value, label in choices):
                field.choices = [(value, EMPTY_CHOICE if label == _DASHES else label) for value, label in choices]


class PlainTextForm(forms.BaseForm):
    """The base of every form of the app: what people type is text, not terminal or bidi control codes.

    Such characters are invisible in the page but break mail headers and
    calendar files, and can make one text read as another, so they are
    refused with a message that says what to do. Its selects start with a word (name_empty_choices).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_empty_choices(self.fields)

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if not isinstance(value, str) or name not in self.fields:
                continue
            multiline = isinstance(self.fields[name].widget, forms.Textarea)
            if has_control_characters(value, multiline=multiline):
                self.add_error(
                    name,
                    _(
                        "The text contains invisible control characters, perhaps from a copied text. Remove them; "
                        "only line breaks and tabs are allowed, and only in longer texts."
                    ),
                )
        return cleaned


class PartyChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def clean(self, value):
        # Django checks each id with a lookup that knows the database's integer range, then fetches them
        # together with one that does not: an id no row can have would overflow SQLite's integers.
        for pk in value or ():
            if not (str(pk).isdecimal() and len(str(pk)) <= 18):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)


class MeetingForm(PlainTextForm, forms.ModelForm):
    convening = PartyChoiceField(
        queryset=Party.objects.all(),
        label=_("Convening parties"),
        help_text=_("The parties that call the meeting. Their coordinators confirm the time."),
    )
    required_parties = PartyChoiceField(
        queryset=Party.objects.all(), required=False, label=_("Invited parties (required)")
    )
    optional_parties = PartyChoiceField(
        queryset=Party.objects.all(), required=False, label=_("Invited parties (optional)")
    )
    # A link typed without a scheme is a video meeting address: https, as Django 6 will assume.
    video_link = forms.URLField(label=_("Video link"), max_length=500, required=False, assume_scheme="https")
    form_token = FormTokenField()
    # The meeting as it was when the form was opened (Meeting.edit_version); an edit without it is not
    # checked, as before this field existed.
    base_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    class Meta:
        model = Meeting
        fields = list(DETAIL_FIELDS)
        widgets = {"answer_deadline": DateInput(), "purpose": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"contact_name": _("Named on the kallelse for questions about the meeting.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["duration_minutes"].min_value = 15
        self.fields["duration_minutes"].widget.attrs.update(min=15, max=600)
        if self.instance.pk:
            self.initial["base_version"] = self.instance.edit_version
            invitations = list(self.instance.invitations.all())
            self.initial["convening"] = [i.party_id for i in invitations if i.is_convening]
            self.initial["required_parties"] = [i.party_id for i in invitations if not i.is_convening and i.required]
            self.initial["optional_parties"] = [
                i.party_id for i in invitations if not i.is_convening and not i.required
            ]
        else:
            self.initial.setdefault("convening", list(self.coordinator_party_ids()))
            for name, value in default_contact(user).items():
                self.initial.setdefault(name, value)

    def meeting_arguments(self):
        """The cleaned form as services.save_meeting takes it."""
        data = self.cleaned_data
        return {
            "details": {name: data[name] for name in self._meta.fields},
            "convening": data["convening"],
            "required": data["required_parties"],
            "optional": data["optional_parties"],
            "base_version": data.get("base_version") or None,
        }

    @classmethod
    def details_of(cls, meeting):
        return {name: getattr(meeting, name) for name in cls._meta.fields}

    def show_changed_meanwhile(self, now):
        """After MeetingChanged: the user's own values stay, each detail that differs says what it is now."""
        for name, value in now.items():
            if self.cleaned_data.get(name, value) != value:
                shown = value if value not in (None, "") else "–"
                self.add_error(name, _("Changed meanwhile to: %(value)s") % {"value": shown})

    def coordinator_party_ids(self):
        return set(
            Membership.objects.filter(user=self.user, role=Membership.Role.COORDINATOR).values_list(
                "party_id", flat=True
            )
        )

    def clean_duration_minutes(self):
        minutes = self.cleaned_data["duration_minutes"]
        if not 15 <= minutes <= 600:
            raise forms.ValidationError(_("The planned duration must be between 15 and 600 minutes."))
        return minutes

    def clean_answer_deadline(self):
        deadline = self.cleaned_data.get("answer_deadline")
        if deadline and deadline < timezone.localdate() and deadline != self.initial.get("answer_deadline"):
            raise forms.ValidationError(_("The answer deadline cannot be in the past."))
        return deadline

    def clean(self):
        cleaned = super().clean()
        convening = set(cleaned.get("convening") or [])
        required = set(cleaned.get("required_parties") or [])
        optional = set(cleaned.get("optional_parties") or [])
        if (convening & required) or (convening & optional) or (required & optional):
            raise forms.ValidationError(_("A party can only have one place in the meeting."))
        if convening and not {p.pk for p in convening} & self.coordinator_party_ids():
            self.add_error("convening", _("One of the convening parties must be a party you coordinate."))
        return cleaned


# Far-future dates are typing mistakes; refusing them also keeps date arithmetic in range.
MAX_DAYS_AHEAD = 3 * 366


class SlotForm(PlainTextForm, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Start"), widget=TimeInput())
    end_time = forms.TimeField(
        label=_("End"), widget=TimeInput(), required=False, help_text=_("Empty: the planned duration.")
    )
    repeated_hour = forms.ChoiceField(
        label=_("If the time falls in the hour that repeats when summer time ends"),
        choices=[
            ("", EMPTY_CHOICE),
            (times.SUMMER_TIME, _("The first time (summer time, UTC+2)")),
            (times.STANDARD_TIME, _("The second time (standard time, UTC+1)")),
        ],
        required=False,
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        # Filled by clean() for a valid time: what may make it hard to meet then (see warnings_for).
        self.flags, self.warnings = [], []

    @property
    def repeated_hour_asked(self):
        """Whether the page asks which of the two times is meant: after it was needed or chosen, not on every row."""
        return bool(self["repeated_hour"].errors or self["repeated_hour"].value())

    def _note_warnings(self, start):
        day = start.date()
        self.flags = times.day_flags(day)
        if self.flags:
            self.warnings.append(
                _("%(date)s: %(flags)s. Many people are away then.")
                % {"date": format_date(start), "flags": ", ".join(flag.name for flag in self.flags)}
            )
        deadline = self.meeting.answer_deadline
        if deadline and day <= deadline:
            self.warnings.append(
                _(
                    "The time is on or before the answer deadline, %(deadline)s: the parties may not have answered by then."
                )
                % {"deadline": plain_date(deadline)}
            )

    @staticmethod
    def _describe(date, time):
        """The date and wall-clock time as the user reads them, for error messages."""
        wall_clock = datetime.datetime.combine(date, time)
        return {"date": format_date(wall_clock), "time": format_time(wall_clock)}

    def _aware(self, field, date, time, repeated_hour):
        try:
            return times.stockholm_datetime(date, time, repeated_hour)
        except times.NonexistentTime:
            self.add_error(
                field,
                _(
                    "%(time)s does not exist on %(date)s: the clocks are put forward one hour when summer "
                    "time begins. Choose another time."
                )
                % self._describe(date, time),
            )
        except times.AmbiguousTime:
            self.add_error(
                "repeated_hour",
                _("%(time)s occurs twice on %(date)s because summer time ends. Choose which of the two you mean.")
                % self._describe(date, time),
            )
        return None

    def clean(self):
        cleaned = super().clean()
        date, start_time = cleaned.get("date"), cleaned.get("start_time")
        if date is None or start_time is None:
            return cleaned
        if date > timezone.localdate() + datetime.timedelta(days=MAX_DAYS_AHEAD):
            self.add_error("date", _("Propose a time within the next three years."))
            return cleaned
        if date < timezone.localdate():
            # Said before any conversion: a date such as 0001-01-01 has no UTC time to convert to.
            self.add_error("start_time", _("The time has already passed. Propose a time in the future."))
            return cleaned
        repeated_hour = cleaned.get("repeated_hour")
        start = self._aware("start_time", date, start_time, repeated_hour)
        if start is None:
            return cleaned
        if cleaned.get("end_time"):
            end = self._aware("end_time", date, cleaned["end_time"], repeated_hour)
        else:
            # Added in UTC: across a clock change the meeting still lasts its planned minutes.
            end = times.to_stockholm(
                start.astimezone(datetime.UTC) + datetime.timedelta(minutes=self.meeting.duration_minutes)
            )
        if end is None:
            return cleaned
        if end <= start:
            self.add_error("end_time", _("The end must be after the start."))
        elif start <= timezone.now():
            self.add_error("start_time", _("The time has already passed. Propose a time in the future."))
        elif self.meeting.slots.active().filter(start=start, end=end).exists():
            self.add_error("start_time", _("This time has already been proposed."))
        else:
            cleaned["start"], cleaned["end"] = start, end
            self._note_warnings(start)
        return cleaned


class BaseSlotFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            times_ = (form.cleaned_data.get("start"), form.cleaned_data.get("end"))
            if times_[0] is None:
                continue
            if times_ in seen:
                raise forms.ValidationError(_("The same time is listed twice."))
            seen.add(times_)
        if not seen:
            raise forms.ValidationError(_("Fill in at least one time."))

    @property
    def times(self):
        return [(f.cleaned_data["start"], f.cleaned_data["end"]) for f in self.forms if f.cleaned_data.get("start")]

    # The second submit button's name, shown with the warnings: the times are saved as they are.
    SAVE_ANYWAY = "save_anyway"

    @property
    def has_warnings(self):
        return any(form.warnings for form in self.forms)

    def ready_to_save(self):
        """Valid, and either without warnings or saved anyway: a warning asks once, it never refuses."""
        return self.is_valid() and (not self.has_warnings or bool(self.data.get(self.SAVE_ANYWAY)))


# Six rows without script, so that a week's worth of times goes in one submit; the page's script adds rows up to
# the maximum. absolute_max: Django would otherwise build up to 1,010 forms for a tampered TOTAL_FORMS, seconds of
# work each time.
SlotFormSet = forms.formset_factory(
    SlotForm, formset=BaseSlotFormSet, extra=6, max_num=10, absolute_max=10, validate_max=True
)


def one_slot_data(start, end):
    """The slot form filled in with one time, as a person would: a time proposed from a calendar is added
    through the form, so that it is checked as any other."""
    start, end = times.to_stockholm(start), times.to_stockholm(end)
    return {
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-0-date": start.date().isoformat(),
        "slots-0-start_time": start.strftime("%H:%M:%S"),
        "slots-0-end_time": end.strftime("%H:%M:%S"),
        "slots-0-repeated_hour": times.STANDARD_TIME if start.fold else times.SUMMER_TIME,
    }


class AnswerForm(PlainTextForm, forms.Form):
    """One party's answers to every open slot at once: a radio group and a comment per slot."""

    def __init__(self, *args, meeting, current, party, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = self._slots(meeting)
        for slot in self.slots:
            answer = current.get(slot.pk)
            label = slot_label(slot)
            self.fields[f"answer_{slot.pk}"] = forms.ChoiceField(
                label=_("%(slot)s, %(party)s") % {"slot": label, "party": party.short_name},
                choices=Answer.Value,
                widget=forms.RadioSelect,
                required=False,
                initial=answer.value if answer else None,
            )
            self.fields[f"comment_{slot.pk}"] = forms.CharField(
                label=_("Comment on %(slot)s") % {"slot": label},
                max_length=500,
                required=False,
                initial=answer.comment if answer else "",
            )

    def _slots(self, meeting):
        """The open slots, plus any slot the posted form answers that was withdrawn since it was shown.

        Keeping those lets the answers reach the rule that refuses them, instead
        of silently saving the rest of a stale form.
        """
        # Matched as text against the meeting's own slots: a posted key never reaches the database.
        posted = {key.removeprefix("answer_") for key in self.data if key.startswith("answer_")}
        return [
            slot for slot in meeting.slots.order_by("start", "end") if not slot.is_withdrawn or str(slot.pk) in posted
        ]

    @property
    def rows(self):
        return [(slot, self[f"answer_{slot.pk}"], self[f"comment_{slot.pk}"]) for slot in self.slots]

    def clean(self):
        cleaned = super().clean()
        for slot in self.slots:
            if cleaned.get(f"comment_{slot.pk}") and not cleaned.get(f"answer_{slot.pk}"):
                self.add_error(f"answer_{slot.pk}", _("Choose an answer for the time you commented on."))
        return cleaned

    @property
    def answers(self):
        """slot id -> (value, comment) for the slots that got an answer."""
        return {
            slot.pk: (self.cleaned_data[f"answer_{slot.pk}"], self.cleaned_data[f"comment_{slot.pk}"].strip())
            for slot in self.slots
            if self.cleaned_data.get(f"answer_{slot.pk}")
        }


class ConfirmForm(PlainTextForm, forms.Form):
    reason = forms.CharField(
        label=_("Reason for confirming although a required party cannot attend"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, reason_needed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_needed
        if not reason_needed:
            self.fields["reason"].widget = forms.HiddenInput()


class RescheduleForm(PlainTextForm, forms.Form):
    """Where to move a scheduled meeting: another proposed time, a time typed in, or back to polling."""

    POLLING = "polling"
    NEW_TIME = "new"
    target = forms.ChoiceField(label=_("New time"), widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Shown to every party on the meeting page and in the update mail."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, meeting, rows, **kwargs):
        """``rows`` are the grid's rows (overview.SlotRow) of the times the meeting can move to."""
        super().__init__(*args, **kwargs)
        self.rows = {str(row.slot.pk): row for row in rows}
        self.fields["target"].choices = [
            *((pk, row.label) for pk, row in self.rows.items()),
            (self.NEW_TIME, _("Another time, typed in below")),
            (self.POLLING, _("Back to polling: the parties answer again")),
        ]
        # The typed time goes through the slot form, so that it is checked as any proposed time is (the
        # spring gap, the repeated autumn hour, a time passed). Only a post that chose it fills it in: the
        # empty fields of another choice are no error.
        typed = self.is_bound and self.data.get(self.add_prefix("target")) == self.NEW_TIME
        self.new_time = SlotForm(self.data if typed else None, meeting=meeting, prefix="new")

    @property
    def slot_options(self):
        """(radio, SlotRow) for each proposed time, so that the page shows each one's answers beside it."""
        return list(zip(self["target"], self.rows.values(), strict=False))

    @property
    def other_options(self):
        """The radios of a typed time and of the move back to polling."""
        return list(self["target"])[len(self.rows) :]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("target") == self.NEW_TIME and not self.new_time.is_valid():
            self.add_error("target", _("Check the new time below."))
        return cleaned

    @property
    def slot(self):
        row = self.rows.get(self.cleaned_data["target"])
        return row.slot if row else None

    @property
    def typed_time(self):
        """The typed time as (start, end), aware; None unless it was chosen."""
        if self.cleaned_data["target"] != self.NEW_TIME:
            return None
        return self.new_time.cleaned_data["start"], self.new_time.cleaned_data["end"]


class CancelForm(PlainTextForm, forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class NewDraftForm(forms.Form):
    """One button that makes a new draft (a copy, a follow-up); its token makes a second click return the draft
    the first made."""

    form_token = FormTokenField()


class AttendeeForm(PlainTextForm, forms.Form):
    user = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        label=_("Person in the party"),
        help_text=_("Or leave empty and write the name and e-mail of someone without an account."),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=Attendee._meta.get_field("email").max_length, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Principal or deputy"), choices=Attendee.Kind.choices)
    form_token = FormTokenField()

    def __init__(self, *args, party, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = party.memberships.select_related("user").order_by("user__first_name")
        self.fields["user"].label_from_instance = lambda m: m.user.get_full_name() or m.user.get_username()

    def clean(self):
        cleaned = super().clean()
        membership = cleaned.get("user")
        if membership:
            user = membership.user
            cleaned["user"] = user
            cleaned["name"] = cleaned.get("name") or person_name(user)
            cleaned["email"] = cleaned.get("email") or user.email
            cleaned["title"] = cleaned.get("title") or membership.title
        elif not cleaned.get("name"):
            self.add_error("name", _("Choose a person or write a name."))
        return cleaned


class CorrectAddressForm(PlainTextForm, forms.Form):
    email = forms.EmailField(
        label=_("Correct address"), max_length=OutboxMessage._meta.get_field("recipient").max_length
    )


class AgendaItemForm(PlainTextForm, forms.ModelForm):
    form_token = FormTokenField()
    # The item's version when the form was opened (AgendaItem.version): an edit based on an older one is a
    # conflict. An edit without it is not checked, as before this field existed.
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    class Meta:
        model = AgendaItem
        fields = ["title", "description", "presenting_party", "planned_minutes"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presenting_party"].queryset = Party.objects.filter(invitations__meeting=meeting)
        self.fields["presenting_party"].empty_label = _("Not decided")
        self.fields["planned_minutes"].widget.attrs.update(min=1, max=600)
        if self.instance.pk:
            self.initial.setdefault("base_version", self.instance.version)

    def clean_planned_minutes(self):
        minutes = self.cleaned_data["planned_minutes"]
        if not 1 <= minutes <= 600:
            raise forms.ValidationError(_("The planned time must be between 1 and 600 minutes."))
        return minutes

    @property
    def item_fields(self):
        """The cleaned form as the agenda services take it."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class DeclineForm(PlainTextForm, forms.Form):
    reason = forms.CharField(
        label=_("Reason for declining"),
        help_text=_("Shown to every party."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class PositionForm(PlainTextForm, forms.Form):
    text = forms.CharField(
        label=_("Position"),
        help_text=_("Paragraphs, lists (- or 1.), **bold**, *italics* and links [text](https://…) are kept."),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=20000,
    )
    # The version the editor started from: a save based on an older one is a conflict.
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class SecrecyForm(PlainTextForm, forms.Form):
    """A record's secrecy marking: none, under review, or covered under a provision (services/secrecy.py)."""

    # The radio needs a value for "none" that is not empty: a post with no choice at all is refused, not taken
    # as taking the marking off.
    NONE = "none"

    secrecy = forms.ChoiceField(
        label=_("Secrecy marking"),
        choices=[(NONE, _("Not marked")), *Secrecy.choices],
        widget=forms.RadioSelect,
        help_text=_(
            "A marked record is shown in Samråd as before, with its marking. It never leaves Samråd: mail and "
            "calendar files give only its title and the marking."
        ),
    )
    provision = forms.CharField(
        label=_("Provision"),
        max_length=SecrecyMarked._meta.get_field("secrecy_provision").max_length,
        required=False,
        help_text=_("The provision of the secrecy act, e.g. OSL 18 kap. 1 §. Needed for “Covered by secrecy”."),
    )
    # The marking's version the form was opened on: a change based on an older one is a conflict.
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("secrecy") == Secrecy.COVERED and not (cleaned.get("provision") or "").strip():
            self.add_error("provision", _("Say under which provision, e.g. OSL 18 kap. 1 §."))
        return cleaned

    @classmethod
    def initial_for(cls, record):
        return {
            "secrecy": record.secrecy or cls.NONE,
            "provision": record.secrecy_provision,
            "base_version": record.secrecy_version,
        }

    @property
    def marking(self):
        """The cleaned form as services.secrecy.mark_secrecy takes it."""
        secrecy = self.cleaned_data["secrecy"]
        return {
            "secrecy": "" if secrecy == self.NONE else secrecy,
            "provision": self.cleaned_data["provision"],
            "base_version": self.cleaned_data["base_version"],
        }


class DocumentForm(PlainTextForm, forms.Form):
    file = forms.FileField(label=_("File"))
    form_token = FormTokenField()

    def __init__(self, *args, refused_uploads=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.refused_uploads = refused_uploads
        self.fields["file"].help_text = _(
            "%(kinds)s, at most %(limit)d MB. The file name must end in the kind's ending, for example .pdf or .docx."
        ) % {"kinds": documents.accepted_kinds(), "limit": self.limit_mb}

    @property
    def limit_mb(self):
        return settings.DOCUMENT_MAX_BYTES // (1024 * 1024)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        upload.name = documents.display_name(upload.name)
        try:
            self.cleaned_data["content_type"] = documents.allowed_type(upload, upload.name)
        except documents.NotAllowed as refusal:
            raise forms.ValidationError(str(refusal)) from refusal
        self.cleaned_data["sha256"] = documents.sha256_of(upload)
        return upload

    def full_clean(self):
        super().full_clean()
        if "file" in self.refused_uploads:
            # The upload handler stopped the file while it streamed in; say why.
            self.errors.pop("file", None)
            self.add_error(
                "file",
                _("The file is larger than the limit of %(limit)d MB.") % {"limit": self.limit_mb},
            )


class OneTimeCodeForm(forms.Form):
    """The six digits from the user's authenticator app. Whether they are right is for two_factor.py to check."""

    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=_("Code from your authenticator app"),
        help_text=_("Six digits. A new code appears every 30 seconds."),
        error_messages={"invalid": _("Enter the six digits that your app shows.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 7}),
    )

    def __init__(self, *args, request=None, **kwargs):
        # Django's LoginView hands every form the request; this form does not need it.
        super().__init__(*args, **kwargs)

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class GuestCodeForm(OneTimeCodeForm):
    """The six digits mailed to a guest (services.guests.send_code): the same field, told as the mail tells it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = _("Code from the e-mail")
        code.help_text = _("Six digits, in the e-mail we have just sent you. The code works once.")
        code.error_messages["invalid"] = _("Enter the six digits from the e-mail.")


class RegistrationNumberForm(PlainTextForm, forms.ModelForm):
    """A party's own diarienummer for the meeting; empty takes it away."""

    class Meta:
        model = Invitation
        fields = ["registration_number"]
        help_texts = {"registration_number": _("Your party's reference for the meeting in its diarium.")}


class GuestForm(PlainTextForm, forms.ModelForm):
    """A guest of the party: who they are, where the link goes, and whether they may answer for the party."""

    form_token = FormTokenField()

    class Meta:
        model = Guest
        fields = ["name", "email", "may_answer"]


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's password reset form, whose mail is written to the outbox instead of sent at once.

    The request then costs the same for a known and an unknown address (a row
    written, or nothing), and a mail server that is down loses nothing: the
    worker sends the mail when it is back. Nobody who must log in through
    their provider (sso.password_refused) is sent a link; the answer is the same.
    """

    def get_users(self, email):
        return (user for user in super().get_users(email) if not sso.password_refused(user))

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        user = context["user"]
        path = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        values = {"url": mail.site_url(path), "username": user.get_username()}
        recipient = mail.Recipient(to_email, person_name(user), mail.Recipient.user(user).language)
        mail.compose(OutboxMessage.Kind.PASSWORD_RESET, recipient, lambda: values).save()


class NoticePreferencesForm(PlainTextForm, forms.ModelForm):
    """How the user gets each kind of notice: at once, in the digest, or not at all."""

    class Meta:
        model = NoticePreferences
        fields = ["open_for_answers", "all_answered", "agenda_proposed", "position_shared", "minutes_commented"]
        widgets = {name: forms.RadioSelect for name in fields}


# A party's people (services/people.py). A name is kept whole as typed, such as a directory's "Lindström, Åsa":
# splitting it into first and last name would be a guess.
PERSON_NAME_LENGTH = 150
EMAIL_LENGTH = 254


class PersonInviteForm(PlainTextForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=PERSON_NAME_LENGTH)
    email = forms.EmailField(label=_("E-mail"), max_length=EMAIL_LENGTH)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    title = forms.CharField(label=_("Title"), max_length=Membership._meta.get_field("title").max_length, required=False)


class NewPartyForm(PlainTextForm, forms.Form):
    party_name = forms.CharField(label=_("Name of the party"), max_length=Party._meta.get_field("name").max_length)
    short_name = forms.CharField(
        label=_("Short name"),
        max_length=Party._meta.get_field("short_name").max_length,
        required=False,
        help_text=_("Shown where space is short. Leave it empty to use the name."),
    )
    required = forms.BooleanField(label=_("The party must answer (required)"), required=False, initial=True)
    person = forms.CharField(label=_("Name of its coordinator"), max_length=PERSON_NAME_LENGTH)
    email = forms.EmailField(
        label=_("E-mail of its coordinator"),
        max_length=EMAIL_LENGTH,
        help_text=_("The coordinator gets a link to choose a password, then brings in the rest of the party."),
    )


class RoleForm(PlainTextForm, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


# After the meeting: the minutes, agreements and actions (views/minutes.py).


def _meeting_parties(meeting):
    return Party.objects.filter(invitations__meeting=meeting).order_by("name")


class MinuteTakerForm(PlainTextForm, forms.Form):
    minute_taker = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        label=_("Minute-taker"),
        help_text=_("Anyone of the meeting's parties. Leave empty and the convening party's secretary writes."),
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["minute_taker"]
        field.queryset = (
            Membership.objects.filter(party__invitations__meeting=meeting, user__is_active=True)
            .select_related("user", "party")
            .order_by("party__name", "user__first_name", "user__username")
        )
        field.label_from_instance = lambda m: f"{person_name(m.user)} ({m.party.short_name})"


class MinutesEntryForm(PlainTextForm, forms.Form):
    text = forms.CharField(
        label=_("Minutes"),
        help_text=_("Paragraphs, lists (- or 1.), **bold**, *italics* and links [text](https://…) are kept."),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=MinutesEntry._meta.get_field("text").max_length,
    )
    # The version the writer started from: a save based on an older one is a conflict.
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class PresenceForm(PlainTextForm, forms.Form):
    present = forms.TypedMultipleChoiceField(
        label=_("Present"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick those who were at the meeting; the others are recorded as absent."),
    )

    def __init__(self, *args, attendees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(a.pk, f"{a.name} ({a.party.short_name})") for a in attendees]


class PresentPersonForm(PlainTextForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_LENGTH)
    party = forms.ModelChoiceField(queryset=Party.objects.none(), label=_("Party"))
    form_token = FormTokenField()

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = _meeting_parties(meeting)


class AgreementForm(PlainTextForm, forms.Form):
    text = forms.CharField(
        label=_("Agreement"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=Agreement._meta.get_field("text").max_length,
    )
    parties = PartyChoiceField(queryset=Party.objects.none(), label=_("Parties behind it"))
    form_token = FormTokenField()

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = _meeting_parties(meeting)


class DecisionForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = DecisionReference
        fields = ["body", "decided_on", "registration_number"]
        widgets = {"decided_on": DateInput}
        help_texts = {"body": _("For example kommunstyrelsen, or the county governor.")}


class ActionForm(PlainTextForm, forms.Form):
    what = forms.CharField(
        label=_("What"), widget=forms.Textarea(attrs={"rows": 3}), max_length=Action._meta.get_field("what").max_length
    )
    owner_party = forms.ModelChoiceField(queryset=Party.objects.none(), label=_("Owner"))
    person = forms.CharField(label=_("Person responsible (optional)"), max_length=NAME_LENGTH, required=False)
    due_on = forms.DateField(label=_("Due date"), widget=DateInput)
    form_token = FormTokenField()

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_party"].queryset = _meeting_parties(meeting)

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if abs((due_on - timezone.localdate()).days) > MAX_DAYS_AHEAD:
            raise forms.ValidationError(_("Give a date within three years from today."))
        return due_on


class ActionStatusForm(PlainTextForm, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)
    reason = forms.CharField(
        label=_("Reason for dropping"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=Action._meta.get_field("drop_reason").max_length,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Action.Status.DROPPED and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why the action is dropped."))
        return cleaned


# Review (justering) of the minutes.


class ReviewerForm(PlainTextForm, forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        label=_("Reviewer"),
        help_text=_("One of your party's people approves or comments on the minutes for the party."),
    )

    def __init__(self, *args, party, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        field.queryset = (
            Membership.objects.filter(party=party, user__is_active=True)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "user__username")
        )
        field.empty_label = _("No one named: the party's coordinators review")
        field.label_from_instance = lambda m: f"{person_name(m.user)}{f' ({m.title})' if m.title else ''}"


class MinutesVersionForm(forms.Form):
    """The version of the minutes a step was asked on: a newer one since is not approved or taken back unseen."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReviewCommentForm(PlainTextForm, forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        help_text=_("What should be changed in the minutes of this item, and why."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=ReviewComment._meta.get_field("text").max_length,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    form_token = FormTokenField()


class CorrectionForm(PlainTextForm, forms.Form):
    agenda_item = forms.ModelChoiceField(
        queryset=AgendaItem.objects.none(),
        required=False,
        label=_("Agenda item corrected"),
    )
    text = forms.CharField(
        label=_("Correction"),
        help_text=_("What was wrong and what is right. Paragraphs, lists, **bold** and *italics* are kept."),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MinutesCorrection._meta.get_field("text").max_length,
    )
    form_token = FormTokenField()

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["agenda_item"]
        field.queryset = meeting.agenda_items.filter(status=AgendaItem.Status.ACCEPTED)
        field.empty_label = _("The minutes as a whole")

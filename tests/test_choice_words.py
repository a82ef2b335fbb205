"""Every select of every form starts with a word ("Välj …"), never Django's "---------"."""

import inspect

import pytest
from django import forms as django_forms
from django.utils import translation

from coordination import forms
from coordination.models import NoticePreferences

pytestmark = pytest.mark.django_db


def form_kwargs(meeting, kommun, kommun_coordinator):
    """What each form class of the app needs besides its data; a new form class must be added here."""
    return {
        forms.MeetingForm: {"user": kommun_coordinator},
        forms.SlotForm: {"meeting": meeting},
        forms.AnswerForm: {"meeting": meeting, "current": {}, "party": kommun},
        forms.ConfirmForm: {"reason_needed": True},
        forms.RescheduleForm: {"meeting": meeting, "rows": []},
        forms.CancelForm: {},
        forms.AttendeeForm: {"party": kommun},
        forms.CorrectAddressForm: {},
        forms.AgendaItemForm: {"meeting": meeting},
        forms.DeclineForm: {},
        forms.PositionForm: {},
        forms.DocumentForm: {},
        forms.OneTimeCodeForm: {},
        forms.GuestCodeForm: {},
        forms.GuestForm: {},
        forms.PasswordResetForm: {},
        forms.NoticePreferencesForm: {"instance": NoticePreferences(user=kommun_coordinator)},
        forms.PersonInviteForm: {},
        forms.NewPartyForm: {},
        forms.RoleForm: {},
        forms.RegistrationNumberForm: {},
        forms.NewDraftForm: {},
        forms.ActionForm: {"meeting": meeting},
        forms.ActionStatusForm: {},
        forms.AgreementForm: {"meeting": meeting},
        forms.DecisionForm: {},
        forms.MinuteTakerForm: {"meeting": meeting},
        forms.MinutesEntryForm: {},
        forms.PresenceForm: {"attendees": []},
        forms.PresentPersonForm: {"meeting": meeting},
        forms.SecrecyForm: {},
        forms.ReviewerForm: {"party": kommun},
        forms.MinutesVersionForm: {},
        forms.ReviewCommentForm: {},
        forms.CorrectionForm: {"meeting": meeting},
    }


def form_classes():
    return {
        cls
        for _name, cls in inspect.getmembers(forms, inspect.isclass)
        if issubclass(cls, django_forms.BaseForm)
        and cls.__module__ == forms.__name__
        and "Base" not in cls.__name__
        and cls is not forms.PlainTextForm
    }


def test_every_select_starts_with_a_word(meeting, kommun, kommun_coordinator):
    kwargs = form_kwargs(meeting, kommun, kommun_coordinator)
    assert set(kwargs) == form_classes(), "a form class of coordination/forms.py is missing from form_kwargs"
    for form_class, needs in kwargs.items():
        with translation.override("sv"):
            html = str(form_class(**needs))
        assert "---------" not in html, form_class.__name__
    with translation.override("sv"):
        assert '<option value="" selected>Välj …</option>' in str(forms.AttendeeForm(party=kommun))


def test_a_formset_s_empty_row_has_the_word_too(meeting):
    with translation.override("en"):
        html = str(forms.SlotFormSet(form_kwargs={"meeting": meeting}, prefix="slots").empty_form)
    assert "---------" not in html and "Choose …" in html

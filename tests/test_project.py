"""The project as a newcomer meets it: migrations in step, demo data, Swedish formatting."""

import datetime
import io
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import translation

from coordination.formatting import iso_week, slot_label
from coordination.models import Answer, Event, Meeting, Membership, Party
from coordination.services import agenda, attendance
from coordination.times import STOCKHOLM

from .builders import missing_tool


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_the_demo_data_is_the_letters_scenario_and_can_be_loaded_twice():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=io.StringIO())
    assert set(Party.objects.values_list("name", flat=True)) == {
        "Uppsala kommun",
        "Länsstyrelsen Uppsala län",
        "Polismyndigheten",
    }
    dialogue = Meeting.objects.get(title="Dialog om utökat samarbete")
    assert dialogue.status == Meeting.Status.POLLING
    assert {(i.party.short_name, i.role) for i in dialogue.invitations.all()} == {
        ("Kommunen", "convening"),
        ("Länsstyrelsen", "convening"),
        ("Polisen", "invited"),
    }
    answered_by = set(Answer.objects.filter(slot__meeting=dialogue).values_list("party__short_name", flat=True))
    assert answered_by == {"Kommunen", "Länsstyrelsen", "Polisen"}
    assert dialogue.slots.count() >= 5
    earlier = Meeting.objects.get(status=Meeting.Status.SCHEDULED)
    assert earlier.attendees.filter(status="confirmed").count() == 2
    assert Membership.objects.filter(role="secretary", party__short_name="Länsstyrelsen").exists()
    assert Meeting.objects.count() == 2
    assert Event.objects.filter(meeting=dialogue, action=Event.Action.POLLING_OPENED).count() == 1
    assert "kommun.samordnare" in out.getvalue() and "samrad-demo-2026" in out.getvalue()


def test_a_slot_reads_as_a_swedish_civil_servant_writes_it():
    class Slot:
        start = datetime.datetime(2018, 12, 4, 10, 0, tzinfo=STOCKHOLM)
        end = datetime.datetime(2018, 12, 4, 12, 0, tzinfo=STOCKHOLM)

    with translation.override("sv"):
        assert slot_label(Slot) == "tisdag 4 december 2018 kl. 10.00–12.00"
        assert iso_week(Slot.start) == "v. 49"
    with translation.override("en"):
        assert slot_label(Slot) == "Tuesday 4 December 2018 at 10:00–12:00"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_translation_catalogue_is_complete_and_compiled(language):
    import polib

    directory = Path(__file__).resolve().parent.parent / "coordination" / "locale" / language / "LC_MESSAGES"
    catalogue = polib.pofile(str(directory / "django.po"))
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    compiled = polib.mofile(str(directory / "django.mo"))
    assert {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in compiled} == {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in catalogue.translated_entries()
    }


@pytest.mark.parametrize(
    "model", ["party", "membership", "meeting", "attendee", "answer", "event", "agendaitem", "position", "document"]
)
def test_the_administrator_can_open_every_admin_list_and_form(
    admin_client, scheduled_meeting, polisen, polis_coordinator, model
):
    attendance.name_attendee(meeting=scheduled_meeting, party=polisen, by=polis_coordinator, name="Rikspolischef")
    item = agenda.propose_agenda_item(meeting=scheduled_meeting, party=polisen, by=polis_coordinator, title="NOA")
    position = agenda.save_position(item=item, party=polisen, by=polis_coordinator, text="Utkast", base_version=0)
    upload = ContentFile(b"Underlag", name="underlag.txt")
    agenda.attach_document(
        item=item,
        position=position,
        party=polisen,
        by=polis_coordinator,
        upload=upload,
        content_type="text/plain",
        sha256="0" * 64,
    )
    list_url = f"/admin/coordination/{model}/"
    response = admin_client.get(list_url)
    assert response.status_code == 200
    first = response.context["cl"].result_list[0]
    assert admin_client.get(f"{list_url}{first.pk}/change/").status_code == 200


def test_the_event_log_cannot_be_edited_or_deleted_in_the_admin(admin_client, scheduled_meeting):
    event = Event.objects.filter(meeting=scheduled_meeting).first()
    response = admin_client.post(f"/admin/coordination/event/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "url, heading", [("/accessibility/", "Tillgänglighetsredogörelse"), ("/privacy/", "Personuppgifter i Samråd")]
)
def test_the_statement_pages_are_open_to_everyone_and_linked_from_every_page(client, db, settings, url, heading):
    settings.CONTACT_EMAIL = "tillganglighet@uppsala.example"
    page = client.get(url).content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert "mailto:tillganglighet@uppsala.example" in page
    assert f'href="{url}"' in client.get("/login/").content.decode()


def test_the_header_names_the_users_parties(client, kommun_coordinator):
    client.force_login(kommun_coordinator)
    assert "(Kommunen)" in client.get("/").content.decode()


def test_every_translatable_string_in_the_code_is_in_the_catalogue(settings, tmp_path, monkeypatch):
    """A string marked for translation but missing from the .po would show in English to Swedish users.

    makemessages runs on a copy of the code, so the catalogue in the repository is never touched.
    """
    import polib

    if not shutil.which("xgettext"):
        missing_tool("GNU gettext (xgettext) is not installed: apt-get install gettext (CI installs it).")

    root = Path(__file__).resolve().parent.parent
    for folder in ("coordination", "templates"):
        shutil.copytree(root / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "coordination" / "locale"]
    call_command("makemessages", locale=["sv"], no_location=True, no_obsolete=True, verbosity=0)
    extracted = {
        (e.msgctxt, e.msgid) for e in polib.pofile(str(tmp_path / "coordination/locale/sv/LC_MESSAGES/django.po"))
    }
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(root / "coordination/locale/sv/LC_MESSAGES/django.po"))}
    assert extracted - committed == set()
    assert len(extracted) > 400

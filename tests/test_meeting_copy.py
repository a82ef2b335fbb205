"""A cancelled meeting copied to a new draft: parties, agenda, the party's own positions as drafts, documents."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from coordination.models import Document, Event, Meeting, Position
from coordination.services import agenda, meetings

from .agenda_support import add_item, attach, db_state
from .builders import in_english


@pytest.fixture
def cancelled(meeting, documents_dir, kommun, polisen, kommun_coordinator, polis_coordinator):
    """A meeting with an accepted and a proposed item, a declined one, both parties' positions and documents."""
    kameror = add_item(meeting, kommun, kommun_coordinator, "Kameror", accept_by=(kommun_coordinator, kommun))
    noa = add_item(meeting, polisen, polis_coordinator, "Stöd från NOA", minutes=30)
    declined = add_item(meeting, polisen, polis_coordinator, "Avslagen punkt")
    agenda.decline_agenda_item(item=declined, party=kommun, by=kommun_coordinator, reason="Annat forum")
    old = attach(kameror, kommun, kommun_coordinator, "PM.txt", b"PM version 1\n")
    agenda.attach_document(
        item=kameror,
        party=kommun,
        by=kommun_coordinator,
        upload=ContentFile(b"PM version 2\n", name="PM.txt"),
        content_type="text/plain",
        sha256="x",
        replaces=old,
    )
    ours = agenda.save_position(
        item=kameror, party=kommun, by=kommun_coordinator, text="Kommunens linje", base_version=0
    )
    agenda.set_position_shared(position=ours, by=kommun_coordinator, shared=True)
    attach(kameror, kommun, kommun_coordinator, "Underlag.txt", b"Kommunens underlag\n", position=ours)
    theirs = agenda.save_position(item=noa, party=polisen, by=polis_coordinator, text="POLISENS-UTKAST", base_version=0)
    attach(noa, polisen, polis_coordinator, "Polisen.txt", b"POLISENS-FIL\n", position=theirs)
    return meetings.cancel_meeting(meeting=meeting, by=kommun_coordinator, party=kommun, reason="Krock")


def copy_url(meeting):
    return reverse("meeting_copy", args=[meeting.pk])


def test_a_convener_copies_a_cancelled_meeting_to_a_new_draft_that_opens_for_editing(
    client, cancelled, documents_dir, kommun, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    page = client.get(reverse("meeting_detail", args=[cancelled.pk])).content.decode()
    assert f'action="{copy_url(cancelled)}"' in page and "Kopiera till nytt möte" in page
    token = page.split('name="form_token" value="')[1].split('"')[0]

    response = client.post(copy_url(cancelled), {"form_token": token})

    copy = Meeting.objects.exclude(pk=cancelled.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("meeting_edit", args=[copy.pk])
    assert (copy.status, copy.title, copy.location, copy.created_by) == (
        Meeting.Status.DRAFT,
        cancelled.title,
        cancelled.location,
        kommun_coordinator,
    )
    invitations = lambda m: sorted(m.invitations.values_list("party_id", "role", "required"))  # noqa: E731
    assert invitations(copy) == invitations(cancelled)
    assert copy.slots.count() == 0 and copy.attendees.count() == 0
    # The items but the declined one, as they were.
    assert list(copy.agenda_items.values_list("title", "status", "order", "planned_minutes")) == [
        ("Stöd från NOA", "proposed", 0, 30),
        ("Kameror", "accepted", 1, 15),
    ]
    # The municipality's own position, a draft again; never the police's.
    [position] = Position.objects.filter(agenda_item__meeting=copy)
    assert (position.party, position.state, position.text, position.version) == (kommun, "draft", "Kommunens linje", 1)
    assert list(position.versions.values_list("number", "state")) == [(1, "draft")]
    # The current item document and the position's, each stored again; never the police's file.
    documents = Document.objects.filter(agenda_item__meeting=copy).order_by("original_name")
    assert [(d.original_name, d.position_id, d.file.read()) for d in documents] == [
        ("PM.txt", None, b"PM version 2\n"),
        ("Underlag.txt", position.pk, b"Kommunens underlag\n"),
    ]
    originals = set(Document.objects.filter(agenda_item__meeting=cancelled).values_list("file", flat=True))
    assert not originals & {d.file.name for d in documents}
    assert len(list(documents_dir.iterdir())) == len(originals) + 2
    # Logged on both meetings.
    copied = Event.objects.filter(action=Event.Action.MEETING_COPIED)
    assert sorted((e.meeting_id, e.party_id) for e in copied) == sorted(
        [(copy.pk, kommun.pk), (cancelled.pk, kommun.pk)]
    )
    assert copied.get(meeting=copy).after["copied_from"] == cancelled.pk
    assert Event.objects.filter(meeting=copy, action=Event.Action.MEETING_CREATED).exists()
    assert Event.objects.get(meeting=copy, action=Event.Action.POSITION_SAVED).private

    # The same click again (a double click, a reload of the post) returns the same copy.
    again = client.post(copy_url(cancelled), {"form_token": token})
    assert again["Location"] == response["Location"] and Meeting.objects.count() == 2
    # The edit form it opens to says what it is.
    assert "kopierat" in client.get(again["Location"]).content.decode()


@pytest.mark.parametrize("persona", ["polis_coordinator", "lansstyrelsen_secretary", "kommun_member"])
def test_only_a_coordinator_of_a_convening_party_is_offered_the_copy_and_may_make_it(
    client, request, cancelled, persona
):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("meeting_detail", args=[cancelled.pk])).content.decode()
    assert copy_url(cancelled) not in page
    before = db_state()

    assert client.post(copy_url(cancelled)).status_code == 403
    assert db_state() == before


def test_a_meeting_that_is_not_cancelled_is_not_copied(client, meeting, kommun_coordinator):
    client.force_login(kommun_coordinator)
    assert copy_url(meeting) not in client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert client.post(copy_url(meeting)).status_code == 403
    assert Meeting.objects.count() == 1


def test_a_document_that_cannot_be_copied_leaves_nothing_behind(client, cancelled, documents_dir, kommun_coordinator):
    Document.objects.filter(original_name="Underlag.txt").get().file.delete(save=False)
    files = sorted(documents_dir.iterdir())
    before = db_state()
    in_english(client).force_login(kommun_coordinator)

    response = client.post(copy_url(cancelled), follow=True)

    assert "could not be copied" in response.content.decode()
    assert Meeting.objects.count() == 1 and db_state() == before
    assert sorted(documents_dir.iterdir()) == files

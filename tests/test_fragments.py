"""The meeting page's parts come from the cache until the meeting changes: the next page after any change shows it,
no party is served another's part, and each viewer's forms carry their own CSRF token.

Every test runs on both caches the app knows: local memory (the default) and Redis (tests/cache_support.py).
"""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coordination import fragments
from coordination.models import Answer, Meeting, Membership, Secrecy
from coordination.services import agenda, attendance, meetings, reminders, secrecy

from .agenda_support import add_item
from .builders import answer_all, future_time, make_user


@pytest.fixture(autouse=True)
def page_cache(cache_backend):
    """Every test here on both caches (cache_support.py)."""
    return cache_backend


def page(client, meeting):
    response = client.get(reverse("meeting_detail", args=[meeting.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_view_of_an_unchanged_meeting_takes_its_parts_from_the_cache(
    client, django_assert_max_num_queries, meeting, kommun_coordinator
):
    client.force_login(kommun_coordinator)
    with django_assert_max_num_queries(100) as cold:
        first = page(client, meeting)
    with django_assert_max_num_queries(100) as warm:
        second = page(client, meeting)
    # The grid's answers, the slots, the agenda's items, positions and documents, the attendees and the reminders
    # are not read again. What is: the session, the user and their memberships, the meeting with its invitations
    # (the rights), the user's own attendance, and the convener's lists of calendar replies, guests and mail.
    assert len(cold.captured_queries) - len(warm.captured_queries) >= 6
    assert len(warm.captured_queries) == 9
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(first) == strip(second)
    assert fragments.CSRF_MARKER not in second


def propose(meeting, kommun, kommun_coordinator, **_):
    [slot] = meetings.propose_slots(meeting=meeting, party=kommun, by=kommun_coordinator, times=[future_time(40)])
    return reverse("withdraw_slot", args=[meeting.pk, slot.pk])


def withdraw(meeting, kommun, kommun_coordinator, **_):
    slot = meeting.slots.order_by("start").first()
    meetings.withdraw_slot(slot=slot, by=kommun_coordinator, party=kommun)
    return "<del>"


def answer(meeting, polisen, polis_member, **_):
    answer_all(meeting, polisen, polis_member, value=Answer.Value.NO, comment="Krockar med riksdagen")
    return "Krockar med riksdagen"


def item_proposed(meeting, polisen, polis_coordinator, **_):
    add_item(meeting, polisen, polis_coordinator, "Punkt om kameror")
    return "Punkt om kameror"


def item_accepted(meeting, polisen, polis_coordinator, kommun, kommun_coordinator, **_):
    add_item(meeting, polisen, polis_coordinator, "Antagen punkt", accept_by=(kommun_coordinator, kommun))
    return "Antagen punkt"


def position_shared(meeting, kommun, kommun_coordinator, **_):
    item = add_item(meeting, kommun, kommun_coordinator, "Samverkan")
    position = agenda.save_position(item=item, party=kommun, by=kommun_coordinator, text="DELAD-LINJE", base_version=0)
    agenda.set_position_shared(position=position, by=kommun_coordinator, shared=True)
    return "DELAD-LINJE"


def document_added(meeting, kommun, kommun_coordinator, **_):
    item = add_item(meeting, kommun, kommun_coordinator, "Underlag")
    agenda.attach_document(
        item=item,
        party=kommun,
        by=kommun_coordinator,
        upload=ContentFile(b"PM\n", name="promemoria.txt"),
        content_type="text/plain",
        sha256="0" * 64,
    )
    return "promemoria.txt"


def attendee_named(meeting, polisen, polis_coordinator, **_):
    attendance.name_attendee(meeting=meeting, party=polisen, by=polis_coordinator, name="Ekström, Åsa")
    return "Ekström, Åsa"


def attendee_confirmed(meeting, polisen, polis_coordinator, kommun, kommun_coordinator, **_):
    attendee = attendance.name_attendee(meeting=meeting, party=polisen, by=polis_coordinator, name="Ekström, Åsa")
    attendance.confirm_attendance(attendee=attendee, by=kommun_coordinator, party=kommun)
    return "Bekräftad av"


def reminded_automatically(meeting, **_):
    # Not an event: the reminder raises the meeting's revision itself (services/reminders.py).
    Meeting.objects.filter(pk=meeting.pk).update(answer_deadline=timezone.localdate() + datetime.timedelta(days=2))
    assert reminders.send_due_reminders(timezone.localdate()) > 0
    return "Senast påmind"


def party_invited(meeting, kommun, kommun_coordinator, region, **_):
    meetings.invite_party(meeting=meeting, by=kommun_coordinator, party=kommun, invited=region)
    return "Region Uppsala"


def registration_number(meeting, kommun, kommun_coordinator, **_):
    meetings.set_registration_number(meeting=meeting, party=kommun, by=kommun_coordinator, number="KS 2026/77")
    return "KS 2026/77"


def secrecy_marked(meeting, kommun, kommun_coordinator, **_):
    item = add_item(meeting, kommun, kommun_coordinator, "Lägesbild", accept_by=(kommun_coordinator, kommun))
    secrecy.mark_secrecy(
        record=item, party=kommun, by=kommun_coordinator, secrecy=Secrecy.COVERED, provision="OSL 18 kap. 1 §"
    )
    return "OSL 18 kap. 1 §"


CHANGES = [
    propose,
    withdraw,
    answer,
    item_proposed,
    item_accepted,
    position_shared,
    document_added,
    attendee_named,
    attendee_confirmed,
    reminded_automatically,
    party_invited,
    registration_number,
    secrecy_marked,
]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__ for change in CHANGES])
def test_the_page_right_after_a_change_shows_it(
    request, client, documents_dir, meeting, kommun, polisen, region, kommun_coordinator, polis_coordinator, change
):
    client.force_login(kommun_coordinator)
    page(client, meeting)  # the parts are in the cache now
    shown = change(
        meeting=meeting,
        kommun=kommun,
        polisen=polisen,
        region=region,
        kommun_coordinator=kommun_coordinator,
        polis_coordinator=polis_coordinator,
        polis_member=request.getfixturevalue("polis_member"),
    )
    assert shown in page(client, meeting)


def test_a_withdrawn_position_leaves_the_next_page(
    client, meeting, kommun, kommun_coordinator, lansstyrelsen_secretary
):
    item = add_item(meeting, kommun, kommun_coordinator, "Samverkan", accept_by=(kommun_coordinator, kommun))
    position = agenda.save_position(item=item, party=kommun, by=kommun_coordinator, text="DELAD-LINJE", base_version=0)
    agenda.set_position_shared(position=position, by=kommun_coordinator, shared=True)
    client.force_login(lansstyrelsen_secretary)
    assert "DELAD-LINJE" in page(client, meeting)
    agenda.set_position_shared(position=position, by=kommun_coordinator, shared=False)
    assert "DELAD-LINJE" not in page(client, meeting)


def test_a_partys_draft_is_never_in_another_partys_part(
    client, meeting, kommun, polisen, kommun_coordinator, polis_member, polis_coordinator, lansstyrelsen_secretary
):
    item = add_item(meeting, kommun, kommun_coordinator, "Kameror", accept_by=(kommun_coordinator, kommun))
    agenda.save_position(item=item, party=polisen, by=polis_member, text="POLISENS-UTKAST", base_version=0)
    police = Client()
    police.force_login(polis_member)
    assert "POLISENS-UTKAST" in page(police, meeting)  # the police's part, with their draft, is cached
    # Another of the police's people shares the part; the county board and the municipality get their own.
    police.force_login(polis_coordinator)
    assert "POLISENS-UTKAST" in page(police, meeting)
    for outsider in (lansstyrelsen_secretary, kommun_coordinator):
        client.force_login(outsider)
        assert "POLISENS-UTKAST" not in page(client, meeting)


def test_each_viewer_posts_from_a_cached_part_with_their_own_token(
    meeting, kommun, polisen, kommun_coordinator, polis_coordinator
):
    """The agenda's forms come from the cache; the convener who did not render it accepts an item with them."""
    colleague = make_user("kommun_coordinator_2", kommun, Membership.Role.COORDINATOR, "Samordnare")
    item = add_item(meeting, polisen, polis_coordinator, "Väntande punkt")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(colleague)
    page(first, meeting)
    second.force_login(kommun_coordinator)
    html = page(second, meeting)
    accept = reverse("agenda_item_accept", args=[meeting.pk, item.pk])
    form = html.split(f'action="{accept}"')[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = second.post(accept, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.is_accepted


def test_the_passing_of_the_answer_deadline_shows_without_a_change(client, time_machine, meeting, kommun_coordinator):
    Meeting.objects.filter(pk=meeting.pk).update(answer_deadline=timezone.localdate() + datetime.timedelta(days=1))
    client.force_login(kommun_coordinator)
    assert "har passerat" not in page(client, meeting)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=3))
    client.force_login(kommun_coordinator)  # the session has run out meanwhile
    assert "har passerat" in page(client, meeting)


def test_a_meeting_changed_in_the_admin_shows_on_its_next_page(admin_client, client, meeting, kommun_coordinator):
    """The admin writes no event: it raises the meeting's revision itself (admin.MeetingAdmin.save_related)."""
    client.force_login(kommun_coordinator)
    page(client, meeting)
    url = reverse("admin:coordination_meeting_change", args=[meeting.pk])
    data = _form_data(admin_client.get(url))
    assert "deltagande frivilligt" not in page(client, meeting)
    # Every invitation made optional: the parties' part says so.
    for name in [name for name in data if name.endswith("-required")]:
        del data[name]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert "deltagande frivilligt" in page(client, meeting)


def _form_data(response):
    """What the admin's change page would post back unchanged: its form's and each inline's values."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        for each in formset.forms:
            data.update({each.add_prefix(name): each[name].value() for name in each.fields if each[name].value()})
    return data

"""Who sees what of the agenda, the positions and the documents, by every way there is to reach it.

The scenario (agenda_support.build_scenario) puts a unique marker in every
thing that could leak: the police's draft, an earlier draft version of a
shared position, a position shared and then withdrawn, documents on each,
a document on the item itself. The matrix asks for each kind of user and
each way in (meeting page, agenda item page, versions page, download, .ics,
kallelse) whether each thing is shown, hidden, a 404 or a login redirect,
and every response body of a user who must not see a thing is searched for
its marker.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination.models import Event, Position, PositionVersion
from coordination.services import agenda

from .agenda_support import (
    LOGIN,
    NOT_FOUND,
    THING,
    THINGS,
    add_item,
    attach,
    body_of,
    db_state,
)
from .builders import create_meeting

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")


SHOWN = "200 showing it"
HIDDEN = "200 not showing it"

# persona -> the fixture of the user; the police own every position and document of the scenario.
PERSONAS = {
    "own party member": "polis_member",
    "member of another party (convening)": "kommun_member",
    "secretary of another party (convening)": "lansstyrelsen_secretary",
    "outsider party not in the meeting": "outsider",
    "user with no party": "partyless",
    "anonymous": None,
}
ROUTES = ["meeting page", "agenda item page", "versions page", "document download", ".ics", "kallelse"]


def login(client, request, persona):
    fixture = PERSONAS[persona]
    if fixture:
        client.force_login(request.getfixturevalue(fixture))


def url_of(route, thing, sc):
    """The URL by which ``route`` reaches ``thing``, or None where that way does not apply to it."""
    meeting = sc.meeting
    item = getattr(sc, thing.item_attr)
    if route == "meeting page":
        return reverse("meeting_detail", args=[meeting.pk])
    if route == "agenda item page":
        return reverse("agenda_item_detail", args=[meeting.pk, item.pk])
    if route == "versions page":
        if not thing.position_attr:
            return None
        position = getattr(sc, thing.position_attr)
        return reverse("position_versions", args=[meeting.pk, position.pk]) + thing.versions_query
    if route == "document download":
        if not thing.document_attr:
            return None
        return reverse("document_download", args=[meeting.pk, getattr(sc, thing.document_attr).pk])
    if route == ".ics":
        return reverse("meeting_ics", args=[meeting.pk])
    if route == "kallelse":
        return reverse("kallelse", args=[meeting.pk])
    raise AssertionError(route)


def expected(persona, route, thing):
    if persona == "anonymous":
        return LOGIN
    if PERSONAS[persona] in ("outsider", "partyless"):
        return NOT_FOUND
    own = persona == "own party member"
    # The .ics and the kallelse are what every party gets: never a draft, not even the own party's.
    if route == ".ics":
        return SHOWN if thing.in_ics else HIDDEN
    if route == "kallelse":
        return SHOWN if thing.in_kallelse else HIDDEN
    sees = own or thing.public
    if route in ("meeting page", "agenda item page"):
        return SHOWN if sees and not thing.only_on_versions_page else HIDDEN
    if not (own or thing.reachable_by_others):
        return NOT_FOUND
    return SHOWN if sees else HIDDEN


def markers(thing):
    return [thing.marker] + ([thing.content.decode()] if thing.content else [])


def outcome(response, url, route, thing):
    body = body_of(response)
    if response.status_code == 302:
        target = urlsplit(response.url)
        if target.path == reverse("login") and parse_qs(target.query).get("next") == [url]:
            return LOGIN
        return f"redirect to {response.url}"
    if response.status_code == 404:
        return NOT_FOUND if not any(m in body for m in markers(thing)) else "404 showing it"
    if response.status_code != 200:
        return f"status {response.status_code}"
    # On a download the content is what shows; on a page the marker (a document: its name).
    shown_by = thing.content.decode() if route == "document download" else thing.marker
    if shown_by in body:
        return SHOWN
    return HIDDEN if not any(m in body for m in markers(thing)) else "200 showing part of it"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_visibility_matrix(client, request, scenario, persona, route):
    """Every applicable thing of the scenario, for this user and this way in, has its expected outcome."""
    login(client, request, persona)
    responses = {}
    wrong = []
    checked = 0
    for thing in THINGS:
        url = url_of(route, thing, scenario)
        if url is None:
            continue
        if url not in responses:
            responses[url] = client.get(url)
        got = outcome(responses[url], url, route, thing)
        want = expected(persona, route, thing)
        checked += 1
        if got != want:
            wrong.append(f"{thing.key}: expected {want}, got {got} ({url})")
    assert checked
    assert wrong == []


def test_the_matrix_covers_every_route_for_the_three_kinds_of_position_and_document():
    """The matrix is not vacuous: versions and downloads apply to the things they are for."""
    positions = [t for t in THINGS if t.position_attr]
    documents = [t for t in THINGS if t.document_attr]
    assert {t.key for t in positions} >= {"draft position", "shared position", "withdrawn position"}
    assert {t.key for t in documents} == {
        "document on a draft position",
        "document on a shared position",
        "document on a withdrawn position",
        "document on the agenda item",
    }


# What the matrix does not say on its own.


def position_card(body, marker):
    """The meeting page's card (or agenda item page's section) that contains ``marker``."""
    chunks = [chunk for chunk in body.split("<section") if marker in chunk]
    assert len(chunks) == 1, chunks
    return chunks[0]


def test_the_own_partys_draft_is_on_the_meeting_page_marked_as_draft(client, scenario, polis_member):
    client.force_login(polis_member)

    body = client.get(reverse("meeting_detail", args=[scenario.meeting.pk])).content.decode()

    assert "Draft – only your party sees it" in position_card(body, THING["draft position"].marker)
    assert "Draft – only your party sees it" in position_card(body, THING["withdrawn position"].marker)
    assert "Draft – only your party sees it" not in position_card(body, THING["shared position"].marker)


def test_the_own_partys_draft_is_on_the_agenda_item_page_marked_as_draft(client, scenario, polis_member):
    client.force_login(polis_member)

    body = client.get(reverse("agenda_item_detail", args=[scenario.meeting.pk, scenario.item_a.pk])).content.decode()

    assert "Draft – only your party sees it" in position_card(body, THING["draft position"].marker)


def test_another_party_sees_that_there_is_no_position_it_can_see(client, scenario, kommun_member):
    client.force_login(kommun_member)

    body = client.get(reverse("agenda_item_detail", args=[scenario.meeting.pk, scenario.item_a.pk])).content.decode()

    assert "No position that you can see." in body
    assert "Draft – only your party sees it" not in body


def test_a_withdrawn_position_keeps_in_the_log_that_it_was_shared(scenario, polisen):
    withdrawn = scenario.withdrawn
    actions = list(
        Event.objects.filter(
            meeting=scenario.meeting,
            action__in=[Event.Action.POSITION_SHARED, Event.Action.POSITION_WITHDRAWN],
            subject=withdrawn.agenda_item.title,
        )
        .order_by("created_at", "pk")
        .values_list("action", "party_id")
    )
    assert actions == [(Event.Action.POSITION_SHARED, polisen.pk), (Event.Action.POSITION_WITHDRAWN, polisen.pk)]
    # The version that was shared is kept, as shared, after the withdrawal.
    states = list(withdrawn.versions.order_by("number").values_list("number", "state"))
    assert states == [(1, "draft"), (2, "shared"), (3, "draft")]
    assert Position.objects.get(pk=withdrawn.pk).state == Position.State.DRAFT


def test_another_party_loses_a_withdrawn_position_its_versions_and_its_documents(client, scenario, kommun_member):
    client.force_login(kommun_member)
    meeting = scenario.meeting

    assert client.get(reverse("position_versions", args=[meeting.pk, scenario.withdrawn.pk])).status_code == 404
    assert client.get(reverse("document_download", args=[meeting.pk, scenario.withdrawn_doc.pk])).status_code == 404
    assert not PositionVersion.objects.visible_to(kommun_member).filter(position=scenario.withdrawn).exists()


def test_sharing_a_withdrawn_position_again_shows_it_and_its_document_again(
    client, scenario, kommun_member, polis_member
):
    agenda.set_position_shared(position=scenario.withdrawn, by=polis_member, shared=True)
    client.force_login(kommun_member)

    body = client.get(reverse("agenda_item_detail", args=[scenario.meeting.pk, scenario.item_c.pk])).content.decode()
    download = client.get(reverse("document_download", args=[scenario.meeting.pk, scenario.withdrawn_doc.pk]))

    assert THING["withdrawn position"].marker in body
    assert THING["document on a withdrawn position"].marker in body
    assert download.status_code == 200


def test_another_party_asking_for_an_earlier_draft_version_by_number_gets_only_shared_versions(
    client, scenario, kommun_member
):
    client.force_login(kommun_member)
    url = reverse("position_versions", args=[scenario.meeting.pk, scenario.shared.pk])

    for query in ("?from=1&to=2", "?from=2&to=1", "?from=1", "?to=1", ""):
        response = client.get(url + query)
        assert response.status_code == 200
        assert [v.number for v in response.context["versions"]] == [3]
        body = response.content.decode()
        assert "MARK-EARLY-43" not in body
        assert "MARK-SHARED-42" in body


def test_the_event_log_does_not_show_another_party_the_police_drafts(client, scenario, kommun_member):
    client.force_login(kommun_member)

    body = client.get(reverse("event_log", args=[scenario.meeting.pk])).content.decode()

    assert "MARK-ITEM-71" in body  # the log is there, and it names the item
    for key in ("draft position", "earlier draft version of a shared position", "document on a draft position"):
        assert THING[key].marker not in body, key


def test_the_event_log_shows_the_own_party_its_drafts(client, scenario, polis_member):
    client.force_login(polis_member)

    body = client.get(reverse("event_log", args=[scenario.meeting.pk])).content.decode()

    assert THING["draft position"].marker in body


# Rights at the view level for every URL of the agenda, the positions and the documents.

POST_ONLY = {"agenda_item_accept", "agenda_item_up", "agenda_item_down"}
AGENDA_URLS = [
    "agenda_item_create",
    "agenda_item_edit",
    "agenda_item_accept",
    "agenda_item_decline",
    "agenda_item_up",
    "agenda_item_down",
    "position_edit",
    "position_share",
    "position_withdraw",
    "position_versions",
    "position_document_create",
    "document_create",
    "document_replace",
    "document_download",
    "kallelse",
]


def agenda_url(name, sc, target=None):
    """The URL ``name`` for the scenario; ``target`` names the item, position, document or party it acts on."""
    m = sc.meeting.pk
    item = getattr(sc, target or "item_a") if name.startswith("agenda_item") or name == "document_create" else None
    if name == "agenda_item_create" or name == "kallelse":
        return reverse(name, args=[m])
    if name in ("agenda_item_accept", "agenda_item_decline"):
        return reverse(name, args=[m, getattr(sc, target or "proposed_item").pk])
    if name in ("agenda_item_up", "agenda_item_down"):
        return reverse(name, args=[m, getattr(sc, target or "item_b").pk])
    if name in ("agenda_item_edit", "document_create"):
        return reverse(name, args=[m, item.pk])
    if name == "position_edit":
        party_id = target if isinstance(target, int) else sc.draft.party_id
        return reverse(name, args=[m, sc.item_a.pk, party_id])
    if name in ("position_share", "position_withdraw", "position_versions", "position_document_create"):
        return reverse(name, args=[m, getattr(sc, target or "shared").pk])
    if name in ("document_replace", "document_download"):
        return reverse(name, args=[m, getattr(sc, target or "item_doc").pk])
    raise AssertionError(name)


def action_data(name, sc):
    """POST data that would do the action for someone allowed to: a refusal then proves the rule."""
    item_form = {"title": "Smygpunkt", "description": "", "presenting_party": "", "planned_minutes": "10"}
    if name in ("agenda_item_create", "agenda_item_edit"):
        return item_form
    if name == "agenda_item_decline":
        return {"reason": "Smygnej"}
    if name == "position_edit":
        return {"text": "Smygtext", "base_version": str(sc.draft.version)}
    if name in ("position_document_create", "document_create", "document_replace"):
        return {"file": SimpleUploadedFile("smyg.txt", b"Smygdokument\n", "text/plain")}
    return {}


def send(client, method, url, data):
    return client.get(url) if method == "get" else client.post(url, data)


def files_in(folder):
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_user_is_sent_to_the_login_page_from_every_agenda_url(client, scenario, documents_dir, method):
    before, files = db_state(), files_in(documents_dir)
    wrong = []
    for name in AGENDA_URLS:
        url = agenda_url(name, scenario)
        response = send(client, method, url, action_data(name, scenario))
        target = urlsplit(response.headers.get("Location", ""))
        if response.status_code != 302 or target.path != reverse("login") or parse_qs(target.query)["next"] != [url]:
            wrong.append(f"{name}: {response.status_code} {response.headers.get('Location')}")
    assert wrong == []
    assert db_state() == before
    assert files_in(documents_dir) == files


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", ["outsider", "partyless"])
def test_a_user_outside_the_meeting_gets_404_on_every_agenda_url(
    client, request, scenario, documents_dir, persona, method
):
    client.force_login(request.getfixturevalue(persona))
    before, files = db_state(), files_in(documents_dir)
    wrong = []
    for name in AGENDA_URLS:
        url = agenda_url(name, scenario)
        response = send(client, method, url, action_data(name, scenario))
        # A GET on a POST-only URL is a 405, as it is for a meeting that does not exist.
        want = 405 if method == "get" and name in POST_ONLY else 404
        if response.status_code != want or scenario.meeting.title in response.content.decode():
            wrong.append(f"{name}: {response.status_code}")
    assert wrong == []
    assert db_state() == before
    assert files_in(documents_dir) == files


FORBIDDEN = [
    # url name, persona, target (None: agenda_url's default)
    ("agenda_item_create", "polis_secretary", None),
    ("agenda_item_create", "lansstyrelsen_secretary", None),
    ("agenda_item_edit", "polis_coordinator", "item_a"),  # accepted: the proposer no longer edits it
    ("agenda_item_edit", "kommun_member", "item_a"),
    ("agenda_item_edit", "lansstyrelsen_secretary", "item_a"),
    ("agenda_item_edit", "kommun_member", "proposed_item"),  # proposed by the police, not by the municipality
    ("agenda_item_accept", "polis_coordinator", None),
    ("agenda_item_accept", "kommun_member", None),
    ("agenda_item_accept", "lansstyrelsen_secretary", None),
    ("agenda_item_decline", "polis_coordinator", None),
    ("agenda_item_decline", "kommun_member", None),
    ("agenda_item_decline", "lansstyrelsen_secretary", None),
    ("agenda_item_up", "polis_coordinator", None),
    ("agenda_item_up", "kommun_member", None),
    ("agenda_item_down", "lansstyrelsen_secretary", None),
    ("agenda_item_down", "polis_member", None),
    ("position_edit", "kommun_member", None),  # the police's position
    ("position_edit", "lansstyrelsen_secretary", None),
    ("position_share", "kommun_member", "shared"),  # sees it, may not act on it
    ("position_withdraw", "kommun_member", "shared"),
    ("position_withdraw", "lansstyrelsen_secretary", "shared"),
    ("position_document_create", "kommun_member", "shared"),
    ("document_create", "kommun_member", None),
    ("document_create", "lansstyrelsen_secretary", None),
    ("document_replace", "kommun_member", "item_doc"),
    ("document_replace", "kommun_member", "shared_doc"),
]


@pytest.mark.parametrize("name, persona, target", FORBIDDEN)
def test_a_party_member_without_the_right_is_refused_with_403_and_nothing_changes(
    client, request, scenario, documents_dir, name, persona, target
):
    client.force_login(request.getfixturevalue(persona))
    url = agenda_url(name, scenario, target)
    before, files = db_state(), files_in(documents_dir)

    if name not in POST_ONLY:
        assert client.get(url).status_code == 403
    response = client.post(url, action_data(name, scenario))

    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    assert db_state() == before
    assert files_in(documents_dir) == files


def test_the_kommun_may_not_write_the_polices_position_even_with_the_kommuns_own_rights(
    client, scenario, kommun_coordinator, polisen
):
    """A convening coordinator manages the agenda, not other parties' positions."""
    client.force_login(kommun_coordinator)
    before = db_state()

    response = client.post(agenda_url("position_edit", scenario, polisen.pk), action_data("position_edit", scenario))

    assert response.status_code == 403
    assert db_state() == before


HIDDEN_BY_ID = [
    # url name, target: another party's draft, or a withdrawn position, asked for by id
    ("position_versions", "draft"),
    ("position_versions", "withdrawn"),
    ("position_share", "draft"),
    ("position_withdraw", "draft"),
    ("position_document_create", "draft"),
    ("position_document_create", "withdrawn"),
    ("document_download", "draft_doc"),
    ("document_download", "withdrawn_doc"),
    ("document_replace", "draft_doc"),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name, target", HIDDEN_BY_ID)
def test_another_party_asking_for_a_draft_by_id_gets_404_as_if_it_did_not_exist(
    client, scenario, documents_dir, kommun_member, name, target, method
):
    client.force_login(kommun_member)
    url = agenda_url(name, scenario, target)
    before, files = db_state(), files_in(documents_dir)

    response = send(client, method, url, action_data(name, scenario))

    want = 405 if method == "get" and name in POST_ONLY else 404
    assert response.status_code == want
    body = body_of(response)
    for thing in THINGS:
        if not thing.public:
            assert all(marker not in body for marker in markers(thing)), thing.key
    assert db_state() == before
    assert files_in(documents_dir) == files


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_a_get_on_a_post_only_agenda_url_changes_nothing(client, scenario, kommun_coordinator, polis_member, name):
    """Even for the user who may do it: the buttons POST, a link or a prefetch cannot act."""
    user = polis_member if name == "position_withdraw" else kommun_coordinator
    client.force_login(user)
    before = db_state()

    response = client.get(agenda_url(name, scenario))

    assert response.status_code == 405
    assert db_state() == before


def test_an_id_from_another_meeting_is_a_404_even_for_a_user_who_sees_both_meetings(
    client, scenario, documents_dir, kommun, lansstyrelsen, kommun_coordinator, kommun_member, polis_member
):
    """Ownership is checked in the lookup: an id is looked for only among the meeting's own rows."""
    other = create_meeting(kommun_coordinator, convening=[kommun], required=[lansstyrelsen], title="Internt möte")
    item = add_item(other, kommun, kommun_coordinator, "MARK-OTHER-91", accept_by=(kommun_coordinator, kommun))
    position = agenda.save_position(
        item=item, party=kommun, by=kommun_coordinator, text="MARK-OTHER-92", base_version=0
    )
    agenda.set_position_shared(position=position, by=kommun_coordinator, shared=True)
    document = attach(item, kommun, kommun_coordinator, "mark-other-93.txt", b"MARK-OTHER-94\n", position=position)
    m = scenario.meeting.pk
    urls = [
        reverse("agenda_item_detail", args=[m, item.pk]),
        reverse("agenda_item_edit", args=[m, item.pk]),
        reverse("position_edit", args=[m, item.pk, kommun.pk]),
        reverse("position_versions", args=[m, position.pk]),
        reverse("position_share", args=[m, position.pk]),
        reverse("position_document_create", args=[m, position.pk]),
        reverse("document_download", args=[m, document.pk]),
        reverse("document_replace", args=[m, document.pk]),
    ]
    for user in (kommun_coordinator, kommun_member, polis_member):
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (user, url)
            assert "MARK-OTHER" not in body_of(response)

"""What the agenda, position and document tests share: fixtures, a scenario with data that could leak, helpers.

Not a test module itself (pytest collects only ``test_*.py``): conftest.py
registers its fixtures once; a test module reading pages in English says so
with ``pytestmark = pytest.mark.usefixtures("english")``.
"""

import hashlib
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile

from coordination.models import AgendaItem, Document, Event, Position, PositionVersion
from coordination.services import agenda

from .builders import in_english, make_user

LOGIN = "login redirect"
NOT_FOUND = "404"


@pytest.fixture
def english(client):
    """Read the pages in English, the msgids: stable while the Swedish text is being written."""
    in_english(client)


@pytest.fixture
def partyless(db):
    """An account that belongs to no party at all."""
    return make_user("partyless", None, None, "Utan part")


@pytest.fixture
def documents_dir(settings, tmp_path):
    """This test's own documents folder, created empty: settings.DOCUMENTS_ROOT points at it.

    The app's DocumentStorage follows DOCUMENTS_ROOT, so every file a test
    uploads lands here and nowhere else; tests assert on what is in it.
    """
    root = tmp_path / "documents"
    settings.DOCUMENTS_ROOT = root
    root.mkdir(exist_ok=True)
    assert list(root.iterdir()) == []
    return root


def body_of(response):
    """The text of a page, a download or an .ics, with the .ics folding undone."""
    if response.streaming:
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    return raw.decode("utf-8", errors="replace").replace("\r\n ", "")


def db_state():
    """Every row an agenda, position or document view could change; equal snapshots mean nothing happened."""
    return {
        "items": list(
            AgendaItem.objects.order_by("pk").values_list(
                "pk",
                "title",
                "description",
                "status",
                "order",
                "planned_minutes",
                "decline_reason",
                "presenting_party_id",
            )
        ),
        "positions": list(Position.objects.order_by("pk").values_list("pk", "party_id", "state", "text", "version")),
        "versions": list(PositionVersion.objects.order_by("pk").values_list("pk", "number", "text", "state")),
        "documents": list(Document.objects.order_by("pk").values_list("pk", "file", "replaced_at")),
        "events": list(Event.objects.order_by("pk").values_list("pk", "action")),
    }


def add_item(meeting, party, by, title, *, accept_by=None, minutes=15, description=""):
    item = agenda.propose_agenda_item(
        meeting=meeting, party=party, by=by, title=title, planned_minutes=minutes, description=description
    )
    if accept_by is not None:
        convener, party_of_convener = accept_by
        item = agenda.accept_agenda_item(item=item, party=party_of_convener, by=convener)
    return item


def attach(item, party, by, name, content, *, position=None, content_type="text/plain"):
    upload = ContentFile(content, name=name)
    return agenda.attach_document(
        item=item,
        position=position,
        party=party,
        by=by,
        upload=upload,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
    )


# The scenario: everything a party could see, with a unique marker in each thing that could leak.


@dataclass(frozen=True)
class Thing:
    """One object of the matrix: the marker that shows it, where it lives, and who may see it."""

    key: str
    marker: str
    item_attr: str  # the Scenario attribute of the agenda item it belongs to
    public: bool  # every party of the meeting sees it (else: the own party only)
    in_kallelse: bool
    in_ics: bool = False
    position_attr: str | None = None  # for positions and versions: the versions page is theirs
    versions_query: str = ""
    document_attr: str | None = None  # for documents: the download URL is theirs
    content: bytes = b""
    only_on_versions_page: bool = False  # an earlier version is not on the meeting or item pages
    # Whether another party reaches its versions page or download at all (an earlier version
    # of a shared position: the page, yes; that version on it, no).
    container_public: bool | None = None

    @property
    def reachable_by_others(self):
        return self.public if self.container_public is None else self.container_public


THINGS = [
    Thing("agenda item", "MARK-ITEM-71", "item_a", public=True, in_kallelse=True, in_ics=True),
    Thing("proposed agenda item", "MARK-PROPOSED-81", "proposed_item", public=True, in_kallelse=False),
    Thing("declined agenda item", "MARK-DECLINED-82", "declined_item", public=True, in_kallelse=False),
    Thing("draft position", "MARK-DRAFT-41", "item_a", public=False, in_kallelse=False, position_attr="draft"),
    Thing("shared position", "MARK-SHARED-42", "item_b", public=True, in_kallelse=True, position_attr="shared"),
    Thing(
        "withdrawn position",
        "MARK-WITHDRAWN-44",
        "item_c",
        public=False,
        in_kallelse=False,
        position_attr="withdrawn",
    ),
    Thing(
        "earlier draft version of a shared position",
        "MARK-EARLY-43",
        "item_b",
        public=False,
        in_kallelse=False,
        position_attr="shared",
        versions_query="?from=1&to=3",
        only_on_versions_page=True,
        container_public=True,
    ),
    Thing(
        "document on a draft position",
        "mark-draftdoc-51.txt",
        "item_a",
        public=False,
        in_kallelse=False,
        document_attr="draft_doc",
        content=b"MARK-DRAFTDOC-CONTENT-61\n",
    ),
    Thing(
        "document on a shared position",
        "mark-shareddoc-52.txt",
        "item_b",
        public=True,
        in_kallelse=True,
        document_attr="shared_doc",
        content=b"MARK-SHAREDDOC-CONTENT-62\n",
    ),
    Thing(
        "document on a withdrawn position",
        "mark-withdrawndoc-54.txt",
        "item_c",
        public=False,
        in_kallelse=False,
        document_attr="withdrawn_doc",
        content=b"MARK-WITHDRAWNDOC-CONTENT-64\n",
    ),
    Thing(
        "document on the agenda item",
        "mark-itemdoc-53.txt",
        "item_a",
        public=True,
        in_kallelse=True,
        document_attr="item_doc",
        content=b"MARK-ITEMDOC-CONTENT-63\n",
    ),
]
THING = {thing.key: thing for thing in THINGS}


@dataclass
class Scenario:
    meeting: object
    item_a: AgendaItem
    item_b: AgendaItem
    item_c: AgendaItem
    proposed_item: AgendaItem
    declined_item: AgendaItem
    draft: Position
    shared: Position
    withdrawn: Position
    draft_doc: Document
    shared_doc: Document
    withdrawn_doc: Document
    item_doc: Document


def build_scenario(meeting, *, kommun, polisen, kommun_coordinator, polis_coordinator, polis_member):
    """The police's positions in every state, with documents, on three accepted items the police proposed.

    - item A: the police's draft (MARK-DRAFT-41) with a document, and a document on the item itself;
    - item B: the police's shared position (MARK-SHARED-42), whose first version was a draft with
      other words (MARK-EARLY-43), with a document;
    - item C: a position shared and then withdrawn (MARK-WITHDRAWN-44), with a document added while shared;
    - one proposed and one declined item, which the .ics and the kallelse leave out.
    """
    convener = (kommun_coordinator, kommun)
    item_a = add_item(meeting, polisen, polis_coordinator, "MARK-ITEM-71 Stöd från NOA", accept_by=convener, minutes=30)
    item_b = add_item(
        meeting, polisen, polis_coordinator, "Kameror för brottsutredning", accept_by=convener, minutes=25
    )
    item_c = add_item(
        meeting, polisen, polis_coordinator, "Lokalt poliskontor i Gottsunda", accept_by=convener, minutes=25
    )
    proposed_item = add_item(meeting, polisen, polis_coordinator, "MARK-PROPOSED-81 Resursfördelning")
    declined_item = add_item(meeting, polisen, polis_coordinator, "MARK-DECLINED-82 Övrigt")
    declined_item = agenda.decline_agenda_item(
        item=declined_item, party=kommun, by=kommun_coordinator, reason="Ryms inte"
    )

    draft = agenda.save_position(
        item=item_a, party=polisen, by=polis_member, text="Internt utkast: MARK-DRAFT-41", base_version=0
    )
    shared = agenda.save_position(
        item=item_b, party=polisen, by=polis_member, text="Första utkastet: MARK-EARLY-43", base_version=0
    )
    shared = agenda.save_position(
        item=item_b, party=polisen, by=polis_member, text="Polisens ståndpunkt: MARK-SHARED-42", base_version=1
    )
    shared = agenda.set_position_shared(position=shared, by=polis_member, shared=True)
    withdrawn = agenda.save_position(
        item=item_c, party=polisen, by=polis_member, text="Tillbakadraget: MARK-WITHDRAWN-44", base_version=0
    )
    withdrawn = agenda.set_position_shared(position=withdrawn, by=polis_member, shared=True)

    docs = {}
    for attr, position, item in (
        ("draft_doc", draft, item_a),
        ("shared_doc", shared, item_b),
        ("withdrawn_doc", withdrawn, item_c),
        ("item_doc", None, item_a),
    ):
        thing = next(t for t in THINGS if t.document_attr == attr)
        docs[attr] = attach(item, polisen, polis_member, thing.marker, thing.content, position=position)
    withdrawn = agenda.set_position_shared(position=withdrawn, by=polis_member, shared=False)
    meeting.refresh_from_db()
    return Scenario(
        meeting=meeting,
        item_a=item_a,
        item_b=item_b,
        item_c=item_c,
        proposed_item=proposed_item,
        declined_item=declined_item,
        draft=draft,
        shared=shared,
        withdrawn=withdrawn,
        **docs,
    )


@pytest.fixture
def scenario(scheduled_meeting, documents_dir, kommun, polisen, kommun_coordinator, polis_coordinator, polis_member):
    """On a scheduled meeting, so that the .ics can be downloaded too."""
    return build_scenario(
        scheduled_meeting,
        kommun=kommun,
        polisen=polisen,
        kommun_coordinator=kommun_coordinator,
        polis_coordinator=polis_coordinator,
        polis_member=polis_member,
    )

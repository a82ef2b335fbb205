"""A party's diarium package: every record it holds of a meeting, checked by checksum, nothing of another's drafts.

The package is opened as a registrar would: the zip read back, each file's
SHA-256 counted again and compared with the manifest.
"""

import csv
import hashlib
import io
import json
import sys
import tracemalloc
import zipfile

import pytest
from django.urls import reverse

import coordination
from coordination.models import Document, Event, Invitation
from coordination.services import eventlog

from .agenda_support import THINGS
from .builders import pdf_module
from .test_event_log import DRAFT_KEYS

MB = 1024 * 1024


def download(client, meeting, party):
    return client.post(reverse("diarium_package", args=[meeting.pk, party.pk]))


def open_package(response):
    """The zip of a package download, and its manifest, after checking every file against the manifest."""
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    package = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert package.testzip() is None
    manifest = json.loads(package.read("manifest.json"))
    listed = {record["file"] for record in manifest["records"]}
    assert listed | {"manifest.json", "manifest.csv"} == set(package.namelist())
    for record in manifest["records"]:
        body = package.read(record["file"])
        assert (hashlib.sha256(body).hexdigest(), len(body)) == (record["sha256"], record["size"]), record["file"]
    return package, manifest


def every_text(package, *, logs=True):
    """All the package says, the PDF's text included, for searching; ``logs=False`` leaves the event log out."""
    texts = []
    for name in package.namelist():
        if not logs and name.startswith("samrad-logg-"):
            continue
        body = package.read(name)
        if name.endswith(".pdf"):
            from pypdf import PdfReader

            texts.append("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))
        else:
            texts.append(body.decode("utf-8", errors="replace"))
    return "\n".join(texts)


def set_registration_number(meeting, party, number):
    Invitation.objects.filter(meeting=meeting, party=party).update(registration_number=number)


def test_each_party_downloads_its_records_with_their_checksums_and_its_registration_number(
    client, scenario, polisen, lansstyrelsen, polis_secretary, lansstyrelsen_secretary
):
    pdf_module()
    meeting = scenario.meeting
    set_registration_number(meeting, polisen, "A123.456/2026")
    set_registration_number(meeting, lansstyrelsen, "LST 101-1234-2026")

    client.force_login(polis_secretary)
    police, police_manifest = open_package(download(client, meeting, polisen))
    client.force_login(lansstyrelsen_secretary)
    county, county_manifest = open_package(download(client, meeting, lansstyrelsen))

    assert police_manifest["registration_number"] == "A123.456/2026"
    assert {record["registration_number"] for record in police_manifest["records"]} == {"A123.456/2026"}
    assert county_manifest["registration_number"] == "LST 101-1234-2026"
    csv_rows = list(csv.DictReader(io.StringIO(county.read("manifest.csv").decode("utf-8-sig")), delimiter=";"))
    assert [row["Fil"] for row in csv_rows] == [record["file"] for record in county_manifest["records"]]
    assert {row["Diarienummer"] for row in csv_rows} == {"LST 101-1234-2026"}

    kinds = {record["kind"] for record in county_manifest["records"]}
    assert {"kallelse", "ståndpunkt", "handling", "händelselogg"} <= kinds
    assert "kallelse.pdf" in county.namelist()
    # The kallelse is the conveners' record: drawn up by the county board, received by the police.
    county_kallelse = next(r for r in county_manifest["records"] if r["file"] == "kallelse.pdf")
    assert county_kallelse["origin"] == "upprättad av Länsstyrelsen Uppsala län"
    police_kallelse = next(r for r in police_manifest["records"] if r["file"] == "kallelse.pdf")
    assert police_kallelse["origin"] == "inkommen från Länsstyrelsen Uppsala län, Uppsala kommun"
    police_document = next(r for r in county_manifest["records"] if r["title"] == scenario.item_doc.original_name)
    assert police_document["origin"] == "inkommen från Polismyndigheten"
    own_document = next(r for r in police_manifest["records"] if r["title"] == scenario.item_doc.original_name)
    assert own_document["origin"] == "upprättad av Polismyndigheten"
    # A document as it was uploaded: the same bytes as at upload, by the checksum taken then.
    assert own_document["sha256"] == scenario.item_doc.sha256


def test_no_draft_of_another_party_is_inside_and_the_own_drafts_are(
    client, scenario, polisen, lansstyrelsen, polis_secretary, lansstyrelsen_secretary
):
    pdf_module()
    client.force_login(lansstyrelsen_secretary)
    county = open_package(download(client, scenario.meeting, lansstyrelsen))[0]
    client.force_login(polis_secretary)
    police_text = every_text(open_package(download(client, scenario.meeting, polisen))[0])

    # The log names what was public when it happened (a document added to a position shared then); the
    # records beside it are only what the party sees now. The log's own boundary is tested in test_event_log.
    county_records, county_everything = every_text(county, logs=False), every_text(county)
    for thing in THINGS:
        if thing.key in DRAFT_KEYS:
            assert thing.marker not in county_everything, thing.key
        # An earlier draft version is in the police's own log only; items that never reached the agenda are
        # in the log alone.
        if thing.only_on_versions_page or not (thing.position_attr or thing.document_attr):
            continue
        markers = [thing.marker, thing.content.decode().strip()] if thing.content else [thing.marker]
        for marker in markers:
            assert (marker in county_records) is thing.public, (thing.key, marker)
            assert marker in police_text, (thing.key, marker)


def test_the_log_inside_ends_with_the_download_and_proves_itself(
    client, scenario, lansstyrelsen, lansstyrelsen_secretary
):
    pdf_module()
    client.force_login(lansstyrelsen_secretary)
    package, manifest = open_package(download(client, scenario.meeting, lansstyrelsen))

    logged = Event.objects.filter(meeting=scenario.meeting, action=Event.Action.PACKAGE_EXPORTED).get()
    assert logged.party == lansstyrelsen
    names = [record["file"] for record in manifest["records"] if record["kind"] == "händelselogg"]
    assert [name.rsplit(".", 1)[1] for name in names] == ["csv", "json"]
    for name in names:
        result, rows, _language = eventlog.check_export(package.read(name))
        assert result.proven
        assert rows[-1]["id"] == logged.pk


def test_without_pdf_support_the_kallelse_goes_in_as_html(
    client, monkeypatch, scenario, lansstyrelsen, lansstyrelsen_secretary
):
    # Python's own way to make an import fail: the server without Pango, where WeasyPrint cannot load.
    monkeypatch.setitem(sys.modules, "coordination.pdf", None)
    monkeypatch.delattr(coordination, "pdf", raising=False)
    client.force_login(lansstyrelsen_secretary)
    package, manifest = open_package(download(client, scenario.meeting, lansstyrelsen))

    assert "kallelse.html" in package.namelist() and "kallelse.pdf" not in package.namelist()
    assert scenario.meeting.title in package.read("kallelse.html").decode()


@pytest.mark.parametrize(
    "persona, party, status",
    [
        ("polis_member", "polisen", 403),
        ("lansstyrelsen_secretary", "polisen", 403),
        ("polis_coordinator", "polisen", 200),
        ("kommun_coordinator", "kommun", 200),
    ],
)
def test_only_a_partys_coordinators_and_secretaries_download_its_package(
    client, request, scenario, persona, party, status
):
    client.force_login(request.getfixturevalue(persona))
    response = download(client, scenario.meeting, request.getfixturevalue(party))
    assert response.status_code == status
    assert Event.objects.filter(action=Event.Action.PACKAGE_EXPORTED).count() == (status == 200)


def test_a_get_does_not_download(client, scenario, polisen, polis_secretary):
    client.force_login(polis_secretary)
    response = client.get(reverse("diarium_package", args=[scenario.meeting.pk, polisen.pk]))
    assert response.status_code == 405


def test_the_log_page_offers_the_package_to_those_who_may_download_it(
    client, scenario, polisen, lansstyrelsen, polis_secretary, polis_member
):
    client.force_login(polis_secretary)
    page = client.get(reverse("event_log", args=[scenario.meeting.pk])).content.decode()
    assert reverse("diarium_package", args=[scenario.meeting.pk, polisen.pk]) in page
    assert reverse("diarium_package", args=[scenario.meeting.pk, lansstyrelsen.pk]) not in page
    client.force_login(polis_member)
    page = client.get(reverse("event_log", args=[scenario.meeting.pk])).content.decode()
    assert "diarium/" not in page


def big_document(item, party, user, documents_dir, name, megabytes):
    """A document of ``megabytes`` written to disk a megabyte at a time, as a slow upload would have left it."""
    digest = hashlib.sha256()
    stored = f"big-{name}"
    with open(documents_dir / stored, "wb") as handle:
        for index in range(megabytes):
            chunk = bytes([index % 251]) * MB
            digest.update(chunk)
            handle.write(chunk)
    return Document.objects.create(
        agenda_item=item,
        party=party,
        uploaded_by=user,
        file=stored,
        original_name=name,
        content_type="application/pdf",
        size=megabytes * MB,
        sha256=digest.hexdigest(),
    )


def test_a_meeting_with_200_mb_of_documents_streams_in_flat_memory(
    client, tmp_path, documents_dir, scenario, polisen, polis_secretary, polis_member
):
    pdf_module()
    for number in range(4):
        big_document(scenario.item_a, polisen, polis_member, documents_dir, f"Bilaga {number + 1}.pdf", 50)
    client.force_login(polis_secretary)
    response = download(client, scenario.meeting, polisen)

    target = tmp_path / "package.zip"
    tracemalloc.start()
    try:
        with open(target, "wb") as handle:
            for chunk in response.streaming_content:
                handle.write(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert target.stat().st_size > 200 * MB
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB while streaming {target.stat().st_size / MB:.0f} MB"
    with zipfile.ZipFile(target) as package:
        manifest = json.loads(package.read("manifest.json"))
        for record in manifest["records"]:
            digest = hashlib.sha256()
            with package.open(record["file"]) as member:
                while chunk := member.read(MB):
                    digest.update(chunk)
            assert digest.hexdigest() == record["sha256"], record["file"]
    stored = {d.original_name: d.sha256 for d in Document.objects.filter(original_name__startswith="Bilaga")}
    listed = {r["title"]: r["sha256"] for r in manifest["records"] if r["title"].startswith("Bilaga")}
    assert listed == stored


def test_the_package_costs_the_same_queries_with_more_records(
    client, django_assert_max_num_queries, scenario, polisen, polis_secretary, polis_member
):
    from .agenda_support import attach

    client.force_login(polis_secretary)
    with django_assert_max_num_queries(40) as before:
        b"".join(download(client, scenario.meeting, polisen).streaming_content)
    for index in range(5):
        attach(scenario.item_b, polisen, polis_member, f"extra-{index}.txt", b"mer\n")
    with django_assert_max_num_queries(40) as after:
        b"".join(download(client, scenario.meeting, polisen).streaming_content)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_minutes_go_in_once_every_party_has_approved_them(
    client,
    held,
    kommun,
    lansstyrelsen,
    polisen,
    kommun_coordinator,
    lansstyrelsen_coordinator,
    lansstyrelsen_secretary,
    polis_coordinator,
    polis_secretary,
):
    from coordination.services import minutes, review

    pdf_module()
    by = {"meeting": held, "party": lansstyrelsen, "by": lansstyrelsen_secretary}
    minutes.save_entry(**by, item=held.items[0], text="PROTOKOLL-TEXT om NOA", base_version=0)
    review.send_for_review(**by)
    client.force_login(polis_secretary)
    package, _manifest = open_package(download(client, held, polisen))
    assert "PROTOKOLL-TEXT" not in every_text(package)  # under review: no record of every party's yet

    for party, user in (
        (kommun, kommun_coordinator),
        (lansstyrelsen, lansstyrelsen_coordinator),
        (polisen, polis_coordinator),
    ):
        review.approve(meeting=held, party=party, by=user, version=1)
    package, manifest = open_package(download(client, held, polisen))
    [record] = [r for r in manifest["records"] if r["kind"] == "minnesanteckningar"]
    assert record["file"] == "minnesanteckningar.pdf"
    assert record["origin"] == "inkommen från Länsstyrelsen Uppsala län, Uppsala kommun"
    assert "PROTOKOLL-TEXT" in every_text(package)

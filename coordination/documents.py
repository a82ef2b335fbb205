"""Documents: what may be uploaded, decided from the content and the name together, how a download is
named, the size limit while it streams in, and a folder that never holds half a file."""

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

import filetype
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.functional import cached_property
from django.utils.text import get_text_list
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class DocumentType:
    label: str  # what the form calls it
    extensions: tuple  # how the file's name may end; a download name lacking one gets the first


# The one allow-list: the kinds of file parties exchange. A file is accepted only when its content is of
# one of these kinds AND its name ends as that kind's does, so that it opens as what it is, wherever saved.
ALLOWED_TYPES = {
    "application/pdf": DocumentType("PDF", (".pdf",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DocumentType("DOCX", (".docx",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": DocumentType("XLSX", (".xlsx",)),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": DocumentType("PPTX", (".pptx",)),
    "application/vnd.oasis.opendocument.text": DocumentType("ODT", (".odt",)),
    "application/vnd.oasis.opendocument.spreadsheet": DocumentType("ODS", (".ods",)),
    "application/vnd.oasis.opendocument.presentation": DocumentType("ODP", (".odp",)),
    "image/png": DocumentType("PNG", (".png",)),
    "image/jpeg": DocumentType("JPEG", (".jpg", ".jpeg")),
    "image/gif": DocumentType("GIF", (".gif",)),
    "image/webp": DocumentType("WebP", (".webp",)),
    "text/plain": DocumentType("TXT", (".txt",)),
    "text/csv": DocumentType("CSV", (".csv",)),
}
TEXT_TYPE = "text/plain"
# Plain text content is either kind; its name says which.
TEXT_TYPES = ("text/plain", "text/csv")
# A stored document whose type is no longer on the list (none the app made) downloads as bytes to save.
UNLISTED_TYPE = "application/octet-stream"
UNLISTED_EXTENSION = ".bin"
# Text that a browser could take for a page or an image is not plain text, wherever the markup starts
# (after a byte order mark, a comment, or a saved page's header).
MARKUP = re.compile(rb"<(!doctype|html|head|body|script|svg|\?xml|iframe|object|embed)\b", re.IGNORECASE)
HEADER_BYTES = 8192
# What a quoted file name may hold for a client that reads only the plain filename parameter.
NOT_IN_FALLBACK_NAME = re.compile(r"[^A-Za-z0-9 ()_.,+-]")


class NotAllowed(ValueError):
    """The upload is no document Samråd takes; the message tells the uploader why and what to do."""


def accepted_kinds():
    return get_text_list([kind.label for kind in ALLOWED_TYPES.values()])


def allowed_type(upload, name):
    """The allowed MIME type that the upload's content and its name agree on. NotAllowed if there is none.

    `name` is the display name (see display_name), the one the file is shown and downloaded under.
    """
    content_type = detect_content_type(upload)
    if content_type is None:
        raise NotAllowed(
            _("Samråd accepts only these kinds of file: %(kinds)s. This file's content is none of them.")
            % {"kinds": accepted_kinds()}
        )
    candidates = TEXT_TYPES if content_type == TEXT_TYPE else (content_type,)
    for candidate in candidates:
        if extension(name) in ALLOWED_TYPES[candidate].extensions:
            return candidate
    raise NotAllowed(
        _(
            "The file's content is %(kind)s, but its name does not end in %(endings)s. Rename the file so that "
            "it does, and add it again."
        )
        % {
            "kind": get_text_list([ALLOWED_TYPES[candidate].label for candidate in candidates]),
            "endings": get_text_list(
                [ending for candidate in candidates for ending in ALLOWED_TYPES[candidate].extensions]
            ),
        }
    )


def detect_content_type(upload):
    """The MIME type of the upload's content if it is an allowed kind (plain text is TEXT_TYPE), else None."""
    upload.seek(0)
    header = upload.read(HEADER_BYTES)
    upload.seek(0)
    kind = filetype.guess(header)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    return TEXT_TYPE if _is_plain_text(upload) else None


def extension(name):
    return PurePosixPath(name).suffix.lower()


def _is_plain_text(upload):
    if MARKUP.search(upload.read(HEADER_BYTES)):
        upload.seek(0)
        return False
    upload.seek(0)
    try:
        text = b"".join(upload.chunks()).decode("utf-8")
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    return not any(unicodedata.category(char) == "Cc" and char not in "\t\n\r\f" for char in text)


def sha256_of(upload):
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def display_name(name):
    """The uploader's file name, safe to show and to offer as a download name.

    Path parts and control characters are dropped and the length is capped,
    keeping the extension. The file itself is stored under a generated name.
    """
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip(" .")
    if len(name) > 200:
        stem, dot, ending = name.rpartition(".")
        name = f"{stem[:190]}.{ending[:9]}" if dot and len(ending) <= 9 else name[:200]
    return name or "dokument"


def served_type(content_type):
    """The Content-Type a document is downloaded with: its own if on the allow-list, else plain bytes."""
    return content_type if content_type in ALLOWED_TYPES else UNLISTED_TYPE


def download_name(name, content_type):
    """The name a download is saved under: the display name, ending as its type's names do.

    A document stored before the name had to agree with the content ("notes.js"
    of plain text) gets its type's ending added ("notes.js.txt"), so the saved
    file opens as what it is and is never run.
    """
    name = display_name(name)
    kind = ALLOWED_TYPES.get(content_type)
    endings = kind.extensions if kind else (UNLISTED_EXTENSION,)
    return name if extension(name) in endings else name + endings[0]


def attachment_disposition(name):
    """Content-Disposition for a download of `name` (a download_name): always an attachment.

    The full name goes in filename* (RFC 5987, UTF-8, percent-encoded), which
    every current browser uses; the plain filename is an ASCII stand-in with
    nothing a client could misread: no quotes, backslashes, slashes or line breaks.
    """
    stem, ending = (
        NOT_IN_FALLBACK_NAME.sub("_", unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode())
        for part in os.path.splitext(name)
    )
    fallback = (stem.strip(" ._") or "dokument") + ending
    return f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(name, safe='')}"


class SizeLimitUploadHandler(FileUploadHandler):
    """Refuses a file over settings.DOCUMENT_MAX_BYTES while it streams in.

    It stops the upload at the first chunk past the limit, so nothing over the
    limit is ever written, and notes the field on the request so the form can
    say what the limit is.
    """

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.DOCUMENT_MAX_BYTES:
            self.request.refused_uploads = getattr(self.request, "refused_uploads", set()) | {self.field_name}
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class DocumentStorage(FileSystemStorage):
    """The documents folder, settings.DOCUMENTS_ROOT: outside the static and public folders, with no URL.

    It follows a change of DOCUMENTS_ROOT (as tests make) the way Django's own
    file storage follows MEDIA_ROOT.
    """

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.DOCUMENTS_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "DOCUMENTS_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def _save(self, name, content):
        # Written under a partial name and renamed into place only when complete: a write that fails half
        # way (a full disk) leaves no half file that looks like a document, and no leftover at all.
        partial = f"{name}.partial"
        try:
            partial = super()._save(partial, content)
            os.replace(self.path(partial), self.path(name))
        except Exception:
            if self.exists(partial):
                self.delete(partial)
            raise
        return name

    def url(self, name):
        raise NotImplementedError("Documents have no public URL; they are served by the download view.")

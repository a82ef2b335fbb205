"""Documents: what may be uploaded, decided from the content, and the size limit while it streams in."""

import hashlib
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.functional import cached_property

# The types parties exchange: what the content is, not what the name or the browser claims.
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "text/plain": "TXT",
}
TEXT_TYPE = "text/plain"
# Text that a browser could take for a page or an image is not plain text, wherever the markup starts
# (after a byte order mark, a comment, or a saved page's header).
MARKUP = re.compile(rb"<(!doctype|html|head|body|script|svg|\?xml|iframe|object|embed)\b", re.IGNORECASE)
HEADER_BYTES = 8192


def detect_content_type(upload):
    """The MIME type of the upload's content if it is an allowed type, else None."""
    upload.seek(0)
    header = upload.read(HEADER_BYTES)
    upload.seek(0)
    kind = filetype.guess(header)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    return TEXT_TYPE if _is_plain_text(upload) else None


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
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:190]}.{extension[:9]}" if dot and len(extension) <= 9 else name[:200]
    return name or "dokument"


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

    def url(self, name):
        raise NotImplementedError("Documents have no public URL; they are served by the download view.")

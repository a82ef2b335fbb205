"""The kallelse as a PDF, made on the server from the very page people see: tagged (PDF/UA-1) and offline.

WeasyPrint lays out the page's HTML with its print stylesheet. Whatever the
page links, it may only read the app's own static files from disk: every
other address is refused, so a made PDF never waits on, or tells, the network.
"""

import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse

# The address the page is laid out at: .invalid never resolves (RFC 2606), so nothing could be fetched from it
# even if a request ever left this module.
BASE_URL = "https://kallelse.invalid/"


class StaticFilesOnly(URLFetcher):
    """Serves the app's static files from disk and refuses every other address."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        prefix = "/" + settings.STATIC_URL.lstrip("/")
        if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not parts.path.startswith(prefix):
            raise ValueError(f"Not one of the app's static files: {url}")
        path = static_file(unquote(parts.path.removeprefix(prefix)))
        if path is None:
            raise ValueError(f"No such static file: {url}")
        with open(path, "rb") as file:
            body = file.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, headers={"Content-Type": content_type})


def static_file(name):
    """The file of a static name: as collected (production, hashed names), else from the app's folders."""
    try:
        if staticfiles_storage.exists(name):
            return staticfiles_storage.path(name)
        return finders.find(name)
    except SuspiciousFileOperation:
        return None


def render_pdf(html):
    """The PDF of the kallelse's HTML: tagged for screen readers (PDF/UA-1), its language and title the page's."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly(), media_type="print").write_pdf(
        pdf_variant="pdf/ua-1"
    )

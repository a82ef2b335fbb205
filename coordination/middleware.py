"""Response headers that protect what the parties write: nothing of a meeting is kept in a cache."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response; Cache-Control: no-store on every page a logged-in user gets.

    A response that sets its own Cache-Control (the calendar feed, which
    calendars revalidate with ETags) keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

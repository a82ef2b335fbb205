"""Django's admin site, which also asks for the second factor where it is required."""

from django.contrib import admin

from . import rules, two_factor


class AdminSite(admin.AdminSite):
    """Admits the staff Django admits, but one who must use two-factor login only once this session gave a code.

    The middleware sends such a user to the set-up or the login first; the site
    checks again itself, since it shows every party's drafts.
    """

    def has_permission(self, request):
        user = request.user
        return super().has_permission(request) and (
            two_factor.session_verified(request) or not rules.must_use_two_factor(user)
        )

"""Values every page's header shows."""

import functools

from django.utils.functional import SimpleLazyObject

from . import rules


def user_parties(request):
    """The parties the logged-in user acts for, shown beside their name, and whether the menu offers "My party".

    One query, made only when a page shows them.
    """

    @functools.cache
    def memberships():
        if not request.user.is_authenticated:
            return []
        return list(request.user.memberships.select_related("party").order_by("party__name"))

    def roles():
        return {m.party_id: m.role for m in memberships()}

    return {
        "user_parties": SimpleLazyObject(lambda: [m.party.short_name for m in memberships()]),
        "manages_a_party": SimpleLazyObject(lambda: bool(rules.managed_party_ids(roles()))),
    }

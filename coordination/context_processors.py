"""Values every page's header shows."""

from django.utils.functional import SimpleLazyObject

from . import rules


def user_parties(request):
    """The parties the logged-in user acts for, shown beside their name, and whether the menu offers "My party".

    Read only when a page shows them, and then once per request with the access helper's (rules.request_memberships).
    """
    return {
        "user_parties": SimpleLazyObject(lambda: [m.party.short_name for m in rules.request_memberships(request)]),
        "manages_a_party": SimpleLazyObject(lambda: bool(rules.managed_party_ids(rules.request_roles(request)))),
    }

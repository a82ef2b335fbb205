"""Values every page's header shows."""

from django.utils.functional import SimpleLazyObject


def user_parties(request):
    """The parties the logged-in user acts for, shown beside their name; queried only when a page shows it."""

    def parties():
        if not request.user.is_authenticated:
            return []
        return [m.party.short_name for m in request.user.memberships.select_related("party").order_by("party__name")]

    return {"user_parties": SimpleLazyObject(parties)}

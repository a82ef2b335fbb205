"""The user's own things: logging in with their language, choosing a language, the calendar feed."""

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from .. import feeds
from ..models import Profile


class LoginView(auth_views.LoginView):
    """Django's login, which then shows the app in the language the user chose before."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        profile = Profile.objects.filter(user=form.get_user()).first()
        if profile:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, profile.language, samesite="Lax")
        return response


@require_POST
def choose_language(request):
    """Django's set_language, remembered on the account so mail and the next login use it too."""
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
    return set_language(request)


@login_required
def account(request):
    """The user's own page: their language and their calendar feed address."""
    context = {
        "active_feed": request.user.feed_tokens.filter(revoked_at__isnull=True).first(),
        "new_feed_url": _feed_links(request, request.session.pop(NEW_FEED_TOKEN, None)),
        "memberships": request.user.memberships.select_related("party"),
    }
    return render(request, "coordination/account.html", context)


# The session key under which the new address waits for the next page; the name, not a secret.
NEW_FEED_TOKEN = "samrad-new-feed-token"  # nosec B105


def _feed_links(request, token):
    """The three ways to subscribe: the https address, webcal:// for desktop calendars, and Google's import link."""
    if not token:
        return None
    url = request.build_absolute_uri(reverse("feed", args=[token]))
    webcal = "webcal://" + url.split("://", 1)[1]
    return {"https": url, "webcal": webcal, "google": "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal})}


@login_required
@require_POST
def feed_new(request):
    # Shown once, on the next page: only the token's hash is stored.
    request.session[NEW_FEED_TOKEN] = feeds.new_feed_token(request.user)
    messages.success(request, _("Your new calendar address is below. Any earlier address no longer works."))
    return redirect("account")


@login_required
@require_POST
def feed_revoke(request):
    feeds.revoke_feed_tokens(request.user)
    messages.success(request, _("Your calendar address no longer works. Calendars that subscribed to it stop updating."))
    return redirect("account")


@require_GET
def feed(request, token):
    """The feed itself. No login: the secret address is the key, and it is checked on every request."""
    user = feeds.user_for_token(token)
    if user is None:
        raise Http404
    body = feeds.build_feed(user, timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = quote_etag(hashlib.sha256(body).hexdigest())
    response["Cache-Control"] = "private, no-cache"
    return get_conditional_response(request, etag=response["ETag"], response=response)

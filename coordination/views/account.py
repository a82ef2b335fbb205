"""The user's own things: logging in (with a second step for two-factor login), the password,
two-factor login, choosing a language, the calendar feed, the notices."""

import math
import time
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseGone, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language

from .. import rules, two_factor
from ..forms import NoticePreferencesForm, OneTimeCodeForm, PasswordResetForm
from ..models import Profile
from ..security import account_login_wait, allow_password_reset, lockout_username, log_security_event
from ..services import feeds, notices

# Set at login and removed at logout: a browser that still has it but no session lost the session
# to inactivity (or to a password change elsewhere), and the login page says so.
HAD_SESSION_COOKIE = "samrad-had-session"
WRONG_CODE = gettext_lazy("That code is not right, or it has been used already. Wait for the next code and try again.")


def logged_in(response, user):
    """The response that ends a login: the app in the user's language, and the mark of a session."""
    profile = Profile.objects.filter(user=user).first()
    if profile:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, profile.language, samesite="Lax")
    response.set_cookie(
        HAD_SESSION_COOKIE,
        "1",
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


class LoginView(auth_views.LoginView):
    """Django's login (axes counts its failures); a user with two-factor login goes on to the code step."""

    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.delete_cookie(HAD_SESSION_COOKIE, samesite="Lax")
        return response

    def post(self, request, *args, **kwargs):
        return _wait_for_account(request, lockout_username(request, None)) or super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        session_ended = self.request.method == "GET" and bool(self.request.COOKIES.get(HAD_SESSION_COOKIE))
        return super().get_context_data(session_ended=session_ended, idle_hours=settings.SESSION_IDLE_HOURS, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.confirmed_device(user) is not None:
            two_factor.hold_pending_login(self.request, user)
            return redirect(reverse("login_code") + "?" + urlencode({"next": self.get_success_url()}))
        return logged_in(super().form_valid(form), user)


class LoginCodeView(auth_views.LoginView):
    """The second step of a two-factor login. Wrong codes count towards the same lockout as wrong passwords."""

    form_class = OneTimeCodeForm
    template_name = "registration/login_code.html"

    def dispatch(self, request, *args, **kwargs):
        self.pending_user = two_factor.pending_login_user(request)
        if self.pending_user is None:
            return redirect("login")
        credentials = {"username": self.pending_user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return locked_out(request, None, credentials)
        if request.method == "POST" and (waiting := _wait_for_account(request, credentials["username"])):
            return waiting
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = self.pending_user
        if not two_factor.finish_pending_login(request=self.request, user=user, code=form.cleaned_data["code"]):
            form.add_error("code", WRONG_CODE)
            return self.form_invalid(form)
        return logged_in(HttpResponseRedirect(self.get_success_url()), user)


def locked_out(request, original_response, credentials):
    """Axes' answer to an account locked for this client (settings.AXES_LOCKOUT_CALLABLE)."""
    log_security_event("lockout", request, username=(credentials or {}).get("username"))
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = ngettext(
        "Logging in to this account has failed too many times from this network. "
        "For your safety, logging in is paused here. Try again in %(minutes)d minute.",
        "Logging in to this account has failed too many times from this network. "
        "For your safety, logging in is paused here. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    return _too_many_attempts(request, message, settings.AXES_COOLOFF_TIME.total_seconds())


def _wait_for_account(request, username):
    """The answer to a login for an account that must still wait (security.account_login_wait), or None.

    The password is not checked, and the refusal is not a failure.
    """
    wait = account_login_wait(username)
    if not wait:
        return None
    log_security_event("login_delayed", request, username=username)
    seconds = math.ceil(wait.total_seconds())
    if seconds < 60:
        how_long = ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    else:
        minutes = math.ceil(seconds / 60)
        how_long = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    message = _(
        "Logging in to this account has failed many times. For your safety, every new try must wait a while. "
        "Wait %(how_long)s and try again."
    ) % {"how_long": how_long}
    return _too_many_attempts(request, message, seconds)


def _too_many_attempts(request, message, retry_after):
    """429 Too Many Requests: refused for the rate, not for who asked.

    The page is the same whether or not the account exists, since failures are
    counted for any username typed.
    """
    response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(math.ceil(retry_after))
    return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response.delete_cookie(HAD_SESSION_COOKIE, samesite="Lax")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change. It keeps this session and ends every other one (their session hash no longer matches)."""

    template_name = "registration/account_form.html"
    success_url = reverse_lazy("account")
    extra_context = {
        "heading": gettext_lazy("Change password"),
        "intro": gettext_lazy(
            "When you change your password, you are logged out on every other computer and phone where you are logged in."
        ),
        "button": gettext_lazy("Change password"),
    }

    def form_valid(self, form):
        response = super().form_valid(form)
        log_security_event("password_changed", self.request, user=form.user)
        messages.success(self.request, _("Your password is changed. You are logged out everywhere else."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset by e-mail, its mail written to the outbox (``PasswordResetForm``).

    The answer is the same whether or not the address has an account, and
    whether or not the request was over the limit of its address or client;
    so is its time: writing the mail costs a commit (about 20 ms on SQLite),
    which would tell a known address from an unknown one, so every answer
    waits until settings.PASSWORD_RESET_ANSWER_SECONDS have passed.
    """

    form_class = PasswordResetForm
    template_name = "registration/password_reset.html"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        started = time.monotonic()
        email = form.cleaned_data["email"]
        log_security_event("password_reset_requested", self.request)
        if allow_password_reset(self.request, email):
            response = super().form_valid(form)
        else:
            log_security_event("password_reset_throttled", self.request, username=email)
            response = HttpResponseRedirect(self.get_success_url())
        time.sleep(max(0.0, settings.PASSWORD_RESET_ANSWER_SECONDS - (time.monotonic() - started)))
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the mail: a new password, which (as a change does) ends every session of the account."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        log_security_event("password_reset", self.request, user=form.user)
        return response


@login_required
@require_POST
def two_factor_start(request):
    two_factor.start_setup(request.user)
    return redirect("two_factor_setup")


@login_required
def two_factor_setup(request):
    """Set up two-factor login: scan the code (or type the key), then prove it works with a first code."""
    if two_factor.confirmed_device(request.user) is not None:
        return redirect("account")
    device = two_factor.started_device(request.user)
    form = OneTimeCodeForm(request.POST or None)
    if device is not None and form.is_valid():
        if two_factor.confirm_device(request=request, device=device, code=form.cleaned_data["code"]):
            messages.success(
                request, _("Two-factor login is on. From now on you log in with your password and a code.")
            )
            return redirect("account")
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "device": device,
        "required": rules.must_use_two_factor(request.user),
        **(two_factor.setup_details(device) if device else {}),
    }
    return render(request, "coordination/two_factor_setup.html", context)


@login_required
def two_factor_remove(request):
    """Turn two-factor login off; a current code proves that the person at the keyboard has the phone."""
    if two_factor.confirmed_device(request.user) is None:
        return redirect("account")
    form = OneTimeCodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.remove_device(request=request, user=request.user, code=form.cleaned_data["code"]):
            messages.success(request, _("Two-factor login is off. You log in with your password only."))
            return redirect("account")
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "heading": _("Turn off two-factor login"),
        "intro": _(
            "Without two-factor login, anyone who learns your password can log in as you. To turn it off, enter a "
            "current code from your authenticator app."
        ),
        "button": _("Turn off two-factor login"),
        "danger": True,
    }
    return render(request, "registration/account_form.html", context)


@require_POST
def choose_language(request):
    """Django's set_language, remembered on the account so mail and the next login use it too."""
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
    return set_language(request)


@login_required
def account(request, notice_form=None):
    """The user's own page: their parties, password, two-factor login, calendar feed address and notices."""
    if notice_form is None:
        notice_form = NoticePreferencesForm(instance=notices.preferences_of([request.user])[request.user.pk])
    context = {
        "active_feed": request.user.feed_tokens.filter(revoked_at__isnull=True).first(),
        "new_feed_url": _feed_links(request, request.session.pop(NEW_FEED_TOKEN, None)),
        "memberships": request.user.memberships.select_related("party"),
        "two_factor_on": two_factor.confirmed_device(request.user) is not None,
        "notice_form": notice_form,
        "digest_hours": settings.NOTICE_DIGEST_HOURS,
    }
    return render(request, "coordination/account.html", context, status=400 if notice_form.errors else 200)


@login_required
@require_POST
def notice_preferences(request):
    """The user chooses how each kind of notice reaches them. Always their own: the URL names no one."""
    form = NoticePreferencesForm(request.POST)
    if not form.is_valid():
        return account(request, notice_form=form)
    notices.choose_delivery(user=request.user, choices=form.cleaned_data)
    messages.success(request, _("Your choice of notices is saved."))
    return redirect(reverse("account") + "#notices-heading")


# The session key under which the new address waits for the next page; the name, not a secret.
NEW_FEED_TOKEN = "samrad-new-feed-token"  # nosec B105


def _feed_links(request, token):
    """The three ways to subscribe: the https address, webcal:// for desktop calendars, and Google's import link."""
    if not token:
        return None
    url = request.build_absolute_uri(reverse("feed", args=[token]))
    webcal = "webcal://" + url.split("://", 1)[1]
    return {
        "https": url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal}),
    }


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
    messages.success(
        request, _("Your calendar address no longer works. Calendars that subscribed to it stop updating.")
    )
    return redirect("account")


@require_safe
def feed(request, token):
    """The feed itself. No login: the secret address is the key, and it is checked on every request.

    Answered like a calendar server: ETag and Last-Modified, and a 304 to a calendar that already has
    this content without writing the calendar out; a turned-off address is 410 Gone, so it stops asking.
    """
    address = feeds.feed_token(token)
    if address is None or not address.user.is_active:
        raise Http404
    if address.revoked_at is not None:
        with translation.override(feeds.feed_language(address.user)):
            gone = _("This calendar address has been turned off. Make a new one on your account page in Samråd.")
        return HttpResponseGone(gone, content_type="text/plain; charset=utf-8")
    now = timezone.now()
    user_feed = feeds.user_feed(address.user, now)
    etag = quote_etag(user_feed.etag)
    last_modified = int(feeds.feed_changed_at(address, user_feed.etag, now).timestamp())
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    response = not_modified or HttpResponse(user_feed.text(), content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "private, no-cache"
    return response

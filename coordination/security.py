"""The security log: one line per login, logout, failure, lockout, password or two-factor change.

Lines go to the ``samrad.security`` logger (configured in settings.LOGGING) and
name the user, the client address and the event; the time comes from the log
record. No password or code is ever written.

Logins, logouts and failed logins are logged from Django's own auth signals,
because Django sends them from every way in (our login page, the admin, the
second step of a two-factor login) and a security log must not miss one; the
events that only our views cause are logged by those views.
"""

import datetime
import hashlib
import logging

from axes.helpers import get_client_ip_address
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.db.models import Count, Max
from django.dispatch import receiver
from django.utils import timezone

from . import sso

logger = logging.getLogger("samrad.security")
# No account has a longer name (Django's User.username), and axes keeps the name in a column of 255.
USERNAME_LENGTH = 150
# The window of the password reset limits, in seconds: it starts at the first request counted.
RESET_WINDOW = 3600


def lockout_username(request, credentials):
    """The name axes counts failures under (settings.AXES_USERNAME_CALLABLE): as typed, without NUL characters
    and cut to an account name's length.

    No account name holds a NUL or is longer, so dropping them loses nothing, and PostgreSQL
    refuses both in a query or a row, which would turn a refused login into a 500.
    """
    typed = (credentials or {}).get("username") or request.POST.get("username") or ""
    return typed.replace("\x00", "")[:USERNAME_LENGTH]


def account_login_wait(username):
    """How long a login for ``username`` must still wait, from any client: zero when it may try now.

    Axes locks one name from one client. Across all clients, failures only slow
    the account down, so that many clients together cannot guess on and nobody
    can lock a person out: after settings.LOGIN_ACCOUNT_DELAY_AFTER failures
    within LOGIN_ACCOUNT_WINDOW, the next try waits LOGIN_ACCOUNT_DELAY_FIRST
    after the last failure, doubled for every further failure up to
    LOGIN_ACCOUNT_DELAY_MAX. A try refused for waiting is not a failure, so it
    does not make the wait longer.
    """
    now = timezone.now()
    AccessFailureLog.objects.filter(attempt_time__lt=now - settings.LOGIN_ACCOUNT_WINDOW).delete()
    failures = AccessFailureLog.objects.filter(username=username).aggregate(count=Count("id"), last=Max("attempt_time"))
    doublings = failures["count"] - settings.LOGIN_ACCOUNT_DELAY_AFTER
    if doublings < 0:
        return datetime.timedelta(0)
    # 2**20 times 5 s is two months, past any sensible maximum; more doublings could overflow a timedelta.
    delay = min(settings.LOGIN_ACCOUNT_DELAY_FIRST * 2 ** min(doublings, 20), settings.LOGIN_ACCOUNT_DELAY_MAX)
    return max(failures["last"] + delay - now, datetime.timedelta(0))


def log_security_event(event, request, *, user=None, username=None, provider=None, by=None, party=None):
    """Write one event. ``user`` when the account is known; otherwise the username as it was typed.

    ``provider``: the identity provider a single sign-on event came from. ``by`` is who did it to ``user``
    (a coordinator managing their party's people), ``party`` the party concerned.
    """
    if user is not None:
        who = f"user_id={user.pk} username={user.get_username()!r}"
    else:
        who = f"user_id=- username={username or ''!r}"
    if provider is not None:
        who += f" provider={provider}"
    if by is not None:
        who += f" by_user_id={by.pk}"
    if party is not None:
        who += f" party_id={party.pk}"
    client = get_client_ip_address(request) if request is not None else None
    logger.info("%s %s client_ip=%s", event, who, client or "-")


def log_guest_event(event, request, guest=None):
    """Write one event of a guest's link (views/guests.py): every use, and every refusal with its reason."""
    who = f"guest_id={guest.pk} meeting_id={guest.meeting_id}" if guest is not None else "guest_id=-"
    logger.info("%s %s client_ip=%s", event, who, get_client_ip_address(request) or "-")


def allow_password_reset(request, email):
    """Count one password reset request for the address typed and for the client (as axes reads it).

    False once either has made more than its limit within the hour
    (settings.PASSWORD_RESET_LIMIT_PER_ADDRESS, _PER_CLIENT). The counters live
    in Django's cache: shared by every process when REDIS_URL names Redis.
    """
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    client = get_client_ip_address(request) or "-"
    per_address = _count(f"samrad:reset:address:{address}")
    per_client = _count(f"samrad:reset:client:{client}")
    return (
        per_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
        and per_client <= settings.PASSWORD_RESET_LIMIT_PER_CLIENT
    )


def _count(key):
    cache.add(key, 0, timeout=RESET_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RESET_WINDOW)
        return 1


@receiver(user_logged_in, dispatch_uid="samrad-security-login")
def _logged_in(sender, request, user, **kwargs):
    log_security_event("sso_login" if sso.signed_in_with_sso(request) else "login", request, user=user)


@receiver(user_logged_out, dispatch_uid="samrad-security-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        log_security_event("sso_logout" if sso.signed_in_with_sso(request) else "logout", request, user=user)


@receiver(user_login_failed, dispatch_uid="samrad-security-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in ``credentials`` by stars; only the username is read.
    log_security_event("login_failed", request, username=credentials.get("username"))

"""Two-factor login with a TOTP app (any authenticator app): setting it up, using it, removing it.

A user has at most one TOTP device. Until its first code is entered it is
unconfirmed and does nothing; once confirmed, every login asks for a code.
django-otp checks each code: a code is accepted once only, and after a wrong
one the device refuses further tries for a doubling number of seconds.
"""

import base64
import datetime

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import sso
from .security import log_security_event

# How long a password, once accepted, waits in the session for its code.
PENDING_LOGIN = "samrad-pending-login"
PENDING_LOGIN_SECONDS = 300


def session_verified(request):
    """The session's login had a second factor: a code here, or the login at the user's own provider.

    An organisation's identity provider asks for its own second factor, so a
    session it made is not asked for a code here as well.
    """
    return request.user.is_verified() or sso.signed_in_with_sso(request)


def confirmed_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def started_device(user):
    """The device being set up, if the user has started: the same one across page loads, so the QR code stays put."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=False).first()


def start_setup(user):
    """A new device to set up, unless the user has one in use or one half set up already."""
    if confirmed_device(user) is None and started_device(user) is None:
        TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)


def setup_details(device):
    """What the set-up page shows: a QR code as a data: URL (allowed by the CSP's img-src) and the key as text."""
    qr = segno.make(device.config_url, error="m")
    key = base64.b32encode(device.bin_key).decode()
    return {
        "qr_data_uri": qr.svg_data_uri(scale=5, border=4, dark="#000", light="#fff"),
        "key_groups": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
    }


@transaction.atomic
def confirm_device(*, request, device, code):
    """Confirm the device with its first code. Side effects: the session counts as verified; security log."""
    if not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    log_security_event("two_factor_enrolled", request, user=device.user)
    return True


@transaction.atomic
def remove_device(*, request, user, code):
    """Remove the user's device if ``code`` is a current one from it. Side effect: security log."""
    device = confirmed_device(user)
    if device is None or not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=user).delete()
    log_security_event("two_factor_removed", request, user=user)
    return True


def hold_pending_login(request, user):
    """Keep a user whose password was right, but who still owes a code, in the session — not logged in."""
    request.session[PENDING_LOGIN] = {"user_id": user.pk, "backend": user.backend, "at": timezone.now().timestamp()}


def pending_login_user(request):
    """The user waiting for the second step, or None when there is none or it waited too long."""
    pending = request.session.get(PENDING_LOGIN)
    if not pending:
        return None
    waited = timezone.now() - datetime.datetime.fromtimestamp(pending["at"], tz=datetime.UTC)
    if waited.total_seconds() > PENDING_LOGIN_SECONDS:
        del request.session[PENDING_LOGIN]
        return None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user


def finish_pending_login(*, request, user, code):
    """The second step: log the waiting user in if ``code`` is current.

    Side effects: on success the session is logged in and verified (and the
    login is in the security log); on a wrong code Django's ``user_login_failed``
    is sent, so that axes counts it towards the lockout like a wrong password
    and the security log has it.
    """
    device = confirmed_device(user)
    if device is None or not device.verify_token(code):
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
        return False
    del request.session[PENDING_LOGIN]
    auth_login(request, user)
    otp_login(request, device)
    return True

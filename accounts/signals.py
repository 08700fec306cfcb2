"""Security events into the audit trail (login, logout, failures, lockouts, credential changes)."""

import time

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from psn import audit

from .lockout import username_from_request
from .middleware import AUTH_AT, LAST_ACTIVITY, MFA_OK


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[AUTH_AT] = now
        request.session[LAST_ACTIVITY] = now
    audit.record(action="logged_in", actor=user, obj=user, request=request)


@receiver(user_logged_out)
def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(action="logged_out", actor=user, obj=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    email = username_from_request(request, credentials) or ""
    target = get_user_model().objects.filter(email=email).first() if email else None
    audit.record(
        action="login_failed",
        obj=target,
        object_type="accounts.user",
        object_repr=email,
        request=request,
    )


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    # Axes signals again on every attempt while locked (each is already a "login failed" event):
    # record the lock itself once, when the count reaches the limit.
    if getattr(request, "axes_failures_since_start", settings.PSN_LOCKOUT_FAILURES) > settings.PSN_LOCKOUT_FAILURES:
        return
    target = get_user_model().objects.filter(email=username).first() if username else None
    audit.record(
        action="locked_out", obj=target, object_type="accounts.user", object_repr=username or "", request=request
    )


def _credential_changed(what: str, how: str = "changed"):
    def handler(sender, request, user, authenticator=None, **kwargs):
        # Enrolling an app adds two authenticators (TOTP and recovery codes): say which one each event is.
        change = f"{authenticator.type} {how}" if authenticator is not None else how
        audit.record(action="changed", actor=user, obj=user, changes={what: ["", change]}, request=request)
        if what.startswith("mfa") and request is not None and hasattr(request, "session"):
            request.session.pop(MFA_OK, None)

    return handler


_handlers = {
    "password": _credential_changed("password"),
    "mfa_added": _credential_changed("mfa", "added"),
    "mfa_removed": _credential_changed("mfa", "removed"),
    "mfa_reset": _credential_changed("mfa", "reset"),
}
password_changed.connect(_handlers["password"], dispatch_uid="psn_password_changed")
password_set.connect(_handlers["password"], dispatch_uid="psn_password_set")
password_reset.connect(_handlers["password"], dispatch_uid="psn_password_reset")
authenticator_added.connect(_handlers["mfa_added"], dispatch_uid="psn_mfa_added")
authenticator_removed.connect(_handlers["mfa_removed"], dispatch_uid="psn_mfa_removed")
authenticator_reset.connect(_handlers["mfa_reset"], dispatch_uid="psn_mfa_reset")

"""Session lifetime (idle and absolute) and MFA enrolment, enforced on every request."""

import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_ACTIVITY = "psn_last_activity"
AUTH_AT = "psn_auth_at"
MFA_OK = "psn_mfa_ok"
# Writing the session on every request is a database write per request; a minute of slack is fine.
ACTIVITY_RESOLUTION = 60
# Paths whose requests never count as activity (the idle-warning script polls this one).
PASSIVE_PATHS = ("/session/status/",)


class SessionLifetimeMiddleware:
    """Logs out after PSN_IDLE_TIMEOUT without activity and PSN_SESSION_MAX_AGE after login in any case."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            auth_at = session.setdefault(AUTH_AT, now)
            last = session.get(LAST_ACTIVITY, now)
            expired = None
            if now - auth_at > settings.PSN_SESSION_MAX_AGE:
                expired = _("Your session reached its maximum length. Please sign in again.")
            elif now - last > settings.PSN_IDLE_TIMEOUT:
                expired = _("You were signed out after a period of inactivity. Please sign in again.")
            if expired:
                logout(request)
                if request.path.startswith("/api/") or request.path in PASSIVE_PATHS:
                    return JsonResponse({"detail": expired, "code": "session_expired"}, status=401)
                # This runs before MessageMiddleware (nothing else should see an expired session), so it
                # sets up the message storage itself and writes it to the response.
                request._messages = default_storage(request)
                messages.info(request, expired)
                response = redirect_to_login(request.get_full_path(), reverse("account_login"))
                request._messages.update(response)
                return response
            if request.path not in PASSIVE_PATHS and (
                LAST_ACTIVITY not in session or now - last >= ACTIVITY_RESOLUTION
            ):
                session[LAST_ACTIVITY] = now
        return self.get_response(request)


def user_has_mfa(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


class RequireMFAMiddleware:
    """With PSN_REQUIRE_MFA on, a signed-in user without a second factor can only enrol one (or sign out)."""

    # allauth asks for the password again before adding an authenticator (MFA_REAUTHENTICATION_REQUIRED),
    # so the reauthentication page must stay reachable or enrolment loops back on itself.
    ALLOWED_URL_NAMES = (
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "account_reauthenticate",
        "account_logout",
        "session_status",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed_paths: tuple[str, ...] | None = None

    def _allowed(self) -> tuple[str, ...]:
        if self._allowed_paths is None:
            self._allowed_paths = tuple(reverse(name) for name in self.ALLOWED_URL_NAMES)
        return self._allowed_paths

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.PSN_REQUIRE_MFA
            and user is not None
            and user.is_authenticated
            and not request.session.get(MFA_OK)
            and not request.path.startswith(("/static/", "/healthz", "/readyz", "/i18n/"))
            and request.path not in self._allowed()
        ):
            if user_has_mfa(user):
                request.session[MFA_OK] = True
            elif request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Set up two-factor authentication before using the API."), "code": "mfa_required"},
                    status=403,
                )
            else:
                messages.warning(request, _("Set up two-factor authentication to continue."))
                return redirect("mfa_activate_totp")
        return self.get_response(request)

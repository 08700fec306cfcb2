"""Account lockout (CJIS 5.5.3): PSN_LOCKOUT_FAILURES failed logins within PSN_LOCKOUT_WINDOW lock the
account until a partner admin, coordinator or site admin releases it.

django-axes counts and locks; this module adds the sliding window axes lacks when locks never cool
off on their own, names the account by its normalised email, and renders the lockout page.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _


def username_from_request(request, credentials: dict | None = None) -> str | None:
    """The email the login was tried with, normalised the way accounts store it."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if value is None and request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("login") or data.get("email") or data.get("username")
    if not isinstance(value, str):
        return None
    return value.strip().lower()[:254] or None


def is_locked(email: str) -> bool:
    total = AccessAttempt.objects.filter(username=email.lower()).aggregate(n=Sum("failures_since_start"))["n"] or 0
    return total >= settings.PSN_LOCKOUT_FAILURES


def locked_usernames() -> list[str]:
    rows = (
        AccessAttempt.objects.values("username")
        .annotate(n=Sum("failures_since_start"))
        .filter(n__gte=settings.PSN_LOCKOUT_FAILURES)
    )
    return [row["username"] for row in rows]


def _forget_window_failures(email: str) -> None:
    # The handler below rebuilds the count from the failure log, so the window's failures must go too.
    AccessFailureLog.objects.filter(
        username=email, attempt_time__gte=timezone.now() - settings.PSN_LOCKOUT_WINDOW
    ).delete()


def release(email: str) -> int:
    """Unlock: forget the attempts and the failures of the current window (the audit trail keeps them)."""
    email = email.lower()
    with transaction.atomic():
        count, _ = AccessAttempt.objects.filter(username=email).delete()
        _forget_window_failures(email)
    return count


class WindowedAxesHandler(AxesDatabaseHandler):
    """Counts only the failures of the last PSN_LOCKOUT_WINDOW, unless the account is already locked.

    Before each new failure is recorded, an account that is not locked has its attempt rows replaced
    by one row holding the number of failures logged inside the window. Axes then adds the new failure
    and locks at the limit. A locked account keeps its rows until released.
    """

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        if request is None:
            return 0
        username = get_client_username(request, credentials)
        if not username:
            return 0
        attempts = AccessAttempt.objects.filter(username=username)
        total = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        if total == 0 or total >= settings.AXES_FAILURE_LIMIT:
            return 0
        threshold = timezone.now() - settings.PSN_LOCKOUT_WINDOW
        recent = AccessFailureLog.objects.filter(username=username, attempt_time__gte=threshold).count()
        with transaction.atomic():
            removed, _ = attempts.delete()
            if recent:
                AccessAttempt.objects.create(
                    username=username,
                    ip_address=request.axes_ip_address,
                    user_agent="(failures within the lockout window)",
                    get_data="",
                    post_data="",
                    http_accept="",
                    path_info=request.axes_path_info,
                    failures_since_start=recent,
                    attempt_time=timezone.now(),
                )
        return removed

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in starts the count again (AXES_RESET_ON_SUCCESS), as a release does."""
        count = super().reset_user_attempts(request, credentials)
        username = get_client_username(request, credentials)
        if username:
            _forget_window_failures(username)
        return count


def lockout_response(request, original_response=None, credentials=None):
    message = _(
        "This account is locked after too many failed sign-in attempts. "
        "Ask your partner admin or task-force coordinator to unlock it."
    )
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message, "code": "account_locked"}, status=429)
    return render(request, "account/lockout.html", {"message": message}, status=429)

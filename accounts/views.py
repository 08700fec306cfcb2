"""Profile (MFA, sessions, API tokens), locked accounts, and the idle-timeout endpoints."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from meetings.feed_views import calendar_feed_section
from psn import access
from psn.decorators import task_force_required

from . import selectors, services
from .forms import ApiTokenForm
from .middleware import AUTH_AT, LAST_ACTIVITY, user_has_mfa


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ApiTokenForm()
    new_secret = None
    calendar_feed = calendar_feed_section(request)
    if request.method == "POST" and not calendar_feed.posted:
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, new_secret = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                    request=request,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request, _("Token “%(name)s” created. Copy it now: it is not shown again.") % {"name": token.name}
                )
                form = ApiTokenForm()
    return render(
        request,
        "accounts/profile.html",
        {
            "tokens": selectors.api_token_list_for(user=request.user),
            "form": form,
            "new_secret": new_secret,
            "has_mfa": user_has_mfa(request.user),
            "calendar_feed": calendar_feed,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = selectors.api_token_get_for(user=request.user, pk=pk)
    services.api_token_revoke(user=request.user, token=token, request=request)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("profile")


@task_force_required
@require_safe
def lockout_list(request):
    actor = request.actor
    access.require(access.can_manage_lockouts(actor), _("Only partner admins and coordinators can unlock accounts."))
    return render(request, "accounts/lockout_list.html", {"locked": selectors.locked_user_list_for(actor=actor)})


@task_force_required
@require_POST
def lockout_release(request, pk: int):
    target = selectors.user_get_for_release(actor=request.actor, pk=pk)
    if services.lockout_release(actor=request.actor, target=target, request=request):
        messages.success(request, _("%(email)s can sign in again.") % {"email": target.email})
    else:
        messages.info(request, _("%(email)s was not locked.") % {"email": target.email})
    return redirect("lockout_list")


@never_cache
@require_GET
def session_status(request):
    """Seconds left before the idle and absolute limits; polling it does not count as activity."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    now = time.time()
    idle_left = settings.PSN_IDLE_TIMEOUT - (now - request.session.get(LAST_ACTIVITY, now))
    absolute_left = settings.PSN_SESSION_MAX_AGE - (now - request.session.get(AUTH_AT, now))
    return JsonResponse(
        {
            "authenticated": True,
            "seconds_left": max(0, int(min(idle_left, absolute_left))),
            "warning": settings.PSN_IDLE_WARNING,
        }
    )


@never_cache
@login_required
@require_POST
def session_keepalive(request):
    request.session[LAST_ACTIVITY] = time.time()
    return JsonResponse({"ok": True, "seconds_left": settings.PSN_IDLE_TIMEOUT})

"""Account actions: API tokens, lockout release, dormant-account disabling."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from psn import access, audit

from . import lockout
from .models import ApiToken, User


def api_token_create(
    *, user: User, name: str, expires_in_days: int, authenticated_by_token: bool = False, request=None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored and shown only this once."""
    access.require(
        access.can_create_api_token(user, authenticated_by_token=authenticated_by_token),
        _("Create API tokens from a signed-in session (profile page), not with another token."),
    )
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name so you can recognise it later.")})
    if not 1 <= expires_in_days <= settings.PSN_API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"expires_in_days": _("Choose between 1 and %(max)d days.") % {"max": settings.PSN_API_TOKEN_MAX_DAYS}}
        )
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100],
        key_id=key_id,
        digest=ApiToken.digest_for(secret),
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        audit.record(
            action="created",
            actor=user,
            obj=token,
            request=request,
            changes={"expires_at": [None, str(token.expires_at)]},
        )
    return token, f"{ApiToken.PREFIX}{key_id}_{secret}"


def api_token_revoke(*, user: User, token: ApiToken, request=None) -> ApiToken:
    if token.user_id != user.pk:
        raise access.PermissionDenied(_("You can only revoke your own tokens."))
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
        if updated:
            audit.record(action="changed", actor=user, obj=token, request=request, changes={"revoked": [False, True]})
    token.refresh_from_db()
    return token


def lockout_release(*, actor: access.Actor, target: User, request=None) -> bool:
    """Unlock an account locked by failed logins. Returns False when it was not locked."""
    access.require(access.can_release_lockout(actor, target), _("You cannot unlock this account."))
    was_locked = lockout.is_locked(target.email)
    lockout.release(target.email)
    if was_locked:
        audit.record(action="unlocked", actor=actor.user, task_force=actor.task_force, obj=target, request=request)
    return was_locked


def users_disable_dormant(*, now=None) -> int:
    """Disable accounts unused for PSN_DORMANT_DAYS (CJIS 5.6.2.1.1.x / ASVS). Safe to run twice."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PSN_DORMANT_DAYS)
    dormant = User.objects.filter(is_active=True).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    )
    disabled = 0
    for user in dormant.only("pk", "email", "full_name"):
        with transaction.atomic():
            if User.objects.filter(pk=user.pk, is_active=True).update(
                is_active=False, deactivated_at=now, deactivation_reason="dormant"
            ):
                disabled += 1
                audit.record(
                    action="changed",
                    obj=user,
                    changes={
                        "is_active": ["True", "False"],
                        "reason": [None, f"unused for {settings.PSN_DORMANT_DAYS} days"],
                    },
                )
    return disabled

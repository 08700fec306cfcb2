"""Reads about accounts: a user's tokens, the locked accounts an actor may release."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from psn import access

from . import lockout
from .models import ApiToken, User


def api_token_list_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_get_for(*, user: User, pk: int) -> ApiToken:
    return get_object_or_404(ApiToken, user=user, pk=pk)


def locked_user_list_for(*, actor: access.Actor) -> QuerySet[User]:
    """Locked accounts this actor may release: their partner's (admins), their task force's
    (coordinators) or everyone's (site admins)."""
    return access.users_manageable_by(actor).filter(email__in=lockout.locked_usernames()).order_by("email")


def user_get_for_release(*, actor: access.Actor, pk: int) -> User:
    """A user of the actor's task force (404 beyond it); whether the actor may release them is the service's
    check (403), so a member asking about a colleague is refused, not told the colleague does not exist."""
    return get_object_or_404(access.users_of_task_force(actor), pk=pk)

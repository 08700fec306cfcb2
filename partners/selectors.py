"""Reads about task forces and memberships, scoped through psn.access."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from psn import access

from .models import Membership, TaskForce


def task_force_list_for(*, user) -> QuerySet[TaskForce]:
    return access.task_forces_for(user).order_by("name")


def task_force_get_for(*, user, slug: str) -> TaskForce:
    return get_object_or_404(access.task_forces_for(user), slug=slug)


def membership_list_for(*, actor: access.Actor) -> QuerySet[Membership]:
    return (
        access.memberships_visible_to(actor).select_related("user", "partner").order_by("partner__name", "user__email")
    )

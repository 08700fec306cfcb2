"""Shared set-up of the meeting tests: the ``world`` of tests/conftest.py, actors, and a meeting scheduled by the
coordinator with the sending partner invited (its three members) and the outsider partner's member personally."""

import datetime

from django.utils import timezone

from meetings import services
from meetings.models import MeetingKind
from psn.access import Actor, TaskForceChoiceError, actor_for


def actor(world, key: str) -> Actor:
    tf = world.other_tf if key.startswith("foreign") else world.tf
    try:
        return actor_for(world.user(key), requested_slug=tf.slug)
    except TaskForceChoiceError:  # no membership there: an actor without rights
        return Actor(user=world.user(key), task_force=tf)


def in_days(days: float, *, hour: int | None = None) -> datetime.datetime:
    at = timezone.now() + datetime.timedelta(days=days)
    if hour is not None:
        at = at.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at


def schedule(world, *, kind: str = MeetingKind.WORKING_GROUP, start=None, hours: float = 1, **kwargs):
    start = start or in_days(3, hour=15)
    kwargs.setdefault("partners", [world.sending])
    kwargs.setdefault("users", [world.user("outsider_member")])
    kwargs.setdefault("title", "Reentry working group")
    return services.meeting_schedule(
        actor=actor(world, "coordinator"),
        kind=kind,
        start=start,
        end=start + datetime.timedelta(hours=hours),
        **kwargs,
    )

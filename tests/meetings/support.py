"""Shared set-up of the meeting tests: the ``world`` of tests/conftest.py, actors, and a meeting scheduled by the
coordinator with the sending partner invited (its three members) and the outsider partner's member personally."""

import datetime

from django.utils import timezone

from meetings import services
from meetings.models import Invitee, MeetingKind, Reminder, ReminderKind
from partners.models import Role
from psn.access import Actor, TaskForceChoiceError, actor_for
from tests.factories import MembershipFactory, UserFactory


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


def many_due_reminders(world, *, people: int, per_person: int) -> list[int]:
    """A meeting of the receiving partner with ``people`` more members invited, each with ``per_person`` meeting
    reminders due in the past hour (its own planned reminders cancelled): nothing else is due. Returns their ids."""
    for n in range(people):
        MembershipFactory(user=UserFactory(email=f"crowd{n}@example.org"), partner=world.receiving, role=Role.MEMBER)
    meeting = schedule(world, partners=[world.receiving], users=[], start=in_days(2, hour=15))
    Reminder.objects.filter(meeting=meeting).update(cancelled_at=timezone.now())
    users = list(Invitee.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    base = timezone.now() - datetime.timedelta(hours=1)
    Reminder.objects.bulk_create(
        [
            Reminder(
                task_force=world.tf,
                kind=ReminderKind.MEETING_SOON,
                meeting=meeting,
                user_id=uid,
                send_at=base + datetime.timedelta(seconds=n),
                sequence=meeting.sequence,
            )
            for uid in users
            for n in range(per_person)
        ]
    )
    return list(Reminder.objects.filter(cancelled_at__isnull=True).values_list("pk", flat=True))

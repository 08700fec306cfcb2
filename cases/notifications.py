"""Telling people what happened to a referral: one in-app ``Notification`` per recipient and the same news by email,
sent by a Celery worker once the transaction commits.

The email carries no personal data of the person referred (it travels through mail servers we do not control):
only the reference, the partners, the status and a link to the referral page, where access is checked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from partners.models import Membership, Role
from psn.tasks import enqueue_on_commit

from .models import Notification, Referral

logger = logging.getLogger(__name__)

# Kinds sent at most once per user and referral (backed by the notification_overdue_once constraint).
ONCE_KINDS = frozenset({"overdue"})


def referral_url(referral: Referral) -> str:
    """The referral page's absolute address (PSN_SITE_URL plus its path): a link in an email has no site to be
    relative to."""
    return settings.PSN_SITE_URL + reverse("cases:referral_detail", kwargs={"pk": referral.pk})


def staff_of(partner_id: int):
    """Users who act for a partner on referrals: its active referral staff and partner admins."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__partner_id=partner_id,
            memberships__partner__active=True,
            memberships__active=True,
            memberships__role__in=[Role.REFERRAL_STAFF, Role.PARTNER_ADMIN],
        )
        .distinct()
    )


def coordinators_of(task_force_id: int):
    return get_user_model().objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(task_force_id=task_force_id, role=Role.COORDINATOR, active=True).values(
            "user_id"
        ),
    )


def _send_email(*, referral: Referral, kind: str, message: str, user) -> None:
    context = {"referral": referral, "kind": kind, "message": message, "url": referral_url(referral)}
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(
        render_to_string("emails/referral_notification_subject.txt", context).split()
    )
    email = EmailMultiAlternatives(
        subject=subject, body=render_to_string("emails/referral_notification.txt", context), to=[user.email]
    )
    email.attach_alternative(render_to_string("emails/referral_notification.html", context), "text/html")
    email.send()


def notification_email_send(*, notification_id: int) -> bool:
    """The worker's part (``cases.tasks.send_notification_email``): email one notification, once. The row is
    claimed by a conditional update first, so a second delivery of the task, or a second worker, sends nothing;
    a failed send gives the claim back and raises, for the task to retry. (The one window: a worker killed
    after the mail server took the message and before this returns leaves the claim in place: the email is not
    sent twice, at the cost of one lost if the kill comes after the claim and before the send.) Returns whether
    this call sent it."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    notification = Notification.objects.select_related(
        "user", "referral__sending_partner", "referral__receiving_partner"
    ).get(pk=notification_id)
    if not notification.user.is_active or notification.referral is None:
        return False
    try:
        _send_email(
            referral=notification.referral, kind=notification.kind, message=notification.message, user=notification.user
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


def notification_emails_resend_unsent(
    *,
    now: datetime | None = None,
    older_than: timedelta = timedelta(minutes=5),
    within: timedelta = timedelta(days=2),
    batch: int = 500,
) -> int:
    """The sweep (``cases.tasks.resend_unsent_notification_emails``, every 10 minutes): enqueue the email task again
    for notifications whose email is due and was never sent: its task was never queued (the broker was down at
    the commit: ``psn.tasks.enqueue_on_commit`` logs and drops it), or was lost, or its retries gave up.

    Due: not emailed (``emailed_at`` empty), created between ``now - within`` and ``now - older_than`` (the task
    queued at the commit has had time to run; older news is stale and is not sent late), to a recipient
    ``notification_email_send`` would email (an active user with an address, about a referral). The oldest
    ``batch`` first; the next run takes the rest. A task queued twice sends once (the ``emailed_at`` claim). A
    broker still down stops the sweep (logged once): the next run tries again. Returns how many were enqueued."""
    from .tasks import send_notification_email

    now = now or timezone.now()
    due = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__gte=now - within,
            created_at__lte=now - older_than,
            referral__isnull=False,
            user__is_active=True,
        )
        .exclude(user__email="")
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    ids = list(due)
    sent = 0
    for notification_id in ids:
        try:
            send_notification_email.delay(notification_id)
        except (BrokerUnavailable, OSError):
            logger.exception("broker unavailable: %d unsent notification emails not queued", len(ids) - sent)
            break
        sent += 1
    return sent


def notify(*, referral: Referral, kind: str, recipients: Iterable, message: str) -> list[Notification]:
    """Create one notification per recipient and email each of them once the transaction commits.

    For the ``ONCE_KINDS`` a recipient who already has one for this referral is skipped (no row, no email), so a
    retried or concurrent run sends nothing twice. Returns the notifications actually created."""
    created: list[Notification] = []
    seen: set[int] = set()
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        notification = Notification(
            task_force_id=referral.task_force_id, user=user, referral=referral, kind=kind, message=message[:300]
        )
        if kind in ONCE_KINDS:
            if Notification.objects.filter(user=user, referral=referral, kind=kind).exists():
                continue
            try:
                with transaction.atomic():
                    notification.save()
            except IntegrityError:
                continue  # another worker created it a moment ago: theirs is the one that emails
        else:
            notification.save()
        created.append(notification)
    # Emails go out from the worker, after the commit: a slow or failing mail server never holds up or fails the
    # request that changed the referral.
    from .tasks import send_notification_email

    for notification in created:
        enqueue_on_commit(send_notification_email, notification.pk)
    return created


def notifications_mark_read(*, actor, referral: Referral | None = None) -> int:
    """Mark the actor's unread notifications read: those of one referral (opening its page) or all of them (the
    inbox's button). One conditional UPDATE, none when the navigation already counted nothing unread; returns how
    many changed (a second run changes none)."""
    if actor.task_force is None or actor.unread_notifications == 0:  # None: not counted, so look
        return 0
    unread = Notification.objects.filter(task_force=actor.task_force, user=actor.user, read_at__isnull=True)
    if referral is not None:
        unread = unread.filter(referral=referral)
    return unread.update(read_at=timezone.now())

"""Building rows on both sides of each retention boundary (the schedule of ``SCHEDULE``, in days)."""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from cases.models import Attachment, Note, Notification, Person, Referral, Status, Transition
from governance import services
from psn.models import AuditEvent
from tests.factories import ConsentFactory, PersonFactory, ReferralFactory

SCHEDULE = {"referral_days": 100, "person_days": 200, "consent_days": 50, "audit_days": 400}


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def set_schedule(setup) -> None:
    services.retention_schedule_update(actor=setup.actor("coordinator"), values=SCHEDULE)


def person(world, *, created_days_ago: float = 1000) -> Person:
    made = PersonFactory(task_force=world.tf)
    Person.objects.filter(pk=made.pk).update(created_at=ago(created_days_ago))
    return made


def referral(world, who: Person, *, status: str = Status.COMPLETED, closed_days_ago: float | None = None) -> Referral:
    """A referral of ``who`` submitted long ago; closed ``closed_days_ago`` when given (with a transition, a note and
    its annotation, an attachment and a notification: everything that goes with it)."""
    made = ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=who, status=status)
    closed_at = ago(closed_days_ago) if closed_days_ago is not None else None
    Referral.objects.filter(pk=made.pk).update(submitted_at=ago(2000), created_at=ago(2000), closed_at=closed_at)
    Transition.objects.create(task_force=world.tf, referral=made, from_status="submitted", to_status=status)
    note = Note.objects.create(task_force=world.tf, referral=made, author_partner=world.sending, body="first note")
    Note.objects.create(
        task_force=world.tf, referral=made, author_partner=world.sending, body="annotation", annotates=note
    )
    Attachment.objects.create(
        task_force=world.tf,
        referral=made,
        uploaded_by_partner=world.sending,
        file=ContentFile(b"%PDF-1.4 test", name="intake.pdf"),
        original_name="intake.pdf",
        content_type="application/pdf",
        size=13,
        sha256="0" * 64,
    )
    Notification.objects.create(
        task_force=world.tf, user=world.user("coordinator"), referral=made, kind="closed", message="closed"
    )
    made.refresh_from_db()
    return made


def consent(who: Person, *, revoked_days_ago: float | None = None, expired_days_ago: int | None = None):
    made = ConsentFactory(person=who, given_on=timezone.localdate() - datetime.timedelta(days=3000))
    if revoked_days_ago is not None:
        made.revoked_at = ago(revoked_days_ago)
    if expired_days_ago is not None:
        made.expires_on = timezone.localdate() - datetime.timedelta(days=expired_days_ago)
    made.save()
    return made


def audit_event(task_force, *, days_ago: float) -> AuditEvent:
    return AuditEvent.objects.create(task_force=task_force, action="changed", object_type="test", at=ago(days_ago))

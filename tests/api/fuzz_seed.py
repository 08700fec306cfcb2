"""The seeded task force the API fuzzing (test_schemathesis.py) runs against: the ``world`` of tests/conftest.py
with something behind every endpoint (referrals in each state with notes and an attachment, people and consents,
a meeting with an action item, a built report, crime counts, an invitation, a service), made through the same
services the pages and the API call, and the ids a fuzzed path parameter should sometimes hit."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import api_token_create
from cases import attachments, notes
from cases.models import NoteVisibility
from meetings import services as meeting_services
from partners import members
from partners.models import Role
from reports import crime
from reports import services as report_services
from tests.cases.support import build_setup
from tests.factories import ServiceFactory
from tests.meetings.support import actor, schedule

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CRIME_CSV = "month,offense,count\n2026-08,homicide,2\n2026-08,robbery,40\n"


def seed(world, *, user_key: str) -> tuple[str, dict[str, list]]:
    """Seed the world and return (an API token of ``user_key``, {first path segment after /api/v1/: [ids]})."""
    setup = build_setup(world)
    draft = setup.draft()
    submitted = setup.submitted()
    accepted = setup.accepted()
    in_progress = setup.in_progress()
    note = notes.note_add(
        actor=setup.actor("sending_referral_staff"), referral=submitted, body="Met at intake", visibility="shared"
    )
    attachment = attachments.attachment_add(
        actor=setup.actor("receiving_member"),
        referral=accepted,
        uploaded_file=SimpleUploadedFile("intake.pdf", PDF),
        visibility=NoteVisibility.SHARED,
    )
    service = ServiceFactory(partner=world.receiving)
    meeting = schedule(world)
    item = meeting_services.action_item_add(
        actor=actor(world, "coordinator"),
        meeting=meeting,
        text="Call the shelter",
        owner=world.user("sending_member"),
        due_date=datetime.date.today() + datetime.timedelta(days=7),
    )
    snapshot = report_services.report_queue(task_force=world.tf, month=datetime.date(2026, 8, 1), enqueue=False)
    report_services.report_build(snapshot_id=snapshot.pk, renderers={})
    crime.crime_counts_upload(
        actor=actor(world, "coordinator"),
        partner=world.sending,
        uploaded_file=SimpleUploadedFile("counts.csv", CRIME_CSV.encode(), "text/csv"),
    )
    invitation = members.invitation_create(
        actor=actor(world, "coordinator"), partner=world.receiving, email="new.caseworker@example.org", role=Role.MEMBER
    )
    token, secret = api_token_create(user=world.user(user_key), name="fuzzing", expires_in_days=1)
    membership = world.user("receiving_member").memberships.first()
    consent = setup.person.consents.first()
    ids = {
        "referrals": [draft.pk, submitted.pk, accepted.pk, in_progress.pk],
        "notes": [note.pk],
        "attachments": [attachment.pk],
        "people": [setup.person.pk],
        "consents": [consent.pk],
        "services": [service.pk],
        "partners": [world.receiving.pk, world.sending.pk],
        "meetings": [meeting.pk],
        "action-items": [item.pk],
        "reports": [snapshot.pk],
        "invitations": [invitation.pk],
        "tokens": [token.pk],
        "memberships": [membership.pk],
        "reason-codes": [setup.code("decline", "no_capacity").pk],
        "task-forces": [world.tf.slug],
        "lockouts": [world.user("receiving_member").pk],
    }
    return secret, ids

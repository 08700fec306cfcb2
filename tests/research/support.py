"""The research tests' set-up: the ``world`` plus a research partner with a member, a coordinator's actor, and
helpers to grant access and build an extract in the test's own process (the task's logic, eagerly)."""

from __future__ import annotations

import datetime
import io
import zipfile

from django.utils import timezone

from partners.models import PartnerKind, Role
from psn.access import actor_for
from research import services
from research.models import ResearchExtract
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

PERIOD_START = datetime.date(2020, 1, 1)


def research_partner(world):
    partner = PartnerFactory(task_force=world.tf, name="University Crime Lab", kind=PartnerKind.RESEARCH)
    user = UserFactory(email="researcher@example.org", full_name="Researcher")
    MembershipFactory(user=user, partner=partner, role=Role.MEMBER)
    world.users["research_member"] = user
    return partner


def actor(world, key: str = "coordinator"):
    tf = world.other_tf if key.startswith("foreign") else world.tf
    return actor_for(world.user(key), requested_slug=tf.slug)


def grant(world, partner, **kwargs):
    today = timezone.localdate(timezone=world.tf.tzinfo)
    kwargs.setdefault("period_start", PERIOD_START)
    kwargs.setdefault("period_end", today)
    kwargs.setdefault("valid_until", today + datetime.timedelta(days=30))
    return services.grant_create(actor=actor(world), partner=partner, **kwargs)


def extract(world, grant, django_capture_on_commit_callbacks, **options) -> ResearchExtract:
    """Request an extract and run its task (enqueued on commit, eager in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        made = services.extract_request(actor=actor(world), grant=grant, **options)
    made.refresh_from_db()
    return made


def files_of(extract: ResearchExtract) -> dict[str, bytes]:
    with extract.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows_of(content: bytes) -> list[dict[str, str]]:
    import csv

    return list(csv.DictReader(io.StringIO(content.decode())))

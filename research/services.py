"""Research actions: grant and revoke a research partner's access, request an extract, build it (the worker's job,
with progress), open a done extract for download (audited). Pages, API and the task call these.

Building is claimed with a conditional UPDATE (queued -> running, or running past the stale window after a lost
worker), so a task delivered twice builds once and stores one file.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner, PartnerKind
from psn import access, audit, jobs
from psn.tasks import enqueue_on_commit

from . import extract as extract_builder
from .access import can_download_extract, can_manage_research, today_of
from .models import QUASI_IDENTIFIERS, ExtractStatus, ResearchExtract, ResearchGrant

MAX_ATTEMPTS = jobs.MAX_ATTEMPTS
# A done extract's zip, and its key, are deleted this long after its grant ended or was revoked.
KEPT_AFTER_GRANT = datetime.timedelta(days=30)
STALE_AFTER = datetime.timedelta(minutes=30)
KEY_BYTES = 32
EARLIEST = datetime.date(2000, 1, 1)

logger = logging.getLogger(__name__)
DENIED = "Only coordinators manage research grants and request extracts."


def _require_manager(actor: access.Actor) -> None:
    access.require(can_manage_research(actor), _(DENIED))


def grant_create(
    *,
    actor: access.Actor,
    partner: Partner,
    period_start: datetime.date,
    period_end: datetime.date,
    valid_until: datetime.date,
    request=None,
) -> ResearchGrant:
    _require_manager(actor)
    errors = {}
    if partner.task_force_id != actor.task_force.pk or partner.kind != PartnerKind.RESEARCH or not partner.active:
        errors["partner"] = _("Choose an active research partner of this task force.")
    if period_start < EARLIEST:
        errors["period_start"] = _("Choose a period from 2000 on.")
    if period_end < period_start:
        errors["period_end"] = _("The period ends on or after its start.")
    if valid_until < today_of(actor):
        errors["valid_until"] = _("Access must be valid until today or later.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        grant = ResearchGrant(
            task_force=actor.task_force,
            partner=partner,
            period_start=period_start,
            period_end=period_end,
            valid_until=valid_until,
            secret=secrets.token_bytes(KEY_BYTES),
            granted_by=actor.user,
        )
        grant.full_clean()
        grant.save()
        audit.record(
            action=audit.AuditAction.CREATED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=grant,
            changes={
                "partner": partner.pk,
                "period": f"{period_start}..{period_end}",
                "valid_until": valid_until.isoformat(),
            },
            request=request,
        )
    return grant


def grant_revoke(*, actor: access.Actor, grant: ResearchGrant, request=None) -> ResearchGrant:
    """Ends the grant now: its extracts can no longer be downloaded by anyone."""
    _require_manager(actor)
    with transaction.atomic():
        changed = ResearchGrant.objects.filter(pk=grant.pk, task_force=actor.task_force, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_by=actor.user
        )
        if not changed:
            raise ValidationError(_("This grant is already revoked."))
        audit.record(
            action=audit.AuditAction.CHANGED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=grant,
            changes={"revoked": [None, "now"]},
            request=request,
        )
    grant.refresh_from_db()
    return grant


def extract_request(
    *,
    actor: access.Actor,
    grant: ResearchGrant,
    stable_key: bool = False,
    shift_dates: bool = False,
    suppress: bool = False,
    request=None,
) -> ResearchExtract:
    """A new queued extract under an active grant, built by the worker."""
    _require_manager(actor)
    with transaction.atomic():
        locked = ResearchGrant.objects.select_for_update().get(pk=grant.pk, task_force=actor.task_force)
        if not locked.is_active_on(today_of(actor)):
            raise ValidationError({"grant": _("This grant has ended or was revoked: no extract can be made under it.")})
        extract = ResearchExtract.objects.create(
            task_force=actor.task_force,
            grant=locked,
            stable_key=stable_key,
            shift_dates=shift_dates,
            suppress=suppress,
            secret=b"" if stable_key else secrets.token_bytes(KEY_BYTES),
            created_by=actor.user,
            quasi_identifiers=list(QUASI_IDENTIFIERS),
        )
        audit.record(
            action=audit.AuditAction.CREATED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=extract,
            changes={"grant": locked.pk, "stable_key": stable_key, "shift_dates": shift_dates, "suppress": suppress},
            request=request,
        )
        from .tasks import build_extract

        enqueue_on_commit(build_extract, extract.pk)
    return extract


def extracts_recover_stale(*, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """The beat task: builds whose worker was lost are queued again or, their attempts used up, marked failed with
    the reason, which the coordinator sees on the extract's page (``psn.jobs.jobs_recover_stale``)."""
    from .tasks import build_extract

    return jobs.jobs_recover_stale(ResearchExtract, task=build_extract, stale_after=STALE_AFTER, now=now)


def extract_build(*, extract_id: int) -> ResearchExtract | None:
    """Build a queued extract: done with its zip, or refused (k below the threshold without suppression). Returns
    it, or None when another run has it or it is finished. A failure marks it failed (and re-raises for the log)."""
    if not jobs.job_claim(ResearchExtract, extract_id, now=timezone.now(), stale_after=STALE_AFTER):
        return None
    extract = ResearchExtract.objects.select_related("grant", "task_force").get(pk=extract_id)
    secret = bytes(extract.grant.secret if extract.stable_key else extract.secret)
    try:
        built = extract_builder.build(extract, secret, jobs.job_progress(ResearchExtract, extract_id))
    except Exception as exc:  # recorded on the extract (the page shows it), then re-raised for the worker's log
        jobs.job_fail(ResearchExtract, extract_id, exc)
        raise
    with transaction.atomic():
        locked = ResearchExtract.objects.select_for_update().get(pk=extract_id)
        if locked.status != ExtractStatus.RUNNING:
            return None
        anonymity = built.anonymity
        locked.k, locked.people, locked.small_classes = anonymity.k, built.people, anonymity.small_classes
        locked.suppressed_people, locked.unlinked_people = anonymity.suppressed_people, len(anonymity.unlinked)
        locked.suppressed_cells, locked.row_counts = built.suppressed_cells, built.row_counts
        if built.content is None:
            locked.status = ExtractStatus.REFUSED
        else:
            stem = f"{extract.task_force.slug}-research-{extract.grant.period_start}-{extract.grant.period_end}"
            locked.file.save(f"{stem}.zip", ContentFile(built.content), save=False)
            locked.status = ExtractStatus.DONE
        locked.progress, locked.progress_label, locked.finished_at = 100, "done", timezone.now()
        locked.save()
    return locked


@dataclass(frozen=True)
class ExtractFile:
    handle: object
    filename: str


def extract_file_open(*, actor: access.Actor, extract: ResearchExtract, request=None) -> ExtractFile:
    """Open a done extract's zip for a download, audited as an export (pages and API)."""
    access.require(
        can_download_extract(actor, extract),
        _("This extract cannot be downloaded: it is not done, or its grant has ended or was revoked."),
    )
    handle = extract.file.open("rb")
    audit.record(
        action=audit.AuditAction.EXPORTED,
        actor=actor.user,
        task_force=extract.task_force,
        obj=extract,
        changes={"grant": extract.grant_id, "k": extract.k},
        request=request,
    )
    grant = extract.grant
    return ExtractFile(
        handle=handle, filename=f"research-extract-{extract.pk}-{grant.period_start}-{grant.period_end}.zip"
    )


def extracts_files_expire(*, now: datetime.datetime | None = None) -> list[int]:
    """The daily task: the extracts whose grant ended or was revoked more than ``KEPT_AFTER_GRANT`` ago lose their
    zip (deleted after the commit) and their per-extract key (no pseudonym of theirs can be recomputed); the rows
    stay, expired, with their counts and k. Returns their ids; run again, it finds nothing."""
    now = now or timezone.now()
    cutoff = now - KEPT_AFTER_GRANT
    ended = Q(grant__revoked_at__lt=cutoff) | Q(grant__valid_until__lt=cutoff.date())
    expired = jobs.jobs_files_expire(ResearchExtract, ResearchExtract.objects.filter(ended), cleared={"secret": b""})
    if expired:
        logger.info("research extract files deleted after their grant ended: %s", expired)
    return expired

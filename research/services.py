"""Research actions: grant and revoke a research partner's access, request an extract, build it (the worker's job,
with progress), open a done extract for download (audited). Pages, API and the task call these.

Building is claimed with a conditional UPDATE (queued -> running, or running past the stale window after a lost
worker), so a task delivered twice builds once and stores one file.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner, PartnerKind
from psn import access, audit
from psn.tasks import enqueue_on_commit

from . import extract as extract_builder
from .access import can_download_extract, can_manage_research, today_of
from .models import QUASI_IDENTIFIERS, ExtractStatus, ResearchExtract, ResearchGrant

MAX_ATTEMPTS = 3
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


def _claim(extract_id: int, now: datetime.datetime) -> bool:
    claimable = Q(status=ExtractStatus.QUEUED) | Q(status=ExtractStatus.RUNNING, started_at__lt=now - STALE_AFTER)
    return bool(
        ResearchExtract.objects.filter(claimable, pk=extract_id, attempts__lt=MAX_ATTEMPTS).update(
            status=ExtractStatus.RUNNING,
            started_at=now,
            progress=1,
            progress_label="starting",
            error="",
            attempts=F("attempts") + 1,
        )
    )


def extracts_recover_stale(*, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """The beat task: builds whose worker was lost (killed, out of memory, its message gone with the broker) are
    running, or still queued, past the stale window. Queue each again while it has attempts left (its claim takes it
    over; a second delivery finds it claimed and does nothing); mark the others failed with the reason, which the
    coordinator sees on the extract's page. Returns the ids queued and failed."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale = ResearchExtract.objects.filter(
        Q(status=ExtractStatus.RUNNING, started_at__lt=cutoff) | Q(status=ExtractStatus.QUEUED, created_at__lt=cutoff)
    )
    failed = list(stale.filter(attempts__gte=MAX_ATTEMPTS).values_list("pk", flat=True))
    if failed:
        stale.filter(pk__in=failed, attempts__gte=MAX_ATTEMPTS).update(
            status=ExtractStatus.FAILED,
            error=_("The build stopped before it finished (%(attempts)d attempts): the worker was lost.")
            % {"attempts": MAX_ATTEMPTS},
            finished_at=now,
        )
        logger.warning("research extracts given up after %d lost builds: %s", MAX_ATTEMPTS, failed)
    queued = list(stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
    if queued:
        from .tasks import build_extract

        logger.warning("research extract builds taken over after their worker was lost: %s", queued)
        for extract_id in queued:
            enqueue_on_commit(build_extract, extract_id)
    return {"queued": queued, "failed": failed}


def _progress(extract_id: int) -> Callable[[int, str], None]:
    def tell(percent: int, label: str) -> None:
        ResearchExtract.objects.filter(pk=extract_id, status=ExtractStatus.RUNNING).update(
            progress=max(1, min(percent, 99)), progress_label=label[:100]
        )

    return tell


def extract_build(*, extract_id: int) -> ResearchExtract | None:
    """Build a queued extract: done with its zip, or refused (k below the threshold without suppression). Returns
    it, or None when another run has it or it is finished. A failure marks it failed (and re-raises for the log)."""
    if not _claim(extract_id, timezone.now()):
        return None
    extract = ResearchExtract.objects.select_related("grant", "task_force").get(pk=extract_id)
    secret = bytes(extract.grant.secret if extract.stable_key else extract.secret)
    try:
        built = extract_builder.build(extract, secret, _progress(extract_id))
    except Exception as exc:  # recorded on the extract (the page shows it), then re-raised for the worker's log
        ResearchExtract.objects.filter(pk=extract_id, status=ExtractStatus.RUNNING).update(
            status=ExtractStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500], finished_at=timezone.now()
        )
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

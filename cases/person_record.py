"""A person's record, for a records request (issue 10, item 4): everything PSN Hub holds about one person, as a zip.

The zip holds ``record.json`` (machine-readable), ``record.pdf`` (the same, readable), the files themselves (the
referrals' attachments under ``attachments/``, the signed consent forms under ``consent-forms/``) and
``manifest.json`` with the size and SHA-256 of every other file. ``person_record_gather`` reads everything once into
one structure (plain dicts and lists, dates as dates); the JSON and the PDF are both made from it, so they cannot
disagree.

What is in it: the person's fields (and those of the records merged into theirs), every consent with its recording
and revocation, every referral with its needs, transitions, notes of every visibility (a records request is
answered in full, whoever wrote them), attachments and the notifications about it, and the audit events whose
object is the person, a record merged into theirs, one of their referrals, consents, notes or attachments (who
viewed or changed what, when; the staff's IP addresses and browsers are left out: they are not the person's data).
Meetings and action items name neither people nor referrals, so nothing of them is included.

Who: the coordinators of the person's task force (``access.can_export_person_record``), whether or not a referral
shows them the person: answering records requests is the records officer's job. Every export writes one audit event
(action ``exported``, object the person, the counts; no content).

The queries do not grow with the referrals: the person, the merged records, the consents and their partners, the
referrals and their needs, the transitions, notes, attachments and notifications of all referrals at once, the
audit events; the audit event of the export.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import filetype
import weasyprint
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from weasyprint.urls import URLFetcher

from partners.models import Partner, TaxonomyTerm
from psn import access, audit, jobs
from psn.models import AuditEvent
from psn.tasks import enqueue_on_commit
from reports.pdf import css_string

from .models import (
    Attachment,
    Consent,
    ConsentShares,
    Note,
    Notification,
    Person,
    PersonRecordJob,
    PersonRecordJobStatus,
    Referral,
    Transition,
)
from .people_selectors import consent_state

logger = logging.getLogger(__name__)

FORMAT = "psn-hub.person-record"
FORMAT_VERSION = 1
# A zip larger than this is written to a temporary file on disk rather than kept in memory.
SPOOL_MAX_BYTES = 16 * 1024 * 1024
CONSENT_FORM_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
EXPORT_DENIED = "Only the task force's coordinators export a person's record."
# A built zip is kept this long for its download, then deleted (the row stays, expired).
RECORD_KEPT = datetime.timedelta(days=1)
# A build running longer than this lost its worker (a record of hundreds of referrals takes minutes at most).
BUILD_STALE_AFTER = datetime.timedelta(minutes=30)
RECORD_JOBS_LISTED = 10


def _id(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < value < 2**63:
        raise Http404
    return value


def person_record_person_get_for(*, actor: access.Actor, pk) -> Person:
    """A standing record of the actor's task force (Http404 otherwise, whoever asks), then the right (403, audited):
    the same order as the merge, which also reaches the whole task force."""
    person = access.people_of_task_force(actor).filter(pk=_id(pk)).first()
    if person is None:
        raise Http404
    access.require(access.can_export_person_record(actor), _(EXPORT_DENIED))
    return person


# --- Gathering ---------------------------------------------------------------------------------------------------


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"name": user.full_name or user.email, "email": user.email}


def _partner(partner: Partner | None) -> dict | None:
    return None if partner is None else {"id": partner.pk, "name": partner.name}


def _person_fields(person: Person, tz) -> dict:
    language = person.preferred_language
    return {
        "id": person.pk,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "aliases": person.alias_list,
        "date_of_birth": person.date_of_birth,
        "phone": person.phone,
        "preferred_language": None if language is None else {"code": language.code, "name": language.name},
        "neighborhood": person.neighborhood,
        "created_at": timezone.localtime(person.created_at, tz),
        "created_by": _user(person.created_by),
        "updated_at": timezone.localtime(person.updated_at, tz),
    }


def _local(moment: datetime.datetime | None, tz) -> datetime.datetime | None:
    return None if moment is None else timezone.localtime(moment, tz)


def _consent(consent: Consent, tz, today: datetime.date) -> dict:
    labels = dict(ConsentShares.choices)
    return {
        "id": consent.pk,
        "state": consent_state(consent, today),
        "scope": consent.scope,
        "scope_label": consent.get_scope_display(),
        "partners": [_partner(partner) for partner in consent.partners.all()],
        "shares": list(consent.shares),
        "share_labels": [str(labels.get(value, value)) for value in consent.shares],
        "method": consent.method,
        "method_label": consent.get_method_display(),
        "given_on": consent.given_on,
        "expires_on": consent.expires_on,
        "recorded_at": _local(consent.recorded_at, tz),
        "recorded_by": _user(consent.recorded_by),
        "recorded_by_partner": _partner(consent.recorded_by_partner),
        "revoked_at": _local(consent.revoked_at, tz),
        "revoked_by": _user(consent.revoked_by),
        "revoke_reason": consent.revoke_reason,
        "signed_form": None,  # filled when the zip is written
    }


def _reason(code) -> dict | None:
    return None if code is None else {"code": code.code, "label": code.label}


def _transition(transition: Transition, tz) -> dict:
    return {
        "at": _local(transition.at, tz),
        "from_status": transition.from_status,
        "from_status_label": transition.get_from_status_display() if transition.from_status else "",
        "to_status": transition.to_status,
        "to_status_label": transition.get_to_status_display(),
        "by": _user(transition.actor),
        "by_partner": _partner(transition.actor_partner),
        "reason": _reason(transition.reason),
        "reason_text": transition.reason_text,
    }


def _note(note: Note, tz) -> dict:
    return {
        "id": note.pk,
        "created_at": _local(note.created_at, tz),
        "edited_at": _local(note.edited_at, tz),
        "author": _user(note.author),
        "author_partner": _partner(note.author_partner),
        "visibility": note.visibility,
        "is_contact": note.is_contact,
        "annotates": note.annotates_id,
        "body": note.body,
    }


def _attachment(attachment: Attachment, tz) -> dict:
    return {
        "id": attachment.pk,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256_at_upload": attachment.sha256,
        "visibility": attachment.visibility,
        "uploaded_at": _local(attachment.created_at, tz),
        "uploaded_by": _user(attachment.uploaded_by),
        "uploaded_by_partner": _partner(attachment.uploaded_by_partner),
        "path": None,  # filled when the zip is written
    }


def _notification(notification: Notification, tz) -> dict:
    return {
        "created_at": _local(notification.created_at, tz),
        "to": _user(notification.user),
        "kind": notification.kind,
        "message": notification.message,
        "read_at": _local(notification.read_at, tz),
        "emailed_at": _local(notification.emailed_at, tz),
    }


def _audit_event(event: AuditEvent, tz) -> dict:
    return {
        "at": _local(event.at, tz),
        "actor": event.actor_email,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object": event.object_repr,
        "changes": event.changes,
        "path": event.path,
    }


def _views_by_actor(events: list[AuditEvent], tz) -> list[dict]:
    """The "viewed" events summed up per reader (how often, first and last time): the PDF lists every other event
    and these sums, so that years of reads stay a readable page (``audit_events`` has each one)."""
    readers: dict[str, dict] = {}
    for event in events:
        if event.action != "viewed":
            continue
        row = readers.setdefault(event.actor_email, {"actor": event.actor_email, "count": 0, "first": event.at})
        row["count"] += 1
        row["last"] = event.at
    return [
        {**row, "first": _local(row["first"], tz), "last": _local(row["last"], tz)}
        for row in sorted(readers.values(), key=lambda row: (-row["count"], row["actor"]))
    ]


def _by_referral(rows) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.referral_id, []).append(row)
    return grouped


def _referral(referral: Referral, tz, *, transitions, notes, attachments, notifications) -> dict:
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "status": referral.status,
        "status_label": referral.get_status_display(),
        "priority": referral.priority,
        "priority_label": referral.get_priority_display(),
        "sending_partner": _partner(referral.sending_partner),
        "receiving_partner": _partner(referral.receiving_partner),
        "service": None if referral.service is None else {"id": referral.service.pk, "name": referral.service.name},
        "needs": [{"code": term.code, "name": term.name} for term in referral.needs.all()],
        "reason": referral.reason,
        "due_date": referral.due_date,
        "created_at": _local(referral.created_at, tz),
        "created_by": _user(referral.created_by),
        "submitted_at": _local(referral.submitted_at, tz),
        "acknowledge_by": _local(referral.acknowledge_by, tz),
        "acknowledged_at": _local(referral.acknowledged_at, tz),
        "overdue_at": _local(referral.overdue_at, tz),
        "first_contact_at": _local(referral.first_contact_at, tz),
        "closed_at": _local(referral.closed_at, tz),
        "close_reason": _reason(referral.close_reason),
        "transferred_from": referral.transferred_from.reference if referral.transferred_from else None,
        "transitions": [_transition(row, tz) for row in transitions],
        "notes": [_note(row, tz) for row in notes],
        "attachments": [_attachment(row, tz) for row in attachments],
        "notifications": [_notification(row, tz) for row in notifications],
    }


@dataclass
class GatheredRecord:
    """The structure the JSON and the PDF are made from, and the stored files to put beside them."""

    data: dict
    attachment_files: dict[int, Attachment]
    consent_files: dict[int, Consent]


def person_record_gather(*, person: Person, task_force, generated_by) -> GatheredRecord:
    """Everything held about ``person`` (a record of ``task_force``), read in a fixed number of queries."""
    tz = task_force.tzinfo
    person = (
        Person.objects.filter(task_force=task_force, pk=person.pk).select_related("preferred_language", "created_by")
    ).get()
    merged = list(
        Person.objects.filter(task_force=task_force, merged_into=person)
        .select_related("preferred_language", "created_by")
        .order_by("merged_at", "pk")
    )
    consents = list(
        Consent.objects.filter(task_force=task_force, person=person)
        .select_related("recorded_by", "recorded_by_partner", "revoked_by")
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
        .order_by("given_on", "recorded_at", "pk")
    )
    referrals = list(
        Referral.objects.filter(task_force=task_force, person=person)
        .select_related(
            "sending_partner", "receiving_partner", "service", "created_by", "close_reason", "transferred_from"
        )
        .prefetch_related(Prefetch("needs", queryset=TaxonomyTerm.objects.order_by("name")))
        .order_by("created_at", "pk")
    )
    referral_ids = [referral.pk for referral in referrals]
    in_referrals = {"task_force": task_force, "referral_id__in": referral_ids}
    transitions = _by_referral(
        Transition.objects.filter(**in_referrals)
        .select_related("actor", "actor_partner", "reason")
        .order_by("at", "pk")
    )
    notes = list(
        Note.objects.filter(**in_referrals).select_related("author", "author_partner").order_by("created_at", "pk")
    )
    attachments = list(
        Attachment.objects.filter(**in_referrals)
        .select_related("uploaded_by", "uploaded_by_partner")
        .order_by("created_at", "pk")
    )
    notifications = _by_referral(
        Notification.objects.filter(**in_referrals).select_related("user").order_by("created_at", "pk")
    )
    objects = {
        "cases.person": [person.pk, *(other.pk for other in merged)],
        "cases.referral": referral_ids,
        "cases.consent": [consent.pk for consent in consents],
        "cases.note": [note.pk for note in notes],
        "cases.attachment": [attachment.pk for attachment in attachments],
    }
    about = Q(pk__in=[])
    for object_type, ids in objects.items():
        if ids:
            about |= Q(object_type=object_type, object_id__in=[str(pk) for pk in ids])
    events = list(AuditEvent.objects.filter(task_force=task_force).filter(about).order_by("at", "pk"))

    today = timezone.localdate(timezone=tz)
    notes_by, attachments_by = _by_referral(notes), _by_referral(attachments)
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.localtime(timezone.now(), tz),
        "generated_by": _user(generated_by),
        "task_force": {"slug": task_force.slug, "name": task_force.name, "timezone": task_force.timezone},
        "person": _person_fields(person, tz),
        "merged_records": [{**_person_fields(other, tz), "merged_at": _local(other.merged_at, tz)} for other in merged],
        "consents": [_consent(consent, tz, today) for consent in consents],
        "referrals": [
            _referral(
                referral,
                tz,
                transitions=transitions.get(referral.pk, []),
                notes=notes_by.get(referral.pk, []),
                attachments=attachments_by.get(referral.pk, []),
                notifications=notifications.get(referral.pk, []),
            )
            for referral in referrals
        ],
        "meetings": [],
        "audit_events": [_audit_event(event, tz) for event in events],
        "audit_views_by_actor": _views_by_actor(events, tz),
        "not_included": [
            _("Meetings and action items: they name neither people nor referrals in PSN Hub."),
            _("The IP addresses and browsers of staff in the audit events: they are not the person's data."),
        ],
    }
    data["counts"] = {
        "merged_records": len(merged),
        "consents": len(consents),
        "referrals": len(referrals),
        "transitions": sum(len(rows) for rows in transitions.values()),
        "notes": len(notes),
        "attachments": len(attachments),
        "notifications": sum(len(rows) for rows in notifications.values()),
        "audit_events": len(events),
    }
    return GatheredRecord(
        data=data,
        attachment_files={attachment.pk: attachment for attachment in attachments},
        consent_files={consent.pk: consent for consent in consents if consent.file},
    )


# --- Writing -----------------------------------------------------------------------------------------------------


def _zip_name_part(text: str, limit: int = 80) -> str:
    """A piece of a path inside the zip: letters, digits, dot, dash and underscore only, never "..", never empty."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:limit]
    return cleaned or "file"


def _read_stored(field_file) -> bytes | None:
    """The stored file's bytes, or None when storage no longer has it (the record says so instead of failing)."""
    try:
        with field_file.storage.open(field_file.name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        logger.warning("person record: stored file missing: %s", field_file.name)
        return None


def _page_counter() -> str:
    marker = "\x00"
    text = _("Page %(page)s of %(pages)s") % {"page": f"{marker}page{marker}", "pages": f"{marker}pages{marker}"}
    parts = text.split(marker)
    return " ".join(css_string(part) if index % 2 == 0 else f"counter({part})" for index, part in enumerate(parts))


def person_record_pdf(data: dict) -> bytes:
    """The record as a PDF, made from the gathered structure only (no query, nothing fetched)."""
    footer = _("%(name)s · record of %(date)s · confidential") % {
        "name": f"{data['person']['given_name']} {data['person']['family_name']}",
        "date": f"{data['generated_at']:%Y-%m-%d}",
    }
    context = {
        "record": data,
        "language": get_language() or "en",
        "footer_left": css_string(footer),
        "page_counter": _page_counter(),
    }
    html = render_to_string("people/person_record_pdf.html", context)
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def person_record_json(data: dict) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def _write_zip(gathered: GatheredRecord, tell: Callable[[int, str], None]) -> tuple[object, int, dict]:
    """The zip (a spooled temporary file) and the manifest's entries. Stored files first, so that the JSON and the
    PDF can name where each landed (or that it was missing)."""
    # Not a context manager: the file outlives this function (the build stores it, then closes it).
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115
    try:
        return _fill_zip(spool, gathered, tell)
    except BaseException:
        spool.close()
        raise


def _fill_zip(spool, gathered: GatheredRecord, tell: Callable[[int, str], None]) -> tuple[object, int, dict]:
    data = gathered.data
    entries: list[dict] = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(path: str, content: bytes) -> None:
            archive.writestr(path, content)
            entries.append({"path": path, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()})

        tell(15, "files")
        for referral in data["referrals"]:
            for row in referral["attachments"]:
                content = _read_stored(gathered.attachment_files[row["id"]].file)
                if content is None:
                    row["path"], row["missing"] = None, True
                    continue
                name = _zip_name_part(row["original_name"])
                row["path"] = f"attachments/{_zip_name_part(referral['reference'])}/{row['id']}-{name}"
                add(row["path"], content)
        for row in data["consents"]:
            consent = gathered.consent_files.get(row["id"])
            content = _read_stored(consent.file) if consent is not None else None
            if content is None:
                row["missing"] = consent is not None
                continue
            kind = filetype.guess(content[:8192])
            extension = CONSENT_FORM_EXTENSIONS.get(kind.mime if kind else "", "bin")
            row["signed_form"] = f"consent-forms/consent-{row['id']}.{extension}"
            add(row["signed_form"], content)
        tell(25, "json")
        add("record.json", person_record_json(data))
        tell(30, "pdf")
        add("record.pdf", person_record_pdf(data))
        tell(95, "zip")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "person_id": data["person"]["id"],
            "generated_at": data["generated_at"],
            "algorithm": "sha256",
            "files": sorted(entries, key=lambda entry: entry["path"]),
        }
        archive.writestr("manifest.json", json.dumps(manifest, cls=DjangoJSONEncoder, indent=2).encode())
    size = spool.tell()
    spool.seek(0)
    return spool, size, manifest


# --- The export: requested, built by the worker, downloaded ------------------------------------------------------


def _require_export(actor: access.Actor, task_force_id: int) -> None:
    access.require(access.can_export_person_record(actor) and task_force_id == actor.task_force.pk, _(EXPORT_DENIED))


def person_record_request(*, actor: access.Actor, person: Person, request=None) -> PersonRecordJob:
    """Queue the export of ``person``'s record (coordinators of their task force), audited as created; the worker
    builds it (``person_record_build``) with progress."""
    _require_export(actor, person.task_force_id)
    with transaction.atomic():
        job = PersonRecordJob.objects.create(
            task_force=actor.task_force, person=person, requested_by=actor.user, language=get_language() or "en"
        )
        audit.record(
            action=audit.AuditAction.CREATED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=job,
            changes={"person": [None, str(person.pk)]},
            request=request,
        )
        from .tasks import build_person_record

        enqueue_on_commit(build_person_record, job.pk)
    return job


def person_record_build(*, job_id: int) -> PersonRecordJob | None:
    """Build a queued export: the zip stored, kept ``RECORD_KEPT``. Returns the job, or None when another run has
    it, it is finished, or its person was purged meanwhile. A failure marks it failed (and re-raises for the log)."""
    if not jobs.job_claim(PersonRecordJob, job_id, now=timezone.now(), stale_after=BUILD_STALE_AFTER):
        return None
    job = PersonRecordJob.objects.select_related("task_force", "person", "requested_by").filter(pk=job_id).first()
    if job is None:
        return None
    tell = jobs.job_progress(PersonRecordJob, job_id)
    try:
        with translation.override(job.language):
            tell(5, "reading")
            gathered = person_record_gather(person=job.person, task_force=job.task_force, generated_by=job.requested_by)
            handle, size, manifest = _write_zip(gathered, tell)
    except Exception as exc:  # recorded on the job (the page shows it), then re-raised for the worker's log
        jobs.job_fail(PersonRecordJob, job_id, exc)
        raise
    with handle, transaction.atomic():
        locked = PersonRecordJob.objects.select_for_update().filter(pk=job_id).first()
        if locked is None or locked.status != PersonRecordJobStatus.RUNNING:
            return None
        locked.file.save("record.zip", File(handle), save=False)
        now = timezone.now()
        locked.size, locked.counts = size, {**gathered.data["counts"], "files": len(manifest["files"]) + 1}
        locked.status, locked.progress, locked.progress_label = PersonRecordJobStatus.DONE, 100, "done"
        locked.finished_at, locked.expires_at = now, now + RECORD_KEPT
        locked.save()
    return locked


def person_record_recover_stale(*, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """The beat task: builds whose worker was lost are queued again, or marked failed (``psn.jobs``)."""
    from .tasks import build_person_record

    return jobs.jobs_recover_stale(PersonRecordJob, task=build_person_record, stale_after=BUILD_STALE_AFTER, now=now)


def person_record_files_expire(*, now: datetime.datetime | None = None) -> list[int]:
    """The beat task: the zips kept past ``expires_at`` are deleted (after the commit); their rows stay, expired, as
    history. Returns their ids; run again, it finds nothing."""
    due = PersonRecordJob.objects.filter(expires_at__lte=now or timezone.now())
    return jobs.jobs_files_expire(PersonRecordJob, due)


@dataclass
class PersonRecordDownload:
    filename: str
    handle: object  # a binary file positioned at 0 (the caller closes it; FileResponse does)
    size: int


class RecordNotReady(Exception):
    """The export is not done (queued, running, failed) or its file expired: nothing to download."""


def person_record_download(*, actor: access.Actor, job: PersonRecordJob, request=None) -> PersonRecordDownload:
    """Open a done export's zip for a coordinator, audited as "exported" (the person, the counts of what it holds,
    never its content) once the file is open: no download without its event, no event for a file that is gone."""
    _require_export(actor, job.task_force_id)
    if job.status != PersonRecordJobStatus.DONE or not job.file:
        raise RecordNotReady(_("This export is not ready yet, or it expired: request a new one."))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        logger.warning("person record export %s: its file is gone", job.pk)
        raise RecordNotReady(_("This export's file is gone: request a new one.")) from None
    try:
        audit.record(
            action=audit.AuditAction.EXPORTED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=job.person,
            changes={
                "format": [None, "zip"],
                "export": [None, str(job.pk)],
                **{name: [None, str(value)] for name, value in job.counts.items()},
            },
            request=request,
        )
    except BaseException:
        handle.close()
        raise
    day = timezone.localdate(job.finished_at, timezone=job.task_force.tzinfo)
    return PersonRecordDownload(
        filename=f"person-record-{job.person_id}-{day:%Y-%m-%d}.zip", handle=handle, size=job.size
    )


def person_record_jobs_of(*, actor: access.Actor, person: Person) -> list[PersonRecordJob]:
    """The latest exports of ``person`` (the record page lists them), for the coordinators who may export it."""
    if not (access.can_export_person_record(actor) and person.task_force_id == actor.task_force.pk):
        return []
    rows = PersonRecordJob.objects.filter(task_force=actor.task_force, person=person).select_related("requested_by")
    return list(rows.order_by("-created_at", "-pk")[:RECORD_JOBS_LISTED])


def person_record_job_get_for(*, actor: access.Actor, pk) -> PersonRecordJob:
    """An export of the actor's task force (Http404 otherwise), then the right (403, audited), as for the person."""
    job = (
        PersonRecordJob.objects.filter(task_force=actor.task_force, pk=_id(pk))
        .select_related("person", "task_force", "requested_by")
        .first()
        if access.can_act(actor)
        else None
    )
    if job is None:
        raise Http404
    _require_export(actor, job.task_force_id)
    return job

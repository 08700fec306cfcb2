"""Consent: who agreed to what sharing, until when. The rule of DESIGN.md: a referral to a non-government
partner needs recorded, unexpired, unrevoked consent that covers that partner."""

from __future__ import annotations

import datetime
import uuid

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner, PartnerKind, Role
from psn import access, audit

from .models import OPEN_STATUSES, Consent, ConsentMethod, ConsentScope, ConsentShares, Person, Referral

# Partners of these kinds are government agencies: a referral to them needs no recorded consent.
GOVERNMENT_KINDS = frozenset({PartnerKind.LAW_ENFORCEMENT, PartnerKind.PROSECUTION, PartnerKind.GOVERNMENT})


def needs_consent(partner: Partner) -> bool:
    return partner.kind not in GOVERNMENT_KINDS


def consents_valid_for(*, person: Person, partner: Partner, on: datetime.date | None = None) -> QuerySet[Consent]:
    """The person's consents in force on ``on`` (today in the task force's zone by default) that cover
    ``partner``: given by then, not expired, not revoked, for the whole task force or naming the partner."""
    on = on or timezone.localdate(timezone=partner.task_force.tzinfo)
    return (
        Consent.objects.filter(task_force_id=person.task_force_id, person=person, revoked_at__isnull=True)
        .filter(given_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .filter(Q(scope=ConsentScope.TASK_FORCE) | Q(scope=ConsentScope.PARTNERS, partners=partner))
        .distinct()
    )


def has_valid_consent(*, person: Person, partner: Partner, on: datetime.date | None = None) -> bool:
    """Whether a referral of ``person`` to ``partner`` may go ahead as far as consent is concerned."""
    return not needs_consent(partner) or consents_valid_for(person=person, partner=partner, on=on).exists()


# --- Services ------------------------------------------------------------------------------------------------

# A signed consent form: a scan or a PDF, checked by content (the name and the browser's type say nothing).
CONSENT_FILE_TYPES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
CONSENT_FILE_MAX_BYTES = 5 * 1024 * 1024


def consent_file_name(consent: Consent) -> str:
    """A non-guessable stored name (joined to the field's ``consents/``): the person's name never appears."""
    return f"{consent.task_force_id}/{uuid.uuid4().hex}"


def _check_consent_file(file: UploadedFile) -> None:
    if file.size is not None and file.size > CONSENT_FILE_MAX_BYTES:
        raise ValidationError({"file": _("The signed form is larger than 5 MB.")})
    file.seek(0)
    kind = filetype.guess(file.read(8192))
    file.seek(0)
    if kind is None or kind.mime not in CONSENT_FILE_TYPES:
        raise ValidationError({"file": _("The signed form must be a PDF, PNG or JPEG file.")})


def _recording_partner(actor: access.Actor) -> Partner | None:
    """The partner the consent is recorded for: the actor's first partner where they may enter people."""
    for membership in actor.memberships:
        if actor.has_role_at(membership.partner_id, Role.REFERRAL_STAFF):
            return membership.partner
    return None


def consent_record(
    *,
    actor: access.Actor,
    person: Person,
    scope: str,
    partners: list[Partner] | QuerySet[Partner],
    shares: list[str],
    method: str,
    given_on: datetime.date,
    expires_on: datetime.date | None = None,
    file: UploadedFile | None = None,
    request=None,
) -> Consent:
    """Record a person's consent. Every check runs before the file is stored, so a refusal writes nothing."""
    access.require(
        access.can_record_consent(actor), _("Only referral staff, partner admins and coordinators record consent.")
    )
    person = access.people_of_task_force(actor).filter(pk=person.pk).first()
    if person is None:
        raise Http404(_("No such person."))
    partners = list(partners or [])
    errors: dict[str, str] = {}
    if scope not in ConsentScope.values:
        errors["scope"] = _("Choose what the consent covers.")
    elif scope == ConsentScope.PARTNERS and not partners:
        errors["partners"] = _("Name the partners the consent covers.")
    elif scope == ConsentScope.TASK_FORCE and partners:
        errors["partners"] = _("A consent for every partner of the task force names no partners.")
    if any(p.task_force_id != actor.task_force.pk for p in partners):
        errors["partners"] = _("Choose only partners of this task force.")
    if not shares or any(value not in ConsentShares.values for value in shares):
        errors["shares"] = _("Choose what may be shared.")
    if method not in ConsentMethod.values:
        errors["method"] = _("Choose how the consent was given.")
    elif method == ConsentMethod.UPLOAD and file is None:
        errors["file"] = _("Upload the signed form.")
    today = timezone.localdate(timezone=actor.task_force.tzinfo)
    if given_on is None:
        errors["given_on"] = _("Enter the date the consent was given.")
    elif given_on > today:
        errors["given_on"] = _("The consent cannot be given in the future.")
    elif expires_on is not None and expires_on < given_on:
        errors["expires_on"] = _("The consent cannot expire before it was given.")
    if errors:
        raise ValidationError(errors)
    if file is not None:
        _check_consent_file(file)

    consent = Consent(
        person=person,
        task_force=person.task_force,
        scope=scope,
        shares=sorted(set(shares)),
        method=method,
        given_on=given_on,
        expires_on=expires_on,
        recorded_by=actor.user,
        recorded_by_partner=_recording_partner(actor),
    )
    consent.full_clean(exclude=["file"])
    stored = None
    try:
        with transaction.atomic():
            if file is not None:
                consent.file.save(consent_file_name(consent), file, save=False)
                stored = consent.file.name
            consent.save()
            consent.partners.set(partners)
            audit.record(
                action="created",
                actor=actor.user,
                task_force=actor.task_force,
                obj=consent,
                changes={
                    "scope": [None, scope],
                    "partners": [None, ", ".join(sorted(p.name for p in partners))],
                    "method": [None, method],
                    "given_on": [None, str(given_on)],
                    "expires_on": [None, str(expires_on) if expires_on else None],
                    "file": [None, "uploaded" if stored else None],
                },
                request=request,
            )
    except BaseException:
        # No row points at the file any more: do not leave it behind.
        if stored:
            consent.file.storage.delete(stored)
        raise
    return consent


def consent_affected_referrals(*, consent: Consent) -> list[Referral]:
    """The open referrals of the consent's person to non-government partners that revoking this consent leaves
    without valid consent (those it covers, with no other consent in force for that partner)."""
    on = timezone.localdate(timezone=consent.task_force.tzinfo)
    if consent.given_on > on or (consent.expires_on is not None and consent.expires_on < on):
        return []  # not in force today: revoking it takes nothing away
    referrals = list(
        Referral.objects.filter(task_force_id=consent.task_force_id, person_id=consent.person_id)
        .filter(status__in=OPEN_STATUSES)
        .exclude(receiving_partner__kind__in=GOVERNMENT_KINDS)
        .select_related("receiving_partner", "sending_partner")
        .order_by("created_at", "pk")
    )
    if not referrals:
        return []
    covered = set(consent.partners.values_list("pk", flat=True))
    others = (
        Consent.objects.filter(
            task_force_id=consent.task_force_id, person_id=consent.person_id, revoked_at__isnull=True
        )
        .exclude(pk=consent.pk)
        .filter(given_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .prefetch_related("partners")
    )
    other_task_force = False
    other_partners: set[int] = set()
    for other in others:
        if other.scope == ConsentScope.TASK_FORCE:
            other_task_force = True
        else:
            other_partners.update(p.pk for p in other.partners.all())
    if other_task_force:
        return []
    return [
        referral
        for referral in referrals
        if (consent.scope == ConsentScope.TASK_FORCE or referral.receiving_partner_id in covered)
        and referral.receiving_partner_id not in other_partners
    ]


def consent_revoke(*, actor: access.Actor, consent: Consent, reason: str, request=None) -> list[Referral]:
    """Revoke a consent; returns the open referrals it leaves without valid consent, for the UI to show."""
    access.require(
        access.can_record_consent(actor), _("Only referral staff, partner admins and coordinators revoke consent.")
    )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the consent is revoked.")})
    with transaction.atomic():
        # Whoever sees the person records that they withdrew their consent, whichever partner heard it.
        locked = access.consents_visible_to(actor).select_for_update(of=("self",)).filter(pk=consent.pk).first()
        if locked is None:
            raise Http404(_("No such consent."))
        if locked.revoked_at is not None:
            raise ValidationError(_("This consent was already revoked."))
        affected = consent_affected_referrals(consent=locked)
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor.user
        locked.revoke_reason = reason
        locked.full_clean(exclude=["file"])
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.record(
            action="changed",
            actor=actor.user,
            task_force=actor.task_force,
            obj=locked,
            changes={
                "revoked": ["False", "True"],
                "revoke_reason": [None, reason],
                "affected_referrals": [None, ", ".join(r.reference for r in affected)],
            },
            request=request,
        )
    return affected


def consent_file_open_for(*, actor: access.Actor, pk: int | str, request=None) -> tuple[Consent, object, str]:
    """The consent, an open binary handle on its signed form and the form's type (read from its bytes), for an
    actor who may read the person (Http404 for anyone else, and where no form was uploaded). Each opening is
    audited as "viewed"; the caller closes the handle (FileResponse does)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    consent = access.consents_visible_to(actor).filter(pk=pk).first() if 0 < pk < 2**63 else None
    if consent is None or not consent.file:
        raise Http404
    handle = consent.file.storage.open(consent.file.name, "rb")
    try:
        kind = filetype.guess(handle.read(8192))
        handle.seek(0)
        audit.record(
            action="viewed",
            actor=actor.user,
            task_force=actor.task_force,
            obj=consent,
            changes={"file": "downloaded"},
            request=request,
        )
    except BaseException:
        handle.close()  # no download without its audit event
        raise
    return consent, handle, kind.mime if kind is not None else "application/octet-stream"

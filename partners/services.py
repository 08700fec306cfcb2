"""Task force and membership actions, and directory management (partners and their services)."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from psn import access, audit

from .models import Contact, Language, Location, Membership, Partner, Service, TaskForce, TaxonomyTerm
from .taxonomy import DEFAULT_TAXONOMY


def task_force_create(
    *,
    actor_user,
    name: str,
    slug: str,
    district: str = "",
    timezone: str = "America/Chicago",
    sla_business_days: int = 2,
    request=None,
) -> TaskForce:
    """Create a tenant. Site admins only (the `create_task_force` command runs as the system)."""
    if actor_user is not None and not access.can_create_task_force(actor_user):
        raise PermissionDenied(_("Only a site admin can create a task force."))
    task_force = TaskForce(
        name=(name or "").strip(),
        slug=(slug or "").strip().lower(),
        district=(district or "").strip(),
        timezone=(timezone or "").strip(),
        sla_business_days=sla_business_days,
    )
    # cases builds on partners: imported here so the directory app never needs cases to load.
    from cases.reasons import reason_codes_seed

    task_force.full_clean()
    with transaction.atomic():
        task_force.save()
        taxonomy_seed(task_force=task_force)
        reason_codes_seed(task_force=task_force)
        audit.record(action="created", actor=actor_user, task_force=task_force, obj=task_force, request=request)
    return task_force


def taxonomy_seed(*, task_force: TaskForce) -> int:
    """Give a task force the default need/service taxonomy (terms it already has are left as they are)."""
    existing = set(TaxonomyTerm.objects.filter(task_force=task_force).values_list("code", flat=True))
    TaxonomyTerm.objects.bulk_create(
        [
            TaxonomyTerm(task_force=task_force, code=code, name=name, description=description)
            for code, name, description in DEFAULT_TAXONOMY
            if code not in existing
        ]
    )
    return len(DEFAULT_TAXONOMY) - len(existing & {code for code, _, _ in DEFAULT_TAXONOMY})


def membership_create(*, partner: Partner, user, role: str, actor_user=None, request=None) -> Membership:
    """Attach a user to a partner with a role (the directory issue adds invitations on top of this)."""
    membership = Membership(partner=partner, user=user, role=role, task_force_id=partner.task_force_id)
    membership.full_clean()
    with transaction.atomic():
        membership.save()
        audit.record(
            action="created",
            actor=actor_user,
            task_force=partner.task_force,
            obj=membership,
            changes={"role": [None, role]},
            request=request,
        )
    return membership


# --- Directory management -----------------------------------------------------------------------------
#
# Who may do what (psn/access.py "Directory management"): coordinators create partners, change their kind,
# deactivate and reactivate them; a partner admin edits the descriptive fields of their own partner (never
# its kind or active flag); both create, edit, deactivate and reactivate the partner's services.
# Deactivating never deletes and never cascades: a deactivated partner's services keep their own flag and
# are hidden by the selectors along with it, so reactivating the partner brings the directory back as it was.

PARTNER_TEXT_FIELDS = (
    "name",
    "description",
    "address_1",
    "city",
    "state_province",
    "postal_code",
    "phone",
    "email",
    "website",
    "service_area",
)
PARTNER_FIELDS = (*PARTNER_TEXT_FIELDS, "kind")
SERVICE_FIELDS = (
    "name",
    "description",
    "eligibility",
    "capacity",
    "accepting_referrals",
    "hours",
    "contact_name",
    "contact_phone",
    "contact_email",
    "url",
)
# The database's integer range on PostgreSQL; SQLite would take more, so the forms and the API say it.
SERVICE_CAPACITY_MAX = 2_147_483_647
# What Pillow must find inside a logo, whatever the file is called.
LOGO_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
UNCHANGED = object()  # ``logo=UNCHANGED`` keeps the partner's logo; ``None`` removes it


def _cleaned(values: dict, allowed: tuple[str, ...]) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    return {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}


def _check_logo(logo) -> None:
    """Pillow opens and verifies the file (a non-image or a corrupt file renamed .png is refused) and it
    must be one of the formats we accept, whatever its name says."""
    from django import forms

    try:
        checked = forms.ImageField().clean(logo)
    except ValidationError as exc:
        raise ValidationError({"logo": exc.messages}) from None
    image = getattr(checked, "image", None)
    if image is None or image.format not in LOGO_FORMATS:
        raise ValidationError({"logo": _("The logo must be a PNG, JPEG, GIF or WebP image.")})
    logo.seek(0)


def _codes(objects) -> str:
    return ", ".join(sorted(obj.code for obj in objects))


def _partner_snapshot(partner: Partner, languages) -> dict:
    values = {name: getattr(partner, name) for name in PARTNER_FIELDS}
    values["languages"] = _codes(languages)
    values["logo"] = partner.logo.name or ""
    return values


def _service_snapshot(service: Service, categories, languages) -> dict:
    values = {name: getattr(service, name) for name in SERVICE_FIELDS}
    values["categories"] = _codes(categories)
    values["languages"] = _codes(languages)
    return values


def _created(values: dict) -> dict:
    return audit.changed_fields({}, {name: value for name, value in values.items() if value not in ("", None)})


def _validate_partner(partner: Partner) -> None:
    partner.full_clean(exclude=["task_force"])
    twins = Partner.objects.filter(task_force_id=partner.task_force_id, name__iexact=partner.name)
    if twins.exclude(pk=partner.pk).exists():
        raise ValidationError(
            {"name": _("A partner named “%(name)s” is already in the directory.") % {"name": partner.name}}
        )


def _save_partner(partner: Partner, languages) -> None:
    """Save inside the caller's transaction; a twin saved at the same moment is a name error, not a 500."""
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError:
        raise ValidationError({"name": _("A partner with this name is already in the directory.")}) from None
    if languages is not None:
        partner.languages.set(languages)


def partner_create(
    *,
    actor: access.Actor,
    name: str,
    kind: str,
    languages: Iterable[Language] = (),
    logo=None,
    request=None,
    **details: str,
) -> Partner:
    """Add a partner to the actor's task force (coordinators only). ``details`` are the other descriptive
    fields (``PARTNER_TEXT_FIELDS``)."""
    access.require(access.can_create_partner(actor), _("Only coordinators add partners to the directory."))
    details = _cleaned({"name": name, **details}, PARTNER_TEXT_FIELDS)
    partner = Partner(task_force=actor.task_force, kind=kind, **details)
    if logo:
        _check_logo(logo)
        partner.logo = logo
    _validate_partner(partner)
    languages = list(languages)
    with transaction.atomic():
        _save_partner(partner, languages)
        audit.record(
            action="created",
            actor=actor.user,
            task_force=actor.task_force,
            obj=partner,
            changes=_created(_partner_snapshot(partner, languages)),
            request=request,
        )
    return partner


def partner_update(
    *,
    actor: access.Actor,
    partner: Partner,
    languages: Iterable[Language] | None = None,
    logo=UNCHANGED,
    request=None,
    **changes,
) -> Partner:
    """Change a partner's descriptive fields, languages and logo (its admins and coordinators) and its kind
    (coordinators only). One audit event with the fields that changed; nothing changed, nothing written."""
    access.require(access.can_edit_partner(actor, partner), _("Only this partner's admins and coordinators edit it."))
    changes = _cleaned(changes, PARTNER_FIELDS)
    if "kind" in changes and changes["kind"] != partner.kind:
        access.require(
            access.can_change_partner_status(actor, partner), _("Only a coordinator changes a partner's kind.")
        )
    old_languages = list(partner.languages.all())
    before = _partner_snapshot(partner, old_languages)
    partner = copy.copy(partner)  # the caller's object stays as it was if the change is refused
    for name, value in changes.items():
        setattr(partner, name, value)
    if logo is not UNCHANGED:
        if logo:
            _check_logo(logo)
            partner.logo = logo
        else:
            partner.logo = ""
    _validate_partner(partner)
    languages = list(languages) if languages is not None else None
    diff = audit.changed_fields(before, _partner_snapshot(partner, old_languages if languages is None else languages))
    if not diff:
        return partner
    with transaction.atomic():
        _save_partner(partner, languages)
        audit.record(
            action="changed", actor=actor.user, task_force=actor.task_force, obj=partner, changes=diff, request=request
        )
    return partner


def _set_active(model, obj, *, active: bool, actor: access.Actor, request) -> bool:
    """Flip the flag with a conditional update (two clicks at once change it once); audit only a change."""
    with transaction.atomic():
        changed = model.objects.filter(pk=obj.pk, active=not active).update(active=active, updated_at=dj_timezone.now())
        obj.active = active
        if changed:
            audit.record(
                action="changed",
                actor=actor.user,
                task_force=actor.task_force,
                obj=obj,
                changes={"active": [str(not active), str(active)]},
                request=request,
            )
    return bool(changed)


def partner_deactivate(*, actor: access.Actor, partner: Partner, request=None) -> bool:
    """Take a partner out of the directory (coordinators only): its members lose access through it, its
    services are hidden with it, and everything stays for history. False if it was already inactive."""
    access.require(access.can_change_partner_status(actor, partner), _("Only coordinators deactivate partners."))
    if not actor.is_site_admin and all(m.partner_id == partner.pk for m in actor.memberships):
        raise ValidationError(
            _("Your own access to the task force is through this partner: ask another coordinator to deactivate it.")
        )
    return _set_active(Partner, partner, active=False, actor=actor, request=request)


def partner_reactivate(*, actor: access.Actor, partner: Partner, request=None) -> bool:
    """Bring a partner back (coordinators only), with its services as they were. False if it was active."""
    access.require(access.can_change_partner_status(actor, partner), _("Only coordinators reactivate partners."))
    return _set_active(Partner, partner, active=True, actor=actor, request=request)


def _check_categories(categories: list[TaxonomyTerm], task_force_id: int) -> None:
    if any(term.task_force_id != task_force_id for term in categories):
        raise ValidationError({"categories": _("Choose categories of this task force.")})


def _save_service(service: Service, categories, languages) -> None:
    service.save()
    if categories is not None:
        service.categories.set(categories)
    if languages is not None:
        service.languages.set(languages)


def service_create(
    *,
    actor: access.Actor,
    partner: Partner,
    name: str,
    categories: Iterable[TaxonomyTerm] = (),
    languages: Iterable[Language] = (),
    request=None,
    **details,
) -> Service:
    """Add a service to a partner (its admins and coordinators). An inactive partner takes no new services."""
    access.require(
        access.can_manage_services_of(actor, partner),
        _("Only this partner's admins and coordinators add its services."),
    )
    if not partner.active:
        raise ValidationError({"partner": _("This partner is inactive: reactivate it before adding services.")})
    details = _cleaned({"name": name, **details}, SERVICE_FIELDS)
    service = Service(partner=partner, task_force_id=partner.task_force_id, **details)
    service.full_clean(exclude=["task_force"])
    categories, languages = list(categories), list(languages)
    _check_categories(categories, partner.task_force_id)
    with transaction.atomic():
        _save_service(service, categories, languages)
        audit.record(
            action="created",
            actor=actor.user,
            task_force=actor.task_force,
            obj=service,
            changes=_created({"partner": partner.name, **_service_snapshot(service, categories, languages)}),
            request=request,
        )
    return service


def service_update(
    *,
    actor: access.Actor,
    service: Service,
    categories: Iterable[TaxonomyTerm] | None = None,
    languages: Iterable[Language] | None = None,
    request=None,
    **changes,
) -> Service:
    """Change a service (its partner's admins and coordinators). A service stays with its partner: moving it
    would rewrite whose history its referrals are. Nothing changed, nothing written."""
    access.require(
        access.can_manage_services_of(actor, service.partner),
        _("Only this partner's admins and coordinators edit its services."),
    )
    changes = _cleaned(changes, SERVICE_FIELDS)
    old_categories, old_languages = list(service.categories.all()), list(service.languages.all())
    before = _service_snapshot(service, old_categories, old_languages)
    service = copy.copy(service)  # the caller's object stays as it was if the change is refused
    for name, value in changes.items():
        setattr(service, name, value)
    service.full_clean(exclude=["task_force"])
    categories = list(categories) if categories is not None else None
    languages = list(languages) if languages is not None else None
    if categories is not None:
        _check_categories(categories, service.task_force_id)
    after = _service_snapshot(
        service,
        old_categories if categories is None else categories,
        old_languages if languages is None else languages,
    )
    diff = audit.changed_fields(before, after)
    if not diff:
        return service
    with transaction.atomic():
        _save_service(service, categories, languages)
        audit.record(
            action="changed", actor=actor.user, task_force=actor.task_force, obj=service, changes=diff, request=request
        )
    return service


def service_deactivate(*, actor: access.Actor, service: Service, request=None) -> bool:
    """Stop listing a service (its partner's admins and coordinators); nothing is deleted. False if it was
    already inactive."""
    access.require(
        access.can_manage_services_of(actor, service.partner),
        _("Only this partner's admins and coordinators deactivate its services."),
    )
    return _set_active(Service, service, active=False, actor=actor, request=request)


def service_reactivate(*, actor: access.Actor, service: Service, request=None) -> bool:
    """List a service again. False if it was already active."""
    access.require(
        access.can_manage_services_of(actor, service.partner),
        _("Only this partner's admins and coordinators reactivate its services."),
    )
    return _set_active(Service, service, active=True, actor=actor, request=request)


def analyze_directory() -> None:
    """Fresh planner statistics after a bulk load (seed_demo, a large HSDS import), on PostgreSQL. Until
    autovacuum gets to them the planner takes thousands of new services for a handful and the directory search
    picks nested loops: 130 ms instead of 27 ms in the database (bench/results.md)."""
    if connection.vendor != "postgresql":
        return
    models = [Partner, Partner.languages.through, Service, Service.categories.through, Service.languages.through]
    models += [Location, Location.services.through, Contact, TaxonomyTerm]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))

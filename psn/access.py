"""Who may see and do what: the one module that knows, by role, partner and task force.

Selectors and services ask here; views and API views only pass the request's ``Actor`` along.
Rules:
- Everything belongs to exactly one task force. Objects of another task force do not exist for the
  actor: the selectors filter them out, so the answer is a 404, never a 403.
- Inside the task force, a missing right is a ``PermissionDenied`` (403), recorded in the audit trail.
- Site admins (superusers) act in any task force with a coordinator's rights there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from partners.models import Membership, Partner, Role, Service, TaskForce

ROLE_RANK = {Role.MEMBER: 0, Role.REFERRAL_STAFF: 1, Role.PARTNER_ADMIN: 2, Role.COORDINATOR: 3}


@dataclass(frozen=True)
class Actor:
    """A user acting inside one task force (or none chosen yet), with their active memberships there."""

    user: object
    task_force: TaskForce | None
    memberships: tuple[Membership, ...] = ()
    all_memberships: tuple[Membership, ...] = field(default=(), repr=False)

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False)) and self.user.is_active

    @property
    def is_site_admin(self) -> bool:
        return self.is_authenticated and self.user.is_superuser

    @property
    def partner_ids(self) -> frozenset[int]:
        return frozenset(m.partner_id for m in self.memberships)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)

    @property
    def is_coordinator(self) -> bool:
        return self.task_force is not None and (Role.COORDINATOR in self.roles or self.is_site_admin)

    def role_at(self, partner_id: int) -> str | None:
        for m in self.memberships:
            if m.partner_id == partner_id:
                return m.role
        return None

    def has_role_at(self, partner_id: int, minimum: str) -> bool:
        role = self.role_at(partner_id)
        return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]

    @property
    def waiting_referrals(self) -> int:
        """Referrals submitted to the actor's partners and not yet acknowledged (the navigation's count)."""
        return sum(getattr(m, "waiting_referrals", 0) for m in self.memberships)

    @property
    def unread_notifications(self) -> int | None:
        """The user's unread notifications in the task force (the same number on every membership: read from the
        first); None when the actor was built without the navigation's counts (the API)."""
        if not self.memberships:
            return 0
        return getattr(self.memberships[0], "unread_notifications", None)

    @property
    def task_forces(self) -> list[TaskForce]:
        seen: dict[int, TaskForce] = {}
        for m in self.all_memberships:
            seen.setdefault(m.task_force_id, m.task_force)
        return sorted(seen.values(), key=lambda tf: tf.name)


ANONYMOUS = Actor(user=None, task_force=None)


def active_memberships(user) -> QuerySet[Membership]:
    """Memberships that grant access now: active membership, active partner, active task force."""
    return Membership.objects.filter(
        user=user, active=True, partner__active=True, task_force__active=True, user__is_active=True
    )


def task_forces_for(user) -> QuerySet[TaskForce]:
    """The task forces a user may act in: all for a site admin, else those of their active memberships."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return TaskForce.objects.none()
    if user.is_superuser:
        return TaskForce.objects.filter(active=True)
    return TaskForce.objects.filter(pk__in=active_memberships(user).values("task_force_id"), active=True).order_by(
        "name"
    )


class TaskForceChoiceError(Exception):
    """The requested task force is not one the user may act in (or none could be chosen)."""


# What a task-force slug can look like (TaskForce.slug): anything else names none, and is never queried.
TASK_FORCE_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")


def _with_waiting_counts(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """The navigation's counts, read in the same query as the memberships (no query of their own on any page):
    per membership, the referrals submitted to its partner and not yet acknowledged, and the user's unread
    notifications in its task force."""
    from cases.models import Notification, Referral, Status

    def count_of(queryset):
        return Coalesce(Subquery(queryset.order_by().values("task_force_id").annotate(n=Count("pk")).values("n")), 0)

    waiting = Referral.objects.filter(
        task_force_id=OuterRef("task_force_id"), receiving_partner_id=OuterRef("partner_id"), status=Status.SUBMITTED
    )
    unread = Notification.objects.filter(
        task_force_id=OuterRef("task_force_id"), user_id=OuterRef("user_id"), read_at__isnull=True
    )
    return memberships.annotate(waiting_referrals=count_of(waiting), unread_notifications=count_of(unread))


def actor_for(
    user, *, requested_slug: str | None = None, remembered_id: int | None = None, with_counts: bool = True
) -> Actor:
    """Build the request's Actor. One query for a member; one more for a site admin outside their memberships.

    ``requested_slug`` (API header, switcher) must name a task force the user may act in, else
    ``TaskForceChoiceError``. Without it the remembered choice is used, else the only task force.
    ``with_counts``: read the navigation's counts with the memberships (pages); the API draws no navigation.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    memberships = active_memberships(user).select_related("partner", "task_force")
    all_memberships = tuple(_with_waiting_counts(memberships) if with_counts else memberships)
    by_tf = {m.task_force_id: m.task_force for m in all_memberships}
    task_force: TaskForce | None = None
    if requested_slug is not None:
        if not TASK_FORCE_SLUG.fullmatch(requested_slug):
            raise TaskForceChoiceError(requested_slug)
        task_force = next((tf for tf in by_tf.values() if tf.slug == requested_slug), None)
        if task_force is None and user.is_superuser:
            task_force = TaskForce.objects.filter(slug=requested_slug, active=True).first()
        if task_force is None:
            raise TaskForceChoiceError(requested_slug)
    elif remembered_id is not None and remembered_id in by_tf:
        task_force = by_tf[remembered_id]
    elif remembered_id is not None and user.is_superuser:
        task_force = TaskForce.objects.filter(pk=remembered_id, active=True).first()
    elif len(by_tf) == 1:
        task_force = next(iter(by_tf.values()))
    memberships = tuple(m for m in all_memberships if task_force is not None and m.task_force_id == task_force.pk)
    return Actor(user=user, task_force=task_force, memberships=memberships, all_memberships=all_memberships)


# --- Predicates -------------------------------------------------------------------------------------


def can_act(actor: Actor) -> bool:
    """Inside a task force with at least one active membership (or as site admin)."""
    return actor.is_authenticated and actor.task_force is not None and (bool(actor.memberships) or actor.is_site_admin)


def can_create_task_force(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.is_superuser


def can_create_api_token(user, *, authenticated_by_token: bool) -> bool:
    """Only a signed-in person creates tokens: a leaked token must not be able to mint a longer-lived one."""
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and not authenticated_by_token


def can_view_audit(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def can_manage_partner(actor: Actor, partner: Partner) -> bool:
    """Coordinators manage every partner of their task force; partner admins their own."""
    if not can_act(actor) or partner.task_force_id != actor.task_force.pk:
        return False
    return actor.is_coordinator or actor.has_role_at(partner.pk, Role.PARTNER_ADMIN)


def can_view_inactive_partners(actor: Actor) -> bool:
    """Deactivated partners (and their services) stay in the directory for coordinators only: history
    points at them, but nobody else should find them or refer to them."""
    return can_act(actor) and actor.is_coordinator


def can_view_inactive_memberships(actor: Actor, partner_id: int) -> bool:
    return actor.is_coordinator or actor.has_role_at(partner_id, Role.PARTNER_ADMIN)


def can_manage_lockouts(actor: Actor) -> bool:
    """May open the locked-accounts page at all."""
    return actor.is_site_admin or (can_act(actor) and (actor.is_coordinator or Role.PARTNER_ADMIN in actor.roles))


def can_release_lockout(actor: Actor, target) -> bool:
    """Site admins release anyone; coordinators anyone of their task force; partner admins their partner's."""
    if not actor.is_authenticated:
        return False
    if actor.is_site_admin:
        return True
    if not can_act(actor):
        return False
    target_memberships = Membership.objects.filter(user=target, task_force=actor.task_force)
    if actor.is_coordinator:
        return target_memberships.exists()
    admin_partners = [m.partner_id for m in actor.memberships if m.role == Role.PARTNER_ADMIN]
    return bool(admin_partners) and target_memberships.filter(partner_id__in=admin_partners).exists()


# --- Scopes (what lists contain) ------------------------------------------------------------------------


def memberships_visible_to(actor: Actor) -> QuerySet[Membership]:
    """Every active membership of an active account in the task force (partners find each other);
    inactive ones and disabled accounts only for coordinators and the admins of that partner."""
    if not can_act(actor):
        return Membership.objects.none()
    qs = Membership.objects.filter(task_force=actor.task_force)
    if actor.is_coordinator:
        return qs
    admin_partners = [m.partner_id for m in actor.memberships if m.role == Role.PARTNER_ADMIN]
    return qs.filter(active=True, user__is_active=True) | qs.filter(partner_id__in=admin_partners)


def partners_visible_to(actor: Actor) -> QuerySet[Partner]:
    """The directory's partners: every member of the task force reads it; inactive ones only coordinators."""
    if not can_act(actor):
        return Partner.objects.none()
    qs = Partner.objects.filter(task_force=actor.task_force)
    if not can_view_inactive_partners(actor):
        qs = qs.filter(active=True)
    return qs


def services_visible_to(actor: Actor) -> QuerySet[Service]:
    """The directory's services: active services of active partners; everything of the task force for
    coordinators."""
    if not can_act(actor):
        return Service.objects.none()
    qs = Service.objects.filter(task_force=actor.task_force)
    if not can_view_inactive_partners(actor):
        qs = qs.filter(active=True, partner__active=True)
    return qs


def users_of_task_force(actor: Actor):
    """The people an actor can address at all: those with a membership in the actor's task force (everyone
    for a site admin). Anyone else does not exist for them (404); what they may do to these is a right (403)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if actor.is_site_admin:
        return User.objects.all()
    if not can_act(actor):
        return User.objects.none()
    return User.objects.filter(pk__in=Membership.objects.filter(task_force=actor.task_force).values("user_id"))


def users_manageable_by(actor: Actor):
    """Users whose lockout this actor may release (for the lockout page)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if actor.is_site_admin:
        return User.objects.all()
    if not can_act(actor):
        return User.objects.none()
    memberships = Membership.objects.filter(task_force=actor.task_force)
    if not actor.is_coordinator:
        admin_partners = [m.partner_id for m in actor.memberships if m.role == Role.PARTNER_ADMIN]
        memberships = memberships.filter(partner_id__in=admin_partners)
    return User.objects.filter(pk__in=memberships.values("user_id"))


def require(allowed: bool, message: str = "") -> None:
    """Raise PermissionDenied unless allowed; the handler records it in the audit trail."""
    if not allowed:
        raise PermissionDenied(message or "You do not have permission to do that.")


# --- Members and invitations ------------------------------------------------------------------------
#
# Coordinators manage the members of every partner of their task force and grant any role; partner admins
# manage their own partner's members up to their own role, never a coordinator's membership or role.


def can_manage_members(actor: Actor, partner: Partner) -> bool:
    """Invite, change roles, deactivate: coordinators anywhere in their task force, partner admins at home
    (the same people who manage the partner)."""
    return can_manage_partner(actor, partner)


def roles_grantable_by(actor: Actor, partner: Partner) -> list[str]:
    """The roles this actor may give (and take away) at this partner, lowest first."""
    if not can_manage_members(actor, partner):
        return []
    ceiling = Role.COORDINATOR if actor.is_coordinator else Role.PARTNER_ADMIN
    return [role for role, rank in ROLE_RANK.items() if rank <= ROLE_RANK[ceiling]]


def can_grant_role(actor: Actor, partner: Partner, role: str) -> bool:
    return role in roles_grantable_by(actor, partner)


def can_manage_membership(actor: Actor, membership: Membership) -> bool:
    """A partner admin cannot touch a membership above their ceiling (a coordinator's)."""
    return can_grant_role(actor, membership.partner, membership.role)


def can_view_invitations(actor: Actor) -> bool:
    """The invitation list at all: coordinators, and partner admins (who see their partners' invitations)."""
    return can_act(actor) and (actor.is_coordinator or Role.PARTNER_ADMIN in actor.roles)


def invitations_visible_to(actor: Actor):
    """Invitations of the task force for coordinators; of their own partners for partner admins; else none."""
    from partners.models import Invitation

    if not can_view_invitations(actor):
        return Invitation.objects.none()
    qs = Invitation.objects.filter(task_force=actor.task_force)
    if actor.is_coordinator:
        return qs
    admin_partners = [m.partner_id for m in actor.memberships if m.role == Role.PARTNER_ADMIN]
    return qs.filter(partner_id__in=admin_partners)


# --- HSDS import and export -------------------------------------------------------------------------
#
# The issue asks for "a download button for coordinators": the export is the whole directory, inactive
# partners included, which only coordinators see; importing rewrites the directory, a coordinator's job.


def can_export_directory(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def can_import_directory(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def directory_imports_of_task_force(actor: Actor):
    """The scope of HSDS imports (another task force's are a 404); reading them is ``can_import_directory``
    (a 403 inside the task force)."""
    from partners.models import DirectoryImport

    if not can_act(actor):
        return DirectoryImport.objects.none()
    return DirectoryImport.objects.filter(task_force=actor.task_force)


# --- Directory management
#
# Coordinators create partners, change their kind, deactivate and reactivate them, and manage every
# partner's services; a partner admin edits the descriptive fields of their own partner and manages its
# services. Deactivating never deletes: history keeps pointing at the row, the selectors hide it.


def can_create_partner(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def can_edit_partner(actor: Actor, partner: Partner) -> bool:
    """The descriptive fields (name, description, contact details, languages, logo)."""
    return can_manage_partner(actor, partner)


def can_change_partner_status(actor: Actor, partner: Partner) -> bool:
    """Kind, deactivate, reactivate: what the partner is in the task force is the coordinators' call."""
    return can_act(actor) and partner.task_force_id == actor.task_force.pk and actor.is_coordinator


def can_manage_services_of(actor: Actor, partner: Partner) -> bool:
    """Create, edit, deactivate and reactivate the partner's services."""
    return can_manage_partner(actor, partner)


def services_manageable_or_visible_to(actor: Actor) -> QuerySet[Service]:
    """The directory's services, plus a partner admin's own partners' inactive services: they must find
    those again to edit or reactivate them (the read pages still hide them from everyone else)."""
    qs = services_visible_to(actor)
    if not can_act(actor) or actor.is_coordinator:
        return qs
    admin_partners = [m.partner_id for m in actor.memberships if m.role == Role.PARTNER_ADMIN]
    if not admin_partners:
        return qs
    return qs | Service.objects.filter(task_force=actor.task_force, partner_id__in=admin_partners)


# --- People and consent
#
# Whoever may file referrals enters the people they refer and records their consent: referral staff and partner
# admins (at any of their partners) and the coordinators. Members only read. Merging two records rewrites whose
# history is whose, so only coordinators merge. Duplicate detection, merging and recording consent reach the whole
# task force (``people_of_task_force``: the candidate picked may be someone another partner entered); correcting
# a person or revoking their consent needs to see them (``people_visible_to``).


def can_enter_people(actor: Actor) -> bool:
    staff = ROLE_RANK[Role.REFERRAL_STAFF]
    return can_act(actor) and (actor.is_coordinator or any(ROLE_RANK[Role(m.role)] >= staff for m in actor.memberships))


def can_merge_people(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def can_record_consent(actor: Actor) -> bool:
    return can_enter_people(actor)


def can_export_person_record(actor: Actor) -> bool:
    """A person's whole record for a records request (cases/person_record.py): the coordinators of the task force,
    for any person of it, even one no referral shows them (answering records requests is the records officer's
    job, and every export is audited)."""
    return can_act(actor) and actor.is_coordinator


# The session key under which the people page keeps the people a user picked among duplicate candidates.
PICKED_PEOPLE_SESSION_KEY = "psn_picked_people"
PICKED_PEOPLE_KEPT = 20


def people_fileable_by(actor: Actor, *, picked=()):
    """The people an actor may file a referral for: those they may see (``people_visible_to``) and those they
    picked, in this session, among the duplicate check's candidates for the person they entered (the check
    showed them that record on purpose, and it is audited). An id typed into a URL gives nothing more."""
    visible = people_visible_to(actor)
    picked = [pk for pk in picked if isinstance(pk, int)][:PICKED_PEOPLE_KEPT]
    if not picked:
        return visible
    return visible | people_of_task_force(actor).filter(pk__in=picked)


def people_of_task_force(actor: Actor):
    """The people of the actor's task force that still stand on their own (merged-away records are history)."""
    from cases.models import Person

    if not can_act(actor):
        return Person.objects.none()
    return Person.objects.filter(task_force=actor.task_force, merged_into__isnull=True)


def consents_of_task_force(actor: Actor):
    from cases.models import Consent

    if not can_act(actor):
        return Consent.objects.none()
    return Consent.objects.filter(task_force=actor.task_force)


# --- Referral lifecycle -----------------------------------------------------------------------------
#
# Who moves a referral is decided by the side the action belongs to (cases/lifecycle.py TRANSITIONS): the
# sending partner's referral staff and partner admins create, submit and withdraw; the receiving partner's accept,
# decline, start, complete, close, transfer and record contact. Plain members read and write notes but never move
# a referral. Coordinators (and site admins) see every referral's metadata but do not act on a referral unless they
# are also referral staff or partner admin of that side: moving a referral is the partners' work, and a coordinator
# acting on a partner's behalf would blur who did what in the record.

REFERRAL_ACTING_ROLES = frozenset({Role.REFERRAL_STAFF, Role.PARTNER_ADMIN})


def is_referral_staff_of(actor: Actor, partner_id: int) -> bool:
    return can_act(actor) and actor.role_at(partner_id) in REFERRAL_ACTING_ROLES


def can_file_referral_from(actor: Actor, partner: Partner) -> bool:
    """Create (and so submit) a referral with ``partner`` as the sending partner."""
    return (
        can_act(actor)
        and partner.task_force_id == actor.task_force.pk
        and partner.active
        and is_referral_staff_of(actor, partner.pk)
    )


def can_act_on_referral(actor: Actor, referral, action: str) -> bool:
    """Whether ``actor`` may perform the lifecycle ``action`` on ``referral`` (whatever its current state: the
    state is lifecycle.py's check)."""
    from cases.lifecycle import SENDING, side_of

    if not can_act(actor) or referral.task_force_id != actor.task_force.pk:
        return False
    partner_id = referral.sending_partner_id if side_of(action) == SENDING else referral.receiving_partner_id
    return is_referral_staff_of(actor, partner_id)


# --- Referral visibility
#
# Who sees a referral: the members (any role) of its sending partner always; of its receiving partner once it was
# sent (a draft, or a draft withdrawn before it was ever submitted, is the sender's unfinished work); the
# task force's coordinators and site admins every referral, but as metadata and status only (DESIGN.md) unless
# they are also members of one of its two partners. "Details" are the person, the free-text reason, the free
# text of transitions, the notes and the attachments. Shared notes and attachments go to both partners' members,
# internal ones only to the members of the partner that wrote them. Anything beyond that does not exist for the
# actor (a 404 from the selectors); adding to a referral one may only see is a 403.


def _receiving_side_sees():
    """Rows the receiving partner sees: anything ever submitted (not a draft, nor a draft withdrawn unsent)."""
    from django.db.models import Q

    from cases.models import Status

    return Q(submitted_at__isnull=False) | ~Q(status__in=[Status.DRAFT, Status.WITHDRAWN])


def _receiving_side_sees_referral(referral) -> bool:
    from cases.models import Status

    return referral.submitted_at is not None or referral.status not in (Status.DRAFT, Status.WITHDRAWN)


def referral_details_condition(actor: Actor):
    """A Q on Referral: the rows whose details the actor may see (member of the sender, or of the receiver once
    sent). Selectors use it to annotate rows and to limit the name search."""
    from django.db.models import Q

    partner_ids = sorted(actor.partner_ids)
    if not can_act(actor) or not partner_ids:
        return Q(pk__in=[])
    return Q(sending_partner_id__in=partner_ids) | (Q(receiving_partner_id__in=partner_ids) & _receiving_side_sees())


def referrals_visible_to(actor: Actor):
    """Every referral of the task force for coordinators (metadata only where they are no party); the referrals
    of their partners for everyone else; nothing of another task force."""
    from cases.models import Referral

    if not can_act(actor):
        return Referral.objects.none()
    qs = Referral.objects.filter(task_force=actor.task_force)
    if actor.is_coordinator:
        return qs
    return qs.filter(referral_details_condition(actor))


def can_view_referral(actor: Actor, referral) -> bool:
    """The row-level twin of ``referrals_visible_to`` (no query)."""
    if not can_act(actor) or referral.task_force_id != actor.task_force.pk:
        return False
    return actor.is_coordinator or can_view_referral_details(actor, referral)


def can_view_referral_details(actor: Actor, referral) -> bool:
    """The person, the reason, notes and attachments: only the two partners' members (no query)."""
    if not can_act(actor) or referral.task_force_id != actor.task_force.pk:
        return False
    if referral.sending_partner_id in actor.partner_ids:
        return True
    return referral.receiving_partner_id in actor.partner_ids and _receiving_side_sees_referral(referral)


def referral_side_of(actor: Actor, referral) -> int | None:
    """The partner the actor acts for on this referral (the one a note is written for): the receiving partner
    when they are a member of both and it was sent, else the sending partner; None if they are no party."""
    if not can_view_referral_details(actor, referral):
        return None
    if referral.receiving_partner_id in actor.partner_ids and _receiving_side_sees_referral(referral):
        return referral.receiving_partner_id
    return referral.sending_partner_id


def _shared_or_own_internal(actor: Actor):
    from django.db.models import Q

    from cases.models import NoteVisibility

    return Q(visibility=NoteVisibility.SHARED) | Q(
        visibility=NoteVisibility.INTERNAL, author_partner_id__in=sorted(actor.partner_ids)
    )


def notes_visible_to(actor: Actor, referral):
    """Shared notes for both partners' members; internal notes for the author's partner only; nothing for
    anyone else (coordinators outside the two partners included)."""
    from cases.models import Note

    if not can_view_referral_details(actor, referral):
        return Note.objects.none()
    return Note.objects.filter(task_force_id=referral.task_force_id, referral=referral).filter(
        _shared_or_own_internal(actor)
    )


def can_view_note(actor: Actor, note) -> bool:
    from cases.models import NoteVisibility

    if not can_view_referral_details(actor, note.referral):
        return False
    return note.visibility == NoteVisibility.SHARED or note.author_partner_id in actor.partner_ids


def attachments_visible_to(actor: Actor, referral):
    """The same rule as notes: shared for both partners' members, internal for the uploader's partner."""
    from django.db.models import Q

    from cases.models import Attachment, NoteVisibility

    if not can_view_referral_details(actor, referral):
        return Attachment.objects.none()
    return Attachment.objects.filter(task_force_id=referral.task_force_id, referral=referral).filter(
        Q(visibility=NoteVisibility.SHARED)
        | Q(visibility=NoteVisibility.INTERNAL, uploaded_by_partner_id__in=sorted(actor.partner_ids))
    )


def can_view_attachment(actor: Actor, attachment) -> bool:
    from cases.models import NoteVisibility

    if not can_view_referral_details(actor, attachment.referral):
        return False
    return attachment.visibility == NoteVisibility.SHARED or attachment.uploaded_by_partner_id in actor.partner_ids


def can_add_note(actor: Actor, referral) -> bool:
    """Members (any role) of either partner, on a referral they see; never coordinators outside the two."""
    return referral_side_of(actor, referral) is not None


def can_add_attachment(actor: Actor, referral) -> bool:
    return can_add_note(actor, referral)


def people_visible_to(actor: Actor):
    """The people an actor may read (list, detail with their referrals): those of a referral whose details
    they see, those whose consent one of their partners recorded, and those they entered themselves (to find
    them again before the first referral). Coordinators get the same rule: a person's details are no
    referral metadata. Duplicate detection and merging search the whole task force through
    ``people_of_task_force`` and show only what they must."""
    from django.db.models import Q

    from cases.models import Consent, Person, Referral

    if not can_act(actor):
        return Person.objects.none()
    partner_ids = sorted(actor.partner_ids)
    referred = Referral.objects.filter(task_force=actor.task_force).filter(referral_details_condition(actor))
    consented = Consent.objects.filter(task_force=actor.task_force, recorded_by_partner_id__in=partner_ids)
    return Person.objects.filter(task_force=actor.task_force, merged_into__isnull=True).filter(
        Q(pk__in=referred.values("person_id")) | Q(pk__in=consented.values("person_id")) | Q(created_by=actor.user)
    )


# --- Filing referrals from the pages ------------------------------------------------------------------
#
# ``can_file_referral_from`` for one partner, as a list and as a yes/no: the filing page offers the partners the
# actor may send from, and the "New referral" buttons show only to those who have at least one.


def partners_filing_for(actor: Actor) -> QuerySet[Partner]:
    """The active partners of the task force the actor files referrals from (their referral staff or admin)."""
    if not can_act(actor):
        return Partner.objects.none()
    ids = sorted(m.partner_id for m in actor.memberships if is_referral_staff_of(actor, m.partner_id))
    return Partner.objects.filter(task_force=actor.task_force, active=True, pk__in=ids).order_by("name")


def can_file_referrals(actor: Actor) -> bool:
    """Whether the actor files referrals from any partner (no query: memberships are of active partners)."""
    return can_act(actor) and any(is_referral_staff_of(actor, m.partner_id) for m in actor.memberships)


# --- People pages and API
#
# A consent is read (and its signed form downloaded) by whoever may read its person: the consent says what may be
# shared about them, so it is as private as they are.


def consents_visible_to(actor: Actor):
    from cases.models import Consent

    if not can_act(actor):
        return Consent.objects.none()
    return Consent.objects.filter(task_force=actor.task_force, person__in=people_visible_to(actor))


# --- Coordination: the referral list's CSV export and the reason codes
#
# The export is the whole filtered list of the task force (every referral's metadata, the people's names where the
# coordinator is also a party), so it is a coordinator's; the coded reason lists are what the monthly reports count
# and what every partner picks from, so coordinators keep them. Every member reads the codes (the API offers them).


def can_export_referrals(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def can_manage_reason_codes(actor: Actor) -> bool:
    """List (on the page, with inactive codes), add, edit, deactivate and reactivate the task force's codes."""
    return can_act(actor) and actor.is_coordinator


def reason_codes_of_task_force(actor: Actor):
    """The scope of reason codes (another task force's are a 404): every member of the task force reads them."""
    from cases.models import ReasonCode

    if not can_act(actor):
        return ReasonCode.objects.none()
    return ReasonCode.objects.filter(task_force=actor.task_force)


# --- Notifications (cases/notes.py)


def partner_sees_referral_details(referral, partner_id: int) -> bool:
    """Whether the members of ``partner_id`` read this referral's details: the sending partner always, the
    receiving partner once it was sent. Who is told of a shared note asks this (a draft's note tells nobody)."""
    if partner_id == referral.sending_partner_id:
        return True
    return partner_id == referral.receiving_partner_id and _receiving_side_sees_referral(referral)


# --- Meetings ---------------------------------------------------------------------------------------------
#
# Coordinators manage the task force's meetings and see all of them; everyone else sees the meetings they are
# invited to, personally or through an invited partner where they are an active member (a member who leaves the
# partner stops seeing its meetings at once). Minutes of a case review are for its invitees only, coordinators
# included; action items of a case review likewise (they name the work on a person), except each owner's own.


def can_manage_meetings(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def _invited_condition(actor: Actor, meeting_ref: str = "pk"):
    """The actor is invited to the meeting ``meeting_ref`` names: personally, or through an invited partner."""
    from django.db.models import Exists

    from meetings.models import Invitee, MeetingPartner

    return Exists(
        Invitee.objects.filter(meeting=OuterRef(meeting_ref), user=actor.user, invited_personally=True)
    ) | Exists(MeetingPartner.objects.filter(meeting=OuterRef(meeting_ref), partner_id__in=actor.partner_ids))


def meetings_visible_to(actor: Actor):
    """Every meeting of the task force for coordinators (annotated ``actor_invited``); the invited ones for others."""
    from django.db.models import Value

    from meetings.models import Meeting

    if not can_act(actor):
        return Meeting.objects.none()
    qs = Meeting.objects.filter(task_force=actor.task_force)
    if actor.is_site_admin and not actor.memberships:
        return qs.annotate(actor_invited=Value(False))
    qs = qs.annotate(actor_invited=_invited_condition(actor))
    return qs if actor.is_coordinator else qs.filter(actor_invited=True)


def is_invited(actor: Actor, meeting) -> bool:
    """Read from the selector's annotation (every meeting a selector returns carries it); asked of the database for
    a meeting that came another way."""
    if hasattr(meeting, "actor_invited"):
        return bool(meeting.actor_invited)
    return meetings_visible_to(actor).filter(pk=meeting.pk, actor_invited=True).exists()


def _case_review_is_closed_to(actor: Actor, meeting) -> bool:
    from meetings.models import MeetingKind

    return meeting.kind == MeetingKind.CASE_REVIEW and not is_invited(actor, meeting)


def can_view_minutes(actor: Actor, meeting) -> bool:
    return not _case_review_is_closed_to(actor, meeting)


def can_edit_minutes(actor: Actor, meeting) -> bool:
    return can_manage_meetings(actor) and can_view_minutes(actor, meeting)


def can_view_action_items_of(actor: Actor, meeting) -> bool:
    return not _case_review_is_closed_to(actor, meeting)


def can_take_attendance(actor: Actor, meeting) -> bool:
    from meetings.models import MeetingStatus

    return can_manage_meetings(actor) and meeting.status != MeetingStatus.CANCELLED


def can_complete_action_item(actor: Actor, item) -> bool:
    """The owner ticks their own item; coordinators any."""
    return can_act(actor) and (item.owner_id == actor.user.pk or actor.is_coordinator)


def action_items_visible_to(actor: Actor):
    """Items of meetings the actor sees (not those of a case review they are not invited to), and their own."""
    from django.db.models import Q

    from meetings.models import ActionItem, MeetingKind

    if not can_act(actor):
        return ActionItem.objects.none()
    qs = ActionItem.objects.filter(task_force=actor.task_force)
    if actor.is_site_admin and not actor.memberships:
        return qs.exclude(meeting__kind=MeetingKind.CASE_REVIEW)
    invited = _invited_condition(actor, "meeting_id")
    if actor.is_coordinator:
        return qs.filter(~Q(meeting__kind=MeetingKind.CASE_REVIEW) | invited | Q(owner=actor.user))
    return qs.filter(invited | Q(owner=actor.user))


def users_invitable_by(actor: Actor):
    """People a coordinator may invite or give an action item to: active accounts with an active membership in the
    task force."""
    from django.contrib.auth import get_user_model

    if not can_manage_meetings(actor):
        return get_user_model().objects.none()
    return get_user_model().objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(task_force=actor.task_force, active=True, partner__active=True).values(
            "user_id"
        ),
    )


# --- Reports ------------------------------------------------------------------------------------------------------
#
# Coordinators generate, read and download the task force's reports (and choose the shared, suppressed version for
# anyone else). The police partner's referral staff and admins upload the violent-crime counts.


def can_manage_reports(actor: Actor) -> bool:
    return can_act(actor) and actor.is_coordinator


def reports_visible_to(actor: Actor):
    from reports.models import ReportSnapshot

    if not can_manage_reports(actor):
        return ReportSnapshot.objects.none()
    return ReportSnapshot.objects.filter(task_force=actor.task_force)


def crime_upload_partners_for(actor: Actor) -> QuerySet[Partner]:
    """The law-enforcement partners the actor uploads crime counts for: those where they are referral staff or
    partner admin (coordinators upload for any law-enforcement partner of the task force)."""
    from partners.models import PartnerKind

    if not can_act(actor):
        return Partner.objects.none()
    partners = Partner.objects.filter(task_force=actor.task_force, kind=PartnerKind.LAW_ENFORCEMENT, active=True)
    if actor.is_coordinator:
        return partners
    return partners.filter(pk__in=[pid for pid in actor.partner_ids if is_referral_staff_of(actor, pid)])


def can_upload_crime_counts(actor: Actor) -> bool:
    """Read from the actor's memberships (their partners are loaded with them): no query, so the navigation may ask
    on every page."""
    from partners.models import PartnerKind

    if not can_act(actor):
        return False
    if actor.is_coordinator:
        return True
    return any(
        m.partner.kind == PartnerKind.LAW_ENFORCEMENT and m.partner.active and m.role in REFERRAL_ACTING_ROLES
        for m in actor.memberships
    )


def crime_uploads_visible_to(actor: Actor):
    """Coordinators see every upload of the task force; uploaders those of their partners."""
    from reports.models import CrimeCountUpload

    if not can_act(actor):
        return CrimeCountUpload.objects.none()
    uploads = CrimeCountUpload.objects.filter(task_force=actor.task_force)
    if actor.is_coordinator:
        return uploads
    return uploads.filter(partner__in=crime_upload_partners_for(actor))


# --- Data governance (governance/): retention schedule, purge runs, dry run, legal holds ---------------------------


def can_manage_retention(actor: Actor) -> bool:
    """Coordinators set the retention schedule, read the dry run and the purge runs, and place and release holds."""
    return can_act(actor) and actor.is_coordinator


def legal_holds_visible_to(actor: Actor):
    from governance.models import LegalHold

    if not can_manage_retention(actor):
        return LegalHold.objects.none()
    return LegalHold.objects.filter(task_force=actor.task_force)


def purge_runs_visible_to(actor: Actor):
    from governance.models import PurgeRun

    if not can_manage_retention(actor):
        return PurgeRun.objects.none()
    return PurgeRun.objects.filter(task_force=actor.task_force)

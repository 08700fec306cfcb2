"""Members and invitations: inviting people to a partner by email, accepting, changing roles, deactivating.

An invitation link carries a secret of which only the SHA-256 digest is stored. It works once, until it
expires, and only for the invited address: accepting attaches the membership to the account with that
address, or creates the account (whose address is then verified: the link reached it).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from importlib import import_module

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import SESSION_KEY as SESSION_USER_KEY
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ApiToken
from psn import access, audit

from .models import Invitation, Membership, Partner, Role

# What secrets.token_urlsafe(32) makes (43 characters); anything else names no invitation and is never queried.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,128}")
WRONG_ACCOUNT = gettext_lazy(
    "This invitation was sent to another email address than the one you are signed in with. "
    "Sign out, then open the link again."
)


class InvitationNotValid(Exception):
    """Unknown, used, revoked or expired: callers answer all four the same way and never say which."""


def invitation_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalised_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    return email


def _require_role(actor: access.Actor, partner: Partner, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of the roles offered.")})
    access.require(
        access.can_grant_role(actor, partner, role),
        _("Only a coordinator can give or change the coordinator role."),
    )


def _send_invitation_email(*, invitation: Invitation, link: str) -> None:
    context = {"invitation": invitation, "link": link, "days": settings.PSN_INVITATION_DAYS}
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + render_to_string("emails/invitation_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()


def _revoke_open(*, queryset, actor_user, request=None) -> int:
    """Revoke the open invitations of ``queryset`` (rows locked), one audit event each."""
    now = timezone.now()
    revoked = 0
    for invitation in queryset.filter(accepted_at=None, revoked_at=None).select_for_update():
        invitation.revoked_at = now
        invitation.revoked_by = actor_user
        invitation.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            action="changed",
            actor=actor_user,
            task_force=invitation.task_force,
            obj=invitation,
            changes={"revoked": ["False", "True"]},
            request=request,
        )
        revoked += 1
    return revoked


def invitation_create(*, actor: access.Actor, partner: Partner, email: str, role: str, request=None) -> Invitation:
    """Invite ``email`` to ``partner`` with ``role`` and email the link. Inviting the same address again
    (a resend) revokes the earlier open invitation: only the newest link works."""
    access.require(
        access.can_manage_members(actor, partner), _("Only this partner's admins and coordinators invite members.")
    )
    if not partner.active:
        raise ValidationError(_("This partner is inactive: reactivate it before inviting members."))
    email = _normalised_email(email)
    _require_role(actor, partner, role)
    if Membership.objects.filter(partner=partner, user__email__iexact=email, active=True).exists():
        raise ValidationError({"email": _("%(email)s is already an active member of this partner.") % {"email": email}})
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(
        partner=partner,
        email=email,
        role=role,
        digest=invitation_digest(secret),
        invited_by=actor.user,
        expires_at=timezone.now() + timedelta(days=settings.PSN_INVITATION_DAYS),
    )
    try:
        with transaction.atomic():
            _revoke_open(
                queryset=Invitation.objects.filter(partner=partner, email=email), actor_user=actor.user, request=request
            )
            invitation.full_clean()
            invitation.save()
            audit.record(
                action="created",
                actor=actor.user,
                task_force=partner.task_force,
                obj=invitation,
                changes={
                    "email": [None, email],
                    "role": [None, role],
                    "expires_at": [None, str(invitation.expires_at)],
                },
                request=request,
            )
            path = reverse("members:invitation_accept", kwargs={"token": secret})
            link = request.build_absolute_uri(path) if request is not None else path
            transaction.on_commit(lambda: _send_invitation_email(invitation=invitation, link=link))
    except IntegrityError:
        # Someone invited the same address to the same partner at this very moment: theirs stands.
        raise ValidationError({"email": _("%(email)s was just invited by someone else.") % {"email": email}}) from None
    return invitation


def invitation_revoke(*, actor: access.Actor, invitation: Invitation, request=None) -> Invitation:
    access.require(
        access.can_manage_members(actor, invitation.partner)
        and access.can_grant_role(actor, invitation.partner, invitation.role),
        _("Only this partner's admins and coordinators revoke its invitations."),
    )
    with transaction.atomic():
        if not _revoke_open(
            queryset=Invitation.objects.filter(pk=invitation.pk), actor_user=actor.user, request=request
        ):
            raise ValidationError(_("This invitation was already accepted or revoked."))
    invitation.refresh_from_db()
    return invitation


def invitation_get_open(*, token: str) -> Invitation:
    """The open invitation a link names, or ``InvitationNotValid`` (for any of the four reasons)."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise InvitationNotValid
    invitation = (
        Invitation.objects.select_related("partner", "task_force").filter(digest=invitation_digest(token)).first()
    )
    if not _usable(invitation):
        raise InvitationNotValid
    return invitation


def _usable(invitation: Invitation | None) -> bool:
    """Open, and for a partner and task force still in service (a deactivated partner's links are dead)."""
    return invitation is not None and invitation.is_open and invitation.partner.active and invitation.task_force.active


def invited_account_exists(invitation: Invitation) -> bool:
    return get_user_model().objects.filter(email__iexact=invitation.email).exists()


def _new_account(*, email: str, full_name: str, password: str):
    """Create the invited person's account; their address is verified, since the link reached it."""
    User = get_user_model()
    full_name = (full_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not full_name:
        errors["full_name"] = [_("Enter your name.")]
    elif len(full_name) > 150:
        errors["full_name"] = [_("Use at most 150 characters.")]
    candidate = User(email=email, full_name=full_name)
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as exc:
        errors["password1"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(email, password, full_name=full_name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def invitation_accept(*, token: str, user=None, full_name: str = "", password: str = "", request=None) -> Membership:
    """Accept the invitation ``token`` names, as the signed-in ``user`` (who must own the invited address)
    or, with no user, as a new account with ``full_name`` and ``password`` (only when no account has the
    address yet). One-time: the invitation row is locked, so of two concurrent accepts one wins."""
    with transaction.atomic():
        if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
            raise InvitationNotValid
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("partner", "task_force")
            .filter(digest=invitation_digest(token))
            .first()
        )
        if not _usable(invitation):
            raise InvitationNotValid
        if user is not None and getattr(user, "is_authenticated", False):
            if user.email.lower() != invitation.email:
                raise PermissionDenied(WRONG_ACCOUNT)
        else:
            if invited_account_exists(invitation):
                raise ValidationError(_("An account with this address exists: sign in to accept the invitation."))
            user = _new_account(email=invitation.email, full_name=full_name, password=password)
            audit.record(
                action="created",
                actor=user,
                task_force=invitation.task_force,
                obj=user,
                changes={"email": [None, user.email], "invitation": [None, str(invitation.pk)]},
                request=request,
            )
        membership = _attach(invitation=invitation, user=user, request=request)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            action="changed",
            actor=user,
            task_force=invitation.task_force,
            obj=invitation,
            changes={"accepted": ["False", "True"]},
            request=request,
        )
    return membership


def _attach(*, invitation: Invitation, user, request=None) -> Membership:
    """The invited membership: created, or the existing one (re)activated with the invited role."""
    membership = Membership.objects.select_for_update().filter(user=user, partner=invitation.partner).first()
    if membership is None:
        membership = Membership(user=user, partner=invitation.partner, role=invitation.role)
        membership.full_clean()
        membership.save()
        audit.record(
            action="created",
            actor=user,
            task_force=invitation.task_force,
            obj=membership,
            changes={"role": [None, invitation.role], "invitation": [None, str(invitation.pk)]},
            request=request,
        )
        return membership
    before = {"role": membership.role, "active": membership.active}
    membership.role = invitation.role
    membership.active = True
    membership.deactivated_at = None
    membership.save(update_fields=["role", "active", "deactivated_at"])
    changes = audit.changed_fields(before, {"role": membership.role, "active": True})
    if changes:
        audit.record(
            action="changed",
            actor=user,
            task_force=invitation.task_force,
            obj=membership,
            changes={**changes, "invitation": [None, str(invitation.pk)]},
            request=request,
        )
    return membership


def _lock_for_change(*, actor: access.Actor, membership: Membership) -> Membership:
    """Lock the partner (serialising changes to its admins), re-read the row, then check the right on it."""
    access.require(
        access.can_manage_members(actor, membership.partner), _("Only this partner's admins and coordinators do that.")
    )
    Partner.objects.select_for_update().filter(pk=membership.partner_id).first()
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "partner", "task_force")
        .get(pk=membership.pk)
    )
    access.require(
        access.can_manage_membership(actor, membership), _("Only a coordinator can change a coordinator's membership.")
    )
    return membership


def _refuse_if_last_admin(*, actor: access.Actor, membership: Membership) -> None:
    """A partner admin may not leave their own partner without an active admin (by demoting or deactivating
    themselves): nobody but a coordinator could manage its members then."""
    if membership.user_id != getattr(actor.user, "pk", None) or membership.role != Role.PARTNER_ADMIN:
        return
    if not membership.active:
        return
    others = Membership.objects.filter(
        partner_id=membership.partner_id, role=Role.PARTNER_ADMIN, active=True, user__is_active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(
            _("You are this partner's last admin: make someone else partner admin first, or ask a coordinator.")
        )


def membership_change_role(*, actor: access.Actor, membership: Membership, role: str, request=None) -> Membership:
    with transaction.atomic():
        membership = _lock_for_change(actor=actor, membership=membership)
        _require_role(actor, membership.partner, role)
        if membership.role == role:
            return membership
        if role != Role.PARTNER_ADMIN:
            _refuse_if_last_admin(actor=actor, membership=membership)
        before = membership.role
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
        audit.record(
            action="changed",
            actor=actor.user,
            task_force=membership.task_force,
            obj=membership,
            changes={"role": [before, role]},
            request=request,
        )
    return membership


def membership_deactivate(*, actor: access.Actor, membership: Membership, request=None) -> Membership:
    """Take the person's access to this partner away at once. If it was their last active membership, their
    sessions end and their API tokens are revoked too (memberships elsewhere keep working otherwise)."""
    with transaction.atomic():
        membership = _lock_for_change(actor=actor, membership=membership)
        if not membership.active:
            return membership
        _refuse_if_last_admin(actor=actor, membership=membership)
        membership.active = False
        membership.deactivated_at = timezone.now()
        membership.save(update_fields=["active", "deactivated_at"])
        audit.record(
            action="changed",
            actor=actor.user,
            task_force=membership.task_force,
            obj=membership,
            changes={"active": ["True", "False"]},
            request=request,
        )
        if not access.active_memberships(membership.user).exists():
            _sign_out_everywhere(actor=actor, user=membership.user, task_force=membership.task_force, request=request)
    return membership


def _sign_out_everywhere(*, actor: access.Actor, user, task_force, request=None) -> None:
    """End every session of ``user`` and revoke their API tokens."""
    ended = _end_sessions(user)
    tokens = ApiToken.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
    audit.record(
        action="changed",
        actor=actor.user,
        task_force=task_force,
        obj=user,
        changes={"sessions_ended": [None, str(ended)], "api_tokens_revoked": [None, str(tokens)]},
        request=request,
    )


def _end_sessions(user) -> int:
    """Delete the user's sessions from the session store: those allauth tracks (every sign-in through its
    flows, whatever the session engine) and, sessions being in the database here (SESSION_ENGINE), any other
    unexpired row that names the user. Deactivation is rare, so reading the live sessions once is fine."""
    ended = set()
    for tracked in UserSession.objects.filter(user=user):
        tracked.end()
        ended.add(tracked.session_key)
    if settings.SESSION_ENGINE in ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"):
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get(SESSION_USER_KEY) == str(user.pk):
                store(session.session_key).delete()
                ended.add(session.session_key)
    return len(ended)


def membership_reactivate(*, actor: access.Actor, membership: Membership, request=None) -> Membership:
    with transaction.atomic():
        membership = _lock_for_change(actor=actor, membership=membership)
        if membership.active:
            return membership
        membership.active = True
        membership.deactivated_at = None
        membership.save(update_fields=["active", "deactivated_at"])
        audit.record(
            action="changed",
            actor=actor.user,
            task_force=membership.task_force,
            obj=membership,
            changes={"active": ["False", "True"]},
            request=request,
        )
    return membership

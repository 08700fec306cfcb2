"""Member pages: a partner's members and open invitations (for its admins and the coordinators), inviting,
changing roles, deactivating and reactivating, revoking invitations, and the invitation link itself."""

from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from psn import access
from psn.decorators import task_force_required
from psn.middleware import remember_task_force

from . import members, selectors
from .member_forms import AcceptSignupForm, InvitationForm, RoleForm

MANAGE_MEMBERS = gettext_lazy("Only this partner's admins and coordinators manage its members.")


def _add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError next to the form's field it names (else at the top of the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _require_manage(actor, partner) -> None:
    access.require(access.can_manage_members(actor, partner), MANAGE_MEMBERS)


@task_force_required
@require_safe
def member_list(request, pk: int):
    actor = request.actor
    partner = selectors.member_partner_get_for(actor=actor, pk=pk)
    _require_manage(actor, partner)
    context = {
        "partner": partner,
        "members": selectors.partner_member_list_for(actor=actor, partner=partner),
        "invitations": selectors.invitation_list_for(actor=actor, partner=partner, status="open"),
        "manageable_roles": set(access.roles_grantable_by(actor, partner)),
    }
    return render(request, "partners/members/member_list.html", context)


@task_force_required
@require_http_methods(["GET", "POST"])
def invitation_create(request, pk: int):
    actor = request.actor
    partner = selectors.member_partner_get_for(actor=actor, pk=pk)
    _require_manage(actor, partner)
    form = InvitationForm(
        request.POST if request.method == "POST" else None, roles=access.roles_grantable_by(actor, partner)
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation = members.invitation_create(actor=actor, partner=partner, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("members:member_list", pk=partner.pk)
    context = {"partner": partner, "form": form, "days": settings.PSN_INVITATION_DAYS}
    return render(request, "partners/members/invite.html", context, status=400 if form.errors else 200)


@task_force_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request, pk: int):
    actor = request.actor
    invitation = selectors.invitation_get_for(actor=actor, pk=pk)
    _require_manage(actor, invitation.partner)
    error = None
    if request.method == "POST":
        try:
            members.invitation_revoke(actor=actor, invitation=invitation, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email})
            return redirect("members:member_list", pk=invitation.partner_id)
    context = {"invitation": invitation, "partner": invitation.partner, "error": error}
    return render(request, "partners/members/invitation_revoke.html", context, status=400 if error else 200)


@task_force_required
@require_http_methods(["GET", "POST"])
def membership_role(request, pk: int):
    actor = request.actor
    membership = selectors.membership_get_for(actor=actor, pk=pk)
    _require_manage(actor, membership.partner)
    access.require(access.can_manage_membership(actor, membership), _("Only a coordinator can change this role."))
    form = RoleForm(
        request.POST if request.method == "POST" else None,
        roles=access.roles_grantable_by(actor, membership.partner),
        initial={"role": membership.role},
    )
    if request.method == "POST" and form.is_valid():
        try:
            members.membership_change_role(
                actor=actor, membership=membership, role=form.cleaned_data["role"], request=request
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(email)s's role is saved.") % {"email": membership.user.email})
            return redirect("members:member_list", pk=membership.partner_id)
    context = {"membership": membership, "partner": membership.partner, "form": form}
    return render(request, "partners/members/membership_role.html", context, status=400 if form.errors else 200)


@task_force_required
@require_http_methods(["GET", "POST"])
def membership_deactivate(request, pk: int):
    actor = request.actor
    membership = selectors.membership_get_for(actor=actor, pk=pk)
    _require_manage(actor, membership.partner)
    access.require(access.can_manage_membership(actor, membership), _("Only a coordinator can deactivate this member."))
    error = None
    if request.method == "POST":
        try:
            members.membership_deactivate(actor=actor, membership=membership, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("%(email)s no longer has access.") % {"email": membership.user.email})
            return redirect("members:member_list", pk=membership.partner_id)
    context = {"membership": membership, "partner": membership.partner, "error": error}
    return render(request, "partners/members/membership_deactivate.html", context, status=400 if error else 200)


@task_force_required
@require_POST
def membership_reactivate(request, pk: int):
    membership = selectors.membership_get_for(actor=request.actor, pk=pk)
    members.membership_reactivate(actor=request.actor, membership=membership, request=request)
    messages.success(request, _("%(email)s is a member again.") % {"email": membership.user.email})
    return redirect("members:member_list", pk=membership.partner_id)


def _not_valid(request):
    # Unknown, used, revoked or expired: one answer, so a link says nothing about which.
    return render(request, "partners/members/invitation_not_valid.html", status=410)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """The emailed link. Signed in as the invited address: confirm. Signed out: sign in to the account with
    that address, or, if there is none, create it here (name and password)."""
    try:
        invitation = members.invitation_get_open(token=token)
    except members.InvitationNotValid:
        return _not_valid(request)
    user = request.user
    if user.is_authenticated:
        access.require(user.email.lower() == invitation.email, members.WRONG_ACCOUNT)
        if request.method == "POST":
            return _accept(request, token=token, user=user)
        return render(request, "partners/members/accept_confirm.html", {"invitation": invitation})
    if members.invited_account_exists(invitation):
        return render(request, "partners/members/accept_sign_in.html", {"invitation": invitation})
    form = AcceptSignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            return _accept(
                request,
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
    context = {"invitation": invitation, "form": form}
    return render(request, "partners/members/accept_signup.html", context, status=400 if form.errors else 200)


def _accept(request, *, token: str, user=None, full_name: str = "", password: str = ""):
    try:
        membership = members.invitation_accept(
            token=token, user=user, full_name=full_name, password=password, request=request
        )
    except members.InvitationNotValid:
        return _not_valid(request)
    messages.success(
        request,
        _("You joined %(partner)s as %(role)s.")
        % {"partner": membership.partner.name, "role": membership.get_role_display()},
    )
    if user is None:
        # allauth's own sign-in: its session tracking, the audit's "logged in" and, with PSN_REQUIRE_MFA,
        # RequireMFAMiddleware sending the new account to set up a second factor on its next request.
        response = perform_login(
            request, membership.user, email_verification="none", redirect_url=reverse("partners:service_list")
        )
        remember_task_force(request, membership.task_force)
        return response
    remember_task_force(request, membership.task_force)
    return redirect("partners:service_list")

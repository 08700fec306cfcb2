"""The directory pages: partners and services, searched and filtered in the URL, for every member of the
task force; and their management (add, edit, deactivate, reactivate) for coordinators and partner admins."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from psn import access
from psn.decorators import task_force_required
from psn.pagination import DeepPaginator

from . import selectors, services
from .filters import PartnerFilter, ServiceFilter
from .forms import PartnerForm, ServiceForm
from .models import Partner, Role

DIRECTORY_PAGE_SIZE = 25


def _filtered_page(request, filter_class, queryset, template: str, extra: dict | None = None):
    """The audit page's pattern: an invalid filter is a 400 with the message next to its field, no rows."""
    directory_filter = filter_class(request.GET, queryset=queryset, request=request)
    invalid = directory_filter.is_bound and not directory_filter.is_valid()
    rows = queryset.none() if invalid else directory_filter.qs
    page = DeepPaginator(rows, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": directory_filter, "page": page, "query": query.urlencode(), **(extra or {})}
    return render(request, template, context, status=400 if invalid else 200)


@task_force_required
@require_safe
def partner_list(request):
    queryset = selectors.partner_list_for(actor=request.actor)
    extra = {
        "can_create_partner": access.can_create_partner(request.actor),
        "can_exchange_hsds": access.can_export_directory(request.actor) or access.can_import_directory(request.actor),
    }
    return _filtered_page(request, PartnerFilter, queryset, "partners/partner_list.html", extra)


@task_force_required
@require_safe
def partner_detail(request, pk: int):
    actor = request.actor
    partner = selectors.partner_get_for(actor=actor, pk=pk)
    context = {
        "partner": partner,
        # A partner admin also finds their partner's inactive services here, to edit or reactivate them.
        "services": selectors.partner_services_for(actor=actor, partner=partner),
        "can_edit": access.can_edit_partner(actor, partner),
        "can_change_status": access.can_change_partner_status(actor, partner),
        "can_manage_services": access.can_manage_services_of(actor, partner),
        "can_manage_members": access.can_manage_members(actor, partner),
    }
    return render(request, "partners/partner_detail.html", context)


@task_force_required
@require_safe
def service_list(request):
    actor = request.actor
    queryset = selectors.service_page_rows_for(actor=actor)
    # "Add a service" for each partner the actor administers (already in hand: no query); coordinators
    # add services from a partner's page.
    own = [m.partner for m in actor.memberships if m.role == Role.PARTNER_ADMIN and not actor.is_coordinator]
    return _filtered_page(request, ServiceFilter, queryset, "partners/service_list.html", {"admin_partners": own})


@task_force_required
@require_safe
def service_detail(request, pk: int):
    service = selectors.service_get_for(actor=request.actor, pk=pk)
    can_manage = access.can_manage_services_of(request.actor, service.partner)
    return render(request, "partners/service_detail.html", {"service": service, "can_manage": can_manage})


# --- Management ---------------------------------------------------------------------------------------
#
# The right is checked before the form is shown (and again by the service function on POST): a member
# who may not edit gets a 403, never a form they cannot send.


def _form_page(request, template: str, form, context: dict, *, saved) -> object:
    """Validate, call ``saved(form)`` (the service), redirect where it says; else the form with its
    errors next to the fields and a 400."""
    if request.method == "POST" and form.is_valid():
        try:
            return saved(form)
        except ValidationError as error:
            form.add_service_errors(error)
    return render(request, template, {"form": form, **context}, status=400 if form.errors else 200)


def _posted(request, *, files: bool = False) -> tuple:
    """The form's data when posted (an empty POST is still a bound form, with "required" errors)."""
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)


def _partner_initial(partner: Partner) -> dict:
    initial = model_to_dict(partner, fields=services.PARTNER_FIELDS)
    initial["languages"] = [language.code for language in partner.languages.all()]
    return initial


@task_force_required
@require_http_methods(["GET", "POST"])
def partner_create(request):
    actor = request.actor
    access.require(access.can_create_partner(actor), _("Only coordinators add partners to the directory."))
    form = PartnerForm(*_posted(request, files=True))

    def saved(form):
        partner = services.partner_create(actor=actor, request=request, **form.service_arguments())
        messages.success(request, _("“%(name)s” is in the directory.") % {"name": partner.name})
        return redirect("partners:partner_detail", partner.pk)

    return _form_page(request, "partners/partner_form.html", form, {"partner": None}, saved=saved)


@task_force_required
@require_http_methods(["GET", "POST"])
def partner_edit(request, pk: int):
    actor = request.actor
    partner = selectors.partner_get_for_management(actor=actor, pk=pk)
    access.require(access.can_edit_partner(actor, partner), _("Only this partner's admins and coordinators edit it."))
    with_kind = access.can_change_partner_status(actor, partner)
    form = PartnerForm(
        *_posted(request, files=True),
        initial=_partner_initial(partner),
        with_kind=with_kind,
        has_logo=bool(partner.logo),
    )

    def saved(form):
        updated = services.partner_update(actor=actor, partner=partner, request=request, **form.service_arguments())
        messages.success(request, _("“%(name)s” saved.") % {"name": updated.name})
        return redirect("partners:partner_detail", partner.pk)

    return _form_page(request, "partners/partner_form.html", form, {"partner": partner}, saved=saved)


def _confirm_page(request, *, obj, change, template: str, done: str, unchanged: str, back):
    """GET: the confirmation page. POST: the service, a message, back to the object's page."""
    if request.method != "POST":
        return render(request, template, {"object": obj})
    try:
        changed = change()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(*back)
    messages.success(request, (done if changed else unchanged) % {"name": obj.name})
    return redirect(*back)


@task_force_required
@require_http_methods(["GET", "POST"])
def partner_deactivate(request, pk: int):
    actor = request.actor
    partner = selectors.partner_get_for_management(actor=actor, pk=pk)
    access.require(access.can_change_partner_status(actor, partner), _("Only coordinators deactivate partners."))
    return _confirm_page(
        request,
        obj=partner,
        change=lambda: services.partner_deactivate(actor=actor, partner=partner, request=request),
        template="partners/confirm_partner_deactivate.html",
        done=_("“%(name)s” is deactivated: it and its services are hidden from the directory."),
        unchanged=_("“%(name)s” was already inactive."),
        back=("partners:partner_detail", partner.pk),
    )


@task_force_required
@require_http_methods(["GET", "POST"])
def partner_reactivate(request, pk: int):
    actor = request.actor
    partner = selectors.partner_get_for_management(actor=actor, pk=pk)
    access.require(access.can_change_partner_status(actor, partner), _("Only coordinators reactivate partners."))
    return _confirm_page(
        request,
        obj=partner,
        change=lambda: services.partner_reactivate(actor=actor, partner=partner, request=request),
        template="partners/confirm_partner_reactivate.html",
        done=_("“%(name)s” is active again."),
        unchanged=_("“%(name)s” was already active."),
        back=("partners:partner_detail", partner.pk),
    )


@task_force_required
@require_http_methods(["GET", "POST"])
def service_create(request, pk: int):
    actor = request.actor
    partner = selectors.partner_get_for_management(actor=actor, pk=pk)
    access.require(
        access.can_manage_services_of(actor, partner),
        _("Only this partner's admins and coordinators add its services."),
    )
    form = ServiceForm(*_posted(request), task_force=actor.task_force)

    def saved(form):
        service = services.service_create(actor=actor, partner=partner, request=request, **form.cleaned_data)
        messages.success(request, _("“%(name)s” added.") % {"name": service.name})
        return redirect("partners:partner_detail", partner.pk)

    return _form_page(request, "partners/service_form.html", form, {"partner": partner, "service": None}, saved=saved)


@task_force_required
@require_http_methods(["GET", "POST"])
def service_edit(request, pk: int):
    actor = request.actor
    service = selectors.service_get_for_management(actor=actor, pk=pk)
    access.require(
        access.can_manage_services_of(actor, service.partner),
        _("Only this partner's admins and coordinators edit its services."),
    )
    current = list(service.categories.all())
    initial = model_to_dict(service, fields=services.SERVICE_FIELDS)
    initial |= {"categories": [t.code for t in current], "languages": [lang.code for lang in service.languages.all()]}
    form = ServiceForm(
        *_posted(request),
        initial=initial,
        task_force=actor.task_force,
        current_categories=current,
    )

    def saved(form):
        updated = services.service_update(actor=actor, service=service, request=request, **form.cleaned_data)
        messages.success(request, _("“%(name)s” saved.") % {"name": updated.name})
        return redirect("partners:partner_detail", service.partner_id)

    context = {"partner": service.partner, "service": service}
    return _form_page(request, "partners/service_form.html", form, context, saved=saved)


@task_force_required
@require_http_methods(["GET", "POST"])
def service_deactivate(request, pk: int):
    actor = request.actor
    service = selectors.service_get_for_management(actor=actor, pk=pk)
    access.require(
        access.can_manage_services_of(actor, service.partner),
        _("Only this partner's admins and coordinators deactivate its services."),
    )
    return _confirm_page(
        request,
        obj=service,
        change=lambda: services.service_deactivate(actor=actor, service=service, request=request),
        template="partners/confirm_service_deactivate.html",
        done=_("“%(name)s” is deactivated: it no longer shows in the directory."),
        unchanged=_("“%(name)s” was already inactive."),
        back=("partners:partner_detail", service.partner_id),
    )


@task_force_required
@require_http_methods(["GET", "POST"])
def service_reactivate(request, pk: int):
    actor = request.actor
    service = selectors.service_get_for_management(actor=actor, pk=pk)
    access.require(
        access.can_manage_services_of(actor, service.partner),
        _("Only this partner's admins and coordinators reactivate its services."),
    )
    return _confirm_page(
        request,
        obj=service,
        change=lambda: services.service_reactivate(actor=actor, service=service, request=request),
        template="partners/confirm_service_reactivate.html",
        done=_("“%(name)s” is active again."),
        unchanged=_("“%(name)s” was already active."),
        back=("partners:partner_detail", service.partner_id),
    )

"""Home, task-force choice and the audit trail page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from cases.selectors import inbox_for
from meetings.selectors import inbox_action_items_for, inbox_meetings_for
from partners.selectors import membership_list_for

from . import access, audit
from .audit_export import AuditExportForm, audit_export_for_query, audit_export_response
from .decorators import task_force_required
from .filters import AuditEventFilter
from .middleware import remember_task_force
from .pagination import DeepPaginator
from .selectors import audit_event_list_for

AUDIT_PAGE_SIZE = 50


@task_force_required
@require_safe
def home(request):
    actor = request.actor
    colleagues = membership_list_for(actor=actor).filter(partner_id__in=actor.partner_ids, active=True)
    # The inbox: a constant number of queries whatever the numbers.
    inbox = inbox_for(actor=actor)
    referrals = reverse("cases:referral_list")
    inbox_sections = [
        ("new", _("New referrals"), inbox.new, f"{referrals}?status=submitted&overdue=false"),
        ("overdue", _("Overdue"), inbox.overdue, f"{referrals}?overdue=true"),
        ("due_soon", _("Due soon"), inbox.due_soon, ""),
        ("sent_changed", _("Sent by you, changed"), inbox.sent_changed, ""),
    ]
    # The inbox names the people of the referrals it lists: one audit event for what it shows.
    shown = {referral.pk: referral for _key, _title, section, _url in inbox_sections for referral in section.items}
    audit.record_listed(actor=actor, rows=shown.values(), label=_("Inbox"), request=request)
    context = {
        "colleagues": colleagues[:100],
        "inbox": inbox,
        "inbox_sections": inbox_sections,
        "may_file": access.can_file_referrals(actor),
        # One query each: the next meetings the user is invited to, their open action items.
        "my_meetings": inbox_meetings_for(actor=actor),
        "my_action_items": inbox_action_items_for(actor=actor),
    }
    return render(request, "psn/home.html", context)


@login_required
@require_safe
def task_force_choose(request):
    actor = request.actor
    choices = list(access.task_forces_for(request.user).order_by("name"))
    return render(request, "psn/task_force_choose.html", {"choices": choices, "current": actor.task_force})


@login_required
@require_POST
def task_force_switch(request):
    slug = request.POST.get("task_force", "")
    try:
        actor = access.actor_for(request.user, requested_slug=slug[:50])
    except access.TaskForceChoiceError:
        messages.error(request, _("That task force is not open to you."))
        return redirect("task_force_choose")
    remember_task_force(request, actor.task_force)
    audit.record(
        action="changed",
        actor=request.user,
        task_force=actor.task_force,
        object_type="session",
        object_repr=_("switched task force"),
        request=request,
    )
    messages.success(request, _("You are now working in %(name)s.") % {"name": actor.task_force.name})
    # Only a path of this site: redirect() would take "foo" for a URL name (a 500 when there is none).
    next_url = request.POST.get("next", "")
    if (
        next_url.startswith("/")
        and next_url.isprintable()
        and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
    ):
        return HttpResponseRedirect(next_url)
    return redirect("home")


@task_force_required
@require_safe
def audit_list(request):
    access.require(access.can_view_audit(request.actor), _("Only coordinators can read the audit trail."))
    event_filter = AuditEventFilter(request.GET, queryset=audit_event_list_for(actor=request.actor))
    invalid = event_filter.is_bound and not event_filter.is_valid()
    events = event_filter.queryset.none() if invalid else event_filter.qs
    page = DeepPaginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "psn/audit_list.html",
        {"filter": event_filter, "page": page, "query": query.urlencode(), "export_form": AuditExportForm()},
        status=400 if invalid else 200,
    )


@task_force_required
@require_GET
def audit_export(request):
    """The trail of a period as CSV (psn/audit_export.py); a bad period is a 400 that says why, nothing audited."""
    access.require(access.can_view_audit(request.actor), _("Only coordinators can read the audit trail."))
    try:
        export = audit_export_for_query(actor=request.actor, query=request.GET, request=request)
    except ValidationError as error:
        form = AuditExportForm(request.GET)
        form.is_valid()
        for field, errors in error.message_dict.items():
            if field not in form.errors:
                form.add_error(field if field in form.fields else None, errors)
        return render(request, "psn/audit_export_invalid.html", {"export_form": form}, status=400)
    return audit_export_response(export)


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        audit.record(action="permission_denied", object_repr=f"{request.method} {request.path}"[:200], request=request)
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors: this page must render even when the database is down.
    import sys

    from django.db import InterfaceError, OperationalError
    from django.template import loader

    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        # The database is unreachable or restarting (connections cut): nothing was half-written (each change is one
        # transaction); a 503 tells browsers, clients and the proxy to try again shortly, not that the app is broken.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "5"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)

"""The meeting pages: the list (upcoming, past, a month's calendar), scheduling and changing a meeting (or its whole
series), cancelling, recording it held, minutes, attendance on a phone, action items and the task force's reminder
settings. Each view reads through ``meetings.selectors``, checks the shape of the input with ``meetings.forms`` and
leaves every right and rule to ``meetings.services`` (a refusal is a form error, a missing right a 403)."""

from __future__ import annotations

import calendar
import datetime
import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from psn import access
from psn.decorators import task_force_required
from psn.pagination import DeepPaginator

from . import selectors, services
from .forms import (
    ActionItemFilterForm,
    ActionItemForm,
    AttendanceForm,
    CancelForm,
    MeetingForm,
    MeetingListForm,
    MinutesForm,
    ReminderSettingsForm,
    local,
    month_bounds,
)
from .models import MeetingStatus

LIST_PAGE_SIZE = 25
# A month's calendar shows at most this many meetings (a task force holds a few dozen a month).
MONTH_LIMIT = 300
GET_OR_POST = ["GET", "HEAD", "POST"]


def _page(request, rows, size: int = LIST_PAGE_SIZE):
    try:
        return DeepPaginator(rows, size).page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404("No such page.") from exc


def _bound(request):
    return request.POST if request.method == "POST" else None


def _safe_next(request, default: str) -> str:
    """The form's ``next`` when it is a path of this site, else ``default``."""
    wanted = request.POST.get("next", "")
    if (
        wanted.startswith("/")
        and wanted.isprintable()
        and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure())
    ):
        return wanted
    return default


def _open_series(meeting):
    return meeting.series if meeting.series_id and meeting.series.ended_at is None else None


# --- List and calendar ---------------------------------------------------------------------------------------


def _month_weeks(year: int, month: int, meetings, tz_name: str) -> list[list[dict]]:
    """The month's weeks (Sunday first), each day with its meetings (placed on the task force's calendar)."""
    by_day: dict[datetime.date, list] = {}
    for meeting in meetings:
        by_day.setdefault(local(meeting.start, tz_name).date(), []).append(meeting)
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(tz_name))
    return [
        [
            {"date": day, "in_month": day.month == month, "today": day == today, "meetings": by_day.get(day, [])}
            for day in week
        ]
        for week in calendar.Calendar(firstweekday=6).monthdatescalendar(year, month)
    ]


@task_force_required
@require_safe
def meeting_list(request):
    actor = request.actor
    form = MeetingListForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    data = {} if invalid or not form.is_bound else form.cleaned_data
    view, when, kind = data.get("view") or form.LIST, data.get("when") or selectors.UPCOMING, data.get("kind") or None
    tz_name = actor.task_force.timezone
    context = {
        "form": form,
        "view": view,
        "when": when,
        "kind": kind or "",
        "can_manage": access.can_manage_meetings(actor),
    }
    if view == form.MONTH:
        today = timezone.localdate(timezone=actor.task_force.tzinfo)
        year, month = data.get("month") or (today.year, today.month)
        first, after = month_bounds(year, month, tz_name)
        meetings = (
            []
            if invalid
            else selectors.meeting_list_for(actor=actor, when="all", kind=kind, start_from=first, start_before=after)[
                :MONTH_LIMIT
            ]
        )
        previous = (first - datetime.timedelta(days=1)).date()
        context |= {
            "month_start": first.date(),
            "weeks": _month_weeks(year, month, meetings, tz_name),
            "previous_month": f"{previous:%Y-%m}",
            "next_month": f"{after.date():%Y-%m}",
        }
    else:
        rows = selectors.meeting_list_for(actor=actor, when=when, kind=kind)
        context["page"] = _page(request, rows.none() if invalid else rows)
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    return render(request, "meetings/meeting_list.html", context, status=400 if invalid else 200)


# --- One meeting ---------------------------------------------------------------------------------------------


@task_force_required
@require_safe
def meeting_detail(request, pk: int):
    actor = request.actor
    meeting = selectors.meeting_detail_for(actor=actor, pk=pk)
    manage = access.can_manage_meetings(actor)
    items_visible = access.can_view_action_items_of(actor, meeting)
    items = (
        [(item, access.can_complete_action_item(actor, item)) for item in meeting.action_items.all()]
        if items_visible
        else []
    )
    context = {
        "meeting": meeting,
        "series": meeting.series if meeting.series_id else None,
        "can_manage": manage and meeting.status != MeetingStatus.CANCELLED,
        "can_view_minutes": access.can_view_minutes(actor, meeting),
        "can_edit_minutes": access.can_edit_minutes(actor, meeting) and meeting.status != MeetingStatus.CANCELLED,
        "can_view_items": items_visible,
        "can_add_item": manage and items_visible,
        "can_take_attendance": access.can_take_attendance(actor, meeting),
        "can_mark_held": manage
        and meeting.status == MeetingStatus.SCHEDULED
        and meeting.start <= timezone.now() + datetime.timedelta(hours=1),
        "items": items,
        "invitees": list(meeting.invitees.all()),
        "partner_invitations": list(meeting.partner_invitations.all()),
    }
    return render(request, "meetings/meeting_detail.html", context)


@task_force_required
@require_http_methods(GET_OR_POST)
def meeting_create(request):
    actor = request.actor
    access.require(access.can_manage_meetings(actor), _("Only coordinators schedule meetings."))
    form = MeetingForm(_bound(request), actor=actor)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_schedule(
                actor=actor,
                kind=data["kind"],
                title=data["title"],
                start=data["start_at"],
                end=data["end_at"],
                timezone_name=data["timezone"],
                place=data["place"],
                video_link=data["video_link"],
                agenda=data["agenda"],
                partners=data["partners"],
                users=data["users"],
                rrule=data["rule"],
                request=request,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("“%(title)s” was scheduled; the invitations go out now.") % {"title": meeting.title}
            )
            return redirect("meetings:meeting_detail", meeting.pk)
    context = {"form": form, "meeting": None}
    return render(request, "meetings/meeting_form.html", context, status=400 if form.is_bound else 200)


def _save_meeting(request, form: MeetingForm, meeting, series) -> None:
    """This meeting alone (``meeting_update``), or the whole series from now on (``series_update``): a new time
    moves the series by as much as this meeting moved, on its own clock."""
    data, actor = form.cleaned_data, request.actor
    if series is not None and data.get("scope") == form.SCOPE_SERIES:
        changes = {name: data[name] for name in ("kind", "title", "place", "video_link", "agenda")}
        if data["start_at"] != meeting.start or data["end_at"] != meeting.end:
            shift = data["start"] - local(meeting.start, meeting.timezone)
            changes["start"] = services.local_to_utc(
                local(series.first_start, series.timezone) + shift, zoneinfo.ZoneInfo(series.timezone)
            )
            changes["end"] = changes["start"] + (data["end_at"] - data["start_at"])
        services.series_update(
            actor=actor,
            series=series,
            changes=changes,
            rrule=data.get("rule") or None,
            partners=data["partners"],
            users=data["users"],
            request=request,
        )
        return
    changes = {name: data[name] for name in ("kind", "title", "timezone", "place", "video_link", "agenda")}
    changes |= {"start": data["start_at"], "end": data["end_at"]}
    services.meeting_update(
        actor=actor, meeting=meeting, changes=changes, partners=data["partners"], users=data["users"], request=request
    )


@task_force_required
@require_http_methods(GET_OR_POST)
def meeting_edit(request, pk: int):
    actor = request.actor
    meeting = selectors.meeting_detail_for(actor=actor, pk=pk)
    access.require(access.can_manage_meetings(actor), _("Only coordinators change meetings."))
    series = _open_series(meeting)
    form = MeetingForm(
        _bound(request), actor=actor, meeting=meeting, series=series, initial=MeetingForm.initial_for(meeting)
    )
    if form.is_bound and form.is_valid():
        try:
            _save_meeting(request, form, meeting, series)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The meeting was changed; the invitees are sent the update."))
            return redirect("meetings:meeting_detail", meeting.pk)
    context = {"form": form, "meeting": meeting, "series": series}
    return render(request, "meetings/meeting_form.html", context, status=400 if form.is_bound else 200)


@task_force_required
@require_http_methods(GET_OR_POST)
def meeting_cancel(request, pk: int):
    actor = request.actor
    meeting = selectors.meeting_get_for(actor=actor, pk=pk)
    access.require(access.can_manage_meetings(actor), _("Only coordinators cancel meetings."))
    series = _open_series(meeting)
    form = CancelForm(_bound(request), series=series)
    if form.is_bound and form.is_valid():
        try:
            if series is not None and form.cleaned_data.get("scope") == form.SCOPE_SERIES:
                count = services.series_end(actor=actor, series=series, request=request)
                message = ngettext(
                    "The series was ended; %(count)d meeting was cancelled.",
                    "The series was ended; %(count)d meetings were cancelled.",
                    count,
                ) % {"count": count}
            else:
                services.meeting_cancel(
                    actor=actor, meeting=meeting, reason=form.cleaned_data["reason"], request=request
                )
                message = _("The meeting was cancelled; the invitees are told.")
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, message)
            return redirect("meetings:meeting_detail", meeting.pk)
    context = {"form": form, "meeting": meeting, "series": series}
    return render(request, "meetings/meeting_cancel.html", context, status=400 if form.is_bound else 200)


@task_force_required
@require_POST
def meeting_held(request, pk: int):
    meeting = selectors.meeting_get_for(actor=request.actor, pk=pk)
    try:
        services.meeting_mark_held(actor=request.actor, meeting=meeting, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The meeting was recorded as held."))
    return redirect("meetings:meeting_detail", meeting.pk)


@task_force_required
@require_http_methods(GET_OR_POST)
def meeting_minutes(request, pk: int):
    actor = request.actor
    meeting = selectors.meeting_get_for(actor=actor, pk=pk)
    access.require(access.can_edit_minutes(actor, meeting), _("You may not edit these minutes."))
    form = MinutesForm(_bound(request), initial={"minutes": meeting.minutes})
    if form.is_bound and form.is_valid():
        try:
            services.meeting_minutes_save(
                actor=actor, meeting=meeting, minutes=form.cleaned_data["minutes"], request=request
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The minutes were saved."))
            return redirect(reverse("meetings:meeting_detail", args=[meeting.pk]) + "#minutes")
    context = {"form": form, "meeting": meeting}
    return render(request, "meetings/meeting_minutes.html", context, status=400 if form.is_bound else 200)


@task_force_required
@require_http_methods(GET_OR_POST)
def meeting_attendance(request, pk: int):
    actor = request.actor
    meeting = selectors.meeting_detail_for(actor=actor, pk=pk)
    access.require(access.can_take_attendance(actor, meeting), _("You may not take attendance for this meeting."))
    form = AttendanceForm(
        _bound(request), invitees=meeting.invitees.all(), partner_invitations=meeting.partner_invitations.all()
    )
    if form.is_bound and form.is_valid():
        try:
            services.attendance_record(
                actor=actor, meeting=meeting, people=form.people(), partners=form.partners(), request=request
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Attendance was saved."))
            return redirect(reverse("meetings:meeting_detail", args=[meeting.pk]) + "#invited")
    context = {"form": form, "meeting": meeting}
    return render(request, "meetings/meeting_attendance.html", context, status=400 if form.is_bound else 200)


# --- Action items --------------------------------------------------------------------------------------------


@task_force_required
@require_http_methods(GET_OR_POST)
def action_item_create(request, pk: int):
    actor = request.actor
    meeting = selectors.meeting_get_for(actor=actor, pk=pk)
    access.require(access.can_manage_meetings(actor), _("Only coordinators add action items."))
    access.require(access.can_view_action_items_of(actor, meeting), _("You may not add action items here."))
    initial = {"due_date": timezone.localdate(timezone=actor.task_force.tzinfo) + datetime.timedelta(days=14)}
    form = ActionItemForm(_bound(request), actor=actor, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.action_item_add(actor=actor, meeting=meeting, **form.cleaned_data, request=request)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The action item was added; its owner will be reminded."))
            return redirect(reverse("meetings:meeting_detail", args=[meeting.pk]) + "#action-items")
    context = {"form": form, "meeting": meeting, "item": None}
    return render(request, "meetings/action_item_form.html", context, status=400 if form.is_bound else 200)


@task_force_required
@require_http_methods(GET_OR_POST)
def action_item_edit(request, item_pk: int):
    actor = request.actor
    item = selectors.action_item_get_for(actor=actor, pk=item_pk)
    access.require(access.can_manage_meetings(actor), _("Only coordinators change action items."))
    initial = {"text": item.text, "owner": item.owner_id, "due_date": item.due_date}
    form = ActionItemForm(_bound(request), actor=actor, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.action_item_update(actor=actor, item=item, changes=form.cleaned_data, request=request)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The action item was changed."))
            return redirect(reverse("meetings:meeting_detail", args=[item.meeting_id]) + "#action-items")
    context = {"form": form, "meeting": item.meeting, "item": item}
    return render(request, "meetings/action_item_form.html", context, status=400 if form.is_bound else 200)


@task_force_required
@require_POST
def action_item_status(request, item_pk: int):
    item = selectors.action_item_get_for(actor=request.actor, pk=item_pk)
    action = request.POST.get("action")
    if action not in ("done", "reopen"):
        return HttpResponseBadRequest(_("Mark the item done or open it again."))
    services.action_item_set_status(actor=request.actor, item=item, done=action == "done", request=request)
    if action == "done":
        messages.success(request, _("“%(text)s” is done.") % {"text": item.text})
    else:
        messages.success(request, _("“%(text)s” is open again.") % {"text": item.text})
    return HttpResponseRedirect(_safe_next(request, reverse("meetings:action_item_list")))


@task_force_required
@require_safe
def action_item_list(request):
    actor = request.actor
    form = ActionItemFilterForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    rows = selectors.action_item_list_for(actor=actor, **({} if invalid else form.selector_arguments()))
    page = _page(request, rows.none() if invalid else rows)
    items = [(item, access.can_complete_action_item(actor, item)) for item in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "items": items, "query": query.urlencode()}
    return render(request, "meetings/action_item_list.html", context, status=400 if invalid else 200)


# --- Settings ------------------------------------------------------------------------------------------------


@task_force_required
@require_http_methods(GET_OR_POST)
def reminder_settings(request):
    actor = request.actor
    access.require(access.can_manage_meetings(actor), _("Only coordinators change reminder settings."))
    current = services.reminder_settings_for(actor.task_force.pk)
    form = ReminderSettingsForm(_bound(request), initial=ReminderSettingsForm.initial_for(current))
    if form.is_bound and form.is_valid():
        try:
            services.reminder_settings_save(actor=actor, **form.cleaned_data, request=request)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The reminder settings were saved; meetings saved from now on use them."))
            return redirect("meetings:reminder_settings")
    return render(request, "meetings/reminder_settings.html", {"form": form}, status=400 if form.is_bound else 200)

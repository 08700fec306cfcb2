"""The people pages (/people/): the search, a person's record, entering a person with the duplicate check, correcting
them, recording and revoking consent (and downloading the signed form), and the coordinators' merge.

Reads go through cases/people_selectors.py, writes through cases/people.py and cases/consent.py, which check the
rights again; the pages check them first so a missing right is a 403 before any form (psn/access.py). Reading a
person's record or a consent's signed form is audited."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from psn import access, audit
from psn.decorators import task_force_required

from . import people, people_selectors
from .consent import consent_file_open_for, consent_record, consent_revoke
from .people_forms import ConsentForm, MergeForm, MergeSearchForm, PersonForm, PersonSearchForm, RevokeForm

ENTER_PEOPLE = gettext_lazy("Only referral staff, partner admins and coordinators enter and correct people.")
RECORD_CONSENT = gettext_lazy("Only referral staff, partner admins and coordinators record and revoke consent.")


def _posted(request, *, files: bool = False) -> tuple:
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)


def _safe_next(request, value: str | None) -> str | None:
    """A local path to go back to (the filing page), or None: anything pointing elsewhere is ignored."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    allowed = url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False)
    return value if allowed else None


def _with_person(url: str, person_id: int) -> str:
    """``url`` with ``person=<id>`` in its query string (any earlier ``person`` replaced)."""
    parts = urlsplit(url)
    query = QueryDict(parts.query, mutable=True)
    query["person"] = str(person_id)
    return urlunsplit(parts._replace(query=query.urlencode()))


def referral_create_url(person_id: int) -> str:
    """The filing page for this person."""
    return f"{reverse('cases:referral_create')}?{urlencode({'person': person_id})}"


# --- Reading -------------------------------------------------------------------------------------------------


@task_force_required
@require_GET
def person_list(request):
    actor = request.actor
    form = PersonSearchForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    arguments = form.selector_arguments() if form.is_bound and not invalid else {}
    rows = people_selectors.person_list_for(actor=actor, **arguments)
    page = people_selectors.page_of(rows.none() if invalid else rows, request.GET.get("page"))
    audit.record_listed(actor=actor, rows=page, label=_("People"), request=request)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_enter": access.can_enter_people(actor),
        "can_export_records": access.can_export_person_record(actor),
    }
    return render(request, "people/person_list.html", context, status=400 if invalid else 200)


@task_force_required
@require_GET
def person_detail(request, pk: int):
    actor = request.actor
    person = people_selectors.person_get_for(actor=actor, pk=pk)
    audit.record(action="viewed", actor=actor.user, task_force=actor.task_force, obj=person, request=request)
    context = {
        "person": person,
        "can_edit": access.can_enter_people(actor),
        "can_record_consent": access.can_record_consent(actor),
        "can_merge": access.can_merge_people(actor),
        "can_export_record": access.can_export_person_record(actor),
        "can_file": access.can_file_referrals(actor),
        "referral_create_url": referral_create_url(person.pk),
    }
    return render(request, "people/person_detail.html", context)


# --- Entering and correcting ---------------------------------------------------------------------------------


def _done(request, next_url: str | None, person_id: int, *, default: str):
    return redirect(_with_person(next_url, person_id) if next_url else default)


@task_force_required
@require_http_methods(["GET", "POST"])
def person_create(request):
    """Enter a person. When the duplicate check finds earlier records, they are offered: "Use this person" posts
    ``use=<id>``, "None of these" posts the form again with ``confirm_new=1``. Both end at ``next`` (a local
    path, with ``person=<id>`` added) or, without one, at the new record or the filing page for the one used."""
    actor = request.actor
    access.require(access.can_enter_people(actor), ENTER_PEOPLE)
    next_url = _safe_next(request, (request.POST if request.method == "POST" else request.GET).get("next"))
    if request.method == "POST" and "use" in request.POST:
        used = people_selectors.person_to_refer_get_for(actor=actor, pk=request.POST["use"])
        # The filing page accepts this person from now on in this session (access.people_fileable_by); the pick
        # of a record the user could not read before is in the audit trail.
        audit.record(
            action="viewed",
            actor=request.user,
            task_force=actor.task_force,
            obj=used,
            changes={"picked": "duplicate candidate"},
            request=request,
        )
        kept = [pk for pk in request.session.get(access.PICKED_PEOPLE_SESSION_KEY, []) if pk != used.pk]
        request.session[access.PICKED_PEOPLE_SESSION_KEY] = [used.pk, *kept][: access.PICKED_PEOPLE_KEPT - 1]
        return _done(request, next_url, used.pk, default=referral_create_url(used.pk))
    form, candidates = PersonForm(*_posted(request)), []
    if request.method == "POST" and form.is_valid():
        confirm_new = request.POST.get("confirm_new") == "1"
        try:
            person = people.person_create(
                actor=actor, confirm_new=confirm_new, request=request, **form.service_arguments()
            )
        except people.DuplicateCandidates as found:
            candidates = found.candidates
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s was entered.") % {"name": person.full_name})
            return _done(request, next_url, person.pk, default=reverse("people:person_detail", args=[person.pk]))
    context = {"form": form, "candidates": candidates, "next": next_url or ""}
    return render(request, "people/person_create.html", context, status=400 if form.errors else 200)


@task_force_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int):
    actor = request.actor
    person = people_selectors.person_get_for(actor=actor, pk=pk)
    access.require(access.can_enter_people(actor), ENTER_PEOPLE)
    initial = {name: getattr(person, name) for name in people.PERSON_FIELDS}
    form = PersonForm(*_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            people.person_update(actor=actor, person=person, request=request, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The record was saved."))
            return redirect("people:person_detail", person.pk)
    audit.record_viewed(actor=actor, obj=person, request=request)  # the form shows the record
    return render(
        request, "people/person_edit.html", {"form": form, "person": person}, status=400 if form.errors else 200
    )


# --- Merging (coordinators) ----------------------------------------------------------------------------------


@task_force_required
@require_http_methods(["GET", "POST"])
def person_merge(request, pk: int):
    """Choose the other record (a search, or the duplicate check's candidates), preview what moves, confirm."""
    actor = request.actor
    keep = people_selectors.merge_person_get_for(actor=actor, pk=pk)
    access.require(access.can_merge_people(actor), _("Only coordinators merge people."))
    if request.method == "POST":
        return _merge_confirmed(request, keep)
    search = MergeSearchForm(request.GET or None)
    other = preview = None
    if search.is_bound and search.is_valid() and search.cleaned_data["other"]:
        other = _merge_other(actor, keep, search, "other")
        preview = other and people_selectors.merge_preview_for(actor=actor, merge=other)
    q = search.cleaned_data.get("q", "") if search.is_bound and not search.errors else ""
    candidates = [] if other or search.errors else people_selectors.merge_candidates_for(actor=actor, keep=keep, q=q)
    for shown in filter(None, (keep, other if preview else None)):  # the page shows the record, and the previewed one
        audit.record_viewed(actor=actor, obj=shown, request=request)
    context = {"keep": keep, "search": search, "candidates": candidates, "other": other, "preview": preview}
    return render(request, "people/person_merge.html", context, status=400 if search.errors else 200)


def _merge_other(actor, keep, form, name: str):
    """The record chosen to merge into ``keep``, or None with the reason next to the form's field."""
    other = people_selectors.merge_other_for(actor=actor, keep=keep, pk=form.cleaned_data[name])
    if other is None:
        form.add_error(name, _("Choose another record of this task force."))
        return None
    return other


def _merge_confirmed(request, keep):
    actor = request.actor
    form = MergeForm(request.POST)
    other = _merge_other(actor, keep, form, "merge") if form.is_valid() else None
    if other is not None:
        try:
            people.person_merge(actor=actor, keep=keep, merge=other, request=request)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The records were merged: %(name)s stands.") % {"name": keep.full_name})
            if people_selectors.person_is_visible(actor=actor, pk=keep.pk):
                return redirect("people:person_detail", keep.pk)
            return redirect("people:person_list")
    context = {"keep": keep, "search": MergeSearchForm(), "candidates": [], "other": None, "errors": form.errors}
    return render(request, "people/person_merge.html", context, status=400)


# --- Consent -------------------------------------------------------------------------------------------------


@task_force_required
@require_http_methods(["GET", "POST"])
def consent_create(request, pk: int):
    actor = request.actor
    person = people_selectors.person_get_for(actor=actor, pk=pk)
    access.require(access.can_record_consent(actor), RECORD_CONSENT)
    form = ConsentForm(*_posted(request, files=True), partners=access.partners_visible_to(actor).order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            consent_record(actor=actor, person=person, request=request, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("people:person_detail", person.pk)
    audit.record_viewed(actor=actor, obj=person, request=request)  # the form names the person
    context = {"form": form, "person": person}
    return render(request, "people/consent_form.html", context, status=400 if form.errors else 200)


@task_force_required
@require_http_methods(["GET", "POST"])
def consent_revoke_page(request, pk: int):
    """GET: the open referrals revoking would leave without consent. POST: revoke, with a reason."""
    actor = request.actor
    consent = people_selectors.consent_get_for(actor=actor, pk=pk)
    access.require(access.can_record_consent(actor), RECORD_CONSENT)
    form = RevokeForm(*_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            affected = consent_revoke(actor=actor, consent=consent, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            shown = people_selectors.affected_referrals_for(actor=actor, consent=consent, referrals=affected)
            messages.success(request, _("The consent was revoked."))
            if affected:
                messages.warning(request, _affected_message(shown))
            return redirect("people:person_detail", consent.person_id)
    affected = people_selectors.affected_referrals_for(actor=actor, consent=consent)
    audit.record_viewed(actor=actor, obj=consent, request=request)  # the page shows the consent and its person
    context = {"form": form, "consent": consent, "affected": affected}
    return render(request, "people/consent_revoke.html", context, status=400 if form.errors else 200)


def _affected_message(shown) -> str:
    references = ", ".join(referral.reference for referral in shown.visible)
    message = _("Open referrals now without valid consent: %(references)s.") % {"references": references or "—"}
    if shown.hidden:
        message += " " + _("%(count)d more between other partners.") % {"count": shown.hidden}
    return message


@task_force_required
@require_GET
def consent_file(request, pk: int):
    consent, handle, content_type = consent_file_open_for(actor=request.actor, pk=pk, request=request)
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(content_type, "bin")
    response = FileResponse(
        handle, as_attachment=True, filename=f"consent-{consent.pk}.{extension}", content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

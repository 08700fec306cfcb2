"""API base: authentication, the per-request task force, pagination, permissions and one error shape.

Every error body is ``{"detail": "...", "code": "...", "errors": {field: [messages]}?}``.
The task force comes from the ``X-Task-Force`` header (a slug), else the session's choice, else the
user's only task force; an account in several task forces must say which.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, parsers, permissions

from . import access, audit
from .middleware import SESSION_KEY
from .pagination import DeepPaginator

TASK_FORCE_HEADER = "X-Task-Force"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, which lets a deeply nested document (``[[[[...``) escape as a RecursionError (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON parse error - the document is nested too deeply.")) from exc


class Pagination(pagination.PageNumberPagination):
    django_paginator_class = DeepPaginator  # deep pages read by id (psn/pagination.py)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def actor_for_api(request) -> access.Actor:
    """Resolve (once per request) the actor for an API call after DRF authenticated the user."""
    cached = getattr(request, "_psn_actor", None)
    if cached is not None:
        return cached
    requested = request.headers.get(TASK_FORCE_HEADER) or None
    session = getattr(request._request, "session", None)
    remembered = session.get(SESSION_KEY) if session is not None and request.auth is None else None
    try:
        actor = access.actor_for(request.user, requested_slug=requested, remembered_id=remembered, with_counts=False)
    except access.TaskForceChoiceError as exc:
        raise exceptions.NotFound(_("No task force “%(slug)s” is open to you.") % {"slug": str(exc)[:50]}) from exc
    request._psn_actor = actor
    request._request.actor = actor
    if actor.task_force is not None:
        timezone.activate(actor.task_force.tzinfo)
    return actor


class IsActiveMember(permissions.BasePermission):
    """Authenticated, active, and acting inside a task force they belong to (or site admin)."""

    message = _("Choose a task force with the X-Task-Force header (a slug from /api/v1/me/).")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated and request.user.is_active):
            return False
        actor = actor_for_api(request)
        if getattr(view, "task_force_optional", False):
            return True
        return access.can_act(actor)


class IsAuthenticatedAnyTaskForce(IsActiveMember):
    """For endpoints about the user themself (``me``, tokens): no task force needed."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated and request.user.is_active):
            return False
        actor_for_api(request)
        return True


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is larger than the server accepts.")
    default_code = "request_too_large"


def _flatten(detail) -> dict | list | str:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [str(item) if not isinstance(item, (dict, list)) else _flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc, context):
    """DRF's handler plus Django's ValidationError / PermissionDenied / Http404, in one body shape."""
    # Imported here: rest_framework.views imports the default permission class from this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    request = context.get("request")
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
        response.data = {"detail": _("The request is not valid."), "code": "invalid", "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {"detail": str(detail), "code": codes if isinstance(codes, str) else "error"}
    if isinstance(exc, exceptions.PermissionDenied) and request is not None and request.user.is_authenticated:
        actor = getattr(request, "_psn_actor", None)
        audit.record(
            action="permission_denied",
            actor=request.user,
            task_force=getattr(actor, "task_force", None),
            object_repr=f"{request.method} {request.path}"[:200],
            request=request._request,
        )
    return response


def _resolves_to_an_endpoint(path: str) -> bool:
    try:
        return resolve(path).url_name != "api-not-found"
    except Resolver404:
        return False


@csrf_exempt  # it changes nothing: a POST to a wrong address is told so, not asked for a CSRF token
def not_found(request, rest: str = ""):
    """Any other address under /api/v1/: a 404 in the API's error shape, not the HTML page."""
    detail = _("There is no API endpoint at this address.")
    if rest and not rest.endswith("/") and _resolves_to_an_endpoint(f"{request.path}/"):
        detail = _("There is no API endpoint at this address. Did you mean %(path)s/ (with a slash)?") % {
            "path": request.path
        }
    return JsonResponse({"detail": detail, "code": "not_found"}, status=404)

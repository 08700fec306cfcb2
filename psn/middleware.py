"""Every request acts inside exactly one task force: resolve it once, keep it on ``request.actor``."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import access

SESSION_KEY = "psn_task_force_id"


def _actor_for_request(request) -> access.Actor:
    try:
        actor = access.actor_for(request.user, remembered_id=request.session.get(SESSION_KEY))
    except access.TaskForceChoiceError:
        actor = access.ANONYMOUS
    if actor.task_force is not None and request.session.get(SESSION_KEY) != actor.task_force.pk:
        request.session[SESSION_KEY] = actor.task_force.pk
    return actor


class TaskForceMiddleware:
    """Sets ``request.actor`` (lazily: one query when first used) and the task force's time zone.

    API views resolve their own actor after DRF authentication (tokens carry no session);
    see ``psn.api``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: _actor_for_request(request))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        if getattr(request.user, "is_authenticated", False):
            task_force = request.actor.task_force
            if task_force is not None:
                timezone.activate(task_force.tzinfo)
            else:
                timezone.deactivate()
        return None


def remember_task_force(request, task_force) -> None:
    request.session[SESSION_KEY] = task_force.pk


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set (ASVS 14.4, 8.2.1).

    Pages of a signed-in user carry data about people: browsers and proxies must not keep them.
    """

    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store, private"
        return response

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from . import access


def _switcher_task_forces(request) -> list:
    actor = getattr(request, "actor", None)
    user = getattr(request, "user", None)
    if actor is None or user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(access.task_forces_for(user).order_by("name"))
    return actor.task_forces


def psn(request) -> dict:
    """What base.html needs: the actor (navigation by role), switcher choices, security banners."""
    return {
        "actor": getattr(request, "actor", access.ANONYMOUS),
        "switcher_task_forces": SimpleLazyObject(lambda: _switcher_task_forces(request)),
        "psn_require_mfa": settings.PSN_REQUIRE_MFA,
        "psn_idle_timeout": settings.PSN_IDLE_TIMEOUT,
        "psn_idle_warning": settings.PSN_IDLE_WARNING,
    }

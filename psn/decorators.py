"""View decorators: a signed-in user acting inside a chosen task force."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from . import access


def task_force_required(view):
    """Login, then a chosen task force with an active membership (or site admin); else the picker."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.can_act(request.actor):
            return redirect("task_force_choose")
        return view(request, *args, **kwargs)

    return wrapper

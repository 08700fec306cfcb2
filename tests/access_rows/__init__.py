"""The building blocks of the access matrix (tests/test_access_matrix.py) and its row modules.

Each area of the product declares its rows in its own module here (``tests/access_rows/<area>.py``) so the
matrix grows without everyone editing one table. A row module defines:

- ``ROWS: dict[Req, tuple]``: one answer per column of ``ACTORS`` (same order), like ``MATRIX``;
- ``TARGETS: dict[str, Target]``: the objects its rows point at (names must not clash with other modules);
- ``build_objects(world) -> dict``: creates those objects once per module run (keys used by ``pk_of``);
- optionally ``COUNTS: dict[str, Callable[[], int]]``: row counts a refused request must leave unchanged.

Modules are found by name (every ``*.py`` here but this one) and merged; a duplicate row or target fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# Column -> the world's user acting (None: not signed in).
ACTORS: dict[str, str | None] = {
    "anon": None,
    "own_member": "receiving_member",
    "own_staff": "receiving_referral_staff",
    "own_admin": "receiving_partner_admin",
    "other_member": "sending_member",
    "other_staff": "sending_referral_staff",
    "other_admin": "sending_partner_admin",
    "coordinator": "coordinator",
    "foreign": "foreign_coordinator",
    "site_admin": "site_admin",
    "deactivated": "deactivated",
    "nobody": "nobody",
    "research": "research_member",  # a member of the task force's research partner (made by the matrix, not the world)
}


@dataclass(frozen=True)
class Redirect:
    """A 302 to this path (query string ignored); with ``under``, to a path below it (a new object's page)."""

    to: str
    under: bool = False

    def matches(self, location: str) -> bool:
        return location.startswith(self.to) and location != self.to if self.under else location == self.to

    def __repr__(self) -> str:
        return f"302→{self.to}" + ("…" if self.under else "")


LOGIN = Redirect("/accounts/login/")
PICK = Redirect("/task-force/")  # the task-force picker: signed in, but no task force to act in
HOME = Redirect("/")
PROF = Redirect("/profile/")
LOCKS = Redirect("/lockouts/")


@dataclass(frozen=True)
class Req:
    """One request: the URL name, the object that fills it (a key of TARGETS) and what is posted."""

    method: str
    name: str
    target: str | None = None
    data: dict | None = field(default=None, hash=False)

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}" + (f"[{self.target}]" if self.target else "")


def GET(name: str, target: str | None = None) -> Req:
    return Req("GET", name, target)


def POST(name: str, target: str | None = None, data: dict | None = None) -> Req:
    return Req("POST", name, target, data)


@dataclass
class MatrixWorld:
    world: object
    objects: dict = field(default_factory=dict)
    cookies: dict = field(default_factory=dict)  # user pk -> the cookies of a session signed in once


def pk_of(key: str) -> Callable[[MatrixWorld, object], dict]:
    return lambda mw, user: {"pk": mw.objects[key].pk}


@dataclass(frozen=True)
class Target:
    """What fills the URL, given the world and the acting user (None when anonymous), and whose it is:
    "wdt" (the task force of every column but ``foreign``), "edt" (the foreign one) or None (a person's own)."""

    kwargs: Callable[[MatrixWorld, object], dict]
    task_force: str | None


def row_modules():
    """The row modules of this package, imported, in name order."""
    import importlib
    import pkgutil

    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    ]


def PATCH(name: str, target: str | None = None, data: dict | None = None) -> Req:
    return Req("PATCH", name, target, data)


def PUT(name: str, target: str | None = None, data: dict | None = None) -> Req:
    return Req("PUT", name, target, data)


def DELETE(name: str, target: str | None = None) -> Req:
    return Req("DELETE", name, target)

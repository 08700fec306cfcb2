"""One demo district's seeding, phase by phase (``seed_demo``): the taxonomy and directory, then the history (a
caseworker account per hand-written partner, people and referrals, meetings, crime counts and last month's
report), each phase the function of its app. ``seed_demo`` seeds the demo district wdmo with its demo accounts
between the two; ``seed_generated_district`` seeds the extra districts of ``--task-forces N`` (issue 8: an
installation hosting every district), each in the caller's transaction.

A generated district (``district-02``, ``district-03``...) is wdmo's directory and history in a task force of its
own, with its own name, a U.S. time zone and an email domain: its accounts are a coordinator and the caseworkers,
all without a usable password. Nobody signs in as them: the benchmarks sign in with ``force_login``, and a
known password on hundreds of generated accounts would be a way in on any server the demo reaches (hashing
hundreds of passwords would also cost minutes). It gets no demo accounts and no report: the monthly run builds
its reports like any task force's.

Imported only by the command: it sits above cases, meetings and reports, which build on partners.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from cases import demo_referrals
from meetings import demo_meetings
from reports import demo_reports
from reports.models import ReportSnapshot

from .demo_directory import PARTNERS, SCALES, seed_directory
from .models import Membership, Partner, PartnerKind, Role, TaskForce
from .services import analyze_directory, taxonomy_seed

# The zones of U.S. federal districts, in turn (district-02 is on Eastern time).
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
]


@dataclass
class Seeded:
    """What one district's seeding created, and the seconds each phase took."""

    directory: dict[str, int] = field(default_factory=dict)
    caseworkers: int = 0
    referrals: dict[str, int] = field(default_factory=dict)
    meetings: dict[str, int] = field(default_factory=dict)
    crime_months: int = 0
    report: ReportSnapshot | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def generated_spec(number: int) -> dict[str, str]:
    """The task force fields of generated district ``number`` (2 and up: the demo district is the first)."""
    return {
        "slug": f"district-{number:02d}",
        "name": f"Demo District {number:02d}",
        "district": f"Demo District {number:02d} (generated)",
        "timezone": ZONES[(number - 2) % len(ZONES)],
    }


def seed_district_directory(task_force: TaskForce, scale: str, seeded: Seeded) -> None:
    """The default taxonomy and the demo directory at ``scale`` ("small" or "full")."""
    started = time.perf_counter()
    taxonomy_seed(task_force=task_force)
    seeded.directory = seed_directory(task_force, SCALES[scale])
    if any(seeded.directory.values()):
        analyze_directory()
    seeded.seconds["directory"] = time.perf_counter() - started


def seed_district_history(
    task_force: TaskForce, scale: str, seeded: Seeded, *, domain: str, people=(), report: bool = True
) -> None:
    """After the directory and the accounts (the actors): caseworkers (``caseworkerNN@domain``), people and
    referrals, meetings (``people`` invited and each given an open item), the police partner's crime counts and,
    with ``report``, last month's report."""
    started = time.perf_counter()
    seeded.caseworkers = demo_referrals.seed_caseworkers(task_force, domain=domain)
    seeded.referrals = demo_referrals.seed_referrals(task_force, demo_referrals.SCALES[scale])
    seeded.seconds["referrals"] = time.perf_counter() - started
    # After the referrals: case review minutes cite their references.
    started = time.perf_counter()
    seeded.meetings = demo_meetings.seed_meetings(task_force, demo_meetings.SCALES[scale], people=people)
    seeded.seconds["meetings"] = time.perf_counter() - started
    # After the meetings: the report counts them.
    started = time.perf_counter()
    seeded.crime_months = demo_reports.seed_crime_counts(task_force, months=120 if scale == "full" else 18)
    if report:
        seeded.report = demo_reports.seed_last_report(task_force)
    seeded.seconds["reports"] = time.perf_counter() - started


def seed_generated_district(number: int, scale: str) -> tuple[TaskForce, Seeded]:
    """Generated district ``number`` at ``scale``: what is missing of it (nothing on a second run). Call inside a
    transaction of its own."""
    spec = generated_spec(number)
    task_force, _ = TaskForce.objects.get_or_create(slug=spec["slug"], defaults=spec)
    seeded = Seeded()
    seed_district_directory(task_force, scale, seeded)
    domain = f"{task_force.slug}.example.org"
    # The convening partner's coordinator: the meetings' organiser, as the demo coordinator is wdmo's.
    convening = Partner.objects.get(task_force=task_force, name=PARTNERS[0][0], kind=PartnerKind.PROSECUTION)
    email = f"coordinator@{domain}"
    User = get_user_model()
    coordinator = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password=None, full_name=f"{task_force.name} Coordinator"
    )
    Membership.objects.get_or_create(
        user=coordinator, partner=convening, defaults={"role": Role.COORDINATOR, "task_force": task_force}
    )
    seed_district_history(task_force, scale, seeded, domain=domain, report=False)
    return task_force, seeded

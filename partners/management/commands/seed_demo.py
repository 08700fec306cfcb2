"""Demo data for the embedded run: the Western District of Missouri task force, its directory (fictional
partners of every kind around Kansas City, their services, locations and contacts: partners/demo_directory.py),
one account per role, and people with 18 months of referrals in every state between the demo partners, the demo
accounts acting (cases/demo_referrals.py), and 18 months of meetings of every kind (meetings/demo_meetings.py).
Idempotent: running it again changes nothing but re-activating demo accounts.

``--scale full`` makes the directory 150 partners and 3,000 services and the history a district's ten years:
60,000 people and 120,000 referrals with their transitions and notes (for load tests and the benchmark, bench/);
written in bulk, in one transaction, in a few minutes on PostgreSQL. ``--scale small`` after ``full`` leaves the
extra rows (it only adds what is missing, never deletes); start from an empty database to go back to the small
demo.

``--task-forces N`` adds N-1 generated districts at the same scale (``district-02``...: the multi-tenant case of an
installation hosting every district), each with its own directory, accounts and history and in a transaction of
its own (partners/demo_districts.py): a failure keeps the districts done, and a rerun adds the rest."""

import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases import demo_referrals
from meetings import demo_meetings
from partners import demo_districts
from partners.demo_directory import SCALES
from partners.models import Membership, Partner, PartnerKind, Role, TaskForce
from partners.services import taxonomy_seed

DEMO_DOMAIN = "wdmo.example.org"

TASK_FORCES = [
    {"slug": "wdmo", "name": "Western District of Missouri", "district": "W.D. Mo.", "timezone": "America/Chicago"},
    {"slug": "edmo", "name": "Eastern District of Missouri", "district": "E.D. Mo.", "timezone": "America/Chicago"},
]

DEMO_ACCOUNTS = [
    # email, name, partner, role
    ("coordinator", "Dana Coordinator", "U.S. Attorney's Office, W.D. Mo.", Role.COORDINATOR),
    ("partneradmin", "Pat Admin", "Second Chance Workforce Center", Role.PARTNER_ADMIN),
    ("staff", "Sam Caseworker", "Second Chance Workforce Center", Role.REFERRAL_STAFF),
    ("officer", "Officer Riley", "Kansas City Police Department", Role.REFERRAL_STAFF),
    ("member", "Morgan Member", "Westside Neighbors Alliance", Role.MEMBER),
    ("research", "Robin Researcher", "UMKC Violence Research Lab (fictional)", Role.MEMBER),
]


def demo_password() -> str:
    """PSN_DEMO_PASSWORD, else the one kept in var/demo_password, else a new random one saved there."""
    if os.environ.get("PSN_DEMO_PASSWORD"):
        return os.environ["PSN_DEMO_PASSWORD"]
    path = Path(settings.VAR_DIR) / "demo_password"
    if path.exists():
        return path.read_text().strip()
    password = "demo-" + secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create (or refresh) the demo task force 'wdmo' with its partner directory and one account per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=list(SCALES),
            default="small",
            help="size of the demo: small (52 partners, 204 services, 400 people, 1,500 referrals over 18 months) or "
            "full (150 partners, 3,000 services, 60,000 people, 120,000 referrals over ten years)",
        )
        parser.add_argument(
            "--task-forces",
            type=int,
            default=1,
            metavar="N",
            help="districts at --scale: the demo district wdmo and N-1 generated ones (district-02...), each with "
            "its own directory, accounts (no usable password) and history (default 1: wdmo only)",
        )

    def handle(self, *args, **options):
        scale, total = options["scale"], options["task_forces"]
        if total < 1:
            raise CommandError("--task-forces counts the demo district: 1 or more.")
        started = time.perf_counter()
        with transaction.atomic():
            wdmo, seeded = self._demo_district(scale)
        self._progress(1, total, wdmo, seeded, time.perf_counter() - started)
        # Each extra district in a transaction of its own: a failure keeps the finished ones, a rerun adds the rest.
        for number in range(2, total + 1):
            started = time.perf_counter()
            with transaction.atomic():
                task_force, seeded = demo_districts.seed_generated_district(number, scale)
            self._progress(number, total, task_force, seeded, time.perf_counter() - started)

    def _progress(self, number: int, total: int, task_force, seeded: demo_districts.Seeded, seconds: float) -> None:
        phases = ", ".join(f"{phase} {phase_seconds:.1f} s" for phase, phase_seconds in seeded.seconds.items())
        referrals = demo_referrals.demo_counts(task_force)["referrals"]
        self.stdout.write(
            f"District {number} of {total}: {task_force.slug} ({task_force.name}, {task_force.timezone}), "
            f"{referrals:,} referrals ({seeded.referrals.get('referrals', 0):,} created now), "
            f"in {seconds:.1f} s ({phases})."
        )
        self.stdout.flush()

    def _demo_district(self, scale: str) -> tuple[TaskForce, demo_districts.Seeded]:
        User = get_user_model()
        password = demo_password()
        task_forces = {}
        for spec in TASK_FORCES:
            task_forces[spec["slug"]], _ = TaskForce.objects.get_or_create(slug=spec["slug"], defaults=spec)
        wdmo, edmo = task_forces["wdmo"], task_forces["edmo"]
        taxonomy_seed(task_force=edmo)
        seeded = demo_districts.Seeded()
        demo_districts.seed_district_directory(wdmo, scale, seeded)
        partners = {p.name: p for p in Partner.objects.filter(task_force=wdmo)}
        edmo_usao, _ = Partner.objects.get_or_create(
            task_force=edmo, name="U.S. Attorney's Office, E.D. Mo.", defaults={"kind": PartnerKind.PROSECUTION}
        )

        rows = []
        for local, full_name, partner_name, role in DEMO_ACCOUNTS:
            user = self._account(User, f"{local}@{DEMO_DOMAIN}", full_name, password)
            Membership.objects.update_or_create(
                user=user, partner=partners[partner_name], defaults={"role": role, "active": True, "task_force": wdmo}
            )
            rows.append((user.email, Role(role).label, partner_name))
        # The coordinator also serves the neighbouring district: shows the task-force switcher.
        coordinator = User.objects.get(email=f"coordinator@{DEMO_DOMAIN}")
        Membership.objects.update_or_create(
            user=coordinator, partner=edmo_usao, defaults={"role": Role.COORDINATOR, "active": True, "task_force": edmo}
        )
        admin = self._account(User, f"admin@{DEMO_DOMAIN}", "Site Admin", password, superuser=True)
        rows.append((admin.email, "Site admin", "(all task forces)"))
        # After the accounts: they are the actors of the history, invited to the meetings.
        demo_people = list(User.objects.filter(email__in=[f"{row[0]}@{DEMO_DOMAIN}" for row in DEMO_ACCOUNTS]))
        demo_districts.seed_district_history(wdmo, scale, seeded, domain=DEMO_DOMAIN, people=demo_people)

        self.stdout.write(self.style.SUCCESS(f"Demo task force ready: {wdmo.name} (slug {wdmo.slug})."))
        self.stdout.write(
            f"Directory: {len(partners)} partners, {wdmo.services.count()} services, "
            f"{wdmo.locations.count()} locations, {wdmo.contacts.count()} contacts."
        )
        self.stdout.write(f"Referrals: {demo_referrals.demo_summary(demo_referrals.demo_counts(wdmo))}.")
        self.stdout.write(
            f"  created now: {demo_referrals.demo_summary(seeded.referrals)} in {seeded.seconds['referrals']:.1f} s."
        )
        self.stdout.write(f"Meetings: {demo_meetings.demo_summary(demo_meetings.demo_counts(wdmo))}.")
        self.stdout.write(
            f"  created now: {demo_meetings.demo_summary(seeded.meetings)} in {seeded.seconds['meetings']:.1f} s."
        )
        report = seeded.report
        report_line = f"the report of {report.period:%Y-%m} built" if report else "last month's report already there"
        self.stdout.write(
            f"Reports: crime counts of {seeded.crime_months} more months, {report_line} "
            f"in {seeded.seconds['reports']:.1f} s."
        )
        self.stdout.write(f"Demo accounts (password for all: {password}):")
        for email, role, partner in rows:
            self.stdout.write(f"  {email:<34} {role:<16} {partner}")
        return wdmo, seeded

    def _account(self, User, email: str, full_name: str, password: str, superuser: bool = False):
        user = User.objects.filter(email=email).first()
        if user is None:
            create = User.objects.create_superuser if superuser else User.objects.create_user
            return create(email=email, password=password, full_name=full_name)
        changed = []
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        if not user.is_active:
            user.is_active, user.deactivated_at, user.deactivation_reason = True, None, ""
            changed += ["is_active", "deactivated_at", "deactivation_reason"]
        if changed:
            user.save(update_fields=changed)
        return user

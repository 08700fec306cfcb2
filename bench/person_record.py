"""How long the worker takes to build a person's record for a records request: seeds one person with N referrals
(each with five transitions and four notes, of both partners, shared and internal; ``pdfinfo`` of poppler-utils
counts the PDF's pages) in a fresh task force of a
throwaway benchmark database, queues an export and runs its build (``cases.person_record.person_record_build``: the
gathering, the JSON, the PDF and the zip), and prints the time, the pages and the size for each N.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/psn_record_bench .venv/bin/python -m bench.person_record \\
        --referrals 5 20 40

Only the task force it makes is touched (the database must have "bench" in its name, see bench/common.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import common

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/psn_record_bench"


def seed(n: int):
    """A task force, its coordinator, and one person with ``n`` closed referrals; returns (coordinator, person)."""
    from django.utils import timezone

    from cases.models import Note, NoteVisibility, Person, Referral, Status, Transition
    from partners.models import Partner, PartnerKind, Role, TaskForce
    from tests.factories import MembershipFactory, UserFactory

    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    tf = TaskForce.objects.create(name=f"Record bench {stamp}", slug=f"record-{stamp}", timezone="America/Chicago")
    sending = Partner.objects.create(task_force=tf, name="Police", kind=PartnerKind.LAW_ENFORCEMENT)
    receiving = Partner.objects.create(task_force=tf, name="Workforce", kind=PartnerKind.SERVICE_PROVIDER)
    usao = Partner.objects.create(task_force=tf, name="U.S. Attorney's Office", kind=PartnerKind.PROSECUTION)
    coordinator = UserFactory(email=f"record-{stamp}@example.org", full_name="Bench Coordinator")
    MembershipFactory(user=coordinator, partner=usao, role=Role.COORDINATOR)
    person = Person.objects.create(
        task_force=tf, given_name="Jordan", family_name="Bench", date_of_birth=dt.date(1996, 5, 1), phone="8165550100"
    )
    start = timezone.now() - dt.timedelta(days=400)
    referrals = Referral.objects.bulk_create(
        Referral(
            task_force=tf,
            reference=f"R-{stamp[-8:]}-{i:04d}",
            person=person,
            sending_partner=sending,
            receiving_partner=receiving,
            status=Status.COMPLETED,
            created_at=start + dt.timedelta(days=i),
            submitted_at=start + dt.timedelta(days=i),
            closed_at=start + dt.timedelta(days=i + 20),
        )
        for i in range(n)
    )
    moves = (("", "submitted"), ("submitted", "accepted"), ("accepted", "in_progress"))
    moves += (("in_progress", "completed"), ("completed", "completed"))
    Transition.objects.bulk_create(
        Transition(task_force=tf, referral=r, from_status=a, to_status=b, at=r.created_at + dt.timedelta(days=k))
        for r in referrals
        for k, (a, b) in enumerate(moves)
    )
    body = "Met at the workforce center; enrolled in the twelve-week program and given a bus pass. " * 3
    Note.objects.bulk_create(
        Note(task_force=tf, referral=r, author_partner=partner, body=body, visibility=visibility)
        for r in referrals
        for partner in (sending, receiving)
        for visibility in (NoteVisibility.SHARED, NoteVisibility.INTERNAL)
    )
    return coordinator, person


def measure(n: int) -> str:
    from cases import person_record
    from psn.access import actor_for

    coordinator, person = seed(n)
    actor = actor_for(coordinator, requested_slug=person.task_force.slug)
    job = person_record.person_record_request(actor=actor, person=person)
    started = time.perf_counter()
    built = person_record.person_record_build(job_id=job.pk)
    seconds = time.perf_counter() - started
    with built.file.open("rb") as handle:
        pdf = zipfile.ZipFile(io.BytesIO(handle.read())).read("record.pdf")
    pdfinfo = shutil.which("pdfinfo") or "/usr/bin/pdfinfo"
    info = subprocess.run([pdfinfo, "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603
    pages = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
    built.file.delete(save=False)
    return f"{n:>4} referrals: built in {seconds:5.1f} s, record.pdf {pages} pages, zip {built.size / 1024:,.0f} KB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, nargs="+", default=[5, 20, 40])
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    common.start(args)
    from cases import person_record

    person_record.enqueue_on_commit = lambda task, *args, **kwargs: None  # the build is run here, timed, not sent
    for n in args.referrals:
        print(measure(n), flush=True)


if __name__ == "__main__":
    main()

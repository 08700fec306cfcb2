"""How fast the retention purge removes expired records: seeds N closed referrals (each with its person, five
transitions, two notes and a notification, all long expired) in a fresh task force of a throwaway benchmark database,
runs ``governance.services.retention_purge`` and prints the rows removed per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/psn_h12_bench .venv/bin/python -m bench.purge --referrals 20000

Only the task force it makes is touched (the database must have "bench" in its name, see bench/common.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import common

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/psn_purge_bench"
CHUNK = 2000


def seed(n: int):
    from django.utils import timezone

    from cases.models import Note, Notification, Person, Referral, Status, Transition
    from partners.models import Partner, PartnerKind, TaskForce
    from tests.factories import UserFactory

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    tf = TaskForce.objects.create(name=f"Purge bench {stamp}", slug=f"purge-{stamp}", timezone="America/Chicago")
    sending = Partner.objects.create(task_force=tf, name="Police", kind=PartnerKind.LAW_ENFORCEMENT)
    receiving = Partner.objects.create(task_force=tf, name="Workforce", kind=PartnerKind.SERVICE_PROVIDER)
    user = UserFactory(email=f"purge-{stamp}@example.org")
    long_ago = timezone.now() - dt.timedelta(days=3650)
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        people = Person.objects.bulk_create(
            Person(task_force=tf, given_name=f"G{start + i}", family_name="Bench", created_at=long_ago)
            for i in range(size)
        )
        referrals = Referral.objects.bulk_create(
            Referral(
                task_force=tf,
                reference=f"R-B-{start + i:08d}",
                person=person,
                sending_partner=sending,
                receiving_partner=receiving,
                status=Status.COMPLETED,
                created_at=long_ago,
                submitted_at=long_ago,
                closed_at=long_ago,
            )
            for i, person in enumerate(people)
        )
        moves = (("", "submitted"), ("submitted", "accepted"), ("accepted", "in_progress"))
        moves += (("in_progress", "completed"), ("completed", "completed"))  # five rows a referral
        Transition.objects.bulk_create(
            Transition(task_force=tf, referral=r, from_status=a, to_status=b, at=long_ago)
            for r in referrals
            for a, b in moves
        )
        Note.objects.bulk_create(
            Note(task_force=tf, referral=r, author_partner=sending, body="bench note", created_at=long_ago)
            for r in referrals
            for _ in range(2)
        )
        Notification.objects.bulk_create(
            Notification(task_force=tf, user=user, referral=r, kind="closed", message="closed") for r in referrals
        )
    return tf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    common.start(args)
    from governance import services

    started = time.perf_counter()
    tf = seed(args.referrals)
    print(f"seeded {args.referrals} closed referrals in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    run = services.retention_purge(task_force=tf, batch_size=args.batch)
    seconds = time.perf_counter() - started
    print(
        f"purge: {run.total} rows in {seconds:.1f} s = {run.total / seconds:,.0f} rows/s "
        f"({run.counts['referrals'] / seconds:,.0f} referrals/s, batch {args.batch})"
    )
    print(run.counts)


if __name__ == "__main__":
    main()

"""Demo data of the reports (``seed_demo``): the police partner's monthly violent-crime counts over the seeded
history, uploaded through the same service as the page, and the last complete month's report built as the monthly
run builds it. Idempotent: months already counted and a month already reported are left as they are."""

from __future__ import annotations

import csv
import datetime
import io
import math
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.models import Membership, PartnerKind, Role, TaskForce
from psn.access import actor_for

from . import crime, metrics, services
from .models import CrimeCount, Offense, ReportSnapshot, ReportStatus
from .rendering import renderers

# A mid-sized city's monthly counts: a base level per offense, a summer rise, a slow decline over the years.
BASE = {
    Offense.HOMICIDE: 12,
    Offense.NON_FATAL_SHOOTING: 38,
    Offense.AGGRAVATED_ASSAULT: 310,
    Offense.ROBBERY: 95,
    Offense.RAPE: 28,
    Offense.CARJACKING: 17,
    Offense.OTHER_VIOLENT: 40,
}


def _count(offense: str, month: datetime.date, rng: random.Random) -> int:
    summer = 1 + 0.18 * math.sin((month.month - 4) / 12 * 2 * math.pi)
    earlier = 1 + 0.03 * (datetime.date.today().year - month.year)  # a slow decline: earlier years were higher
    return max(0, round(BASE[offense] * summer * earlier * rng.uniform(0.85, 1.15)))


def seed_crime_counts(task_force: TaskForce, *, months: int = 18) -> int:
    """The police partner's counts for the last ``months`` complete months not yet counted, as one CSV upload by its
    referral staff. Returns how many months were added."""
    membership = (
        Membership.objects.filter(
            task_force=task_force,
            partner__kind=PartnerKind.LAW_ENFORCEMENT,
            role__in=[Role.REFERRAL_STAFF, Role.PARTNER_ADMIN],
            active=True,
            user__is_active=True,
        )
        .select_related("partner", "user")
        .order_by("partner__name", "pk")
        .first()
    )
    if membership is None:
        return 0
    this_month = timezone.localdate(timezone=task_force.tzinfo).replace(day=1)
    wanted = [metrics.Period(task_force, this_month).shifted(-back).month for back in range(months, 0, -1)]
    counted = set(CrimeCount.objects.filter(task_force=task_force).values_list("month", flat=True))
    missing = [month for month in wanted if month not in counted]
    if not missing:
        return 0
    rng = random.Random(f"{task_force.slug}-crime")  # noqa: S311 - demo data, not security
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "offense", "count"])
    for month in missing:
        for offense in Offense.values:
            writer.writerow([f"{month:%Y-%m}", offense, _count(offense, month, rng)])
    upload = SimpleUploadedFile("crime-counts.csv", out.getvalue().encode(), content_type="text/csv")
    actor = actor_for(membership.user, requested_slug=task_force.slug)
    crime.crime_counts_upload(actor=actor, partner=membership.partner, uploaded_file=upload)
    return len(missing)


def seed_last_report(task_force: TaskForce) -> ReportSnapshot | None:
    """Last complete month's report, as the monthly run makes it (unless one is done already)."""
    this_month = timezone.localdate(timezone=task_force.tzinfo).replace(day=1)
    month = metrics.Period(task_force, this_month).shifted(-1).month
    if ReportSnapshot.objects.filter(task_force=task_force, period=month, status=ReportStatus.DONE).exists():
        return None
    snapshot = services.report_queue(task_force=task_force, month=month, enqueue=False)
    return services.report_build(snapshot_id=snapshot.pk, renderers=renderers())

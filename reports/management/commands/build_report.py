"""``build_report --task-force SLUG --month YYYY-MM``: build a month's report now, in this process, as a new version
(the same service as the coordinators' button and the monthly run), printing its progress."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.models import TaskForce
from reports import metrics, services
from reports.models import ReportStatus
from reports.rendering import renderers


class Command(BaseCommand):
    help = "Build a month's outcome report for a task force (a new version)."

    def add_arguments(self, parser):
        parser.add_argument("--task-force", required=True, help="the task force's slug")
        parser.add_argument("--month", required=True, help="the month, YYYY-MM")

    def handle(self, *args, task_force: str, month: str, **options):
        tf = TaskForce.objects.filter(slug=task_force).first()
        if tf is None:
            raise CommandError(f"No task force with the slug {task_force!r}.")
        try:
            period = metrics.month_of(month)
        except ValueError as exc:
            raise CommandError(f"--month must look like 2026-10, not {month!r}.") from exc
        try:
            snapshot = services.report_queue(task_force=tf, month=period, enqueue=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        built = services.report_build(
            snapshot_id=snapshot.pk,
            renderers=renderers(),
            echo=lambda percent, label: self.stdout.write(f"{percent:3d}% {label}"),
        )
        if built is None or built.status != ReportStatus.DONE:
            raise CommandError(f"The report was not built (snapshot {snapshot.pk}).")
        self.stdout.write(
            f"Built the report of {tf.slug} for {period:%Y-%m}, version {built.version} (snapshot {built.pk}): "
            f"{built.numbers['headline']['referrals_made']} referrals made."
        )

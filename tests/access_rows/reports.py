"""Monthly reports and crime counts (issue 7): the report pages and API (coordinators only), the glossary (every
member), the crime-count pages and API (coordinators and the police partner's referral staff and admins: the
"other" partner of the world is City Police).

Everyone else in the task force gets a 403 (audited); another task force's report is a 404 for everyone acting in
this one. ``own_report`` is done (its files made), ``own_failed_report`` failed (a retry queues it again),
``other_task_force_report`` is the foreign task force's done report (retrying it there is a 409). Posting the forms
without a file or with a bad month is a 400 that changes nothing.
"""

from __future__ import annotations

import datetime
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from psn.access import actor_for
from reports import crime, rendering, services
from reports.models import CrimeCount, CrimeCountUpload, ReportSnapshot, ReportStatus

from . import GET, LOGIN, PICK, POST, Redirect, Target, pk_of

MONTH = datetime.date(2026, 9, 1)


class _PathPattern(str):
    """A path with an object's id in it, equal to every path of that shape (a redirect to the report the request
    made or acted on, whose id the table cannot know)."""

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and re.fullmatch(str(self), other) is not None

    __hash__ = str.__hash__


DETAIL = Redirect(_PathPattern(r"/reports/\d+/"))

# fmt: off
ROWS = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("reports:report_list"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("reports:report_generate", data={"month": "not a month"}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    POST("reports:report_generate", data={"month": "2026-09"}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    DETAIL, DETAIL, DETAIL, LOGIN,  PICK,   403),
    GET("reports:glossary"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("reports:report_detail", "own_report"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("reports:report_detail", "other_task_force_report"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("reports:report_progress", "own_report"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("reports:report_progress", "other_task_force_report"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    POST("reports:report_retry", "own_failed_report"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    DETAIL, 404,    DETAIL, LOGIN,  PICK,   403),
    POST("reports:report_retry", "other_task_force_report"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    DETAIL, 404,    LOGIN,  PICK,   404),
    GET("reports:report_download", "own_report_csv"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("reports:report_download", "own_report_pdf"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("reports:report_download", "other_task_force_report_csv"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("crime:list"):
        (LOGIN,  403,    403,    403,    403,    200,    200,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("crime:upload"):
        (LOGIN,  403,    403,    403,    403,    200,    200,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("crime:upload"):
        (LOGIN,  403,    403,    403,    403,    400,    400,    400,    400,    400,    LOGIN,  PICK,   403),
    # API
    GET("report-list"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    POST("report-list", data={"month": "2026-13"}):
        (401,    403,    403,    403,    403,    403,    403,    400,    400,    400,    401,    403,    403),
    POST("report-list", data={"month": "2026-09"}):
        (401,    403,    403,    403,    403,    403,    403,    202,    202,    202,    401,    403,    403),
    GET("report-detail", "own_report"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("report-detail", "other_task_force_report"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("report-progress", "own_report"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("report-progress", "other_task_force_report"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("report-retry", "own_failed_report"):
        (401,    403,    403,    403,    403,    403,    403,    202,    404,    202,    401,    403,    403),
    POST("report-retry", "other_task_force_report"):
        (401,    404,    404,    404,    404,    404,    404,    404,    409,    404,    401,    403,    404),
    GET("report-csv", "own_report"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("report-csv", "other_task_force_report"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("report-pdf", "own_report"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("report-pdf", "other_task_force_report"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("crime-count-list"):
        (401,    403,    403,    403,    403,    200,    200,    200,    200,    200,    401,    403,    403),
    POST("crime-count-upload", data={"partner": 1}):
        (401,    403,    403,    403,    403,    400,    400,    400,    400,    400,    401,    403,    403),
}
# fmt: on


def _download(key: str, fmt: str):
    return lambda mw, user: {"pk": mw.objects[key].pk, "fmt": fmt}


TARGETS = {
    "own_report": Target(pk_of("own_report"), "wdt"),
    "own_failed_report": Target(pk_of("own_failed_report"), "wdt"),
    "other_task_force_report": Target(pk_of("other_task_force_report"), "edt"),
    "own_report_csv": Target(_download("own_report", "csv"), "wdt"),
    "own_report_pdf": Target(_download("own_report", "pdf"), "wdt"),
    "other_task_force_report_csv": Target(_download("other_task_force_report", "csv"), "edt"),
}


def _done(task_force, renderers: dict) -> ReportSnapshot:  # the files: CSV, and PDF by the renderers given
    snapshot = services.report_queue(task_force=task_force, month=MONTH, enqueue=False)
    return services.report_build(snapshot_id=snapshot.pk, renderers=renderers)


def build_objects(world) -> dict:
    failed = services.report_queue(task_force=world.tf, month=MONTH, enqueue=False)
    ReportSnapshot.objects.filter(pk=failed.pk).update(status=ReportStatus.FAILED, error="OSError: disk full")
    police = actor_for(world.user("sending_referral_staff"), requested_slug=world.tf.slug)
    upload = crime.crime_counts_upload(
        actor=police,
        partner=world.sending,
        uploaded_file=SimpleUploadedFile("counts.csv", b"month,offense,count\n2026-09,robbery,12\n"),
    )
    return {
        # With the PDF renderer, so that the PDF download rows read a real file.
        "own_report": _done(world.tf, rendering.renderers()),
        "own_failed_report": failed,
        "other_task_force_report": _done(world.other_tf, rendering.renderers()),
        "own_crime_upload": upload,
    }


COUNTS = {
    "reports: snapshots": lambda: ReportSnapshot.objects.count(),
    "reports: queued snapshots": lambda: ReportSnapshot.objects.filter(status=ReportStatus.QUEUED).count(),
    "reports: crime uploads": lambda: CrimeCountUpload.objects.count(),
    "reports: crime counts": lambda: CrimeCount.objects.count(),
}

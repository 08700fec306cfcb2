"""Every number of reports/metrics.py on a small task force built by hand, where each number is known.

October 2026 in America/Chicago. Columbus Day (Monday 12 October) is a federal holiday; the month ends on a
Saturday at 00:00 of 1 November local time (05:00 UTC)."""

import datetime
import zoneinfo

import pytest

from cases import sla
from cases.models import ReasonCode, ReasonKind, Status, Transition
from cases.reasons import reason_codes_seed
from meetings.models import ActionItem, Attendance, Meeting, MeetingKind, MeetingPartner, MeetingStatus
from partners.models import PartnerKind, TaxonomyTerm
from reports import metrics
from reports.models import CrimeCount, CrimeCountUpload, Offense
from reports.suppression import change_of
from tests.factories import PartnerFactory, PersonFactory, ReferralFactory, TaskForceFactory, UserFactory

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
OCTOBER = datetime.date(2026, 10, 1)


def at(text: str) -> datetime.datetime:
    """A local Chicago time, e.g. "2026-10-02 09:00"."""
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CHICAGO)


class District:
    def __init__(self):
        self.tf = TaskForceFactory(slug="mtr", name="Metrics District", timezone="America/Chicago")
        reason_codes_seed(task_force=self.tf)
        self.police = PartnerFactory(task_force=self.tf, name="Police", kind=PartnerKind.LAW_ENFORCEMENT)
        self.work = PartnerFactory(task_force=self.tf, name="Workforce", kind=PartnerKind.SERVICE_PROVIDER)
        self.housing = PartnerFactory(task_force=self.tf, name="Housing", kind=PartnerKind.SERVICE_PROVIDER)
        self.job = TaxonomyTerm.objects.create(task_force=self.tf, code="job", name="Job training")
        self.home = TaxonomyTerm.objects.create(task_force=self.tf, code="home", name="Housing help")
        self.people = {key: PersonFactory(task_force=self.tf) for key in "ABCDE"}

    def code(self, kind: str) -> ReasonCode:
        return ReasonCode.objects.filter(task_force=self.tf, kind=kind).order_by("pk").first()

    def referral(self, person, receiving, needs, *, submitted=None, moves=(), transferred_from=None):
        """A referral with its clock fields and transitions as the lifecycle would have left them."""
        referral = ReferralFactory(
            sending_partner=self.police,
            receiving_partner=receiving,
            person=self.people[person],
            needs=needs,
            transferred_from=transferred_from,
        )
        status = Status.DRAFT
        if submitted:
            submitted_at = at(submitted)
            referral.submitted_at = submitted_at
            referral.acknowledge_by = sla.acknowledge_deadline(self.tf, submitted_at)
            Transition.objects.create(
                task_force=self.tf, referral=referral, at=submitted_at, from_status=status, to_status=Status.SUBMITTED
            )
            status = Status.SUBMITTED
        for to_status, when, reason in moves:
            moment = at(when)
            Transition.objects.create(
                task_force=self.tf, referral=referral, at=moment, from_status=status, to_status=to_status, reason=reason
            )
            if to_status in (Status.ACCEPTED, Status.DECLINED):
                referral.acknowledged_at = moment
            if to_status not in (Status.ACCEPTED, Status.IN_PROGRESS):
                referral.closed_at, referral.close_reason = moment, reason
            status = to_status
        referral.status = status
        referral.save()
        return referral

    def contact(self, referral, when: str):
        referral.first_contact_at = at(when)
        referral.save(update_fields=["first_contact_at"])


@pytest.fixture
def district():
    d = District()
    outcome, decline, withdraw = (d.code(k) for k in (ReasonKind.OUTCOME, ReasonKind.DECLINE, ReasonKind.WITHDRAW))
    # r1: Friday 2 Oct -> accepted Monday 5 Oct, first contact Wed 7 Oct, completed Tue 20 Oct (Columbus Day between).
    r1 = d.referral(
        "A",
        d.work,
        [d.job, d.home],
        submitted="2026-10-02 09:00",
        moves=[
            (Status.ACCEPTED, "2026-10-05 10:00", None),
            (Status.IN_PROGRESS, "2026-10-06 10:00", None),
            (Status.COMPLETED, "2026-10-20 15:00", outcome),
        ],
    )
    d.contact(r1, "2026-10-07 11:00")
    # r2: Friday 9 Oct 16:00 -> declined Tuesday 13 Oct (the Monday is a holiday: one business day).
    d.referral(
        "B", d.work, [d.job], submitted="2026-10-09 16:00", moves=[(Status.DECLINED, "2026-10-13 09:00", decline)]
    )
    # r3: made in September, accepted on 1 October; still open.
    d.referral(
        "C", d.housing, [d.home], submitted="2026-09-28 10:00", moves=[(Status.ACCEPTED, "2026-10-01 10:00", None)]
    )
    # r4 -> r5: transferred on 16 October; the new referral is submitted that day and never acknowledged.
    r4 = d.referral(
        "C", d.work, [d.job], submitted="2026-10-15 10:00", moves=[(Status.TRANSFERRED, "2026-10-16 10:00", None)]
    )
    d.referral("C", d.housing, [d.job], submitted="2026-10-16 10:00", transferred_from=r4)
    # r6: Saturday 31 October 20:00 local is 1 November in UTC: it belongs to October. Withdrawn in November.
    d.referral(
        "D",
        d.work,
        [d.home],
        submitted="2026-10-31 20:00",
        moves=[(Status.WITHDRAWN, "2026-11-02 09:00", withdraw)],
    )
    # r7: a draft made in October never counts.
    d.referral("A", d.work, [d.job])
    # r8: submitted and withdrawn in October.
    d.referral(
        "B", d.work, [d.job], submitted="2026-10-05 10:00", moves=[(Status.WITHDRAWN, "2026-10-06 10:00", withdraw)]
    )
    # r9: A's referral a year before (A returns in October).
    d.referral(
        "A",
        d.work,
        [d.job],
        submitted="2025-10-10 10:00",
        moves=[
            (Status.ACCEPTED, "2025-10-14 10:00", None),
            (Status.IN_PROGRESS, "2025-10-15 10:00", None),
            (Status.COMPLETED, "2025-12-01 10:00", outcome),
        ],
    )
    # r10: made in September, never acknowledged: open and overdue at the end of October.
    d.referral("E", d.work, [d.job], submitted="2026-09-01 10:00")
    # Meetings: two held in October (a task force meeting and a case review), one cancelled, one in November.
    coordinator = UserFactory()
    held = []
    for kind, start in ((MeetingKind.TASK_FORCE, "2026-10-08 14:00"), (MeetingKind.CASE_REVIEW, "2026-10-22 09:00")):
        meeting = Meeting.objects.create(
            task_force=d.tf,
            kind=kind,
            title=str(kind),
            start=at(start),
            end=at(start) + datetime.timedelta(hours=1),
            timezone="America/Chicago",
            status=MeetingStatus.HELD,
        )
        held.append(meeting)
    MeetingPartner.objects.create(meeting=held[0], partner=d.police, attendance=Attendance.PRESENT)
    MeetingPartner.objects.create(meeting=held[0], partner=d.work, attendance=Attendance.EXCUSED)
    MeetingPartner.objects.create(meeting=held[1], partner=d.police, attendance=Attendance.PRESENT)
    MeetingPartner.objects.create(meeting=held[1], partner=d.work, attendance=Attendance.ABSENT)
    for status, start in ((MeetingStatus.CANCELLED, "2026-10-15 14:00"), (MeetingStatus.HELD, "2026-11-05 14:00")):
        Meeting.objects.create(
            task_force=d.tf,
            kind=MeetingKind.WORKING_GROUP,
            title="other",
            start=at(start),
            end=at(start) + datetime.timedelta(hours=1),
            timezone="America/Chicago",
            status=status,
        )
    for created, done in (
        ("2026-10-08 15:00", "2026-10-20 10:00"),
        ("2026-10-22 10:00", None),
        ("2026-09-10 10:00", "2026-10-02 10:00"),
    ):
        ActionItem.objects.create(
            task_force=d.tf,
            meeting=held[0],
            text="item",
            owner=coordinator,
            due_date=datetime.date(2026, 11, 1),
            created_at=at(created),
            status="done" if done else "open",
            done_at=at(done) if done else None,
        )
    upload = CrimeCountUpload.objects.create(task_force=d.tf, partner=d.police, months=["2026-10"], rows=2)
    CrimeCount.objects.create(task_force=d.tf, month=OCTOBER, offense=Offense.HOMICIDE, count=3, upload=upload)
    CrimeCount.objects.create(task_force=d.tf, month=OCTOBER, offense=Offense.ROBBERY, count=10, upload=upload)
    return d


def _table(numbers, metric):
    table = next(t for t in numbers["tables"] if t["metric"] == metric)
    return {row["dimension"]: row["value"] for row in table["rows"]}


def _timing(numbers, metric):
    return next(t for t in numbers["timing"] if t["metric"] == metric)


def test_every_number_of_october(district):
    numbers = metrics.compute(district.tf, OCTOBER)
    h = numbers["headline"]
    assert h["referrals_made"] == 6
    assert _table(numbers, "referrals_by_sending_partner") == {"Police": 6}
    assert _table(numbers, "referrals_by_receiving_partner") == {"Housing": 1, "Workforce": 5}
    assert _table(numbers, "referrals_by_need") == {"Housing help": 2, "Job training": 5}
    assert (h["acknowledged"], h["accepted"], h["declined"]) == (3, 2, 1)
    assert h["acceptance_rate"] == pytest.approx(0.6667)
    assert sum(_table(numbers, "decline_reasons").values()) == 1
    assert _timing(numbers, "time_to_acknowledge") == {
        "metric": "time_to_acknowledge",
        "n": 3,
        "median_business_days": 1.0,
        "median_calendar_days": 3.0,
    }
    assert _timing(numbers, "time_to_first_contact") == {
        "metric": "time_to_first_contact",
        "n": 1,
        "median_business_days": 3.0,
        "median_calendar_days": 5.0,
    }
    # 2 to 20 October: 13 business days less Columbus Day = 11 business days; 18 calendar days.
    assert _timing(numbers, "time_to_close") == {
        "metric": "time_to_close",
        "n": 1,
        "median_business_days": 11.0,
        "median_calendar_days": 18.0,
    }
    assert (h["completed"], h["closed_unsuccessful"], h["transferred"], h["withdrawn"]) == (1, 0, 1, 1)
    assert (h["open_at_month_end"], h["overdue_at_month_end"]) == (4, 2)
    assert (h["people_served"], h["people_new"], h["people_returning"]) == (4, 2, 2)
    assert h["meetings_held"] == 2
    assert _table(numbers, "meetings_by_kind")["Task force meeting"] == 1
    attendance = {row["dimension"]: row for row in numbers["attendance"]}
    assert (attendance["Police"]["invited"], attendance["Police"]["present"]) == (2, 2)
    assert (attendance["Workforce"]["absent"], attendance["Workforce"]["excused"]) == (1, 1)
    assert (h["action_items_opened"], h["action_items_closed"]) == (2, 2)
    assert h["crime_total"] == 13
    assert _table(numbers, "crime_by_offense")["Robbery"] == 10


def test_comparison_and_trend_use_the_same_definitions(district):
    numbers = metrics.compute(district.tf, OCTOBER)
    september = numbers["comparison"]["previous_month"]
    assert september["period"] == "2026-09"
    assert september["headline"]["referrals_made"] == 2  # r3 and r10
    assert september["headline"]["crime_total"] is None  # nothing reported: unknown, not zero
    last_year = numbers["comparison"]["same_month_last_year"]
    assert (last_year["period"], last_year["headline"]["referrals_made"]) == ("2025-10", 1)
    assert change_of(numbers, "referrals_made", "previous_month") == 4
    assert change_of(numbers, "crime_total", "previous_month") is None
    assert numbers["trend"]["months"][0] == "2025-11" and numbers["trend"]["months"][-1] == "2026-10"
    assert numbers["trend"]["series"]["referrals_made"][-2:] == [2, 6]


def test_an_empty_month_is_zeros_and_no_medians(district):
    numbers = metrics.compute(district.tf, datetime.date(2024, 2, 1))
    h = numbers["headline"]
    assert h["referrals_made"] == 0 and h["acknowledged"] == 0 and h["acceptance_rate"] is None
    assert all(t["n"] == 0 and t["median_business_days"] is None for t in numbers["timing"])
    assert h["open_at_month_end"] == 0 and h["people_served"] == 0


def test_a_leap_day_belongs_to_february(district):
    d = district
    d.referral("E", d.work, [d.job], submitted="2028-02-29 23:30")
    period = metrics.Period(d.tf, datetime.date(2028, 2, 1))
    assert period.end == at("2028-03-01 00:00")
    assert metrics.referrals_made(period)["headline"]["referrals_made"] == 1
    assert metrics.referrals_made(period.shifted(1))["headline"]["referrals_made"] == 0


def test_the_same_person_referred_twice_is_served_once(district):
    numbers = metrics.compute(district.tf, OCTOBER)
    # C was referred twice in October (r4 and its transfer r5) and once in September.
    assert numbers["headline"]["people_served"] == 4


def test_numbers_are_json_ready(district):
    import json

    assert json.loads(json.dumps(metrics.compute(district.tf, OCTOBER)))["meta"]["period"] == "2026-10"

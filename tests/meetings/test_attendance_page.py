"""Taking attendance on a phone (meetings:meeting_attendance): one fieldset of three radio buttons per invitee and
per invited partner, one Save button; saving records who came and the meeting as held."""

import pytest
from django.urls import reverse

from meetings.models import Attendance, Invitee, MeetingPartner, MeetingStatus
from tests.factories import MembershipFactory, UserFactory

from .support import in_days, schedule

pytestmark = pytest.mark.django_db


def url(meeting) -> str:
    return reverse("meetings:meeting_attendance", args=[meeting.pk])


def test_the_page_has_a_fieldset_of_three_choices_per_person_and_partner(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    response = client_for("coordinator").get(url(meeting))
    assert response.status_code == 200
    text = response.content.decode()
    invitees = Invitee.objects.filter(meeting=meeting)
    assert text.count('<fieldset class="attendance-row">') == invitees.count() + 1  # four people, one partner
    for invitee in invitees:
        for value in ("present", "absent", "excused"):
            assert f'name="person_{invitee.user_id}" value="{value}"' in text
    assert f'name="partner_{world.sending.pk}" value=""' in text
    assert "<legend>outsider member" in text
    assert text.count('type="submit"') == 1 + 2  # Save, plus the header's sign-out and language buttons


def test_saving_records_each_person_derives_the_partner_and_marks_the_meeting_held(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    data = {
        f"person_{world.user('sending_member').pk}": "present",
        f"person_{world.user('sending_referral_staff').pk}": "absent",
        f"person_{world.user('outsider_member').pk}": "excused",
        f"partner_{world.sending.pk}": "",
    }
    response = client_for("coordinator").post(url(meeting), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:meeting_detail", args=[meeting.pk]) + "#invited"
    marks = dict(Invitee.objects.filter(meeting=meeting).values_list("user__email", "attendance"))
    assert marks == {
        "sending.member@example.org": Attendance.PRESENT,
        "sending.referral_staff@example.org": Attendance.ABSENT,
        "sending.partner_admin@example.org": "",
        "outsider.member@example.org": Attendance.EXCUSED,
    }
    assert MeetingPartner.objects.get(meeting=meeting).attendance == Attendance.PRESENT
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    page = client_for("coordinator").get(url(meeting)).content.decode()
    member = world.user("sending_member").pk
    assert f'name="person_{member}" value="present" id="id_person_{member}_0" checked>' in page
    assert f'name="person_{member}" value="absent" id="id_person_{member}_1">' in page


def test_a_partner_can_be_marked_on_its_own(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    data = {f"partner_{world.sending.pk}": "excused"}
    assert client_for("coordinator").post(url(meeting), data).status_code == 302
    assert MeetingPartner.objects.get(meeting=meeting).attendance == Attendance.EXCUSED


def test_bad_values_are_form_errors(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    response = client_for("coordinator").post(url(meeting), {f"person_{world.user('sending_member').pk}": "asleep"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED


def test_a_meeting_far_ahead_cannot_be_recorded(world, client_for):
    meeting = schedule(world, start=in_days(5, hour=15))
    response = client_for("coordinator").post(url(meeting), {f"person_{world.user('sending_member').pk}": "present"})
    assert response.status_code == 400
    assert "from an hour before it starts" in response.content.decode()


def test_only_coordinators_take_attendance_and_not_of_a_cancelled_meeting(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    assert client_for("sending_member").get(url(meeting)).status_code == 403
    assert client_for("sending_member").post(url(meeting), {}).status_code == 403
    assert client_for("receiving_member").get(url(meeting)).status_code == 404
    assert client_for("foreign_coordinator").get(url(meeting)).status_code == 404
    cancelled = schedule(world, start=in_days(2, hour=15))
    client_for("coordinator").post(reverse("meetings:meeting_cancel", args=[cancelled.pk]), {"reason": "x"})
    assert client_for("coordinator").get(url(cancelled)).status_code == 403


def test_the_attendance_page_query_count_is_pinned(world, client_for, django_assert_num_queries):
    for n in range(15):
        user = UserFactory(email=f"extra{n}@example.org", full_name=f"Extra {n}")
        MembershipFactory(user=user, partner=world.receiving)
    meeting = schedule(world, start=in_days(-1, hour=15), partners=[world.sending, world.receiving, world.outsider])
    client = client_for("coordinator")
    client.get(url(meeting))
    # session, user, actor; the meeting; its partners, invitees, action items
    with django_assert_num_queries(7):
        response = client.get(url(meeting))
    assert (
        response.content.decode().count('class="attendance-row"') == Invitee.objects.filter(meeting=meeting).count() + 3
    )

"""The crime-count pages (/reports/crime-counts/): the upload form with its sample and every bad line of a refused
file, the uploads and counts by month, who sees what, the navigation link, pinned query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners.models import PartnerKind
from reports import crime
from reports.models import CrimeCount, CrimeCountUpload, Offense
from tests.factories import PartnerFactory
from tests.meetings.support import actor

pytestmark = pytest.mark.django_db

UPLOAD = reverse("crime:upload")
LIST = reverse("crime:list")
GOOD = "month,offense,count\n2026-08,homicide,2\n2026-08,robbery,40\n2026-09,homicide,3\n"


def _file(content: str, name: str = "counts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), "text/csv")


def _upload(world, content: str, *, key: str = "sending_referral_staff", partner=None):
    return crime.crime_counts_upload(
        actor=actor(world, key), partner=partner or world.sending, uploaded_file=_file(content)
    )


@pytest.mark.parametrize("key", ["sending_referral_staff", "sending_partner_admin", "coordinator", "site_admin"])
def test_the_police_partners_staff_and_coordinators_get_the_upload_form_with_a_sample(client_for, key):
    response = client_for(key).get(UPLOAD)

    assert response.status_code == 200
    page = response.content.decode()
    assert "month,offense,count\n2026-09,homicide,3" in page
    assert '<option value="' in page and "City Police" in page
    assert "non_fatal_shooting" in page  # the offense codes are listed


@pytest.mark.parametrize(
    "key", ["sending_member", "receiving_member", "receiving_referral_staff", "receiving_partner_admin"]
)
def test_anyone_else_is_refused_the_pages(client_for, key):
    client = client_for(key)

    assert client.get(UPLOAD).status_code == 403
    assert client.get(LIST).status_code == 403
    assert client.post(UPLOAD, {"partner": "1", "file": _file(GOOD)}).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_accepted_upload_goes_to_the_list_with_a_message(client_for, world):
    response = client_for("sending_referral_staff").post(
        UPLOAD, {"partner": world.sending.pk, "file": _file(GOOD)}, follow=True
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert "3 counts stored for 2026-08, 2026-09." in response.content.decode()
    assert CrimeCount.objects.filter(task_force=world.tf).count() == 3


def test_a_refused_file_shows_every_bad_line_next_to_the_form_and_stores_nothing(client_for, world):
    _upload(world, GOOD)
    content = "month,offense,count\n2026-08,homicide,9\n2099-01,robbery,1\n2026-08,arson,2\n"

    response = client_for("sending_referral_staff").post(UPLOAD, {"partner": world.sending.pk, "file": _file(content)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was refused (2 problems); nothing was stored:" in page
    assert "<li>Line 3: the month 2099-01 is in the future.</li>" in page
    assert "Line 4: the offense “arson” is not one of:" in page
    assert CrimeCount.objects.get(month=datetime.date(2026, 8, 1), offense="homicide").count == 2
    assert CrimeCountUpload.objects.count() == 1


def test_the_form_refuses_a_missing_file_and_a_partner_not_theirs(client_for, world):
    client = client_for("sending_referral_staff")

    assert client.post(UPLOAD, {"partner": world.sending.pk}).status_code == 400
    for partner in (world.receiving, world.foreign):
        response = client.post(UPLOAD, {"partner": partner.pk, "file": _file(GOOD)})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    assert not CrimeCountUpload.objects.exists()


def test_a_coordinator_without_a_police_partner_sees_the_page_without_a_form(client_for, world):
    world.sending.kind = PartnerKind.COMMUNITY
    world.sending.save()

    response = client_for("coordinator").get(UPLOAD)

    assert response.status_code == 200
    assert "no active law-enforcement partner" in response.content.decode()
    assert client_for("coordinator").post(UPLOAD, {"file": _file(GOOD)}).status_code == 400


def test_the_list_shows_the_counts_by_month_and_offense(client_for, world):
    _upload(world, GOOD)

    response = client_for("sending_referral_staff").get(LIST)

    table = response.context["table"]
    assert [row["month"] for row in table["rows"]] == [datetime.date(2026, 9, 1), datetime.date(2026, 8, 1)]
    homicide, robbery = Offense.values.index("homicide"), Offense.values.index("robbery")
    assert table["rows"][1]["cells"][homicide] == 2 and table["rows"][1]["cells"][robbery] == 40
    assert table["rows"][0]["cells"][robbery] is None  # not reported, not 0
    page = response.content.decode()
    assert '<th scope="row">2026-09</th>' in page and 'aria-label="not reported"' in page


def test_uploaders_see_the_uploads_of_their_partners_and_coordinators_every_one(client_for, world):
    county = PartnerFactory(task_force=world.tf, name="County Sheriff", kind=PartnerKind.LAW_ENFORCEMENT)
    ours = _upload(world, GOOD)
    theirs = _upload(world, "month,offense,count\n2026-07,rape,1\n", key="coordinator", partner=county)
    _upload(world, "month,offense,count\n2026-07,rape,2\n", key="foreign_coordinator", partner=world.foreign)

    def shown(key):
        return [upload.pk for upload in client_for(key).get(LIST).context["uploads"]]

    assert shown("sending_referral_staff") == [ours.pk]
    assert shown("coordinator") == [theirs.pk, ours.pk]
    assert len(shown("foreign_coordinator")) == 1 and ours.pk not in shown("foreign_coordinator")
    page = client_for("coordinator").get(LIST).content.decode()
    assert "sending.referral_staff@example.org" in page and "2026-08, 2026-09" in page and "County Sheriff" in page


def test_the_list_reads_a_constant_number_of_queries(client_for, world, django_assert_num_queries):
    client = client_for("sending_partner_admin")
    _upload(world, GOOD)
    client.get(LIST)  # warm the session

    def fill(start_year: int):
        for year in range(start_year, start_year + 3):
            lines = [f"{year}-{month:02d},{offense},{month}" for month in range(1, 13) for offense in Offense.values]
            _upload(world, "month,offense,count\n" + "\n".join(lines) + "\n")

    # session, user, actor's memberships (the rights are read from them); the counts; the uploads.
    with django_assert_num_queries(5):
        assert client.get(LIST).status_code == 200
    fill(2020)
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert len(response.context["uploads"]) == 4 and len(response.context["table"]["rows"]) == 24


def test_the_upload_form_reads_a_constant_number_of_queries(client_for, world, django_assert_num_queries):
    client = client_for("coordinator")
    client.get(UPLOAD)
    PartnerFactory(task_force=world.tf, name="County Sheriff", kind=PartnerKind.LAW_ENFORCEMENT)

    # session, user, actor's memberships; whether there is a partner to choose; the select's partners (its widget
    # reads its choices twice).
    with django_assert_num_queries(6):
        assert client.get(UPLOAD).status_code == 200


def test_the_navigation_links_crime_counts_for_those_who_use_them(client_for, world):
    link = f'href="{LIST}"'

    for key in ("sending_referral_staff", "sending_partner_admin", "coordinator", "site_admin"):
        assert link in client_for(key).get("/profile/").content.decode(), key
    for key in ("sending_member", "receiving_partner_admin", "outsider_referral_staff"):
        assert link not in client_for(key).get("/profile/").content.decode(), key


def test_posting_the_form_empty_is_a_400_not_the_blank_form(client_for):
    response = client_for("sending_referral_staff").post(UPLOAD, {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()

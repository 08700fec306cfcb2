"""The consent pages: recording consent (verbal, written, uploaded with a signed form checked by content and
size), revoking it after seeing the open referrals it leaves without consent, and downloading the signed form
(access-checked, audited, as an attachment, never by a public URL). Bad input writes no row and no file."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import lifecycle
from cases.consent import CONSENT_FILE_MAX_BYTES
from cases.models import Consent, Status
from psn.models import AuditEvent
from tests.factories import ConsentFactory, PartnerFactory

from .support import PDF, PNG, text, today

pytestmark = pytest.mark.django_db


def files_in(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def new_consent(person) -> str:
    return reverse("people:consent_create", args=[person.pk])


def revoke(consent) -> str:
    return reverse("people:consent_revoke", args=[consent.pk])


def download(consent) -> str:
    return reverse("people:consent_file", args=[consent.pk])


def form_data(world, **overrides) -> dict:
    data = {
        "scope": "partners",
        "partners": [world.receiving.pk],
        "shares": ["contact", "needs"],
        "method": "verbal",
        "given_on": str(today(world.tf)),
        "expires_on": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def referred(setup):
    """The setup's person with a submitted referral from the sending to the receiving partner."""
    setup.referral = setup.submitted()
    return setup


# --- Recording ----------------------------------------------------------------------------------------------


def test_staff_record_a_verbal_consent(referred, client_for):
    world, person = referred.world, referred.person
    client = client_for("receiving_referral_staff")
    assert client.get(new_consent(person)).status_code == 200
    response = client.post(new_consent(person), form_data(world))
    assert response.status_code == 302 and response["Location"] == reverse("people:person_detail", args=[person.pk])
    consent = Consent.objects.get(person=person, method="verbal", scope="partners")
    assert list(consent.partners.all()) == [world.receiving]
    assert consent.recorded_by == world.user("receiving_referral_staff")
    assert consent.recorded_by_partner == world.receiving
    assert AuditEvent.objects.filter(action="created", object_type="cases.consent", object_id=str(consent.pk)).exists()


def test_an_upload_is_stored_and_downloaded_only_through_the_checked_view(referred, client_for, media):
    world, person = referred.world, referred.person
    upload = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    client = client_for("receiving_referral_staff")
    response = client.post(new_consent(person), form_data(world, method="upload", file=upload))
    assert response.status_code == 302
    consent = Consent.objects.get(person=person, method="upload")
    assert "signed" not in consent.file.name and "Quintero" not in consent.file.name
    page = text(client.get(reverse("people:person_detail", args=[person.pk])))
    assert download(consent) in page and "/media/" not in page

    got = client_for("sending_member").get(download(consent))  # anyone who reads the person
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"] == f'attachment; filename="consent-{consent.pk}.pdf"'
    assert got["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(
        action="viewed", object_type="cases.consent", object_id=str(consent.pk), actor=world.user("sending_member")
    ).exists()


@pytest.mark.parametrize("key", ["outsider_partner_admin", "coordinator", "foreign_coordinator"])
def test_the_signed_form_is_a_404_for_who_may_not_read_the_person(referred, client_for, key):
    consent = ConsentFactory(person=referred.person, method="upload")
    consent.file.save("x", SimpleUploadedFile("x.png", PNG), save=True)
    assert client_for(key).get(download(consent)).status_code == 404
    assert not AuditEvent.objects.filter(action="viewed", object_type="cases.consent").exists()


def test_a_consent_without_a_file_has_no_download(referred, client_for):
    consent = Consent.objects.get(person=referred.person)
    assert client_for("receiving_member").get(download(consent)).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"method": "upload"}, "file"),  # no file
        ({"method": "upload", "file": SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>")}, "file"),
        ({"method": "upload", "file": SimpleUploadedFile("a.png", b"")}, "file"),
        ({"given_on": "2999-01-01"}, "given_on"),
        ({"given_on": "2024-02-30"}, "given_on"),
        ({"given_on": "soon"}, "given_on"),
        ({"given_on": "2024-05-01", "expires_on": "2024-04-01"}, "expires_on"),
        ({"scope": "partners", "partners": []}, "partners"),
        ({"scope": "everyone"}, "scope"),
        ({"shares": ["secrets"]}, "shares"),
        ({"shares": []}, "shares"),
        ({"method": "telepathy"}, "method"),
        ({"partners": ["abc"]}, "partners"),
    ],
)
def test_bad_consent_input_is_a_form_error_and_writes_nothing(referred, client_for, media, overrides, field):
    before = Consent.objects.count()
    data = form_data(referred.world, **overrides)
    response = client_for("receiving_referral_staff").post(new_consent(referred.person), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert Consent.objects.count() == before
    assert files_in(media) == []


def test_an_oversized_form_is_refused_and_leaves_no_file(referred, client_for, media):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * CONSENT_FILE_MAX_BYTES)
    data = form_data(referred.world, method="upload", file=big)
    response = client_for("receiving_referral_staff").post(new_consent(referred.person), data)
    assert response.status_code == 400
    assert "5 MB" in str(response.context["form"].errors["file"])
    assert Consent.objects.count() == 1 and files_in(media) == []


def test_a_partner_of_another_task_force_is_not_a_choice(referred, client_for):
    data = form_data(referred.world, partners=[referred.world.foreign.pk])
    response = client_for("receiving_referral_staff").post(new_consent(referred.person), data)
    assert response.status_code == 400 and "partners" in response.context["form"].errors


@pytest.mark.parametrize("key", ["receiving_member", "sending_member"])
def test_members_may_not_record_consent(referred, client_for, key):
    client = client_for(key)
    assert client.get(new_consent(referred.person)).status_code == 403
    assert client.post(new_consent(referred.person), form_data(referred.world)).status_code == 403
    assert Consent.objects.count() == 1


def test_consent_for_someone_one_may_not_read_is_a_404(referred, client_for):
    response = client_for("outsider_referral_staff").post(new_consent(referred.person), form_data(referred.world))
    assert response.status_code == 404
    assert Consent.objects.count() == 1


# --- Revoking -----------------------------------------------------------------------------------------------


def test_revoking_shows_the_open_referrals_it_affects_then_revokes(referred, client_for):
    world = referred.world
    consent = Consent.objects.get(person=referred.person)
    # An open referral of the same person between partners the receiving staff are not in: counted, not named.
    elsewhere = PartnerFactory(task_force=world.tf, name="Elsewhere Clinic")
    outsider = "outsider_referral_staff"
    draft = referred.draft(outsider, sending_partner=world.outsider, receiving_partner=elsewhere)
    hidden = lifecycle.referral_submit(actor=referred.actor(outsider), referral=draft)
    client = client_for("receiving_referral_staff")
    page = client.get(revoke(consent))
    assert page.status_code == 200
    body = text(page)
    assert referred.referral.reference in body
    assert hidden.reference not in body and "1 more between other partners" in body

    response = client.post(revoke(consent), {"reason": "  Withdrew   on the phone "})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoke_reason == "Withdrew on the phone"
    assert consent.revoked_by == world.user("receiving_referral_staff")
    follow = client.get(response["Location"])
    assert referred.referral.reference in text(follow)  # the message names the referral left without consent


def test_a_revocation_needs_a_reason_and_happens_once(referred, client_for):
    consent = Consent.objects.get(person=referred.person)
    client = client_for("receiving_referral_staff")
    for reason in ("", "   ", "x" * 301):
        response = client.post(revoke(consent), {"reason": reason})
        assert response.status_code == 400 and "reason" in response.context["form"].errors
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert client.post(revoke(consent), {"reason": "Asked"}).status_code == 302
    again = client.post(revoke(consent), {"reason": "Asked twice"})
    assert again.status_code == 400 and "already revoked" in text(again)
    consent.refresh_from_db()
    assert consent.revoke_reason == "Asked"


def test_an_expired_consent_affects_no_referral(referred, client_for):
    world = referred.world
    Consent.objects.filter(person=referred.person).update(
        given_on=today(world.tf) - datetime.timedelta(days=100), expires_on=today(world.tf) - datetime.timedelta(1)
    )
    consent = Consent.objects.get(person=referred.person)
    ConsentFactory(person=referred.person)  # the one in force now: the referral stays covered
    page = client_for("receiving_referral_staff").get(revoke(consent))
    assert page.context["affected"].visible == [] and page.context["affected"].hidden == 0


@pytest.mark.parametrize(("key", "status"), [("receiving_member", 403), ("outsider_partner_admin", 404)])
def test_who_may_not_revoke(referred, client_for, key, status):
    consent = Consent.objects.get(person=referred.person)
    client = client_for(key)
    assert client.get(revoke(consent)).status_code == status
    assert client.post(revoke(consent), {"reason": "No"}).status_code == status
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_the_referral_still_open_is_not_changed_by_a_revocation(referred, client_for):
    consent = Consent.objects.get(person=referred.person)
    client_for("receiving_referral_staff").post(revoke(consent), {"reason": "Asked"})
    referred.referral.refresh_from_db()
    assert referred.referral.status == Status.SUBMITTED

"""Consent: who records it, what is checked (dates, partners, the uploaded form by content), when it is valid
for a partner, and revoking it with the open referrals it leaves without consent."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.utils import timezone

from cases.consent import (
    CONSENT_FILE_MAX_BYTES,
    consent_affected_referrals,
    consent_record,
    consent_revoke,
    has_valid_consent,
    needs_consent,
)
from cases.models import Consent, Status
from partners.models import PartnerKind
from psn import access
from psn.models import AuditEvent
from tests.conftest import build_world
from tests.factories import ConsentFactory, PartnerFactory, PersonFactory, ReferralFactory
from tests.partners.members_support import actor_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def today(world) -> datetime.date:
    return timezone.localdate(timezone=world.tf.tzinfo)


def record(world, key="receiving_referral_staff", **overrides) -> Consent:
    arguments = {
        "person": overrides.pop("person", None) or PersonFactory(task_force=world.tf),
        "scope": "partners",
        "partners": [world.receiving],
        "shares": ["contact", "needs"],
        "method": "verbal",
        "given_on": today(world),
    }
    arguments.update(overrides)
    return consent_record(actor=actor_of(world, key), **arguments)


# --- Recording ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["receiving_referral_staff", "sending_partner_admin", "coordinator"])
def test_staff_admins_and_coordinators_record_consent(world, key):
    consent = record(world, key)
    assert consent.task_force == world.tf
    assert consent.recorded_by == world.user(key)
    assert list(consent.partners.all()) == [world.receiving]
    event = AuditEvent.objects.get(action="created", object_type="cases.consent", object_id=str(consent.pk))
    assert event.changes["scope"] == [None, "partners"]


def test_the_recording_partner_is_the_staff_members_partner(world):
    assert record(world, "receiving_referral_staff").recorded_by_partner == world.receiving


@pytest.mark.parametrize("key", ["receiving_member", "sending_member"])
def test_members_do_not_record_consent(world, key):
    with pytest.raises(PermissionDenied):
        record(world, key)
    assert not Consent.objects.exists()


def test_another_task_forces_person_does_not_exist(world):
    with pytest.raises(Http404):
        record(world, "foreign_referral_staff", partners=[world.foreign])


def test_partners_must_belong_to_the_task_force(world):
    with pytest.raises(ValidationError) as error:
        record(world, partners=[world.receiving, world.foreign])
    assert "partners" in error.value.message_dict
    assert not Consent.objects.exists()


def test_scope_and_partners_must_agree(world):
    with pytest.raises(ValidationError):
        record(world, partners=[])
    with pytest.raises(ValidationError):
        record(world, scope="task_force", partners=[world.receiving])
    assert record(world, scope="task_force", partners=[]).scope == "task_force"


def test_dates_are_checked(world):
    with pytest.raises(ValidationError) as error:
        record(world, given_on=today(world) + datetime.timedelta(days=1))
    assert "given_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record(world, given_on=today(world), expires_on=today(world) - datetime.timedelta(days=1))
    assert "expires_on" in error.value.message_dict
    assert record(world, expires_on=today(world)).expires_on == today(world)


def test_shares_and_method_must_be_known(world):
    with pytest.raises(ValidationError):
        record(world, shares=[])
    with pytest.raises(ValidationError):
        record(world, shares=["everything"])
    with pytest.raises(ValidationError):
        record(world, method="telepathy")


def test_a_merged_away_person_takes_no_consent(world):
    keep = PersonFactory(task_force=world.tf)
    with pytest.raises(Http404):
        record(world, person=PersonFactory(task_force=world.tf, merged_into=keep))


# --- The uploaded form -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "name"), [(PDF, "form.pdf"), (PNG, "scan.png"), (JPEG, "photo.jpg")])
def test_an_upload_is_stored_under_a_non_guessable_name(world, media, content, name):
    person = PersonFactory(task_force=world.tf, given_name="Keisha", family_name="Ward")
    consent = record(world, person=person, method="upload", file=SimpleUploadedFile(name, content))
    assert consent.file.name.startswith(f"consents/{world.tf.pk}/")
    assert "ward" not in consent.file.name.lower() and name not in consent.file.name
    assert len(consent.file.name.rsplit("/", 1)[1]) == 32
    with consent.file.open("rb") as stored:
        assert stored.read() == content


def test_upload_needs_a_file(world):
    with pytest.raises(ValidationError) as error:
        record(world, method="upload")
    assert "file" in error.value.message_dict


def test_a_text_file_named_pdf_is_refused_and_nothing_is_written(world, media):
    fake = SimpleUploadedFile("form.pdf", b"just some text, not a PDF at all", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        record(world, method="upload", file=fake)
    assert "file" in error.value.message_dict
    assert not Consent.objects.exists()
    assert stored_files(media) == []


def test_an_oversized_file_is_refused_and_nothing_is_written(world, media):
    big = SimpleUploadedFile("form.pdf", PDF + b"0" * CONSENT_FILE_MAX_BYTES)
    with pytest.raises(ValidationError) as error:
        record(world, method="upload", file=big)
    assert "5 MB" in error.value.message_dict["file"][0]
    assert not Consent.objects.exists()
    assert stored_files(media) == []


def test_a_refusal_for_another_reason_writes_no_file_either(world, media):
    with pytest.raises(ValidationError):
        record(
            world,
            method="upload",
            file=SimpleUploadedFile("f.pdf", PDF),
            given_on=today(world) + datetime.timedelta(days=3),
        )
    assert stored_files(media) == []


# --- Validity --------------------------------------------------------------------------------------------


def test_validity_windows(world):
    person = PersonFactory(task_force=world.tf)
    day = today(world)
    ConsentFactory(
        person=person,
        scope="partners",
        partners=[world.receiving],
        given_on=day - datetime.timedelta(days=30),
        expires_on=day - datetime.timedelta(days=1),
    )
    assert not has_valid_consent(person=person, partner=world.receiving)  # expired yesterday
    assert has_valid_consent(person=person, partner=world.receiving, on=day - datetime.timedelta(days=2))
    ConsentFactory(person=person, scope="partners", partners=[world.receiving], given_on=day + datetime.timedelta(1))
    assert not has_valid_consent(person=person, partner=world.receiving)  # not given yet
    current = ConsentFactory(
        person=person, scope="partners", partners=[world.receiving], given_on=day, recorded_by_partner=world.receiving
    )
    assert has_valid_consent(person=person, partner=world.receiving)
    assert not has_valid_consent(person=person, partner=world.outsider)  # named partners only
    consent_revoke(actor=actor_of(world, "receiving_referral_staff"), consent=current, reason="asked us to stop")
    assert not has_valid_consent(person=person, partner=world.receiving)


def test_task_force_scope_covers_every_partner_but_not_another_persons(world):
    person, other = PersonFactory(task_force=world.tf), PersonFactory(task_force=world.tf)
    ConsentFactory(person=person, scope="task_force")
    assert has_valid_consent(person=person, partner=world.receiving)
    assert has_valid_consent(person=person, partner=world.outsider)
    assert not has_valid_consent(person=other, partner=world.receiving)


@pytest.mark.parametrize("kind", [PartnerKind.LAW_ENFORCEMENT, PartnerKind.PROSECUTION, PartnerKind.GOVERNMENT])
def test_a_government_partner_needs_no_consent(world, kind):
    partner = PartnerFactory(task_force=world.tf, kind=kind)
    assert not needs_consent(partner)
    assert has_valid_consent(person=PersonFactory(task_force=world.tf), partner=partner)


# --- Revoking ------------------------------------------------------------------------------------------


def referral_to(world, person, partner, status=Status.SUBMITTED):
    return ReferralFactory(sending_partner=world.sending, receiving_partner=partner, person=person, status=status)


def test_revoking_lists_the_open_referrals_left_without_consent(world):
    person = PersonFactory(task_force=world.tf)
    consent = ConsentFactory(person=person, scope="partners", partners=[world.receiving, world.outsider])
    to_receiving = referral_to(world, person, world.receiving)
    in_progress = referral_to(world, person, world.outsider, Status.IN_PROGRESS)
    referral_to(world, person, world.receiving, Status.COMPLETED)  # closed: unaffected
    to_police = ReferralFactory(sending_partner=world.receiving, receiving_partner=world.sending, person=person)
    assert to_police.receiving_partner.kind == PartnerKind.LAW_ENFORCEMENT  # government: unaffected
    referral_to(world, PersonFactory(task_force=world.tf), world.receiving)  # someone else: unaffected

    assert consent_affected_referrals(consent=consent) == [to_receiving, in_progress]
    affected = consent_revoke(actor=actor_of(world, "sending_referral_staff"), consent=consent, reason=" withdrew ")
    assert affected == [to_receiving, in_progress]
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert consent.revoked_by == world.user("sending_referral_staff")
    assert consent.revoke_reason == "withdrew"
    event = AuditEvent.objects.get(action="changed", object_type="cases.consent", object_id=str(consent.pk))
    assert event.changes["affected_referrals"][1] == f"{to_receiving.reference}, {in_progress.reference}"


def test_another_valid_consent_keeps_a_referral_covered(world):
    person = PersonFactory(task_force=world.tf)
    consent = ConsentFactory(person=person, scope="task_force")
    ConsentFactory(person=person, scope="partners", partners=[world.receiving])
    referral_to(world, person, world.receiving)
    on_outsider = referral_to(world, person, world.outsider)
    assert consent_affected_referrals(consent=consent) == [on_outsider]


def test_revoke_refusals(world):
    consent = ConsentFactory(person=PersonFactory(task_force=world.tf), recorded_by_partner=world.receiving)
    with pytest.raises(PermissionDenied):
        consent_revoke(actor=actor_of(world, "receiving_member"), consent=consent, reason="x")
    with pytest.raises(Http404):
        consent_revoke(actor=actor_of(world, "foreign_coordinator"), consent=consent, reason="x")
    with pytest.raises(ValidationError):
        consent_revoke(actor=actor_of(world, "receiving_referral_staff"), consent=consent, reason="   ")
    consent_revoke(actor=actor_of(world, "receiving_referral_staff"), consent=consent, reason="asked")
    with pytest.raises(ValidationError):
        consent_revoke(actor=actor_of(world, "receiving_partner_admin"), consent=consent, reason="again")
    assert AuditEvent.objects.filter(action="changed", object_type="cases.consent").count() == 1


@pytest.mark.parametrize("key", ["outsider_referral_staff", "coordinator"])
def test_only_those_who_see_the_person_revoke(world, key):
    """The person is no one the outsider's partner or the coordinator works with: for them it does not exist."""
    consent = ConsentFactory(person=PersonFactory(task_force=world.tf), recorded_by_partner=world.receiving)
    with pytest.raises(Http404):
        consent_revoke(actor=actor_of(world, key), consent=consent, reason="asked")
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_a_party_to_the_persons_referral_revokes(world):
    person = PersonFactory(task_force=world.tf)
    consent = ConsentFactory(person=person, recorded_by_partner=world.receiving)
    referral_to(world, person, world.receiving)
    consent_revoke(actor=actor_of(world, "sending_referral_staff"), consent=consent, reason="told the officer")
    consent.refresh_from_db()
    assert consent.revoked_by == world.user("sending_referral_staff")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_revocations_record_one():
    world = build_world()
    consent = ConsentFactory(person=PersonFactory(task_force=world.tf), recorded_by_partner=world.receiving)
    start = threading.Barrier(2)
    outcomes = []

    def revoke(key):
        try:
            actor = access.actor_for(world.user(key), remembered_id=world.tf.pk)
            start.wait()
            consent_revoke(actor=actor, consent=consent, reason=f"asked {key}")
            outcomes.append("revoked")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=revoke, args=(k,)) for k in ("receiving_referral_staff", "receiving_partner_admin")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["This consent was already revoked.", "revoked"]
    assert AuditEvent.objects.filter(action="changed", object_type="cases.consent").count() == 1

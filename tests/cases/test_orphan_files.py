"""Files written for an attachment or a consent whose transaction later rolled back are left in storage with no
row; the daily task removes them once they are a day old, and only them (issue 5, attachments)."""

import datetime
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from cases import attachments, consent, tasks
from cases.models import Attachment, Consent, ConsentMethod, ConsentScope

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class LaterFailure(Exception):
    """Something after the service, in the caller's transaction, that fails."""


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored(media) -> set[str]:
    return {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()} if media.exists() else set()


def age(media, name: str, days: float) -> None:
    then = (timezone.now() - datetime.timedelta(days=days)).timestamp()
    os.utime(media / name, (then, then))


def attach(setup, referral):
    return attachments.attachment_add(
        actor=setup.actor("receiving_member"),
        referral=referral,
        uploaded_file=SimpleUploadedFile("plan.pdf", PDF),
        visibility="shared",
    )


def record_consent(setup):
    return consent.consent_record(
        actor=setup.actor("receiving_referral_staff"),
        person=setup.person,
        scope=ConsentScope.TASK_FORCE,
        partners=[],
        shares=["contact"],
        method=ConsentMethod.UPLOAD,
        given_on=timezone.localdate(timezone=setup.world.tf.tzinfo),  # the task force's today, not UTC's
        file=SimpleUploadedFile("form.pdf", PDF),
    )


@pytest.mark.django_db(transaction=True)
def test_files_of_rolled_back_transactions_are_removed_once_a_day_old(setup, media):
    referral = setup.accepted()
    with pytest.raises(LaterFailure), transaction.atomic():
        attach(setup, referral)
        record_consent(setup)
        raise LaterFailure
    orphans = stored(media)
    # The rollback took the rows, not the files: this is what the task is for.
    assert not Attachment.objects.exists() and not Consent.objects.filter(method=ConsentMethod.UPLOAD).exists()
    assert {name.split("/")[0] for name in orphans} == {"attachments", "consents"} and len(orphans) == 2

    assert tasks.storage_orphans_delete() == 0  # fresh: their transaction might still have been running
    assert stored(media) == orphans

    for name in orphans:
        age(media, name, days=2)
    assert tasks.storage_orphans_delete() == 2
    assert stored(media) == set()
    assert tasks.storage_orphans_delete() == 0


@pytest.mark.django_db
def test_files_with_a_row_and_files_elsewhere_are_kept_however_old(setup, media):
    referral = setup.accepted()
    kept_attachment = attach(setup, referral)
    kept_consent = record_consent(setup)
    other = default_storage.save("logos/partner.png", SimpleUploadedFile("partner.png", b"\x89PNG"))
    with pytest.raises(LaterFailure), transaction.atomic():
        attach(setup, referral)
        raise LaterFailure
    (orphan,) = stored(media) - {kept_attachment.file.name, kept_consent.file.name, other}
    for name in stored(media):
        age(media, name, days=30)

    assert attachments.storage_orphans_delete() == [orphan]

    assert stored(media) == {kept_attachment.file.name, kept_consent.file.name, other}
    assert Attachment.objects.get().file.name == kept_attachment.file.name


@pytest.mark.django_db
def test_nothing_stored_yet_is_nothing_to_do(media):
    assert attachments.storage_orphans_delete() == []


def test_the_task_is_scheduled_daily(settings):
    schedule = [
        entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == tasks.storage_orphans_delete.name
    ]
    assert schedule and schedule[0]["schedule"] == datetime.timedelta(hours=24)

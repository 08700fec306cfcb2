"""Building extracts: pseudonyms, no identifying text anywhere, k-anonymity and its suppression, neighborhoods,
date shifting, an idempotent task."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases import lifecycle, notes
from cases.models import NoteVisibility, ReasonCode, Status
from partners.models import Language
from research import extract as builder
from research.models import ExtractStatus, ResearchExtract
from research.tasks import build_extract
from tests.cases.support import build_setup
from tests.factories import ConsentFactory, PersonFactory, ReferralFactory

from .support import actor, extract, files_of, grant, research_partner, rows_of

SUBMITTED = datetime.datetime(2024, 5, 6, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _people(world, specs, needs=()):
    """specs: (date of birth, neighborhood, language code or None) per person; each gets one submitted referral."""
    made = []
    for born, neighborhood, code in specs:
        language = Language.objects.get_or_create(code=code, defaults={"name": code})[0] if code else None
        person = PersonFactory(
            task_force=world.tf, date_of_birth=born, neighborhood=neighborhood, preferred_language=language
        )
        referral = ReferralFactory(
            sending_partner=world.sending,
            receiving_partner=world.receiving,
            person=person,
            status=Status.SUBMITTED,
            needs=list(needs),
        )
        referral.submitted_at = SUBMITTED
        referral.save()
        made.append(person)
    return made


ADULT = datetime.date(1995, 6, 1)  # 25-34 at any period end from 2020 to 2029


# --- k-anonymity on hand-built data ---------------------------------------------------------------------------


def test_k_is_the_smallest_class():
    people = dict.fromkeys(range(5), ("18-24", "Westport", "en"))
    people |= dict.fromkeys(range(5, 10), ("25-34", "Westport", "en"))
    people |= dict.fromkeys(range(10, 17), ("45+", "", "unknown"))

    result = builder.anonymize(people, suppress=False)

    assert (result.k, result.refused, result.small_classes) == (5, False, [])


def test_a_class_of_two_is_refused_by_size_only():
    people = dict.fromkeys(range(7), ("25-34", "Westport", "en")) | {7: ("<18", "", "es"), 8: ("<18", "", "es")}

    result = builder.anonymize(people, suppress=False)

    assert (result.k, result.refused, result.small_classes) == (2, True, [2])


def test_suppression_stars_the_small_classes_and_unlinks_a_star_group_below_five():
    people = dict.fromkeys(range(7), ("25-34", "Westport", "en")) | {7: ("<18", "", "es"), 8: ("<18", "", "es")}

    result = builder.anonymize(people, suppress=True)

    assert not result.refused
    assert result.qis[7] == result.qis[8] == ("*", "*", "*")
    assert (result.suppressed_people, result.unlinked, result.k) == (2, {7, 8}, 7)


def test_a_star_group_of_five_or_more_stays_linked():
    people = dict.fromkeys(range(5), ("25-34", "Westport", "en")) | {pk: ("<18", "", f"l{pk}") for pk in range(5, 11)}

    result = builder.anonymize(people, suppress=True)

    assert (result.suppressed_people, result.unlinked, result.k) == (6, set(), 5)


def test_neighborhoods_shared_by_fewer_than_five_are_blanked():
    neighborhoods = dict.fromkeys(range(5), "Westport") | {5: "Hyde Park", 6: "Hyde Park", 7: ""}

    assert builder.blank_rare_neighborhoods(neighborhoods) == dict.fromkeys(range(5), "Westport") | {
        5: "",
        6: "",
        7: "",
    }


def test_age_bands_at_the_period_end():
    end = datetime.date(2024, 12, 31)
    assert [
        builder.age_band(datetime.date(y, 12, 31), end) for y in (2007, 2006, 2000, 1999, 1990, 1989, 1980, 1979)
    ] == ["<18", "18-24", "18-24", "25-34", "25-34", "35-44", "35-44", "45+"]
    assert builder.age_band(None, end) == "unknown"


# --- built extracts -------------------------------------------------------------------------------------------


def test_a_refused_extract_stores_no_file_and_says_which_classes(world, media, django_capture_on_commit_callbacks):
    partner = research_partner(world)
    _people(world, [(ADULT, "Westport", "en")] * 5 + [(datetime.date(2010, 1, 1), "", "es")] * 2)

    made = extract(world, grant(world, partner), django_capture_on_commit_callbacks)

    assert (made.status, made.k, made.small_classes, bool(made.file)) == (ExtractStatus.REFUSED, 2, [2], False)


def test_with_suppression_it_is_released_and_the_manifest_states_it(world, media, django_capture_on_commit_callbacks):
    partner = research_partner(world)
    _people(world, [(ADULT, "Westport", "en")] * 5 + [(datetime.date(2010, 1, 1), "", "es")] * 2)

    made = extract(world, grant(world, partner), django_capture_on_commit_callbacks, suppress=True)

    assert (made.status, made.k, made.suppressed_people, made.suppressed_cells, made.unlinked_people) == (
        ExtractStatus.DONE,
        5,
        2,
        6,
        2,
    )
    files = files_of(made)
    import json

    manifest = json.loads(files["manifest.json"])
    assert manifest["k"] == 5 and manifest["quasi_identifiers"] == ["age_band", "neighborhood", "language"]
    assert manifest["suppression"] == {
        "groups_below_threshold": [2],
        "people_suppressed": 2,
        "cells_suppressed": 6,
        "people_unlinked": 2,
    }
    assert b"'*'" in files["README.txt"] and b"fewer than 5" in files["data_dictionary.csv"]
    referrals = rows_of(files["referrals.csv"])
    starred = [row for row in referrals if row["age_band"] == "*"]
    assert len(starred) == 2 and all(row["person"] == "" and row["neighborhood"] == "*" for row in starred)
    assert {row["neighborhood"] for row in referrals} == {"Westport", "*"}


def test_a_neighborhood_of_fewer_than_five_people_is_blank_in_the_files(
    world, media, django_capture_on_commit_callbacks
):
    partner = research_partner(world)
    _people(world, [(ADULT, "Westport", None)] * 5 + [(ADULT, "Hyde Park", None)] * 3 + [(ADULT, "", None)] * 2)

    made = extract(world, grant(world, partner), django_capture_on_commit_callbacks)

    assert made.status == ExtractStatus.DONE and made.k == 5
    neighborhoods = [row["neighborhood"] for row in rows_of(files_of(made)["referrals.csv"])]
    assert sorted(neighborhoods) == [""] * 5 + ["Westport"] * 5
    assert b"Hyde Park" not in b"".join(files_of(made).values())


def _persons_column(made) -> dict[str, str]:
    return {row["referral"]: row["person"] for row in rows_of(files_of(made)["referrals.csv"])}


def test_pseudonyms_differ_across_extracts_and_match_with_a_stable_key(
    world, media, django_capture_on_commit_callbacks
):
    partner = research_partner(world)
    people = _people(world, [(ADULT, "Westport", "en")] * 5)
    the_grant = grant(world, partner)

    first, second = (extract(world, the_grant, django_capture_on_commit_callbacks) for _ in range(2))
    stable_a, stable_b = (
        extract(world, the_grant, django_capture_on_commit_callbacks, stable_key=True) for _ in range(2)
    )

    def pseudonyms(made):
        return {row["person"] for row in rows_of(files_of(made)["referrals.csv"])}

    assert len(pseudonyms(first)) == 5 and all(len(p) == 16 for p in pseudonyms(first))
    assert pseudonyms(first).isdisjoint(pseudonyms(second))
    assert pseudonyms(stable_a) == pseudonyms(stable_b)
    assert pseudonyms(stable_a).isdisjoint(pseudonyms(first))
    secret = bytes(the_grant.secret)
    assert pseudonyms(stable_a) == {builder.keyed_hash(secret, "person", person.pk) for person in people}


def test_dates_are_not_shifted_by_default_and_shift_consistently_per_person(
    world, media, django_capture_on_commit_callbacks
):
    partner = research_partner(world)
    setup = build_setup(world)
    ConsentFactory(person=setup.person)
    for _ in range(5):  # five referrals of one person, each with its own transitions
        lifecycle.referral_accept(actor=setup.actor("receiving_referral_staff"), referral=setup.submitted())
    the_grant = grant(world, partner)
    today = timezone.localdate(timezone=world.tf.tzinfo).isoformat()

    plain = extract(world, the_grant, django_capture_on_commit_callbacks, suppress=True)
    shifted = extract(world, the_grant, django_capture_on_commit_callbacks, suppress=True, shift_dates=True)

    plain_files, shifted_files = files_of(plain), files_of(shifted)
    assert {row["submitted_on"] for row in rows_of(plain_files["referrals.csv"])} == {today}
    assert {row["on"] for row in rows_of(plain_files["transitions.csv"])} == {today}
    shifted_days = {row["submitted_on"] for row in rows_of(shifted_files["referrals.csv"])}
    shifted_days |= {row["on"] for row in rows_of(shifted_files["transitions.csv"])}
    shifted_days |= {row["acknowledged_on"] for row in rows_of(shifted_files["referrals.csv"])}
    assert len(shifted_days) == 1  # every date of the person moved by the same offset
    offset = builder.date_offset(bytes(shifted.secret), setup.person.pk)
    expected = datetime.date.fromisoformat(today) + datetime.timedelta(days=offset)
    assert shifted_days == {expected.isoformat()}
    assert -30 <= offset <= 30


DISTINCT = {
    "given": "Zebulon",
    "family": "Quartermaine-Oyelaran",
    "alias": "Slim Jubilee",
    "phone": "(816) 555-0193",
    "note": "ZZnote: lives with aunt at 4411 Troost",
    "reason": "ZZreason: asked by his probation officer",
    "decline": "ZZdecline: no beds until spring",
}


def test_no_name_phone_birth_date_or_free_text_appears_in_any_byte(world, media, django_capture_on_commit_callbacks):
    partner = research_partner(world)
    setup = build_setup(world)
    births = []
    for n in range(6):
        born = datetime.date(1991, 2, 10 + n)
        births.append(born)
        person = PersonFactory(
            task_force=world.tf,
            given_name=f"{DISTINCT['given']}{n}",
            family_name=DISTINCT["family"],
            aliases=DISTINCT["alias"],
            phone=DISTINCT["phone"],
            date_of_birth=born,
            neighborhood="Westport",
        )
        ConsentFactory(person=person)
        referral = setup.submitted(person=person, reason=DISTINCT["reason"])
        notes.note_add(
            actor=setup.actor("sending_referral_staff"),
            referral=referral,
            body=DISTINCT["note"],
            visibility=NoteVisibility.SHARED,
        )
        code = ReasonCode.objects.filter(task_force=world.tf, kind="decline").first()
        lifecycle.referral_decline(
            actor=setup.actor("receiving_referral_staff"), referral=referral, reason=code, text=DISTINCT["decline"]
        )

    made = extract(world, grant(world, partner), django_capture_on_commit_callbacks, suppress=True)

    assert made.status == ExtractStatus.DONE and made.k == 6
    files = files_of(made)
    assert set(files) == {
        "referrals.csv",
        "transitions.csv",
        "needs.csv",
        "outcomes.csv",
        "meetings.csv",
        "attendance.csv",
        "crime_counts.csv",
        "data_dictionary.csv",
        "manifest.json",
        "README.txt",
    }
    with made.file.open("rb") as handle:
        everything = [handle.read().lower(), *(content.lower() for content in files.values())]
    forbidden = [*DISTINCT.values(), "5550193", "555-0193", "Quartermaine", "Zebulon"]
    for born in births:
        forbidden += [born.isoformat(), born.strftime("%m/%d/%Y"), born.strftime("%Y%m%d")]
    for value in forbidden:
        for blob in everything:
            assert value.lower().encode() not in blob, value
    assert len(rows_of(files["transitions.csv"])) == 18 and len(rows_of(files["outcomes.csv"])) == 6
    assert all(
        row["reason_code"] == code.code for row in rows_of(files["transitions.csv"]) if row["to_status"] == "declined"
    )
    dictionary = rows_of(files["data_dictionary.csv"])
    for name in (
        "referrals.csv",
        "transitions.csv",
        "needs.csv",
        "outcomes.csv",
        "meetings.csv",
        "attendance.csv",
        "crime_counts.csv",
    ):
        header = files[name].decode().splitlines()[0].split(",")
        assert header == [row["column"] for row in dictionary if row["file"] == name]


def test_the_task_run_twice_builds_one_file(world, media, django_capture_on_commit_callbacks):
    partner = research_partner(world)
    _people(world, [(ADULT, "Westport", "en")] * 5)
    with django_capture_on_commit_callbacks(execute=False):
        from research import services

        made = services.extract_request(actor=actor(world), grant=grant(world, partner))

    assert build_extract.apply(args=[made.pk]).get() is True
    assert build_extract.apply(args=[made.pk]).get() is False

    made.refresh_from_db()
    assert made.status == ExtractStatus.DONE and made.attempts == 1
    stored = list((media / "research" / str(world.tf.pk)).iterdir())
    assert [path.name for path in stored] == [made.file.name.rsplit("/", 1)[1]]
    assert ResearchExtract.objects.count() == 1


def test_lost_builds_are_queued_again_or_failed_with_the_reason(world, media, django_capture_on_commit_callbacks):
    from research import services

    partner = research_partner(world)
    _people(world, [(ADULT, "Westport", "en")] * 5)
    with django_capture_on_commit_callbacks(execute=False):
        made = [services.extract_request(actor=actor(world), grant=grant(world, partner)) for _ in range(4)]
    lost, exhausted, fresh, waiting = (m.pk for m in made)
    now = timezone.now()
    old = now - services.STALE_AFTER - datetime.timedelta(minutes=1)
    ResearchExtract.objects.filter(pk=lost).update(status=ExtractStatus.RUNNING, started_at=old, attempts=1)
    ResearchExtract.objects.filter(pk=exhausted).update(
        status=ExtractStatus.RUNNING, started_at=old, attempts=services.MAX_ATTEMPTS
    )
    ResearchExtract.objects.filter(pk=fresh).update(status=ExtractStatus.RUNNING, started_at=now, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.extracts_recover_stale(now=now)

    assert result == {"queued": [lost], "failed": [exhausted]}  # ``waiting`` was queued a moment ago: left alone
    gave_up = ResearchExtract.objects.get(pk=exhausted)
    assert gave_up.status == ExtractStatus.FAILED and "worker was lost" in gave_up.error
    taken_over = ResearchExtract.objects.get(pk=lost)
    assert taken_over.status == ExtractStatus.DONE and taken_over.attempts == 2 and taken_over.file
    assert ResearchExtract.objects.get(pk=fresh).status == ExtractStatus.RUNNING
    assert ResearchExtract.objects.get(pk=waiting).status == ExtractStatus.QUEUED
    assert services.extracts_recover_stale(now=now) == {"queued": [], "failed": []}


def test_a_zip_and_its_key_go_30_days_after_the_grant_ended_or_was_revoked(
    world, media, django_capture_on_commit_callbacks
):
    from research import services

    partner = research_partner(world)
    _people(world, [(ADULT, "Westport", "en")] * 5)
    ending = grant(world, partner)
    revoked = grant(world, partner)
    kept = grant(world, partner)
    made = {
        name: extract(world, g, django_capture_on_commit_callbacks)
        for name, g in (("ending", ending), ("revoked", revoked), ("kept", kept))
    }
    assert all(m.status == ExtractStatus.DONE and m.file for m in made.values())
    services.grant_revoke(actor=actor(world), grant=revoked)
    stored = {name: m.file.name for name, m in made.items()}
    now = timezone.now()
    ResearchGrant = type(ending)
    ResearchGrant.objects.filter(pk=ending.pk).update(valid_until=(now - datetime.timedelta(days=31)).date())

    with django_capture_on_commit_callbacks(execute=True):  # the files go once the change commits
        assert services.extracts_files_expire(now=now) == [made["ending"].pk]  # revoked a moment ago: 30 days yet
    later = now + services.KEPT_AFTER_GRANT + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.extracts_files_expire(now=later) == [made["revoked"].pk]
    assert services.extracts_files_expire(now=later) == []

    storage = made["kept"].file.storage
    for name in ("ending", "revoked"):
        gone = ResearchExtract.objects.get(pk=made[name].pk)
        assert (gone.status, gone.file.name, bytes(gone.secret)) == (ExtractStatus.EXPIRED, "", b"")
        assert gone.k == made[name].k and gone.row_counts == made[name].row_counts  # the figures stay
        assert not storage.exists(stored[name])
    assert storage.exists(stored["kept"]) and ResearchExtract.objects.get(pk=made["kept"].pk).status == "done"

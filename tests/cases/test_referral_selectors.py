"""The referral list (filters, search, ordering, row privacy), the detail and the inbox, with query counts
pinned as the rows grow."""

import datetime
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from cases import notes, selectors
from cases.models import NoteVisibility, Notification, Priority, Referral, Status, Transition
from cases.people import search_text_of
from partners.models import TaxonomyTerm
from tests.cases.support import PERSON_FAMILY
from tests.factories import PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def _referral(stage, status=Status.SUBMITTED, *, sending=None, receiving=None, **fields):
    referral = ReferralFactory(
        sending_partner=sending or stage.world.sending,
        receiving_partner=receiving or stage.world.receiving,
        person=fields.pop("person", stage.person),
        status=status,
        needs=fields.pop("needs", stage.needs[:1]),
    )
    if status != Status.DRAFT:
        fields.setdefault("submitted_at", referral.created_at)
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save()
    return referral


def _refs(qs) -> list[str]:
    return [r.reference for r in qs]


# --- Filters and search --------------------------------------------------------------------------------------


def test_filters(setup):
    world = setup.world
    employment, housing = setup.needs
    child = TaxonomyTerm.objects.create(task_force=world.tf, code="rent", name="Rent help", parent=housing)
    a = _referral(setup, Status.SUBMITTED, priority=Priority.URGENT, needs=[employment])
    b = _referral(setup, Status.ACCEPTED, needs=[child], receiving=world.outsider)
    c = _referral(setup, Status.SUBMITTED, overdue_at=timezone.now(), needs=[housing, employment])
    d = _referral(setup, Status.COMPLETED, needs=[housing])
    actor = setup.actor("coordinator")

    def refs(**filters):
        return set(_refs(selectors.referral_list_for(actor=actor, **filters)))

    assert refs() == {a.reference, b.reference, c.reference, d.reference}
    assert refs(status=Status.SUBMITTED) == {a.reference, c.reference}
    assert refs(status=[Status.ACCEPTED, Status.COMPLETED]) == {b.reference, d.reference}
    assert refs(priority=Priority.URGENT) == {a.reference}
    assert refs(partner=world.outsider) == {b.reference}
    assert refs(partner=world.sending.pk) == {a.reference, b.reference, c.reference, d.reference}
    assert refs(need=housing) == {b.reference, c.reference, d.reference}  # the term and its children
    assert refs(need=child.pk) == {b.reference}
    assert refs(overdue=True) == {c.reference}
    assert refs(overdue=False) == {a.reference, b.reference, d.reference}
    with pytest.raises(ValidationError):
        refs(status="lost")
    with pytest.raises(ValidationError):
        refs(ordering="person__family_name")


def test_created_dates_are_days_of_the_task_forces_zone(setup):
    tz = setup.world.tf.tzinfo  # America/Chicago
    late = _referral(setup, created_at=datetime.datetime(2026, 3, 2, 23, 30, tzinfo=tz))  # 05:30 UTC on the 3rd
    early = _referral(setup, created_at=datetime.datetime(2026, 3, 3, 0, 15, tzinfo=tz))
    actor = setup.actor("sending_member")
    day = datetime.date(2026, 3, 2)
    assert _refs(selectors.referral_list_for(actor=actor, created_from=day, created_to=day)) == [late.reference]
    next_day = datetime.date(2026, 3, 3)
    assert _refs(selectors.referral_list_for(actor=actor, created_from=next_day)) == [early.reference]
    assert _refs(selectors.referral_list_for(actor=actor, created_to=day)) == [late.reference]


def test_search_finds_names_only_where_the_actor_sees_details(setup):
    ours = _referral(setup, reference="R-2026-000111")
    other_person = PersonFactory(task_force=setup.world.tf, given_name="Ada", family_name=PERSON_FAMILY)
    theirs = _referral(
        setup,
        sending=setup.world.outsider,
        receiving=setup.world.receiving,
        person=other_person,
        reference="R-2026-000222",
    )
    member = setup.actor("sending_member")
    coordinator = setup.actor("coordinator")
    assert _refs(selectors.referral_list_for(actor=member, q=PERSON_FAMILY.lower())) == [ours.reference]
    assert _refs(selectors.referral_list_for(actor=member, q="jonah quintero")) == [ours.reference]
    assert _refs(selectors.referral_list_for(actor=coordinator, q=PERSON_FAMILY)) == []
    assert _refs(selectors.referral_list_for(actor=coordinator, q="000222")) == [theirs.reference]
    assert set(_refs(selectors.referral_list_for(actor=setup.actor("receiving_member"), q=PERSON_FAMILY))) == {
        ours.reference,
        theirs.reference,
    }


def test_a_text_that_could_be_a_reference_searches_the_references_only(setup):
    first = _referral(setup, reference="R-2026-000105")
    second = _referral(setup, reference="R-2026-001050")
    # One word with a digit is a reference: no name is searched for it, not even this one.
    agent = PersonFactory(task_force=setup.world.tf, given_name="Agent", family_name="1050", search_text="agent 1050")
    third = _referral(setup, reference="R-2026-000777", person=agent)
    actor = setup.actor("sending_member")

    def refs(q):
        return set(_refs(selectors.referral_list_for(actor=actor, q=q)))

    assert refs("R-2026-0001") == refs("r-2026-0001") == {first.reference}  # a prefix, in any case
    assert refs("105") == {first.reference, second.reference}  # anywhere in the reference
    assert refs("1050") == {second.reference}
    assert refs("R-") == refs("r") == refs("-00") == {first.reference, second.reference, third.reference}
    assert refs("R-2027") == set()
    assert refs("agent") == refs("agent 1050") == {third.reference}  # words: the names
    other_format = _referral(setup)  # the factory's R-TEST-000123: still found whole
    assert refs(other_format.reference) == refs(other_format.reference.lower()) == {other_format.reference}


def test_names_are_searched_folded_and_by_every_word(setup):
    jose = PersonFactory(
        task_force=setup.world.tf,
        given_name="José",
        family_name="Núñez",
        aliases="Chepe",
        search_text=search_text_of(given_name="José", family_name="Núñez", aliases="Chepe"),
    )
    theirs = _referral(setup, person=jose)
    ours = _referral(setup)  # setup.person: made by the factory, without search_text
    elsewhere = PersonFactory(task_force=setup.world.other_tf, given_name="José", family_name="Núñez")
    elsewhere.search_text = "jose nunez"
    elsewhere.save()
    actor = setup.actor("sending_member")

    def refs(q):
        return set(_refs(selectors.referral_list_for(actor=actor, q=q)))

    for q in ("nunez", "Núñez", "JOSE", "chep", "jose nunez", "  núñez   josé "):
        assert refs(q) == {theirs.reference}, q
    assert refs("jose quintero") == set()  # every word must match the same person
    # A person saved without the people service (no search_text) is found by the names as written.
    assert refs("quintero") == refs("Jonah Quintero-Bright") == {ours.reference}
    assert refs("xyz") == set()


@pytest.mark.parametrize(("q", "table"), [("R-2026-0001", "cases_referral"), ("quintero", "cases_person")])
def test_the_searches_can_read_the_trigrams_of_the_task_force_only(setup, q, table):
    """With every district in one database, a search reads its own district's trigrams: the indexes lead with the
    task force (migration 0008), and the search compares it with a bigint, the only type their first column (a
    btree_gin bigint) answers: compared with Django's integer literal, the index reads every district's entries."""
    actor = setup.actor("coordinator")
    sql, params = selectors.referral_list_for(actor=actor, q=q).query.sql_with_params()
    subquery = sql.split(" IN (SELECT ", 1)[1]
    if connection.vendor != "postgresql":
        # No trigram index elsewhere (a substring match): the search is still a subquery of this task force's rows.
        assert f'FROM "{table}" U0 WHERE' in subquery and '"task_force_id"' in subquery, sql
        assert actor.task_force.pk in params
        return
    assert re.search(rf'FROM "{table}" U0 WHERE .*U0\."task_force_id" = \(%s\)::bigint', subquery), sql
    assert actor.task_force.pk in params
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s", [table, "%trgm%"])
        definitions = [row[0] for row in cursor.fetchall()]
    assert len(definitions) == 1 and "USING gin (task_force_id, " in definitions[0], definitions


def test_the_lists_count_reads_the_referrals_only(setup, django_assert_num_queries):
    # The paginator's COUNT(*): the row privacy's person name is a subquery of the rows, so the count never
    # joins the people (it did, and at full scale that cost a third of the list's database time).
    for _i in range(3):
        _referral(setup)
    rows = selectors.referral_list_for(actor=setup.actor("receiving_member"), ordering="priority")
    with django_assert_num_queries(1) as captured:
        assert rows.count() == 3
    assert "cases_person" not in captured.captured_queries[0]["sql"]
    assert {row.person_name for row in rows} == {setup.person.full_name}


def test_the_need_filter_resolves_its_terms_in_its_own_query(setup, django_assert_num_queries):
    employment, _housing = setup.needs
    for _i in range(3):
        _referral(setup, needs=[employment])
    foreign = TaxonomyTerm.objects.create(task_force=setup.world.other_tf, code="x", name="Elsewhere")
    actor = setup.actor("receiving_member")
    for grow in (1, 10):
        for _i in range(grow):
            _referral(setup, needs=[employment])
        # The need and its children's ids (1); then the page's rows (2) and their needs (3).
        with django_assert_num_queries(3):
            page = list(selectors.referral_list_for(actor=actor, need=employment)[:25])
            _ = [[term.name for term in row.needs.all()] for row in page]
        assert len(page) == 3 + (1 if grow == 1 else 11)
    # Another task force's term matches nothing (and the rows are never read).
    with django_assert_num_queries(1):
        assert list(selectors.referral_list_for(actor=actor, need=foreign)) == []


def test_rows_carry_the_person_only_where_the_actor_sees_details(setup):
    _referral(setup)
    (row,) = selectors.referral_list_for(actor=setup.actor("receiving_member"))
    assert row.details_visible and row.person_name == setup.person.full_name
    (row,) = selectors.referral_list_for(actor=setup.actor("coordinator"))
    assert not row.details_visible and row.person_name == ""
    assert "person" not in row._state.fields_cache  # never loaded for a coordinator's list


def test_orderings(setup):
    now = timezone.now()
    low = _referral(setup, priority=Priority.ROUTINE, due_date=now.date() + timedelta(3), reference="R-2026-000003")
    high = _referral(setup, priority=Priority.STAT, due_date=None, reference="R-2026-000001")
    mid = _referral(setup, priority=Priority.URGENT, due_date=now.date(), reference="R-2026-000002")
    actor = setup.actor("sending_member")

    def order(key):
        return _refs(selectors.referral_list_for(actor=actor, ordering=key))

    assert order(None) == [mid.reference, high.reference, low.reference]  # newest first
    assert order("priority") == [high.reference, mid.reference, low.reference]
    assert order("due") == [mid.reference, low.reference, high.reference]  # no due date last
    assert order("reference") == [high.reference, mid.reference, low.reference]


# --- Detail --------------------------------------------------------------------------------------------------


def test_referral_get_for_404s_beyond_visibility(setup):
    referral = _referral(setup)
    for key in ("outsider_member", "foreign_coordinator", "nobody"):
        with pytest.raises(Http404):
            selectors.referral_get_for(actor=setup.actor(key), pk=referral.pk)
    for pk in ("x", None, referral.pk + 999):
        with pytest.raises(Http404):
            selectors.referral_get_for(actor=setup.actor("sending_member"), pk=pk)


def _grow_detail(stage, referral, n: int) -> None:
    for i in range(n):
        Transition.objects.create(
            task_force=referral.task_force,
            referral=referral,
            actor=stage.world.user("receiving_referral_staff"),
            actor_partner=stage.world.receiving,
            from_status=Status.SUBMITTED,
            to_status=Status.SUBMITTED,
        )
        notes.note_add(
            actor=stage.actor("receiving_member"),
            referral=referral,
            body=f"note {i}",
            visibility=NoteVisibility.SHARED,
        )


@pytest.mark.parametrize(("key", "queries"), [("receiving_member", 5), ("coordinator", 3)])
def test_referral_get_for_query_count_is_constant(setup, django_assert_num_queries, key, queries):
    # The referral with its partners, service, person, close reason and origin (1), its needs (2), its
    # transitions with their actors and reasons (3); where the details are visible: the notes (4), the
    # attachments (5).
    referral = _referral(setup)
    actor = setup.actor(key)
    for grow in (2, 20):
        _grow_detail(setup, referral, grow)
        with django_assert_num_queries(queries):
            detail = selectors.referral_get_for(actor=actor, pk=referral.pk)
            for transition in detail.transitions.all():
                _ = (str(transition.actor), str(transition.actor_partner))
            for note in detail.visible_notes:
                _ = (str(note.author), str(note.author_partner))
            _ = [str(n) for n in detail.needs.all()]


# --- Query counts of the list --------------------------------------------------------------------------------


def _grow_list(stage, n: int) -> None:
    for _i in range(n):
        _referral(stage, needs=stage.needs)
        _referral(stage, sending=stage.world.outsider, receiving=stage.world.receiving)


@pytest.mark.parametrize("key", ["sending_member", "receiving_referral_staff", "coordinator"])
def test_a_page_of_the_list_has_a_constant_query_count(setup, django_assert_num_queries, key):
    actor = setup.actor(key)
    for grow in (3, 30):
        _grow_list(setup, grow)
        # The page's rows with their partners and service (1), their needs (2).
        with django_assert_num_queries(2):
            page = list(
                selectors.referral_list_for(actor=actor, status=Status.SUBMITTED, q="R-", ordering="priority")[:25]
            )
            for row in page:
                _ = (row.sending_partner.name, row.receiving_partner.name, row.person_name, row.details_visible)
                [term.name for term in row.needs.all()]
        assert len(page) >= 3


# --- Inbox ---------------------------------------------------------------------------------------------------


def _inbox_rows(stage, now) -> dict:
    world = stage.world
    today = timezone.localdate(now, timezone=world.tf.tzinfo)
    rows = {
        "new": _referral(stage, Status.SUBMITTED),
        "overdue": _referral(stage, Status.SUBMITTED, overdue_at=now),
        "due_soon": _referral(stage, Status.IN_PROGRESS, due_date=today + timedelta(days=7)),
        "past_due": _referral(stage, Status.ACCEPTED, due_date=today - timedelta(days=1)),
        "sent_changed": _referral(stage, Status.ACCEPTED, sending=world.receiving, receiving=world.outsider),
        # Not in any section of the receiving partner:
        "due_later": _referral(stage, Status.ACCEPTED, due_date=today + timedelta(days=8)),
        "sent_draft": _referral(stage, Status.DRAFT, sending=world.receiving, receiving=world.outsider),
        "elsewhere": _referral(stage, Status.SUBMITTED, sending=world.sending, receiving=world.outsider),
    }
    old = _referral(stage, Status.COMPLETED, sending=world.receiving, receiving=world.outsider)
    Referral.objects.filter(pk=old.pk).update(updated_at=now - timedelta(days=15))
    return rows


def test_inbox_sections(setup):
    now = timezone.now()
    rows = _inbox_rows(setup, now)
    user = setup.world.user("receiving_referral_staff")
    Notification.objects.create(task_force=setup.world.tf, user=user, kind="submitted", message="new one")
    Notification.objects.create(task_force=setup.world.tf, user=user, kind="x", message="read", read_at=now)
    Notification.objects.create(task_force=setup.world.other_tf, user=user, kind="x", message="elsewhere")

    inbox = selectors.inbox_for(actor=setup.actor("receiving_referral_staff"))
    assert [r.pk for r in inbox.new.items] == [rows["new"].pk] and inbox.new.count == 1
    assert [r.pk for r in inbox.overdue.items] == [rows["overdue"].pk] and inbox.overdue.count == 1
    assert [r.pk for r in inbox.due_soon.items] == [rows["past_due"].pk, rows["due_soon"].pk]
    assert [r.pk for r in inbox.sent_changed.items] == [rows["sent_changed"].pk]
    assert [n.message for n in inbox.notifications.items] == ["new one"] and inbox.notifications.count == 1

    sender = selectors.inbox_for(actor=setup.actor("sending_member"))
    assert sender.new.count == sender.overdue.count == sender.due_soon.count == 0
    assert {r.pk for r in sender.sent_changed.items} >= {rows["new"].pk, rows["elsewhere"].pk}
    assert rows["sent_draft"].pk not in {r.pk for r in sender.sent_changed.items}
    foreign = selectors.inbox_for(actor=setup.actor("foreign_partner_admin"))
    assert foreign.new.count == foreign.sent_changed.count == 0


def test_inbox_sections_are_bounded_with_full_counts(setup):
    for _i in range(4):
        _referral(setup, Status.SUBMITTED)
    inbox = selectors.inbox_for(actor=setup.actor("receiving_member"), limit=3)
    assert len(inbox.new.items) == 3 and inbox.new.count == 4


def test_inbox_query_count_is_constant(setup, django_assert_num_queries):
    actor = setup.actor("receiving_referral_staff")
    user = setup.world.user("receiving_referral_staff")
    now = timezone.now()
    total = 0
    for grow in (1, 8):
        total += grow
        for _i in range(grow):
            _inbox_rows(setup, now)
            Notification.objects.create(task_force=setup.world.tf, user=user, kind="submitted", message="m")
        # The four referral counts (1), one list per referral section (2-5), the unread count (6) and list (7).
        with django_assert_num_queries(7):
            inbox = selectors.inbox_for(actor=actor)
            for section in (inbox.new, inbox.overdue, inbox.due_soon, inbox.sent_changed):
                for row in section.items:
                    _ = (row.person.full_name, row.sending_partner.name, row.receiving_partner.name)
            for notification in inbox.notifications.items:
                str(notification.referral)
        assert inbox.new.count == total and inbox.notifications.count == total

"""The referral pages: the list (filters in the URL, 400 on a bad filter, no name on metadata-only rows), the
detail (clock, timeline, notes, one form per move the actor may make now) and the POST views of the lifecycle
and of notes, as the two partners, an outsider, a coordinator and another task force's coordinator."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import notes
from cases.models import Note, ReasonKind, Referral, Status
from psn.models import AuditEvent

from .support import PERSON_FAMILY

NOTE_TEXT = "Called the mother, callback Tuesday"


def detail(referral) -> str:
    return reverse("cases:referral_detail", args=[referral.pk])


def act(referral, action: str) -> str:
    return reverse("cases:referral_act", args=[referral.pk, action])


def page_text(response) -> str:
    return response.content.decode()


@pytest.fixture
def noted(setup):
    """A submitted referral with a shared note of the receiving partner."""
    referral = setup.submitted()
    notes.note_add(actor=setup.actor("receiving_member"), referral=referral, body=NOTE_TEXT, visibility="shared")
    return referral


# --- Detail ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["receiving_member", "receiving_referral_staff", "sending_member"])
def test_the_two_partners_see_the_person_and_notes(noted, client_for, key):
    response = client_for(key).get(detail(noted))
    assert response.status_code == 200
    text = page_text(response)
    assert PERSON_FAMILY in text
    assert NOTE_TEXT in text
    assert noted.reference in text
    assert "Acknowledge by" in text


def test_opening_the_detail_with_details_is_audited_as_viewed(noted, client_for):
    client_for("receiving_member").get(detail(noted))
    assert (
        AuditEvent.objects.filter(action="viewed", object_type="cases.referral", object_id=str(noted.pk)).count() == 1
    )


def test_a_coordinator_outside_both_partners_sees_metadata_only(noted, client_for):
    response = client_for("coordinator").get(detail(noted))
    assert response.status_code == 200
    text = page_text(response)
    assert noted.reference in text
    assert "Workforce Center" in text
    assert PERSON_FAMILY not in text
    assert NOTE_TEXT not in text
    assert "Add note" not in text
    assert '<form method="post" action="/referrals/' not in text
    assert not AuditEvent.objects.filter(action="viewed", object_type="cases.referral").exists()


@pytest.mark.parametrize("key", ["outsider_member", "outsider_partner_admin", "foreign_coordinator"])
def test_outsiders_and_other_task_forces_get_404(noted, client_for, key):
    assert client_for(key).get(detail(noted)).status_code == 404


def test_buttons_only_for_the_moves_allowed_now(setup, client_for):
    referral = setup.submitted()
    receiving = page_text(client_for("receiving_referral_staff").get(detail(referral)))
    for action in ("accept", "decline", "transfer"):
        assert act(referral, action) in receiving
    for action in ("withdraw", "submit", "start", "complete"):
        assert act(referral, action) not in receiving
    sending = page_text(client_for("sending_referral_staff").get(detail(referral)))
    assert act(referral, "withdraw") in sending
    assert act(referral, "accept") not in sending
    # Plain members read, they do not move a referral.
    member = page_text(client_for("receiving_member").get(detail(referral)))
    assert "/act/" not in member


def test_the_reason_choices_are_the_task_forces_codes(setup, client_for):
    referral = setup.submitted()
    text = page_text(client_for("receiving_referral_staff").get(detail(referral)))
    assert setup.code(ReasonKind.DECLINE, "no_capacity").label in text
    assert "City Police" in text  # the partners
    assert "Faith Coalition" in text  # a transfer target


# --- The lifecycle through the pages ---------------------------------------------------------------------------


def test_the_whole_lifecycle_through_posts(setup, client_for):
    draft = setup.draft()
    sending = client_for("sending_referral_staff")
    receiving = client_for("receiving_referral_staff")

    response = sending.post(act(draft, "submit"))
    assert response.status_code == 302 and response["Location"] == detail(draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED

    assert receiving.post(act(draft, "accept")).status_code == 302
    assert receiving.post(act(draft, "start")).status_code == 302
    assert receiving.post(act(draft, "record_contact")).status_code == 302
    outcome = setup.code(ReasonKind.OUTCOME, "goals_met")
    response = receiving.post(act(draft, "complete"), {"reason": outcome.pk, "text": "Placed in a job."}, follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Status.COMPLETED
    assert draft.first_contact_at is not None
    assert draft.close_reason == outcome
    text = page_text(response)
    assert "was completed" in text
    assert [t.to_status for t in draft.transitions.order_by("at", "pk")] == [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
    ]
    assert "Placed in a job." in text


def test_decline_and_withdraw_with_a_reason(setup, client_for):
    first, second = setup.submitted(), setup.submitted()
    reason = setup.code(ReasonKind.DECLINE, "no_capacity")
    assert client_for("receiving_referral_staff").post(act(first, "decline"), {"reason": reason.pk}).status_code == 302
    withdraw = setup.code(ReasonKind.WITHDRAW, "sent_in_error")
    assert client_for("sending_partner_admin").post(act(second, "withdraw"), {"reason": withdraw.pk}).status_code == 302
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (Status.DECLINED, Status.WITHDRAWN)


def test_transfer_asks_for_a_partner_and_links_the_new_referral(setup, client_for):
    referral = setup.submitted()
    client = client_for("receiving_referral_staff")
    response = client.post(act(referral, "transfer"), {"to_partner": setup.world.outsider.pk}, follow=True)
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.status == Status.TRANSFERRED
    successor = Referral.objects.get(transferred_from=referral)
    assert successor.receiving_partner == setup.world.outsider
    assert "was transferred as" in page_text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [({}, "This field is required."), ({"reason": "999999"}, "Select a valid choice.")],
)
def test_a_missing_or_foreign_reason_is_refused_on_the_page(setup, client_for, data, message):
    referral = setup.submitted()
    response = client_for("receiving_referral_staff").post(act(referral, "decline"), data)
    assert response.status_code == 400
    assert message in page_text(response)
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED


def test_a_reason_that_needs_text_shows_the_services_refusal(setup, client_for):
    referral = setup.submitted()
    other = setup.code(ReasonKind.DECLINE, "other")
    response = client_for("receiving_referral_staff").post(act(referral, "decline"), {"reason": other.pk})
    assert response.status_code == 400
    assert 'class="message error"' in page_text(response)
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED


def test_an_illegal_move_is_a_message_not_a_500(setup, client_for):
    referral = setup.accepted()
    client = client_for("receiving_referral_staff")
    response = client.post(act(referral, "accept"))
    assert response.status_code == 400
    assert "already accepted" in page_text(response)
    response = client.post(act(referral, "complete"), {"reason": setup.code(ReasonKind.OUTCOME, "goals_met").pk})
    assert response.status_code == 400
    assert "you cannot complete it" in page_text(response)


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("receiving_member", 403),
        ("sending_referral_staff", 403),
        ("coordinator", 403),
        ("outsider_referral_staff", 404),
    ],
)
def test_moves_without_the_right_are_refused(setup, client_for, key, status):
    referral = setup.submitted()
    assert client_for(key).post(act(referral, "accept")).status_code == status
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED


def test_moves_are_post_only_and_unknown_moves_404(setup, client_for):
    referral = setup.submitted()
    client = client_for("receiving_referral_staff")
    assert client.get(act(referral, "accept")).status_code == 405
    assert client.post(act(referral, "explode")).status_code == 404


# --- Notes ------------------------------------------------------------------------------------------------------


def test_adding_shared_and_internal_notes(setup, client_for):
    referral = setup.submitted()
    url = reverse("cases:note_add", args=[referral.pk])
    client_for("receiving_member").post(url, {"body": "Shared words", "visibility": "shared"})
    client_for("receiving_member").post(url, {"body": "Internal words", "visibility": "internal"})
    assert Note.objects.filter(referral=referral).count() == 2
    sending = page_text(client_for("sending_member").get(detail(referral)))
    assert "Shared words" in sending and "Internal words" not in sending
    receiving = page_text(client_for("receiving_member").get(detail(referral)))
    assert "Shared words" in receiving and "Internal words" in receiving


def test_note_text_is_escaped(setup, client_for):
    referral = setup.submitted()
    url = reverse("cases:note_add", args=[referral.pk])
    client_for("receiving_member").post(url, {"body": "<script>alert(1)</script>", "visibility": "shared"})
    text = page_text(client_for("sending_member").get(detail(referral)))
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_an_empty_note_is_refused_and_coordinators_cannot_add(setup, client_for):
    referral = setup.submitted()
    url = reverse("cases:note_add", args=[referral.pk])
    assert client_for("receiving_member").post(url, {"body": " ", "visibility": "shared"}).status_code == 400
    assert client_for("coordinator").post(url, {"body": "hi", "visibility": "shared"}).status_code == 403
    assert client_for("foreign_coordinator").post(url, {"body": "hi", "visibility": "shared"}).status_code == 404
    assert not Note.objects.exists()


# --- List -------------------------------------------------------------------------------------------------------


def test_the_list_shows_the_partners_referrals(setup, client_for):
    referral = setup.submitted()
    response = client_for("receiving_member").get(reverse("cases:referral_list"))
    assert response.status_code == 200
    text = page_text(response)
    assert referral.reference in text and PERSON_FAMILY in text


def test_the_list_hides_the_name_on_metadata_only_rows(setup, client_for):
    referral = setup.submitted()
    text = page_text(client_for("coordinator").get(reverse("cases:referral_list")))
    assert referral.reference in text
    assert PERSON_FAMILY not in text
    # And a name search does not find it for them.
    text = page_text(client_for("coordinator").get(reverse("cases:referral_list"), {"q": PERSON_FAMILY}))
    assert referral.reference not in text


def test_outsiders_and_other_task_forces_do_not_list_it(setup, client_for):
    referral = setup.submitted()
    for key in ("outsider_member", "foreign_coordinator"):
        assert referral.reference not in page_text(client_for(key).get(reverse("cases:referral_list")))


def test_the_filters(setup, client_for):
    submitted = setup.submitted()
    accepted = setup.accepted(priority="urgent")
    client = client_for("receiving_member")
    url = reverse("cases:referral_list")

    def listed(**params):
        text = page_text(client.get(url, params))
        return {r.reference for r in (submitted, accepted) if r.reference in text}

    assert listed(status="accepted") == {accepted.reference}
    assert listed(priority="urgent") == {accepted.reference}
    assert listed(partner=setup.world.sending.pk) == {submitted.reference, accepted.reference}
    assert listed(partner=setup.world.outsider.pk) == set()
    assert listed(need=setup.needs[0].pk) == {submitted.reference, accepted.reference}
    assert listed(overdue="true") == set()
    assert listed(q=accepted.reference) == {accepted.reference}
    assert listed(ordering="priority", created_from="2000-01-01") == {submitted.reference, accepted.reference}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"priority": "whenever"}, "priority"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"overdue": "maybe"}, "overdue"),
        ({"ordering": "person"}, "ordering"),
        ({"created_from": "2026-02-01", "created_to": "2026-01-01"}, "created_to"),
    ],
)
def test_an_invalid_filter_is_a_400_next_to_its_field(setup, client_for, params, field):
    setup.submitted()
    response = client_for("receiving_member").get(reverse("cases:referral_list"), params)
    assert response.status_code == 400
    assert field in response.context["filter"].errors
    assert f'id="id_{field}_error"' in page_text(response)
    assert response.context["page"].paginator.count == 0


def test_another_task_forces_partner_is_not_a_valid_filter(setup, client_for):
    response = client_for("receiving_member").get(reverse("cases:referral_list"), {"partner": setup.world.foreign.pk})
    assert response.status_code == 400
    assert "partner" in response.context["filter"].errors


def test_the_list_pages_by_25(setup, client_for):
    for _ in range(26):
        setup.draft()
    client = client_for("sending_member")
    first = client.get(reverse("cases:referral_list"))
    assert len(first.context["page"].object_list) == 25
    assert "page=2" in page_text(first)
    assert len(client.get(reverse("cases:referral_list"), {"page": 2}).context["page"].object_list) == 1


# --- Query counts -------------------------------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


# Session, user and actor (4), then the page's own: the list's partners and needs choices, the count, the rows
# and their needs. The detail: the referral and its prefetches (3), notes and attachments with details (2), the
# "viewed" event (1) and, when a move asks for them, the reason codes and the transfer partners (1 each).
LIST_QUERIES = 8
# A need filter first reads the ids of the need and its children (+1): inlined, they let PostgreSQL plan the join
# with the visible rows (bench/results.md, "Referral pages"), however many referrals hold the need.
LIST_NEED_QUERIES = LIST_QUERIES + 1
# The rows whose person the reader sees are audited (one INSERT per page, none for a coordinator's metadata rows).
LIST_AUDIT_QUERIES = {"receiving_member": 1, "coordinator": 0}
# The receiving staff have unread notifications (the submissions): opening a referral marks its ones read (+1,
# one UPDATE whatever their number; none for a user the navigation counted nothing unread for).
DETAIL_QUERIES = {"coordinator": 6, "sending_member": 9, "receiving_referral_staff": 12}


@pytest.mark.parametrize("key", ["receiving_member", "coordinator"])
def test_the_lists_query_count_is_pinned_and_constant(setup, client_for, key):
    client = client_for(key)
    url = reverse("cases:referral_list")
    setup.submitted()
    audited = LIST_AUDIT_QUERIES[key]
    assert _queries(client, url, {"status": "submitted"}) == LIST_QUERIES + audited
    for _ in range(4):
        setup.submitted()
    assert _queries(client, url, {"status": "submitted", "need": setup.needs[0].pk}) == LIST_NEED_QUERIES + audited
    assert _queries(client, url) == LIST_QUERIES + audited


@pytest.mark.parametrize("key", sorted(DETAIL_QUERIES))
def test_the_details_query_count_is_pinned_and_constant(setup, client_for, key):
    client = client_for(key)
    short, long = setup.in_progress(), setup.in_progress()
    for n in range(5):
        notes.note_add(actor=setup.actor("receiving_member"), referral=long, body=f"n{n}", visibility="shared")
        notes.note_add(actor=setup.actor("sending_member"), referral=long, body=f"s{n}", visibility="internal")
    assert _queries(client, detail(short)) == DETAIL_QUERIES[key]
    assert _queries(client, detail(long)) == DETAIL_QUERIES[key]


def test_history_without_a_user_shows_a_dash_not_a_500(setup, client_for):
    """Moves made by the system (the overdue sweep, imported history) and notes or files whose author's account is
    gone have no user: the page shows a dash."""
    referral = setup.in_progress()
    referral.transitions.update(actor=None)
    notes.note_add(actor=setup.actor("receiving_member"), referral=referral, body="From the desk", visibility="shared")
    Note.objects.filter(referral=referral).update(author=None)
    response = client_for("sending_member").get(reverse("cases:referral_detail", args=[referral.pk]))
    assert response.status_code == 200
    assert "From the desk" in response.content.decode() and "—" in response.content.decode()

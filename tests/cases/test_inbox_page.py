"""The inbox on the home page: new, overdue, due-soon and sent-and-changed referrals of the user's partners and
their unread notifications, with counts, links and empty states, in a constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Referral

from .support import PERSON_FAMILY

# Session, user and actor, the colleagues, inbox_for's seven (one count, four lists, notifications x2), and the
# user's next meetings and open action items (one each).
HOME_QUERIES = 13
# The referrals the inbox lists name their people: one audit event (an INSERT) when it lists any.
HOME_AUDIT_QUERIES = {"receiving_referral_staff": 1, "sending_member": 1, "coordinator": 0}


def section(response, key: str) -> str:
    """The HTML of one inbox section."""
    text = response.content.decode()
    start = text.index(f'id="inbox-{key}"')
    return text[start : text.index("</section>", start)]


def count_of(response, key: str) -> str:
    part = section(response, key)
    return part[part.index('class="count">') + len('class="count">') :].split("<", 1)[0]


def test_an_empty_inbox_says_so(world, client_for):
    response = client_for("receiving_member").get("/")
    assert response.status_code == 200
    for key in ("new", "overdue", "due_soon", "sent_changed"):
        assert count_of(response, key) == "0"
        assert "Nothing here." in section(response, key)
    assert "No unread notifications." in section(response, "notifications")


def test_the_receiving_side_sees_new_and_overdue(setup, client_for):
    fresh = setup.submitted()
    late = setup.submitted()
    Referral.objects.filter(pk=late.pk).update(overdue_at=timezone.now())
    response = client_for("receiving_member").get("/")
    new, overdue = section(response, "new"), section(response, "overdue")
    assert fresh.reference in new and late.reference not in new
    assert late.reference in overdue and fresh.reference not in overdue
    assert count_of(response, "new") == "1" and count_of(response, "overdue") == "1"
    assert reverse("cases:referral_detail", args=[fresh.pk]) in new
    assert PERSON_FAMILY in new
    # The submission notified the receiving partner's referral staff, not plain members.
    staff = client_for("receiving_referral_staff").get("/")
    assert count_of(staff, "notifications") == "2"
    assert fresh.reference in section(staff, "notifications")


def test_due_soon_and_sent_changed(setup, client_for):
    soon = setup.accepted(due_date=timezone.localdate() + datetime.timedelta(days=3))
    later = setup.accepted(due_date=timezone.localdate() + datetime.timedelta(days=30))
    receiving = client_for("receiving_member").get("/")
    assert soon.reference in section(receiving, "due_soon")
    assert later.reference not in section(receiving, "due_soon")
    sending = client_for("sending_member").get("/")
    assert count_of(sending, "sent_changed") == "2"
    assert soon.reference in section(sending, "sent_changed") and "Accepted" in section(sending, "sent_changed")
    assert count_of(sending, "new") == "0"


def test_others_see_nothing_of_it(setup, client_for):
    referral = setup.submitted()
    for key in ("outsider_member", "coordinator", "foreign_coordinator"):
        response = client_for(key).get("/")
        assert response.status_code == 200
        assert referral.reference not in response.content.decode()
        assert PERSON_FAMILY not in response.content.decode()


def test_a_long_section_links_to_the_full_list(setup, client_for):
    for _ in range(11):
        setup.submitted()
    response = client_for("receiving_member").get("/")
    assert count_of(response, "new") == "11"
    assert "All 11" in section(response, "new")
    assert section(response, "new").count("<li>") == 10


def test_the_navigation_links_to_the_referrals(world, client_for):
    text = client_for("receiving_member").get("/").content.decode()
    assert f'href="{reverse("cases:referral_list")}"' in text


@pytest.mark.parametrize("key", ["receiving_referral_staff", "sending_member", "coordinator"])
def test_the_home_pages_query_count_is_pinned_and_constant(setup, client_for, key):
    client = client_for(key)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    setup.submitted()
    assert queries() == HOME_QUERIES + HOME_AUDIT_QUERIES[key]
    setup.accepted(due_date=timezone.localdate())
    setup.submitted()
    assert queries() == HOME_QUERIES + HOME_AUDIT_QUERIES[key]

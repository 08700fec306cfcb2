"""The navigation's counts (base.html): referrals waiting for the user's partner and their unread notifications,
read in the same query as the memberships (psn.access._with_waiting_counts), so no page pays a query for them."""

import re

from django.test import Client
from django.urls import reverse

from cases.models import Notification, Status
from tests.conftest import login_client


def _counts(client: Client) -> dict[str, int]:
    html = client.get(reverse("partners:partner_list")).content.decode()
    found = {}
    for label in ("waiting", "unread"):
        match = re.search(r'<span class="count">(\d+)<span class="visually-hidden"> ' + label + r"</span>", html)
        found[label] = int(match.group(1)) if match else 0
    return found


def test_the_receiving_side_sees_its_waiting_referrals_and_nobody_else_does(setup):
    world = setup.world
    for _ in range(3):
        setup.submitted()
    setup.accepted()  # acknowledged: no longer waiting
    setup.draft()  # a draft waits for nobody
    receiver = login_client(world.user("receiving_member"), world.tf)
    assert _counts(receiver)["waiting"] == 3
    # The sender, the coordinator (no partner of this referral) and another task force see no waiting count.
    for key in ("sending_referral_staff", "coordinator"):
        assert _counts(login_client(world.user(key), world.tf))["waiting"] == 0
    assert _counts(login_client(world.user("foreign_coordinator"), world.other_tf))["waiting"] == 0


def test_unread_notifications_are_counted_for_their_user_only(setup):
    world = setup.world
    referral = setup.submitted()  # notifies the receiving partner's staff
    staff = world.user("receiving_referral_staff")
    unread = Notification.objects.filter(user=staff, read_at__isnull=True).count()
    assert unread >= 1
    assert _counts(login_client(staff, world.tf))["unread"] == unread
    Notification.objects.filter(user=staff).update(read_at=referral.created_at)
    assert _counts(login_client(staff, world.tf))["unread"] == 0
    assert _counts(login_client(world.user("sending_member"), world.tf))["unread"] == 0


def test_the_counts_cost_no_query_of_their_own(setup, django_assert_num_queries):
    world = setup.world
    client = login_client(world.user("receiving_referral_staff"), world.tf)
    url = reverse("partners:partner_list")
    client.get(url)
    with django_assert_num_queries(8) as before:  # the partner list's pinned count (test_partner_list_page.py)
        client.get(url)
    for _ in range(5):
        setup.submitted()
    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(url)
    assert re.search(rb'<span class="count">5<span class="visually-hidden"> waiting', response.content)
    assert world.receiving.referrals_received.filter(status=Status.SUBMITTED).count() == 5


def test_opening_a_referral_marks_its_notifications_read_and_the_inbox_marks_all(setup):
    world = setup.world
    first, second = setup.submitted(), setup.submitted()
    staff = world.user("receiving_referral_staff")
    client = login_client(staff, world.tf)
    unread = Notification.objects.filter(user=staff, read_at__isnull=True)
    assert set(unread.values_list("referral", flat=True)) == {first.pk, second.pk}
    client.get(reverse("cases:referral_detail", args=[first.pk]))
    assert set(unread.values_list("referral", flat=True)) == {second.pk}
    # Someone else's notifications are untouched by this user's reading.
    others = Notification.objects.filter(referral=second, read_at__isnull=True).exclude(user=staff).count()
    response = client.post(reverse("cases:notifications_read"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not unread.exists()
    assert Notification.objects.filter(referral=second, read_at__isnull=True).exclude(user=staff).count() == others
    # Twice: nothing more to mark, no error.
    assert client.post(reverse("cases:notifications_read")).status_code == 302
    assert client.get(reverse("cases:notifications_read")).status_code == 405

"""Every sign-in, failed sign-in and sign-out is in the audit trail with the client's address."""

from django.test import Client

from psn.models import AuditEvent

from .signin import sign_in

ADDRESS = "203.0.113.7"


def test_successful_sign_in_is_recorded_with_ip_and_user_agent(world, password):
    member = world.user("receiving_member")
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="Test browser")

    sign_in(client, member.email, password)

    event = AuditEvent.objects.get(action="logged_in")
    assert (event.actor, event.actor_email, event.object_id) == (member, member.email, str(member.pk))
    assert (event.ip, event.user_agent, event.path) == (ADDRESS, "Test browser", "/accounts/login/")


def test_failed_sign_in_of_an_account_is_recorded_against_it(world):
    member = world.user("receiving_member")

    sign_in(Client(REMOTE_ADDR=ADDRESS), member.email, "wrong")

    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor is None
    assert (event.object_type, event.object_id, event.object_repr) == ("accounts.user", str(member.pk), member.email)
    assert event.ip == ADDRESS
    assert "wrong" not in str(event.changes) + event.path + event.object_repr


def test_failed_sign_in_of_an_unknown_email_is_recorded_with_what_was_typed(db):
    sign_in(Client(REMOTE_ADDR=ADDRESS), "Nobody.Here@Example.org", "wrong")

    event = AuditEvent.objects.get(action="login_failed")
    assert (event.object_type, event.object_id, event.object_repr) == ("accounts.user", "", "nobody.here@example.org")
    assert event.ip == ADDRESS


def test_sign_out_is_recorded(world, password):
    member = world.user("receiving_member")
    client = Client(REMOTE_ADDR=ADDRESS)
    sign_in(client, member.email, password)

    client.post("/accounts/logout/")

    event = AuditEvent.objects.get(action="logged_out")
    assert (event.actor, event.ip) == (member, ADDRESS)


def test_ipv6_addresses_are_recorded(world):
    sign_in(Client(REMOTE_ADDR="2001:db8::1"), world.user("receiving_member").email, "wrong")

    assert AuditEvent.objects.get(action="login_failed").ip == "2001:db8::1"


def test_a_forwarded_for_header_from_the_client_is_not_believed(world):
    # No proxy of ours in front (PSN_PROXY_COUNT=0): anyone can send the header, so it must not count.
    sign_in(Client(REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="10.9.9.9"), world.user("receiving_member").email, "x")

    assert AuditEvent.objects.get(action="login_failed").ip == ADDRESS

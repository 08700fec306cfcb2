"""Changing the password or adding an authenticator mails the account owner and is in the audit trail."""

import pytest
from django.core import mail
from django.test import Client

from psn.models import AuditEvent

from .signin import is_signed_in, sign_in
from .totp import current_code

ACTIVATE = "/accounts/2fa/totp/activate/"
NEW_PASSWORD = "a brand new passphrase 42"


# allauth mails from a transaction.on_commit callback that needs the request, so the commit must happen
# inside the request as in production, not when a test's wrapping transaction ends.
@pytest.mark.django_db(transaction=True)
def test_enrolling_totp_through_the_pages_mails_and_audits(settings, signed_in, member, password):
    settings.PSN_REQUIRE_MFA = True
    # allauth asks for the password again before an authenticator is added.
    reauthenticate = signed_in.get(ACTIVATE)
    assert reauthenticate["Location"].startswith("/accounts/reauthenticate/")
    back = signed_in.post(reauthenticate["Location"], {"password": password})
    assert back["Location"] == ACTIVATE
    assert signed_in.get(ACTIVATE).status_code == 200
    secret = signed_in.session["mfa.totp.secret"]

    response = signed_in.post(ACTIVATE, {"code": current_code(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    assert [(m.to, m.subject) for m in mail.outbox] == [([member.email], "[PSN Hub] Authenticator App Activated")]
    events = AuditEvent.objects.filter(action="changed", actor=member, object_id=str(member.pk))
    assert sorted(event.changes["mfa"][1] for event in events) == ["recovery_codes added", "totp added"]
    assert signed_in.get("/").status_code == 200


def test_a_wrong_code_does_not_enrol_or_mail(signed_in, password, member):
    signed_in.post(signed_in.get(ACTIVATE)["Location"], {"password": password})
    signed_in.get(ACTIVATE)

    response = signed_in.post(ACTIVATE, {"code": "000000"})

    assert response.status_code == 200
    assert not member.authenticator_set.exists()
    assert mail.outbox == []


def test_changing_the_password_mails_audits_and_takes_effect(signed_in, member, password):
    response = signed_in.post(
        "/accounts/password/change/",
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert [(m.to, m.subject) for m in mail.outbox] == [([member.email], "[PSN Hub] Password Changed")]
    event = AuditEvent.objects.get(action="changed", actor=member)
    assert (event.object_id, event.changes) == (str(member.pk), {"password": ["", "changed"]})
    assert is_signed_in(signed_in)
    assert sign_in(Client(), member.email, password).status_code == 200
    assert sign_in(Client(), member.email, NEW_PASSWORD).status_code == 302


def test_changing_the_password_signs_out_the_other_sessions(signed_in, member, password):
    other = Client()
    sign_in(other, member.email, password)

    signed_in.post(
        "/accounts/password/change/",
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert other.get("/profile/").status_code == 302
    assert signed_in.get("/profile/").status_code == 200


def test_a_wrong_old_password_changes_nothing(signed_in, member, password):
    response = signed_in.post(
        "/accounts/password/change/",
        {"oldpassword": "not it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["oldpassword"]
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="changed").exists()
    assert sign_in(Client(), member.email, password).status_code == 302

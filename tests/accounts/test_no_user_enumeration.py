"""Sign-in and password reset answer the same whether the email belongs to an account or not."""

from django.core import mail
from django.test import Client

from .signin import page_without_tokens, sign_in

UNKNOWN = "no.such.person@example.org"


def test_wrong_password_and_unknown_email_get_the_same_sign_in_page(world):
    known_email = world.user("receiving_member").email

    known = sign_in(Client(), known_email, "not the password")
    unknown = sign_in(Client(), UNKNOWN, "not the password")

    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
    assert page_without_tokens(known, email=known_email) == page_without_tokens(unknown, email=UNKNOWN)
    assert "The email address and/or password you specified are not correct." in known.content.decode()


def test_deactivated_account_with_a_wrong_password_looks_like_an_unknown_email(world):
    gone = world.user("deactivated")

    deactivated = sign_in(Client(), gone.email, "not the password")
    unknown = sign_in(Client(), UNKNOWN, "not the password")

    assert deactivated.status_code == unknown.status_code == 200
    assert page_without_tokens(deactivated, email=gone.email) == page_without_tokens(unknown, email=UNKNOWN)


def test_password_reset_answers_the_same_and_mails_only_a_known_address(world):
    known_email = world.user("receiving_member").email

    known = Client().post("/accounts/password/reset/", {"email": known_email})
    unknown = Client().post("/accounts/password/reset/", {"email": UNKNOWN})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    done_known = Client().get(known["Location"])
    done_unknown = Client().get(unknown["Location"])
    assert page_without_tokens(done_known) == page_without_tokens(done_unknown)
    assert [message.to for message in mail.outbox] == [[known_email]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_password_reset_of_an_email_in_other_letter_case_reaches_the_account(world):
    Client().post("/accounts/password/reset/", {"email": "Receiving.Member@EXAMPLE.org"})

    assert [message.to for message in mail.outbox] == [[world.user("receiving_member").email]]

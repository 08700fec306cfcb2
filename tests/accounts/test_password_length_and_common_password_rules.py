"""Passwords: 12 to 128 characters, not a common one, no composition rules (ASVS 2.1)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from .signin import sign_in

COMMON = "qwerty123456"  # 12 characters, in Django's list of common passwords


def password_of(length: int) -> str:
    """A password no list contains, of exactly ``length`` characters (spaces allowed: passphrases)."""
    return ("violet kestrel 7 ferry lantern " * 5)[:length]


@pytest.mark.parametrize(("length", "accepted"), [(11, False), (12, True), (128, True), (129, False)])
def test_validate_password_enforces_the_length_range(length, accepted):
    if accepted:
        validate_password(password_of(length))
    else:
        with pytest.raises(ValidationError) as refused:
            validate_password(password_of(length))
        assert {error.code for error in refused.value.error_list} == {
            "password_too_short" if length < 12 else "password_too_long"
        }


def test_validate_password_refuses_a_common_password():
    with pytest.raises(ValidationError) as refused:
        validate_password(COMMON)

    assert [error.code for error in refused.value.error_list] == ["password_too_common"]


def test_no_composition_rules_all_lowercase_letters_are_fine():
    validate_password("lowercase letters only here")


@pytest.mark.parametrize(
    ("new_password", "refusal"),
    [
        (password_of(11), "This password is too short."),
        (password_of(12), None),
        (password_of(128), None),
        (password_of(129), "This password is too long."),
        (COMMON, "This password is too common."),
    ],
    ids=["11", "12", "128", "129", "common"],
)
def test_password_change_view_applies_the_rules(client_for, world, password, new_password, refusal):
    member = world.user("receiving_member")
    client = client_for("receiving_member")

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": password, "password1": new_password, "password2": new_password},
    )

    if refusal is None:
        assert response.status_code == 302
        assert sign_in(Client(), member.email, new_password).status_code == 302
    else:
        assert response.status_code == 200
        assert any(error.startswith(refusal) for error in response.context["form"].errors["password1"])
        assert refusal in response.content.decode()
        member.refresh_from_db()
        assert member.check_password(password)

"""Links in referral emails are absolute (PSN_SITE_URL plus the referral page's path) and open that referral; the
deployment check warns while PSN_SITE_URL is unset (the local default) or not HTTPS in production."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import resolve

from cases import lifecycle, notes
from psn.checks import check_site_url
from tests.test_deploy_check import _manage, _production_env

LINK = re.compile(r"""https?://[^\s"'<>]+""")
SITE = "https://psn.example.org"


def links(message) -> list[str]:
    html = message.alternatives[0][0]
    hrefs = re.findall(r'href="([^"]*)"', html)
    return LINK.findall(message.body) + hrefs


def assert_points_at(url: str, referral) -> None:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE
    match = resolve(parts.path)
    assert match.view_name == "cases:referral_detail"
    assert match.kwargs == {"pk": referral.pk}


def test_lifecycle_emails_link_to_the_referral_on_the_site(
    setup, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PSN_SITE_URL = SITE
    draft = setup.draft()

    with django_capture_on_commit_callbacks(execute=True):
        referral = lifecycle.referral_submit(actor=setup.actor("sending_referral_staff"), referral=draft)

    assert mailoutbox
    for message in mailoutbox:
        found = links(message)
        assert len(found) == 2, found  # one in the text, one in the HTML
        for url in found:
            assert_points_at(url, referral)


def test_note_emails_link_to_the_referral_on_the_site(setup, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.PSN_SITE_URL = SITE
    referral = setup.accepted()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        notes.note_add(actor=setup.actor("receiving_member"), referral=referral, body="Called", visibility="shared")

    assert mailoutbox
    for message in mailoutbox:
        for url in links(message):
            assert_points_at(url, referral)


def test_no_relative_link_is_left_in_an_email(setup, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        setup.submitted()

    html = mailoutbox[0].alternatives[0][0]
    assert all(href.startswith(("http://", "https://")) for href in re.findall(r'href="([^"]*)"', html))


@pytest.mark.parametrize(
    ("url", "https", "warning"),
    [
        ("https://psn.example.org", True, None),
        ("http://psn.example.org", False, None),
        ("http://127.0.0.1:8000", True, "psn.W002"),
        ("http://localhost:8000", False, "psn.W002"),
        ("http://psn.example.org", True, "psn.W002"),
        ("psn.example.org", True, "psn.W001"),
        ("https://psn.example.org/referrals", True, "psn.W001"),
    ],
)
def test_the_deploy_check_judges_the_site_url(settings, url, https, warning):
    settings.PSN_SITE_URL = url
    settings.PSN_HTTPS = https

    assert [m.id for m in check_site_url(None)] == ([warning] if warning else [])


def test_check_deploy_warns_when_production_leaves_the_site_url_unset(tmp_path):
    env = _production_env(tmp_path)
    del env["PSN_SITE_URL"]

    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode != 0
    assert "psn.W002" in result.stdout + result.stderr

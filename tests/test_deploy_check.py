"""`manage.py check --deploy` is clean with production values (issue 3, item 2)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PSN_", "DJANGO_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        PSN_HTTPS="true",
        PSN_REQUIRE_MFA="true",
        PSN_BEHIND_PROXY="true",
        ALLOWED_HOSTS="psn.example.org",
        PSN_SITE_URL="https://psn.example.org",
        PSN_VAR_DIR=str(tmp_path),
    )
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def _manage(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _manage(["check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_are_strict(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.PSN_REQUIRE_MFA, s.DEBUG, s.SESSION_COOKIE_NAME, s.X_FRAME_OPTIONS)"
    )
    result = _manage(["shell", "-v", "0", "-c", code], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "False",
        "__Host-psn_session",
        "DENY",
    ]

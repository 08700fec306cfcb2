"""No secret in the repository (issue 9, item 7; DESIGN.md "Security": secrets only from the environment).

Every file git tracks or would add (``git ls-files --cached --others --exclude-standard``) is scanned for
private keys, cloud and chat tokens, SECRET_KEY literals, passwords in URLs and long random-looking values
given to names like secret, token, password or key. What is deliberately in the repository is allowed below,
each entry with the reason; anything else fails with the file and line.
"""

import math
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"(?i)aws_?secret_?access_?key\W{1,4}[A-Za-z0-9/+=]{40}\b"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Slack webhook": re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Google OAuth token": re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"),
    "Stripe key": re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}"),
    # A quoted literal; a shell expansion ("$$(cat var/secret_key)", "${SECRET_KEY:-...}") reads it from elsewhere.
    "SECRET_KEY literal": re.compile(r"""\bSECRET_KEY\s*[:=]\s*[rbu]?["'](?!\$)[^"']{8,}["']"""),
    # scheme://user:password@host, where the password is not a ${VARIABLE} or an <ANGLE_BRACKETED_NAME>.
    "password in URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?![$<{*])([^/\s@'\"]{3,})@"),
}
# A long, random-looking value given to a name that says it is secret (either "name = value" or "name: value").
ASSIGNED = re.compile(
    r"""(?ix)\b[\w-]*(?:secret|token|passw(?:or)?d|api_?key|private_?key|access_?key|auth_?key)[\w-]*
    ["']?\s*(?::=|=|:)\s*[rbu]?["']?([A-Za-z0-9+/=_\-.~]{20,})"""
)
# Example values in the documentation (README, .env.example: smtp+tls://user:password@...), not passwords.
EXAMPLE_PASSWORDS = {"password", "pass", "passwd", "pwd", "changeme", "xxx", "..."}
MIN_ENTROPY = 3.5  # bits per character: secrets.token_urlsafe gives ~5.5, English-like identifiers stay below

# (path, the matched text) deliberately in the repository; the reason is on each line.
# (The test settings' key in tests/env.py, "test-secret-key-" + "x" * 50, is set through os.environ and is not
# random, so nothing reports it and it needs no entry.)
ALLOWED = {
    # The access matrix's invitation links (tests/access_rows/members.py): fixtures of the test database.
    ("tests/access_rows/members.py", "matrix-open-invitation-secret-0123456789abc"),
    ("tests/access_rows/members.py", "matrix-unknown-invitation-secret-0123456789"),
    # `make migrations-check` needs some key to import the settings; it signs nothing (its comment says so).
    ("Makefile", "checks-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz"),
}
# Files whose findings are fixtures of this very test or of the tests of the scanner, or planted on purpose.
ALLOWED_FILES = {
    "tests/test_no_secrets.py",  # the planted examples below
}
SKIP_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".pdf", ".zip", ".gz", ".mo")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.text[:80]}"


def entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_random(value: str) -> bool:
    value = value.strip("'\"")
    return (
        len(value) >= 20
        and entropy(value) >= MIN_ENTROPY
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        # Dotted names (settings.SECRET_KEY, secrets.token_urlsafe) and file paths are code, not values.
        and not re.fullmatch(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+", value)
        and "/" not in value.strip("/")[:-1]
    )


def scan_text(path: str, text: str) -> list[Finding]:
    findings = []
    in_tests = path.startswith("tests/")
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            match = pattern.search(line)
            if not match or (kind == "SECRET_KEY literal" and in_tests and "test" in line.lower()):
                continue
            if kind == "password in URL" and match.group(1).lower() in EXAMPLE_PASSWORDS:
                continue
            findings.append(Finding(path, number, kind, match.group(0)))
        for match in ASSIGNED.finditer(line):
            if looks_random(match.group(1)):
                findings.append(Finding(path, number, "random value for a secret name", match.group(1)))
    return [
        f
        for f in findings
        if f.path not in ALLOWED_FILES and (f.path, f.kind) not in ALLOWED and (f.path, f.text) not in ALLOWED
    ]


def repository_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return [name for name in result.stdout.decode().split("\0") if name]


def scan_repository() -> tuple[list[Finding], int]:
    findings, scanned = [], 0
    for name in repository_files():
        path = ROOT / name
        if name.lower().endswith(SKIP_SUFFIXES) or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        scanned += 1
        findings += scan_text(name, data.decode("utf-8", errors="replace"))
    return findings, scanned


def test_no_secret_in_any_file_of_the_repository():
    findings, scanned = scan_repository()
    assert scanned > 300, f"only {scanned} files scanned: is git ls-files working?"
    assert findings == [], "\n".join(map(str, findings))


def test_the_allow_list_has_no_stale_entry():
    """Each allowed finding is still found, so the list cannot grow into a blanket exception."""
    found = set()
    for path, _ in ALLOWED:
        text = (ROOT / path).read_text()
        for kind, pattern in PATTERNS.items():
            found |= {(path, kind)} if pattern.search(text) else set()
        found |= {(path, m.group(1)) for m in ASSIGNED.finditer(text) if looks_random(m.group(1))}
    assert found >= ALLOWED, ALLOWED - found


# Planted secrets, built from pieces so that this file itself holds none whole. The AWS key id is AWS's own
# documentation example; the private key body is random text, not a key.
PLANTED_KEY = (
    "-----BEGIN "
    + "RSA PRIVATE KEY-----\n"
    + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    + "-----END RSA PRIVATE KEY-----\n"
)
PLANTED = {
    "private key": PLANTED_KEY,
    "AWS access key id": "aws_access_key_id = " + "AKIA" + "IOSFODNN7EXAMPLE\n",
    "AWS secret access key": "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY\n",
    "GitHub token": "token: " + "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n",
    "Slack token": "SLACK = '" + "xoxb-" + "123456789012-abcdefABCDEF'\n",
    "Google API key": "key=" + "AIza" + "SyD-1234567890abcdefghijklmnopqrstu\n",
    "SECRET_KEY literal": "SECRET_KEY = '" + "k7#2mQ9$vL1pX8wZ4rT6nB3cY5hJ0dF" + "'\n",
    "password in URL": "DATABASE_URL=postgres://psn:" + "s3cr3t-Pa55@db.example.org:5432/psn\n",
    "random value for a secret name": "api_token = '" + "Zk8pQ2xR7vN4mL9tB3wY6sH1jD5fG0cA" + "'\n",
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_the_scanner_reports_a_planted_secret(tmp_path, kind):
    planted = tmp_path / "settings_local.py"
    planted.write_text("# harmless line\n" + PLANTED[kind])
    findings = scan_text("psn/settings_local.py", planted.read_text())
    assert kind in {f.kind for f in findings}, findings
    assert all(f.line == 2 or kind == "private key" for f in findings)


def test_the_scanner_leaves_code_and_documented_example_values_alone():
    text = "\n".join(
        [
            'SECRET_KEY = env.str("SECRET_KEY")',
            "token = secrets.token_urlsafe(50)",
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/psn",
            "REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379/0",
            "password_reset_done = 'account_reset_password_done'",
            "key_id = models.CharField(max_length=16, unique=True)",
        ]
    )
    assert scan_text("psn/settings.py", text) == []


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        "var/psn.sqlite3",
        "db.sqlite3",
        "psn/x.sqlite3",
        "backups/2026-01-01.tar",
        "var/backups/psn-backup-20260101.tar",
        "psn-backup-20260101T0000Z.tar",
        "dump/psn.dump",
    ],
)
def test_gitignore_keeps_secrets_and_data_out(path):
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, timeout=30)
    assert result.returncode == 0, f"{path} is not ignored by .gitignore"


def test_gitignore_keeps_the_example_environment_tracked():
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", ".env.example"], cwd=ROOT, timeout=30)
    assert result.returncode == 1, ".env.example must stay in the repository"

"""deploy/audit_deps.py: the ignore file, the patch-series rule and an honest exit status (no network here:
pip-audit's report and the index's answers are given to the functions)."""

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "deploy" / "audit_deps.py")
audit = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("audit_deps", audit)  # dataclasses look their module up there
_spec.loader.exec_module(audit)

TODAY = dt.date(2026, 6, 1)
ENTRY = """
[[ignore]]
id = "GHSA-aaaa-bbbb-cccc"
package = "Some_Package"
reason = "Only the XML-RPC client is affected; we never import it."
review_by = {date}
"""


def test_the_repository_ignore_file_is_valid():
    entries, problems = audit.parse_ignore((ROOT / "deploy" / "audit-ignore.toml").read_text(), today=dt.date.today())
    assert problems == []
    assert all(e.reason and e.review_by >= dt.date.today() for e in entries)


@pytest.mark.parametrize("date", ["2026-06-01", "2027-01-31", '"2026-12-31"'])
def test_an_entry_with_every_field_and_a_future_review_date_is_kept(date):
    entries, problems = audit.parse_ignore(ENTRY.format(date=date), today=TODAY)
    assert problems == []
    assert [(e.id, e.package) for e in entries] == [("GHSA-aaaa-bbbb-cccc", "some-package")]


def test_an_entry_past_its_review_date_fails():
    entries, problems = audit.parse_ignore(ENTRY.format(date="2026-05-31"), today=TODAY)
    assert entries == []
    assert problems == [
        "entry 1 (GHSA-aaaa-bbbb-cccc, some-package): review date 2026-05-31 has passed; "
        "look at it again and renew or remove it"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[ignore]]\nid = "X"\npackage = "p"\nreview_by = 2027-01-01\n', "entry 1 (X): missing reason"),
        ('[[ignore]]\nid = "X"\npackage = "p"\nreason = "  "\nreview_by = 2027-01-01\n', "missing reason"),
        ('[[ignore]]\nid = "X"\npackage = "p"\nreason = "r"\n', "missing review_by"),
        ('[[ignore]]\nid = "X"\npackage = "p"\nreason = "r"\nreview_by = "soon"\n', "is not a YYYY-MM-DD date"),
        ('[[ignore]]\nid = "X"\npackage = "p"\nreason = "r"\nreview_by = 2027-01-01T00:00:00\n', "must be a date"),
        ('[[ignore]]\nid = "X"\npackage = "p"\nreason = "r"\nreview_by = 2027-01-01\nuntil = 1\n', "unknown field"),
        ("[[ignore]\n", "not valid TOML"),
        ('ignore = "everything"\n', "must be an array of tables"),
    ],
)
def test_a_malformed_entry_is_a_problem_not_an_exception(text, problem):
    entries, problems = audit.parse_ignore(text, today=TODAY)
    assert entries == []
    assert len(problems) == 1 and problem in problems[0], problems


def test_an_entry_explains_its_advisory_by_id_or_alias_for_its_package_only():
    entries, _ = audit.parse_ignore(ENTRY.format(date="2027-01-01"), today=TODAY)
    assert audit.explained(package="some.package", ids={"PYSEC-1", "ghsa-aaaa-bbbb-cccc"}, entries=entries)
    assert audit.explained(package="other-package", ids={"GHSA-aaaa-bbbb-cccc"}, entries=entries) is None
    assert audit.explained(package="some-package", ids={"GHSA-zzzz-zzzz-zzzz"}, entries=entries) is None


def test_pins_are_read_from_a_pip_compile_file():
    text = """\
--extra-index-url file:///opt/pypi/simple
amqp==5.4.2
    # via kombu
Django==5.2.19 \\
    --hash=sha256:abc
psycopg[binary]==3.2.9 ; python_version >= "3.11"
boolean.py==5.0  # via license-expression
-e ./local
requests>=2
"""
    assert audit.parse_pins(text) == {
        "amqp": Version("5.4.2"),
        "django": Version("5.2.19"),
        "psycopg": Version("3.2.9"),
        "boolean-py": Version("5.0"),
    }


@pytest.mark.parametrize(
    ("pinned", "available", "newest"),
    [
        ("5.2.19", ["5.2.18", "5.2.19", "5.2.20", "6.0.3", "5.2.21rc1"], "5.2.20"),  # a patch release is out
        ("5.2.20", ["5.2.19", "5.2.20", "6.0.3", "5.2.21rc1", "5.2.21.dev1"], None),  # newer minors do not count
        ("5.0", ["5.0", "5.0.1", "5.1"], "5.0.1"),  # a two-part version is x.y.0
        ("3", ["3.0.1", "3.1"], "3.0.1"),
        ("2026.10.19.post1", ["2026.10.19.post1", "2026.10.20", "2026.11.1"], "2026.10.20"),
        ("1.65.2", [], None),
    ],
)
def test_newest_in_series(pinned, available, newest):
    got = audit.newest_in_series(Version(pinned), [Version(v) for v in available])
    assert got == (Version(newest) if newest else None)


def test_yanked_releases_do_not_count():
    payload = {
        "files": [
            {"filename": "Django-5.2.19-py3-none-any.whl", "yanked": False},
            {"filename": "django-5.2.20.tar.gz", "yanked": "broken upload"},
            {"filename": "Django-5.2.20-py3-none-any.whl", "yanked": True},
            {"filename": "django-5.2.21.tar.gz"},
            {"filename": "not a distribution.exe"},
        ]
    }
    assert audit.releases_from_simple_json(payload) == [Version("5.2.19"), Version("5.2.21")]


# pip-audit's JSON when its advisory service does not answer, and when it finds something.
SKIPPED_REPORT = {
    "dependencies": [
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)"},
        {"name": "amqp", "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)"},
    ],
    "fixes": [],
}
VULNERABLE_REPORT = {
    "dependencies": [
        {
            "name": "django",
            "version": "5.2.19",
            "vulns": [{"id": "PYSEC-2026-1", "aliases": ["CVE-2026-0001"], "fix_versions": ["5.2.20"]}],
        },
        {"name": "amqp", "version": "5.4.2", "vulns": []},
    ],
    "fixes": [],
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A requirements file and an ignore file; pip-audit's report and the index's releases are set per test."""
    (tmp_path / "requirements.txt").write_text("django==5.2.19\namqp==5.4.2\n")
    (tmp_path / "ignore.toml").write_text("")
    state = {"report": SKIPPED_REPORT, "releases": {"django": ["5.2.19"], "amqp": ["5.4.2"]}}

    def fetch(name, *, index, timeout):
        if isinstance(state["releases"][name], Exception):
            raise state["releases"][name]
        return [Version(v) for v in state["releases"][name]]

    monkeypatch.setattr(audit, "run_pip_audit", lambda requirements, *, timeout: (state["report"], ""))
    monkeypatch.setattr(audit, "fetch_releases", fetch)

    def run(capsys):
        args = ["--requirements", str(tmp_path / "requirements.txt"), "--ignore", str(tmp_path / "ignore.toml")]
        code = audit.main([*args, "--index-url", "https://index.invalid/simple"])
        return code, capsys.readouterr().out

    state["run"] = run
    state["ignore"] = tmp_path / "ignore.toml"
    return state


def test_audited_with_an_unexplained_vulnerability_fails(project, capsys):
    project["report"] = VULNERABLE_REPORT
    code, out = project["run"](capsys)
    assert code == 1
    assert "MODE: audited" in out
    assert "FAIL vulnerable: django==5.2.19 PYSEC-2026-1 ['CVE-2026-0001'] fixed in: 5.2.20" in out


def test_audited_with_the_vulnerability_explained_passes(project, capsys):
    project["report"] = VULNERABLE_REPORT
    review_by = dt.date.today() + dt.timedelta(days=30)
    project["ignore"].write_text(
        f'[[ignore]]\nid = "CVE-2026-0001"\npackage = "Django"\nreason = "not reachable"\nreview_by = {review_by}\n'
    )
    code, out = project["run"](capsys)
    assert (code, "MODE: audited" in out) == (0, True), out


def test_an_expired_explanation_fails_even_when_nothing_is_found(project, capsys):
    project["report"] = {"dependencies": [{"name": "amqp", "version": "5.4.2", "vulns": []}]}
    project["ignore"].write_text('[[ignore]]\nid = "X"\npackage = "amqp"\nreason = "r"\nreview_by = 2020-01-01\n')
    code, out = project["run"](capsys)
    assert code == 1
    assert "review date 2020-01-01 has passed" in out


def test_unreachable_advisories_with_every_pin_current_passes_and_says_so(project, capsys):
    code, out = project["run"](capsys)
    assert code == 0
    assert "ADVISORY SERVICE UNREACHABLE" in out
    assert "MODE: offline patch-series check of 2 pins" in out
    assert "2 pins current in their series, 0 behind" in out


def test_unreachable_advisories_with_a_pin_behind_its_series_fails(project, capsys):
    project["releases"]["django"] = ["5.2.19", "5.2.20", "6.0.1"]
    code, out = project["run"](capsys)
    assert code == 1
    assert "FAIL behind its patch series: django==5.2.19: 5.2.20 is out in the same series" in out


def test_a_pin_behind_its_series_can_be_explained(project, capsys):
    project["releases"]["django"] = ["5.2.19", "5.2.20"]
    review_by = dt.date.today() + dt.timedelta(days=7)
    project["ignore"].write_text(
        f'[[ignore]]\nid = "patch-behind"\npackage = "django"\nreason = "5.2.20 breaks X"\nreview_by = {review_by}\n'
    )
    code, out = project["run"](capsys)
    assert code == 0
    assert "explained django==5.2.19: 5.2.20 is out in the same series" in out


def test_a_pin_the_index_cannot_answer_for_fails(project, capsys):
    project["releases"]["amqp"] = OSError("connection refused")
    code, out = project["run"](capsys)
    assert code == 1
    assert "FAIL not checked: amqp: OSError: connection refused" in out

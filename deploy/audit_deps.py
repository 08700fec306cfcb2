"""Known vulnerabilities in the pinned requirements (issue 9, item 7).

Runs pip-audit on requirements.txt. A vulnerability fails the run unless deploy/audit-ignore.toml explains it
(id, package, reason, review_by); an entry past its review date fails too, so an explanation is looked at again.

pip-audit exits 0 and prints "No known vulnerabilities found" when it could not look a single package up
(its advisory service unreachable, every package "skipped"): that is not an audit. When any package is
skipped this script says so loudly and runs the offline equivalent it can still do against the package
index: for every pin, is there a newer release of the same major.minor series? Security fixes land in patch
releases, so a pin behind its series is where a known vulnerability most likely hides.

Exit status: 0 only when every package was audited with no unexplained vulnerability, or (advisory service
unreachable) every pin was checked and none is behind its series; 1 otherwise. The mode that ran is printed.

    python deploy/audit_deps.py [--requirements requirements.txt] [--ignore deploy/audit-ignore.toml]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX = "https://pypi.org/simple"
# An ignore entry with this id explains a pin knowingly kept behind its patch series (offline mode).
PATCH_BEHIND = "patch-behind"
IGNORE_FIELDS = ("id", "package", "reason", "review_by")


@dataclass(frozen=True)
class IgnoreEntry:
    id: str
    package: str
    reason: str
    review_by: dt.date


@dataclass(frozen=True)
class Vulnerability:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]


def normalize(name: str) -> str:
    """PEP 503 name: what the index and pip-audit call the package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_ignore(text: str, *, today: dt.date) -> tuple[list[IgnoreEntry], list[str]]:
    """The entries of the ignore file and the problems with it (missing fields, bad dates, expired entries)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [f"not valid TOML: {exc}"]
    entries, problems = [], []
    raw = data.get("ignore", [])
    if not isinstance(raw, list):
        return [], ["[[ignore]] must be an array of tables"]
    for number, item in enumerate(raw, start=1):
        where = f"entry {number}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not a table")
            continue
        missing = [f for f in IGNORE_FIELDS if not (str(item.get(f, "")).strip())]
        if missing:
            problems.append(f"{where} ({item.get('id', '?')}): missing {', '.join(missing)}")
            continue
        unknown = sorted(set(item) - set(IGNORE_FIELDS))
        if unknown:
            problems.append(f"{where} ({item['id']}): unknown field {', '.join(unknown)}")
            continue
        review_by = item["review_by"]
        if isinstance(review_by, str):
            try:
                review_by = dt.date.fromisoformat(review_by)
            except ValueError:
                problems.append(f"{where} ({item['id']}): review_by {item['review_by']!r} is not a YYYY-MM-DD date")
                continue
        if isinstance(review_by, dt.datetime) or not isinstance(review_by, dt.date):
            problems.append(f"{where} ({item['id']}): review_by must be a date (YYYY-MM-DD)")
            continue
        entry = IgnoreEntry(
            id=str(item["id"]).strip(),
            package=normalize(str(item["package"])),
            reason=str(item["reason"]).strip(),
            review_by=review_by,
        )
        if review_by < today:
            problems.append(
                f"{where} ({entry.id}, {entry.package}): review date {review_by} has passed; "
                "look at it again and renew or remove it"
            )
            continue
        entries.append(entry)
    return entries, problems


def explained(*, package: str, ids: set[str], entries: list[IgnoreEntry]) -> IgnoreEntry | None:
    """The entry that explains a finding about ``package`` known by any of ``ids`` (advisory id or alias)."""
    wanted = {i.upper() for i in ids}
    for entry in entries:
        if entry.package == normalize(package) and entry.id.upper() in wanted:
            return entry
    return None


def parse_pins(text: str) -> dict[str, Version]:
    """``name==version`` lines of a pip-compile'd requirements file (options, comments and markers skipped)."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s\\]+)", line.rstrip("\\ "))
        if match:
            pins[normalize(match.group(1))] = Version(match.group(2))
    return pins


def series(version: Version) -> tuple[int, int]:
    release = (*version.release, 0)
    return release[0], release[1]


def newest_in_series(pinned: Version, available: list[Version]) -> Version | None:
    """The newest final release of ``pinned``'s major.minor series, when it is newer than ``pinned``."""
    same = [v for v in available if not (v.is_prerelease or v.is_devrelease) and series(v) == series(pinned)]
    newest = max(same, default=None)
    return newest if newest is not None and newest > pinned else None


def releases_from_simple_json(payload: dict) -> list[Version]:
    """Versions with at least one file that is not yanked (PEP 691 JSON of the simple index)."""
    live = set()
    for file in payload.get("files", []):
        if file.get("yanked"):
            continue
        name = file.get("filename", "")
        try:
            if name.endswith(".whl"):
                live.add(parse_wheel_filename(name)[1])
            else:
                live.add(parse_sdist_filename(name)[1])
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue
    return sorted(live)


def index_url() -> str:
    url = os.environ.get("PIP_INDEX_URL", "")
    if not url:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        url = result.stdout.strip() if result.returncode == 0 else ""
    return (url or DEFAULT_INDEX).rstrip("/")


def fetch_releases(name: str, *, index: str, timeout: float) -> list[Version]:
    if not index.startswith(("https://", "http://")):
        raise ValueError(f"the index must be an http(s) URL, not {index}")
    url = f"{index}/{name}/"
    headers = {"Accept": "application/vnd.pypi.simple.v1+json", "User-Agent": "psn-audit-deps"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return releases_from_simple_json(json.load(response))


def run_pip_audit(requirements: Path, *, timeout: float) -> tuple[dict | None, str]:
    """pip-audit's JSON report, or None and why there is none."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(requirements),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)  # noqa: S603
    except subprocess.TimeoutExpired:
        return None, f"pip-audit did not answer within {timeout:.0f} s"
    try:
        return json.loads(result.stdout), ""
    except json.JSONDecodeError:
        return None, f"pip-audit failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}"


def vulnerabilities(report: dict) -> tuple[list[Vulnerability], list[str], int]:
    """(vulnerabilities found, packages pip-audit skipped with its reason, packages it audited)."""
    found, skipped, audited = [], [], 0
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.append(f"{dep.get('name')}: {dep['skip_reason']}")
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            found.append(
                Vulnerability(
                    package=normalize(dep["name"]),
                    version=dep.get("version", ""),
                    id=vuln["id"],
                    aliases=tuple(vuln.get("aliases", [])),
                    fix_versions=tuple(vuln.get("fix_versions", [])),
                )
            )
    return found, skipped, audited


def patch_series_check(
    pins: dict[str, Version], *, index: str, timeout: float, entries: list[IgnoreEntry]
) -> tuple[list[str], list[str], list[str]]:
    """(pins behind their series, pins behind but explained, pins that could not be checked)."""

    def one(name: str):
        try:
            return name, fetch_releases(name, index=index, timeout=timeout), ""
        except Exception as exc:  # any network or parse failure leaves the pin unchecked
            return name, [], f"{type(exc).__name__}: {exc}"

    behind, allowed, unchecked = [], [], []
    with ThreadPoolExecutor(max_workers=16) as pool:
        for name, releases, error in pool.map(one, sorted(pins)):
            if error:
                unchecked.append(f"{name}: {error}")
                continue
            newer = newest_in_series(pins[name], releases)
            if newer is None:
                continue
            line = f"{name}=={pins[name]}: {newer} is out in the same series"
            entry = explained(package=name, ids={PATCH_BEHIND}, entries=entries)
            if entry:
                allowed.append(f"{line} (explained until {entry.review_by}: {entry.reason})")
            else:
                behind.append(line)
    return behind, allowed, unchecked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirements", type=Path, default=ROOT / "requirements.txt")
    parser.add_argument("--ignore", type=Path, default=ROOT / "deploy" / "audit-ignore.toml")
    parser.add_argument("--timeout", type=float, default=300, help="seconds pip-audit may take")
    parser.add_argument("--index-url", default=None, help="simple index for the offline check (default: pip's)")
    args = parser.parse_args(argv)
    today = dt.date.today()
    failed = False

    entries, problems = parse_ignore(args.ignore.read_text() if args.ignore.exists() else "", today=today)
    for problem in problems:
        print(f"FAIL {args.ignore.name}: {problem}")
    failed |= bool(problems)

    pins = parse_pins(args.requirements.read_text())
    report, why = run_pip_audit(args.requirements, timeout=args.timeout)
    found, skipped, audited = vulnerabilities(report) if report is not None else ([], [], 0)
    for vuln in found:
        entry = explained(package=vuln.package, ids={vuln.id, *vuln.aliases}, entries=entries)
        fixes = ", ".join(vuln.fix_versions) or "no fix yet"
        if entry:
            print(f"explained {vuln.package}=={vuln.version} {vuln.id} (until {entry.review_by}: {entry.reason})")
        else:
            print(f"FAIL vulnerable: {vuln.package}=={vuln.version} {vuln.id} {list(vuln.aliases)} fixed in: {fixes}")
            failed = True

    if report is not None and not skipped:
        print(f"MODE: audited. pip-audit looked up all {audited} pinned packages; {len(found)} known vulnerabilities.")
        return 1 if failed else 0

    print("!" * 100)
    print(
        f"!! ADVISORY SERVICE UNREACHABLE: {why or f'pip-audit could not look up {len(skipped)} of {len(pins)} pins'}"
    )
    print("!! pip-audit's 'No known vulnerabilities found' means nothing here. Examples of what it said:")
    for line in skipped[:3]:
        print(f"!!   {line}")
    print("!" * 100)
    index = (args.index_url or index_url()).rstrip("/")
    print(f"MODE: offline patch-series check of {len(pins)} pins against {index} (audited by pip-audit: {audited})")
    behind, allowed, unchecked = patch_series_check(pins, index=index, timeout=20, entries=entries)
    for line in allowed:
        print(f"explained {line}")
    for line in behind:
        print(f"FAIL behind its patch series: {line}")
    for line in unchecked:
        print(f"FAIL not checked: {line}")
    failed |= bool(behind or unchecked)
    print(
        f"{len(pins) - len(behind) - len(allowed) - len(unchecked)} pins current in their series, {len(behind)} behind,"
        f" {len(allowed)} behind but explained, {len(unchecked)} not checked."
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

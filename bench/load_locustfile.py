"""The load test's simulated users (issue 8): run by bench/load.py, which starts gunicorn, prepares the database
and writes the plan this file reads (``$PSN_LOAD_PLAN``: signed-in session cookies per role, each accepting user's
own referrals to accept, the referrals each account may write notes on, the directory's search words).

    .venv-load/bin/locust -f bench/load_locustfile.py --headless ...   (bench/load.py builds the command)

Speaks HTTP only: it imports no Django (it runs in its own virtualenv, .venv-load). Four kinds of people, each
waiting 3 to 10 s (``--think``; 1 to 3 s for a stress run) between two actions as a person reading a page does:

- the receiving partner's referral staff: read the inbox, search the directory, open a referral from the list,
  add a note, accept a new referral (each user accepts only its own share of the referrals the driver submitted:
  two users never race onto one referral, so an accept is never refused);
- the sending partners' referral staff: inbox, directory, open a referral, add a note;
- the coordinator: inbox, the referral list with its filters, open a referral, directory;
- partner members: mostly the directory, the inbox, a referral now and then.

A request fails unless its final answer (after redirects) is a 200 showing what the page must show: a sign-in page,
a refusal (400, 403, 404) or a server error is a failure, and so is a note or an accept the page does not show.
"""

from __future__ import annotations

import csv
import html
import json
import os
import random
import re
from pathlib import Path
from urllib.parse import urlencode, urlparse

from locust import HttpUser, between, events, task

# The paths this file requests, by URL name (tests/test_load_script.py reverses each name and compares).
PATHS = {
    "home": "/",
    "cases:referral_list": "/referrals/",
    "cases:referral_detail": "/referrals/{pk}/",
    "cases:note_add": "/referrals/{pk}/notes/",
    "cases:referral_act": "/referrals/{pk}/act/{action}/",
    "partners:service_list": "/directory/services/",
    "partners:partner_list": "/directory/partners/",
}

# What each page must show: its heading or its table's caption.
INBOX_MARK = '<h2 id="inbox">'
SERVICES_MARK = re.compile(r'<caption id="services-caption">\s*[\d,]+ services?')
PARTNERS_MARK = re.compile(r'<caption id="partners-caption">\s*[\d,]+ partners?')
REFERRALS_MARK = re.compile(r'<caption id="referrals-caption">\s*[\d,]+ referrals?')
DETAIL_MARK = re.compile(r"<h1>Referral R-\d{4}-\d{6}")
ACCEPTED_MARK = '<span class="status status-accepted">'

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFERRAL_LINK = re.compile(r'href="/referrals/(\d+)/"')
MESSAGE = re.compile(r'<li class="message [^"]*">(.*?)</li>', re.S)

# The referral list as people filter it (the coordinator's daily look, a partner's own queue).
LIST_FILTERS = [
    {},
    {"status": "submitted"},
    {"status": "accepted"},
    {"status": "in_progress"},
    {"overdue": "true"},
    {"status": "submitted", "overdue": "false"},
    {"ordering": "-updated"},
]

PLAN_FILE = os.environ.get("PSN_LOAD_PLAN")
PLAN = json.loads(Path(PLAN_FILE).read_text(encoding="utf-8")) if PLAN_FILE else {}
RANDOM = random.Random()  # noqa: S311 - what a simulated person clicks next, not security


# --- Reading pages ----------------------------------------------------------------------------------------------


def path(name: str, **kwargs) -> str:
    return PATHS[name].format(**kwargs)


def csrf_token(page: str) -> str | None:
    """The CSRF token of the page's first form (Django masks it differently in each form; any one of them is valid)."""
    match = CSRF_TOKEN.search(page)
    return match.group(1) if match else None


def referral_ids(page: str) -> list[int]:
    """The referrals a page links to (the list's rows, the inbox's items), each once, in page order."""
    return list(dict.fromkeys(int(pk) for pk in REFERRAL_LINK.findall(page)))


def form_mark(action: str) -> str:
    """What a page offering a form that posts to ``action`` (a path) shows."""
    return f'action="{action}"'


def messages_of(page: str) -> list[str]:
    """The page's flash messages (a refusal shows there), as plain text."""
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in MESSAGE.findall(page)]


def check(response, *, marks, what: str) -> bool:
    """Mark ``response`` (opened with ``catch_response``) failed unless it is a 200 showing every mark; a sign-in
    page, a refusal or an error says which in the failure."""
    page = response.text or ""
    if response.status_code != 200:
        said = "; ".join(messages_of(page))[:120]
        response.failure(f"{what}: HTTP {response.status_code}" + (f" ({said})" if said else ""))
        return False
    if "/accounts/login/" in urlparse(response.url).path:
        response.failure(f"{what}: sent to the sign-in page")
        return False
    for mark in marks:
        found = mark.search(page) if isinstance(mark, re.Pattern) else mark in page
        if not found:
            response.failure(f"{what}: the page lacks {getattr(mark, 'pattern', mark)!r}")
            return False
    response.success()
    return True


# --- The final figures ------------------------------------------------------------------------------------------

_ENVIRONMENT = []


@events.init.add_listener
def _remember(environment, **_kwargs) -> None:
    _ENVIRONMENT.append(environment)


@events.quit.add_listener
def _final_csv(**_kwargs) -> None:
    """locust rewrites its CSV files every second while it runs, not after the last requests of the users it lets
    finish their task: write the final figures as ``<prefix>_final_{stats,failures,exceptions}.csv`` (same columns),
    which bench/load.py reads."""
    from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

    prefix = getattr(_ENVIRONMENT[0].parsed_options, "csv_prefix", None) if _ENVIRONMENT else None
    if not prefix:
        return
    writer = StatsCSV(_ENVIRONMENT[0], PERCENTILES_TO_REPORT)
    for kind, write in (
        ("stats", writer.requests_csv),
        ("failures", writer.failures_csv),
        ("exceptions", writer.exceptions_csv),
    ):
        with open(f"{prefix}_final_{kind}.csv", "w", newline="", encoding="utf-8") as handle:
            write(csv.writer(handle))


# --- Users -----------------------------------------------------------------------------------------------------

# Each role's prepared sessions, handed out one per simulated user as it starts (gevent: no two take the same).
_SLOTS = {role: iter(slots) for role, slots in PLAN.get("sessions", {}).items()}


class _TaskForceUser(HttpUser):
    """A signed-in person of the demo district, with its own session (prepared by the driver: no sign-in form)."""

    abstract = True
    wait_time = between(*PLAN.get("think", (1, 3)))  # seconds between two actions (bench/load.py --think)
    role = ""

    def on_start(self) -> None:
        slot = next(_SLOTS[self.role])
        self.email = slot["email"]
        self.accept_ids: list[int] = list(slot.get("accept", []))
        self.note_ids: list[int] = list(slot.get("notes", []))
        self.written = 0
        host = urlparse(self.host).hostname
        self.client.cookies.set(PLAN["cookie"], slot["session"], domain=host, path="/")

    # The actions, shared by the roles below (each role weighs them as its people do).

    def read_inbox(self) -> None:
        with self.client.get(path("home"), name="inbox", catch_response=True) as response:
            check(response, marks=[INBOX_MARK], what="inbox")

    def search_directory(self) -> None:
        """A word or two of what the person needs, sometimes narrowed by a category or a language; mostly
        services, sometimes partners."""
        query = {"q": RANDOM.choice(PLAN["words"])}
        if RANDOM.random() < 0.3:
            query["category"] = RANDOM.choice(PLAN["categories"])
        if RANDOM.random() < 0.15:
            query["language"] = RANDOM.choice(PLAN["languages"])
        if RANDOM.random() < 0.2:
            query["accepting"] = "true"
        if RANDOM.random() < 0.25:
            query.pop("accepting", None)
            url, name, marks = path("partners:partner_list"), "directory: partners", [PARTNERS_MARK]
        else:
            url, name, marks = path("partners:service_list"), "directory: services", [SERVICES_MARK]
        with self.client.get(url, params=query, name=name, catch_response=True) as response:
            check(response, marks=marks, what=name)

    def open_referral(self) -> None:
        """The referral list (filtered as people do), then one of the referrals it shows."""
        query = urlencode(RANDOM.choice(LIST_FILTERS))
        url = path("cases:referral_list") + (f"?{query}" if query else "")
        with self.client.get(url, name="referral list", catch_response=True) as response:
            if not check(response, marks=[REFERRALS_MARK], what="referral list"):
                return
            ids = referral_ids(response.text)
        if not ids:
            return  # nothing under this filter for this person: they look at another one next time
        pk = RANDOM.choice(ids)
        with self.client.get(path("cases:referral_detail", pk=pk), name="open referral", catch_response=True) as page:
            check(page, marks=[DETAIL_MARK], what="open referral")

    def add_note(self) -> None:
        """Open a referral of one's own partner, write a note in its form and see it on the page."""
        if not self.note_ids:
            return self.read_inbox()
        pk = RANDOM.choice(self.note_ids)
        action = path("cases:note_add", pk=pk)
        with self.client.get(path("cases:referral_detail", pk=pk), name="add note: open", catch_response=True) as page:
            if not check(page, marks=[DETAIL_MARK, form_mark(action)], what="add note: open"):
                return None
            token = csrf_token(page.text)
        self.written += 1
        body = f"{PLAN['note_prefix']} {self.email} #{self.written}: called, left a message, will try again Monday."
        data = {"csrfmiddlewaretoken": token, "body": body, "visibility": RANDOM.choice(["shared", "internal"])}
        headers = {"Referer": self.host + path("cases:referral_detail", pk=pk)}
        with self.client.post(action, data=data, headers=headers, name="add note", catch_response=True) as response:
            check(response, marks=[DETAIL_MARK, html.escape(body)], what="add note")
        return None

    def accept_referral(self) -> None:
        """Open one of this user's new referrals, press Accept, see it accepted. With none left: the inbox."""
        if not self.accept_ids:
            return self.read_inbox()
        pk = self.accept_ids.pop()
        action = path("cases:referral_act", pk=pk, action="accept")
        with self.client.get(path("cases:referral_detail", pk=pk), name="accept: open", catch_response=True) as page:
            if not check(page, marks=[DETAIL_MARK, form_mark(action)], what="accept: open"):
                return None
            token = csrf_token(page.text)
        headers = {"Referer": self.host + path("cases:referral_detail", pk=pk)}
        data = {"csrfmiddlewaretoken": token}
        with self.client.post(action, data=data, headers=headers, name="accept", catch_response=True) as response:
            check(response, marks=[DETAIL_MARK, ACCEPTED_MARK], what="accept")
        return None


class ReceivingStaff(_TaskForceUser):
    """Referral staff and the partner admin of the partner that receives the new referrals."""

    role = "receiving"
    fixed_count = PLAN.get("counts", {}).get(role, 1)

    @task(4)
    def inbox(self) -> None:
        self.read_inbox()

    @task(2)
    def directory(self) -> None:
        self.search_directory()

    @task(3)
    def referral(self) -> None:
        self.open_referral()

    @task(2)
    def note(self) -> None:
        self.add_note()

    @task(2)
    def accept(self) -> None:
        self.accept_referral()


class SendingStaff(_TaskForceUser):
    """Referral staff of the partners that file referrals (the police, the demo partners' caseworkers)."""

    role = "sending"
    fixed_count = PLAN.get("counts", {}).get(role, 1)

    @task(4)
    def inbox(self) -> None:
        self.read_inbox()

    @task(3)
    def directory(self) -> None:
        self.search_directory()

    @task(3)
    def referral(self) -> None:
        self.open_referral()

    @task(2)
    def note(self) -> None:
        self.add_note()


class Coordinator(_TaskForceUser):
    """The task force's coordinator: every referral of the district, as metadata."""

    role = "coordinator"
    fixed_count = PLAN.get("counts", {}).get(role, 1)

    @task(3)
    def inbox(self) -> None:
        self.read_inbox()

    @task(4)
    def referral(self) -> None:
        self.open_referral()

    @task(1)
    def directory(self) -> None:
        self.search_directory()


class PartnerMember(_TaskForceUser):
    """Members of partners (no referral role): they come for the directory."""

    role = "member"
    fixed_count = PLAN.get("counts", {}).get(role, 1)

    @task(5)
    def directory(self) -> None:
        self.search_directory()

    @task(2)
    def inbox(self) -> None:
        self.read_inbox()

    @task(1)
    def referral(self) -> None:
        self.open_referral()

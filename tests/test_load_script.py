"""The load test's scripts (bench/load.py, bench/load_locustfile.py) without running locust: the paths the simulated
users request are the site's, the marks and forms they look for are on today's pages (a session made as the driver
makes it, the CSRF token taken as locust takes it), and the driver's reading of locust's CSV, its verdicts and its
consistency checks give the right answers."""

import argparse
import ast
import html
import importlib.util
import os
import sys
import time
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from bench import load
from cases import lifecycle, notes
from cases.models import Status
from tests.cases.support import build_setup
from tests.factories import ServiceFactory

LOCUSTFILE = Path(load.__file__).with_name("load_locustfile.py")
STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


@pytest.fixture
def locustfile(monkeypatch):
    """bench/load_locustfile.py imported against a stand-in for locust (the suite's virtualenv has no locust:
    it lives in .venv-load), without a plan."""
    fake = types.ModuleType("locust")
    fake.HttpUser = type("HttpUser", (), {"abstract": True})
    fake.between = lambda low, high: (low, high)
    fake.task = lambda weight=1: weight if callable(weight) else (lambda function: function)
    hook = types.SimpleNamespace(add_listener=lambda function: function)
    fake.events = types.SimpleNamespace(init=hook, quit=hook)
    monkeypatch.setitem(sys.modules, "locust", fake)
    monkeypatch.delenv("PSN_LOAD_PLAN", raising=False)
    spec = importlib.util.spec_from_file_location("load_locustfile_under_test", LOCUSTFILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_stats(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([STATS_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


# --- The locustfile --------------------------------------------------------------------------------------------


def test_the_locustfile_imports_nothing_of_django_or_the_project():
    tree = ast.parse(LOCUSTFILE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    project = {"django", "psn", "cases", "partners", "accounts", "meetings", "reports", "bench", "tests"}
    assert "locust" in imported
    assert not imported & project


def test_every_path_the_simulated_users_request_is_the_sites(locustfile):
    assert set(locustfile.PATHS) >= {"home", "cases:referral_detail", "cases:note_add", "cases:referral_act"}
    for name, template in locustfile.PATHS.items():
        kwargs = {key: value for key, value in {"pk": 123, "action": "accept"}.items() if "{" + key + "}" in template}
        assert reverse(name, kwargs=kwargs) == template.format(**kwargs) == locustfile.path(name, **kwargs)


def test_the_driver_names_the_locust_user_class_of_each_role(locustfile):
    for role, class_name in load.ROLE_CLASSES.items():
        assert getattr(locustfile, class_name).role == role
    assert set(load.ROLE_CLASSES) == set(load.SHARES) == set(load.ACCOUNTS)


def test_the_page_readers_find_tokens_links_and_messages(locustfile):
    page = (
        '<form method="post" action="/referrals/7/notes/"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="tok1"></form><a href="/referrals/7/">R-1</a> <a href="/referrals/9/">R-2</a> '
        '<a href="/referrals/7/">again</a><ul class="messages"><li class="message error">Referral R-1 is '
        "<em>already</em> accepted.</li></ul>"
    )
    assert locustfile.csrf_token(page) == "tok1"
    assert locustfile.csrf_token("<p>no form</p>") is None
    assert locustfile.referral_ids(page) == [7, 9]
    assert locustfile.form_mark("/referrals/7/notes/") in page
    assert locustfile.form_mark("/referrals/9/notes/") not in page
    assert locustfile.messages_of(page) == ["Referral R-1 is already accepted."]


@pytest.mark.django_db
def test_the_pages_show_what_the_simulated_users_look_for(locustfile, world):
    """Through Django's test client with CSRF checks on, in the order a simulated user goes: a session made as the
    driver makes it, the inbox, the directory, the list and a referral, accepting it and writing a note with the
    token read from the page as locust reads it."""
    setup = build_setup(world)
    referral = setup.submitted()
    ServiceFactory(partner=world.receiving, name="Housing navigation")
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = load.sign_in(world.user("receiving_referral_staff").email, world.tf)
    lf = locustfile

    def page(url: str, **kwargs) -> str:
        response = client.get(url, **kwargs)
        assert response.status_code == 200, url
        return response.content.decode()

    assert lf.INBOX_MARK in page(lf.path("home"))
    assert lf.SERVICES_MARK.search(page(lf.path("partners:service_list"), query_params={"q": "housing"}))
    assert lf.PARTNERS_MARK.search(page(lf.path("partners:partner_list"), query_params={"q": "workforce"}))
    narrowed = {"q": "job training", "category": setup.needs[0].code, "language": "es", "accepting": "true"}
    assert lf.SERVICES_MARK.search(page(lf.path("partners:service_list"), query_params=narrowed))
    for query in lf.LIST_FILTERS:  # each filter the simulated users use is a valid one
        assert lf.REFERRALS_MARK.search(page(lf.path("cases:referral_list"), query_params=query))
    listing = page(lf.path("cases:referral_list"), query_params={"status": "submitted"})
    assert referral.pk in lf.referral_ids(listing)

    detail = page(lf.path("cases:referral_detail", pk=referral.pk))
    assert lf.DETAIL_MARK.search(detail)
    accept = lf.path("cases:referral_act", pk=referral.pk, action="accept")
    assert lf.form_mark(accept) in detail
    assert client.post(accept, {}).status_code == 403  # without the token: CSRF checks are on
    response = client.post(accept, {"csrfmiddlewaretoken": lf.csrf_token(detail)}, follow=True)
    assert response.status_code == 200
    assert lf.ACCEPTED_MARK in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED

    detail = page(lf.path("cases:referral_detail", pk=referral.pk))
    action = lf.path("cases:note_add", pk=referral.pk)
    assert lf.form_mark(action) in detail
    body = "Load test note 1 staff@x #1: called, left a message, will try again Monday."
    data = {"csrfmiddlewaretoken": lf.csrf_token(detail), "body": body, "visibility": "shared"}
    response = client.post(action, data, follow=True)
    assert response.status_code == 200
    assert html.escape(body) in response.content.decode()

    # Accepting again is refused with a 400 and the refusal as a message: what locust would report.
    refused = client.post(accept, {"csrfmiddlewaretoken": lf.csrf_token(detail)})
    assert refused.status_code == 400
    assert lf.messages_of(refused.content.decode()) == [f"Referral {referral.reference} is already accepted."]


# --- The driver: CSV, verdicts, allocation, consistency ------------------------------------------------------


def test_the_driver_reads_locusts_csv(tmp_path):
    path = write_stats(
        tmp_path / "locust_final_stats.csv",
        [
            "GET,inbox,1200,0,95,110.5,20,900,30000,6.7,0.0,95,110,120,130,180,240,300,410,800,900,900",
            "POST,accept,80,0,250,260.1,150,700,31000,0.4,0.0,250,260,270,280,320,380,450,690,700,700,700",
            "GET,empty,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
            ",Aggregated,1280,0,100,120.0,20,900,30100,7.1,0.0,100,120,130,140,200,260,320,450,800,900,900",
        ],
    )
    stats = load.read_stats(path)
    assert [(s.method, s.name, s.requests, s.failures) for s in stats][:2] == [
        ("GET", "inbox", 1200, 0),
        ("POST", "accept", 80, 0),
    ]
    inbox, _accept, empty, total = stats
    assert (inbox.rps, inbox.p50, inbox.p95, inbox.p99, inbox.max) == (6.7, 95, 240, 410, 900)
    assert empty.p95 is None
    assert load.aggregated(stats) is total
    assert load.succeeded(stats, "accept") == 80
    assert load.succeeded(stats, "accept", method="GET") == 0
    lines, missed = load.verdicts(stats)
    assert not missed
    assert lines[0].startswith("- PASS: zero errors (0 failed of 1,280 requests")
    assert lines[1] == "- PASS: p95 under 500 ms over all requests (260 ms)."
    table = load.table(stats)
    assert table[-1] == "| **All requests** | 1,280 | 0 | 7.1 | 100 ms | 260 ms | 450 ms | 900 ms |"
    assert "| empty (GET) | 0 | 0 | 0.0 | – | – | – | 0 ms |" in table


@pytest.mark.parametrize(
    ("aggregated_row", "extra", "miss"),
    [
        (",Aggregated,100,1,100,120,20,900,300,7.1,0.1,100,120,130,140,200,260,320,450,800,900,900", {}, "errors"),
        (",Aggregated,100,0,100,120,20,900,300,7.1,0.0,100,120,130,140,200,510,520,600,800,900,900", {}, "p95"),
        (
            ",Aggregated,100,0,100,120,20,900,300,7.1,0.0,100,120,130,140,200,260,320,450,800,900,900",
            {"exceptions": 2},
            "errors",
        ),
        (
            ",Aggregated,100,0,100,120,20,900,300,7.1,0.0,100,120,130,140,200,260,320,450,800,900,900",
            {"server_errors": 1},
            "errors",
        ),
        (",Aggregated,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A", {}, "both"),
    ],
)
def test_a_missed_target_says_miss(tmp_path, aggregated_row, extra, miss):
    stats = load.read_stats(write_stats(tmp_path / "s.csv", [aggregated_row]))
    lines, missed = load.verdicts(stats, **extra)
    assert missed
    assert lines[0].startswith("- MISS" if miss in ("errors", "both") else "- PASS")
    assert lines[1].startswith("- MISS" if miss in ("p95", "both") else "- PASS")


def test_slow_request_types_are_named(tmp_path):
    stats = load.read_stats(
        write_stats(
            tmp_path / "s.csv",
            [
                "POST,add note,10,0,300,320,100,900,300,0.1,0.0,300,320,330,340,400,620,700,800,900,900,900",
                ",Aggregated,100,0,100,120,20,900,300,7.1,0.0,100,120,130,140,200,260,320,450,800,900,900",
            ],
        )
    )
    lines, missed = load.verdicts(stats)
    assert not missed
    assert lines[2] == "- Request types with a p95 of 500 ms or more: add note (POST)."


@pytest.mark.parametrize("users", [1, 3, 4, 10, 50, 51, 200])
def test_the_users_are_shared_between_the_roles(users):
    counts = load.allocate(users)
    assert set(counts) == set(load.SHARES)
    assert sum(counts.values()) == users
    if users >= len(load.SHARES):
        assert min(counts.values()) >= 1
    if users == 50:
        assert counts == {"receiving": 18, "sending": 17, "coordinator": 5, "member": 10}


def test_the_driver_reads_gunicorns_access_log(tmp_path):
    log = tmp_path / "access.log"
    log.write_text("200 GET / 80\n302 POST /referrals/1/notes/ 40\n200 GET /referrals/1/ 120\n500 GET /x 5\nnoise\n")
    server = load.server_log(log)
    assert server["codes"] == {"2xx": 2, "3xx": 1, "5xx": 1}
    assert (server["count"], server["p50"], server["p95"]) == (4, 40, 120)
    assert load.server_log(tmp_path / "missing.log")["p50"] is None


@pytest.mark.django_db
def test_the_consistency_checks_compare_the_database_with_locusts_counts(world, tmp_path):
    from django.utils import timezone

    setup = build_setup(world)
    since = timezone.now()
    pool = [setup.submitted(), setup.submitted(), setup.submitted()]
    staff = setup.actor("receiving_referral_staff")
    lifecycle.referral_accept(actor=staff, referral=pool[0])
    lifecycle.referral_accept(actor=staff, referral=pool[1])
    for index in range(3):
        notes.note_add(actor=staff, referral=pool[0], body=f"Load test note RUN staff #{index}", visibility="shared")
    notes.note_add(actor=staff, referral=pool[0], body="Load test note OTHER-RUN staff #1", visibility="shared")

    def stats(accepts: int, written: int):
        return load.read_stats(
            write_stats(
                tmp_path / "s.csv",
                [
                    f"POST,accept,{accepts + 1},1,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,1",
                    f"POST,add note,{written},0,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,1",
                    ",Aggregated,9,1,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,1",
                ],
            )
        )

    record = {"pool": [referral.pk for referral in pool]}
    lines, inconsistent = load.consistency(
        record=record, note_prefix="Load test note RUN", stats=stats(2, 3), since=since
    )
    assert not inconsistent, lines
    assert lines[0].startswith("- PASS: referrals accepted during the run 2, Transition rows to accepted 2")
    assert lines[3] == "- PASS: notes written 3, notes locust saw succeed 3."

    lines, inconsistent = load.consistency(
        record=record, note_prefix="Load test note RUN", stats=stats(3, 2), since=since
    )
    assert inconsistent
    assert "- MISS: accepts locust saw succeed 3." in lines
    assert "- MISS: notes written 3, notes locust saw succeed 2." in lines


@pytest.mark.django_db
def test_the_cpu_meter_counts_the_servers_processes():
    """This process stands in for gunicorn: the CPU it burns between two samples is counted as the server's."""
    meter = load.CpuMeter(server_pid=os.getpid(), database="psn_no_such_bench", exclude=set())
    meter.sample()
    started = time.process_time()
    while time.process_time() - started < 0.3:
        sum(range(1000))
    meter.sample()
    spent = meter.result()
    assert 0.25 <= spent["gunicorn"] <= spent["machine"] + 0.05
    assert spent["postgres"] == spent["locust"] == 0
    assert spent["wall"] >= 0.25
    assert (spent["samples"], spent["locks"]) == (2, 0)


@pytest.mark.parametrize(("value", "think"), [("1-3", (1.0, 3.0)), ("5-15", (5.0, 15.0)), ("2", (2.0, 2.0))])
def test_the_think_time_option(value, think):
    assert load.think_time(value) == think


@pytest.mark.parametrize("value", ["3-1", "a-b", "-1-2"])
def test_a_wrong_think_time_is_refused(value):
    with pytest.raises(argparse.ArgumentTypeError):
        load.think_time(value)

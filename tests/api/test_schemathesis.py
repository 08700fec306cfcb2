"""Schemathesis against /api/v1/schema/: every operation of the schema the app serves, fuzzed in-process through
Django's WSGI application on a seeded task force with a real API token, then the stateful links between them.
No response may be a 5xx, answer with a status the schema does not list, or carry a body or content type that
breaks the schema. Bounded and derandomized, so CI fuzzes the same inputs every run."""

from __future__ import annotations

import sys

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from psn.models import AuditEvent

from .fuzz_seed import seed

pytestmark = pytest.mark.django_db

USER = "coordinator"  # the role that reaches the most endpoints of its task force
# Examples per operation: valid input (half of them on the seeded rows), then input the schema forbids.
MAX_EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HYPOTHESIS = settings(
    derandomize=True,  # the same inputs every run: a CI failure reproduces locally
    database=None,
    deadline=None,
    # A failure is collected, not raised: no shrinking (bounded time); every operation still runs.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app():
    """Django's own WSGI handler, in this process and this test's transaction. Its request signals close "old"
    connections, which inside the test's transaction would be the test's own: disconnected meanwhile (as
    django.test.Client does around each request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """The exceptions behind 500s, so a failure names its traceback, not only its status."""
    seen: list[BaseException] = []

    def record(sender, request=None, **kwargs):
        seen.append(sys.exc_info()[1])

    got_request_exception.connect(record, weak=False)
    yield seen
    got_request_exception.disconnect(record)


@pytest.fixture
def fuzzing(world, wsgi_app, settings, tmp_path, monkeypatch):
    """The seeded task force, the schema it serves and the headers of the calls."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Hundreds of calls a minute from one token: the API's throttle (600/minute) would turn them into 429s.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "100000/minute")
    secret, ids = seed(world, user_key=USER)
    ids["audit-events"] = list(AuditEvent.objects.filter(task_force=world.tf).values_list("pk", flat=True)[:3])
    headers = {"Authorization": f"Bearer {secret}", "X-Task-Force": world.tf.slug}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app, headers=headers)
    return schema, headers, ids


def _strategy(operation, mode: GenerationMode, ids: dict):
    """The operation's generated cases, and in the positive mode as many again on the seeded rows (a random id
    mostly finds nothing: a 404 before any code that reads the body runs)."""
    generated = operation.as_strategy(generation_mode=mode)
    names = [p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path"]
    known = ids.get(operation.path.removeprefix("/api/v1/").split("/")[0], [])
    if mode is not GenerationMode.POSITIVE or len(names) != 1 or not known:
        return generated
    seeded = [operation.as_strategy(generation_mode=mode, path_parameters={names[0]: pk}) for pk in known]
    return st.one_of(generated, *seeded)


def _fuzz(operation, mode, ids, headers, failures: dict, server_errors: list) -> int:
    calls = 0

    @settings(HYPOTHESIS, max_examples=MAX_EXAMPLES[mode])
    @given(case=_strategy(operation, mode, ids))
    def run(case):
        nonlocal calls
        calls += 1
        # Each example from the same seeded rows: what one call wrote is rolled back before the next.
        with transaction.atomic():
            del server_errors[:]
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Failure, FailureGroup) as exc:
                failed = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
                for failure in failed:
                    key = (operation.label, mode.value, type(failure).__name__)
                    detail = f"{failure.title}: {failure.message}"[:1500]
                    if server_errors:
                        detail += f"\n  raised {server_errors[-1]!r}"
                    failures.setdefault(key, f"{detail}\n  {case.as_curl_command(headers=headers)[:800]}")
            transaction.set_rollback(True)

    run()
    return calls


def test_every_operation_answers_within_its_schema(fuzzing, server_errors):
    schema, headers, ids = fuzzing
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict = {}
    exercised = set()

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if _fuzz(operation, mode, ids, headers, failures, server_errors):
                exercised.add(operation.label)

    described = {
        f"{method.upper()} {path}"
        for path, item in schema.raw_schema["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert exercised == described
    assert not failures, "\n\n".join(f"{' '.join(key)}\n  {text}" for key, text in sorted(failures.items()))


STATEFUL = settings(
    HYPOTHESIS,
    max_examples=12,  # scenarios
    stateful_step_count=6,  # calls per scenario, following the links drf-spectacular's schema implies
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)


def test_linked_operations_chain_within_the_schema(fuzzing):
    """Create, then read and act on what was created: the ids of one response feed the next call (links
    schemathesis infers from the schema's resources), so actions run on rows the fuzzer made itself."""
    schema, headers, _ = fuzzing
    machine = schema.as_state_machine()
    steps: list[str] = []

    class Workflow(machine):
        def setup(self):
            # Each scenario from the same seeded rows: rolled back at its end.
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            steps.append(f"{case.operation.label} -> {response.status_code}")
            case.validate_response(response, checks=CHECKS, headers=headers, recorder=self.recorder)

    Workflow.run(settings=STATEFUL)

    linked = {step for step in steps if step.split(" -> ")[1].startswith("2")}
    assert len(steps) > STATEFUL.max_examples, steps  # the scenarios went beyond their first call
    # Which operations a scenario reaches varies with the schema (and schemathesis' link chooser): a floor only.
    assert len({step.split(" -> ")[0] for step in linked}) >= 5, sorted(linked)


# --- What the fuzzing found, one call each -------------------------------------------------------------------

# (method, path, path parameter: a key of the seeded ids or a literal, query, expected status)
FOUND = {
    "a non-numeric import id was a ValueError in the query (500)": ("GET", "/hsds/imports/{id}/", "\x80", None, 404),
    "me is one object, not an array": ("GET", "/me/", None, None, 200),
    "the meeting detail lacked invitee_count; series is null for a one-off": (
        "GET",
        "/meetings/{id}/",
        "meetings",
        None,
        200,
    ),
    "meeting rows: series is null for a one-off": ("GET", "/meetings/", None, None, 200),
    "a coordinator gets a referral's metadata; a filing has from_status '' and no reason": (
        "GET",
        "/referrals/{id}/",
        "referrals",
        None,
        200,
    ),
    "FHIR answers application/fhir+json": ("GET", "/referrals/{id}/fhir/", "referrals", None, 200),
    "retrying a report that did not fail is a 409": ("POST", "/reports/{id}/retry/", "reports", None, 409),
    "reports the schedule built have no generated_by": ("GET", "/reports/", None, None, 200),
    "audit events outside a task force": ("GET", "/audit-events/", None, None, 200),
    "top taxonomy terms have no parent": ("GET", "/taxonomy/", None, None, 200),
    "a partner without email or website": ("GET", "/partners/", None, None, 200),
    "a service without a contact email": ("GET", "/services/", None, None, 200),
    "bad filters are a documented 400": ("GET", "/action-items/", None, {"status": "lost"}, 400),
    "nothing there is a documented 404": ("GET", "/tokens/{id}/", 0, None, 404),
}


def test_what_the_fuzzing_found_answers_within_the_schema(fuzzing):
    """One test for all (seeding the task force is most of the time): each call failed a check before its fix."""
    schema, headers, ids = fuzzing
    for why, (method, path, parameter, query, expected) in FOUND.items():
        path_parameters = {}
        if "{id}" in path:
            known = ids.get(parameter)
            path_parameters["id"] = known[1 if parameter == "referrals" else 0] if known else parameter
        case = schema[f"/api/v1{path}"][method].Case(path_parameters=path_parameters, query=query)

        response = case.call(headers=headers)

        assert response.status_code == expected, (why, response.text[:500])
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as exc:
            raise AssertionError(why) from exc

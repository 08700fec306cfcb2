"""Research grants and extracts (issue 10, item 1): coordinators manage grants and extracts; a member of the grant's
research partner (the ``research`` column) lists, reads and downloads its extracts but neither grants nor requests one;
every other partner column is refused (403, audited). Another task force's extract is a 404 for everyone acting in
this one. ``own_research_extract`` is done: suppression is on, so the people the other row modules make (whatever
their ages and neighborhoods) cannot make it refused."""

from __future__ import annotations

import datetime

from django.utils import timezone

from partners.models import PartnerKind
from psn.access import actor_for
from research import services
from research.models import ResearchExtract, ResearchGrant
from tests.factories import PartnerFactory

from . import GET, LOGIN, PICK, POST, Redirect, Target, pk_of

GRANTS = Redirect("/research/grants/")

# fmt: off
ROWS = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("research:grant_list"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("research:grant_create", data={"period_start": "not a date"}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    POST("research:grant_revoke", "own_research_grant"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    GRANTS, 404,    GRANTS, LOGIN,  PICK,   403),
    GET("research:extract_list"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   200),
    POST("research:extract_create", data={"grant": "x"}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    GET("research:extract_detail", "own_research_extract"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   200),
    GET("research:extract_detail", "other_task_force_research_extract"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("research:extract_progress", "own_research_extract"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   200),
    GET("research:extract_download", "own_research_extract"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   200),
    GET("research:extract_download", "other_task_force_research_extract"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    # API
    GET("research-grant-list"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    POST("research-grant-list", data={"partner": "x"}):
        (401,    403,    403,    403,    403,    403,    403,    400,    400,    400,    401,    403,    403),
    POST("research-grant-revoke", "own_research_grant"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("research-extract-list"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    200),
    POST("research-extract-list", data={"grant": "x"}):
        (401,    403,    403,    403,    403,    403,    403,    400,    400,    400,    401,    403,    403),
    GET("research-extract-detail", "own_research_extract"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    200),
    GET("research-extract-detail", "other_task_force_research_extract"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("research-extract-download", "own_research_extract"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    200),
    GET("research-extract-download", "other_task_force_research_extract"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
}
# fmt: on

TARGETS = {
    "own_research_grant": Target(pk_of("own_research_grant"), "wdt"),
    "own_research_extract": Target(pk_of("own_research_extract"), "wdt"),
    "other_task_force_research_extract": Target(pk_of("other_task_force_research_extract"), "edt"),
}

COUNTS = {
    "research grants": lambda: ResearchGrant.objects.count(),
    "revoked research grants": lambda: ResearchGrant.objects.exclude(revoked_at=None).count(),
    "research extracts": lambda: ResearchExtract.objects.count(),
}


def _done_extract(task_force, coordinator, partner):
    actor = actor_for(coordinator, requested_slug=task_force.slug)
    today = timezone.localdate(timezone=task_force.tzinfo)
    grant = services.grant_create(
        actor=actor,
        partner=partner,
        period_start=datetime.date(2020, 1, 1),
        period_end=today,
        valid_until=today + datetime.timedelta(days=30),
    )
    # Its task waits for a commit that never comes: built here.
    extract = services.extract_request(actor=actor, grant=grant, suppress=True)
    return grant, services.extract_build(extract_id=extract.pk)


def build_objects(world) -> dict:
    grant, extract = _done_extract(world.tf, world.user("coordinator"), world.research)
    theirs_partner = PartnerFactory(task_force=world.other_tf, name="Research edt", kind=PartnerKind.RESEARCH)
    _, theirs = _done_extract(world.other_tf, world.user("foreign_coordinator"), theirs_partner)
    return {"own_research_grant": grant, "own_research_extract": extract, "other_task_force_research_extract": theirs}

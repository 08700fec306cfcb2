"""Shared fixtures: a task force with a sending partner, a receiving partner and an outsider partner,
a user of every role at each, and a second task force with its own users (CONVENTIONS.md "Tests")."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from partners.models import PartnerKind, Role
from psn.middleware import SESSION_KEY

from .factories import PASSWORD, MembershipFactory, PartnerFactory, TaskForceFactory, UserFactory


@pytest.fixture(autouse=True)
def _clean_cache():
    # Throttle counters and rate limits live in the cache (Redis in CI): start every test clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@dataclass
class World:
    tf: object
    other_tf: object
    sending: object  # partner that files referrals (law enforcement)
    receiving: object  # partner that receives them (service provider)
    outsider: object  # a third partner of the same task force
    foreign: object  # a partner of the other task force
    users: dict  # key "<partner>_<role>" -> user, plus "site_admin", "nobody"

    def user(self, key: str):
        return self.users[key]


def build_world() -> World:
    """The world's rows: the ``world`` fixture builds them for each test, ``module_world`` once per module."""
    tf = TaskForceFactory(name="Western District of Testing", slug="wdt")
    other_tf = TaskForceFactory(name="Eastern District of Testing", slug="edt")
    sending = PartnerFactory(task_force=tf, name="City Police", kind=PartnerKind.LAW_ENFORCEMENT)
    receiving = PartnerFactory(task_force=tf, name="Workforce Center", kind=PartnerKind.SERVICE_PROVIDER)
    outsider = PartnerFactory(task_force=tf, name="Faith Coalition", kind=PartnerKind.FAITH_BASED)
    coord_home = PartnerFactory(task_force=tf, name="U.S. Attorney's Office", kind=PartnerKind.PROSECUTION)
    foreign = PartnerFactory(task_force=other_tf, name="Other Police", kind=PartnerKind.LAW_ENFORCEMENT)
    users = {}
    for partner_key, partner in (
        ("sending", sending),
        ("receiving", receiving),
        ("outsider", outsider),
        ("foreign", foreign),
    ):
        for role in (Role.MEMBER, Role.REFERRAL_STAFF, Role.PARTNER_ADMIN):
            user = UserFactory(email=f"{partner_key}.{role}@example.org", full_name=f"{partner_key} {role}")
            MembershipFactory(user=user, partner=partner, role=role)
            users[f"{partner_key}_{role}"] = user
    users["coordinator"] = UserFactory(email="coordinator@example.org", full_name="Coordinator")
    MembershipFactory(user=users["coordinator"], partner=coord_home, role=Role.COORDINATOR)
    users["foreign_coordinator"] = UserFactory(email="foreign.coordinator@example.org")
    MembershipFactory(user=users["foreign_coordinator"], partner=foreign, role=Role.COORDINATOR)
    users["site_admin"] = UserFactory(email="admin@example.org", is_superuser=True, is_staff=True)
    users["nobody"] = UserFactory(email="nobody@example.org")  # an account with no membership
    users["deactivated"] = UserFactory(email="gone@example.org", is_active=False)
    MembershipFactory(user=users["deactivated"], partner=receiving, role=Role.REFERRAL_STAFF)
    return World(
        tf=tf, other_tf=other_tf, sending=sending, receiving=receiving, outsider=outsider, foreign=foreign, users=users
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker) -> World:
    """The world built once for a whole module of many small tests (the access matrix, the bad-input tests).
    Each test must still ask for ``db``: it runs in a savepoint rolled back after it, so it may write."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def login_client(user, task_force=None) -> Client:
    client = Client()
    client.force_login(user)
    if task_force is not None:
        session = client.session
        session[SESSION_KEY] = task_force.pk
        session.save()
    return client


@pytest.fixture
def client_for(world):
    """``client_for("receiving_member")`` -> a logged-in Client acting in the user's task force."""

    def make(key: str, task_force=None) -> Client:
        user = world.users[key]
        tf = task_force or (world.other_tf if key.startswith("foreign") else world.tf)
        return login_client(user, tf)

    return make

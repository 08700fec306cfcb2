import functools

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher, make_password
from django.utils import timezone

from partners.models import Membership, Partner, PartnerKind, Role, Service, TaskForce

PASSWORD = "correct horse battery staple"


def _password_hash() -> str:
    return _password_hash_with(settings.PASSWORD_HASHERS[0])


@functools.cache
def _password_hash_with(hasher: str) -> str:
    # Cached per hasher: tests that switch to a fast hasher get a hash it can check.
    return make_password(PASSWORD)


def identify_hasher_or_none(encoded: str):
    try:
        return identify_hasher(encoded)
    except ValueError:
        return None


class TaskForceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskForce
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"District {n}")
    slug = factory.Sequence(lambda n: f"district-{n}")
    district = factory.LazyAttribute(lambda o: o.name)
    timezone = "America/Chicago"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    task_force = factory.SubFactory(TaskForceFactory)
    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = PartnerKind.SERVICE_PROVIDER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"User {n}")
    # Hashed once per run with the real (Argon2) hasher: hashing per user would dominate the suite's time.
    password = factory.LazyFunction(lambda: _password_hash())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # UserFactory(password="plain text") still works: anything that is not already a hash is hashed.
        if kwargs.get("password") and not identify_hasher_or_none(kwargs["password"]):
            kwargs["password"] = make_password(kwargs["password"])
        return super()._create(model_class, *args, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    task_force = factory.LazyAttribute(lambda o: o.partner.task_force)
    role = Role.MEMBER


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    task_force = factory.LazyAttribute(lambda o: o.partner.task_force)
    name = factory.Sequence(lambda n: f"Service {n}")

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def languages(self, create, extracted, **kwargs):
        if create and extracted:
            self.languages.set(extracted)


# --- Referrals (cases/) ------------------------------------------------------------------------------------


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.Person"

    task_force = factory.SubFactory(TaskForceFactory)
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")


class ConsentFactory(factory.django.DjangoModelFactory):
    """Consent covering the whole task force from today (the task force's today: between midnight UTC and midnight in
    its own zone the two differ, and a consent from "tomorrow" covers nothing yet), no expiry (pass
    ``scope``/``partners`` to narrow)."""

    class Meta:
        model = "cases.Consent"
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    task_force = factory.LazyAttribute(lambda o: o.person.task_force)
    scope = "task_force"
    shares = factory.LazyFunction(lambda: ["contact", "needs", "history"])
    method = "verbal"
    given_on = factory.LazyAttribute(lambda o: timezone.localdate(timezone=o.task_force.tzinfo))

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create and extracted:
            self.partners.set(extracted)


class ReferralFactory(factory.django.DjangoModelFactory):
    """A draft referral between two partners of one task force (build the rest through cases.lifecycle)."""

    class Meta:
        model = "cases.Referral"
        skip_postgeneration_save = True

    sending_partner = factory.SubFactory(PartnerFactory)
    receiving_partner = factory.SubFactory(
        PartnerFactory, task_force=factory.SelfAttribute("..sending_partner.task_force")
    )
    task_force = factory.LazyAttribute(lambda o: o.sending_partner.task_force)
    person = factory.SubFactory(PersonFactory, task_force=factory.SelfAttribute("..sending_partner.task_force"))
    reference = factory.Sequence(lambda n: f"R-TEST-{n:06d}")

    @factory.post_generation
    def needs(self, create, extracted, **kwargs):
        if create and extracted:
            self.needs.set(extracted)

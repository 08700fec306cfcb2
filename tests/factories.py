import factory
from django.contrib.auth import get_user_model

from partners.models import Membership, Partner, PartnerKind, Role, TaskForce

PASSWORD = "correct horse battery staple"


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
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    task_force = factory.LazyAttribute(lambda o: o.partner.task_force)
    role = Role.MEMBER

"""Factories for membership records; they write directly, bypassing services, for set-up only."""

import itertools

import factory

from dialogue.members.models import Member, Organization, Person, User

_STATES = itertools.cycle(
    [
        ("CHE", "Switzerland", "Suisse", "Suiza", "europe"),
        ("SEN", "Senegal", "Sénégal", "Senegal", "africa"),
        ("MEX", "Mexico", "Mexique", "México", "americas"),
        ("THA", "Thailand", "Thaïlande", "Tailandia", "asia"),
        ("FJI", "Fiji", "Fidji", "Fiji", "oceania"),
        ("CIV", "Côte d'Ivoire", "Côte d'Ivoire", "Côte d'Ivoire", "africa"),
        ("TUR", "Türkiye", "Turquie", "Türkiye", "asia"),
        ("PER", "Peru", "Pérou", "Perú", "americas"),
    ]
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")


class StaffUserFactory(UserFactory):
    is_staff = True
    email = factory.Sequence(lambda n: f"staff{n}@secretariat.example.org")


class MemberFactory(factory.django.DjangoModelFactory):
    """A Member State; codes cycle through real ISO codes, so use `code=` when making many."""

    class Meta:
        model = Member
        django_get_or_create = ("code",)

    class Params:
        state = factory.Iterator(_STATES)

    kind = Member.Kind.MEMBER_STATE
    code = factory.LazyAttribute(lambda o: o.state[0])
    name_en = factory.LazyAttribute(lambda o: o.state[1])
    name_fr = factory.LazyAttribute(lambda o: o.state[2])
    name_es = factory.LazyAttribute(lambda o: o.state[3])
    region = factory.LazyAttribute(lambda o: o.state[4])
    status = Member.Status.ACTIVE


class ObserverOrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        django_get_or_create = ("code",)

    kind = Member.Kind.OBSERVER_ORGANIZATION
    code = factory.Sequence(lambda n: f"ORG{n}")
    name_en = factory.Sequence(lambda n: f"Observer Organization {n}")
    region = "international"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.ACADEMIA
    name_en = factory.Sequence(lambda n: f"Institute {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    """A delegate; pass `with_account=True` to give them a login with a known password."""

    class Meta:
        model = Person

    class Params:
        with_account = False

    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    email = factory.Sequence(lambda n: f"person{n}@mission.example.org")
    role = Person.Role.DELEGATE
    delegation = factory.SubFactory(MemberFactory)
    user = factory.Maybe(
        "with_account",
        yes_declaration=factory.SubFactory(UserFactory, email=factory.SelfAttribute("..email")),
        no_declaration=None,
    )


class FocalPointFactory(PersonFactory):
    class Params:
        with_account = True

    role = Person.Role.FOCAL_POINT

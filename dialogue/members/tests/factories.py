"""Factories for membership records; they write directly, bypassing services, for set-up only."""

import factory

from dialogue.members.models import Member, Organization, Person, User

STATES = {
    "CHE": ("Switzerland", "Suisse", "Suiza", "europe"),
    "SEN": ("Senegal", "Sénégal", "Senegal", "africa"),
    "MEX": ("Mexico", "Mexique", "México", "americas"),
    "THA": ("Thailand", "Thaïlande", "Tailandia", "asia"),
    "FJI": ("Fiji", "Fidji", "Fiji", "oceania"),
    "CIV": ("Côte d'Ivoire", "Côte d'Ivoire", "Côte d'Ivoire", "africa"),
    "TUR": ("Türkiye", "Turquie", "Türkiye", "asia"),
    "PER": ("Peru", "Pérou", "Perú", "americas"),
}


def _state(code: str, index: int, default: str = "") -> str:
    return STATES[code][index] if code in STATES else default


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password("correct-horse-battery")


class StaffUserFactory(UserFactory):
    is_staff = True
    email = factory.Sequence(lambda n: f"staff{n}@secretariat.example.org")


class MemberFactory(factory.django.DjangoModelFactory):
    """A Member State; known codes (see STATES) get real names, others need name_en=."""

    class Meta:
        model = Member
        django_get_or_create = ("code",)

    kind = Member.Kind.MEMBER_STATE
    code = factory.Iterator(list(STATES))
    name_en = factory.LazyAttribute(lambda o: _state(o.code, 0, o.code))
    name_fr = factory.LazyAttribute(lambda o: _state(o.code, 1))
    name_es = factory.LazyAttribute(lambda o: _state(o.code, 2))
    region = factory.LazyAttribute(lambda o: _state(o.code, 3, "europe"))
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

"""Reads of the membership registry."""

import unicodedata

from django.db.models import Count, Q, QuerySet

from dialogue.members.models import Member, Person, User


def member_list(
    *, kind: str | None = None, region: str | None = None, query: str = "", current_only=True
) -> QuerySet[Member]:
    """Members, current ones only unless told otherwise, sorted by name in the active language.

    `query` matches any language's name or the code.
    """
    members = Member.objects.all()
    if current_only:
        members = members.exclude(status=Member.Status.LEFT)
    if kind:
        members = members.filter(kind=kind)
    if region:
        members = members.filter(region=region)
    query = query.strip()
    if query:
        members = members.filter(
            Q(name_en__icontains=query)
            | Q(name_fr__icontains=query)
            | Q(name_es__icontains=query)
            | Q(code__iexact=query)
        )
    return members


def sorted_by_name(members) -> list[Member]:
    """Members in alphabetical order of their name in the active language (accents folded)."""

    def key(member: Member) -> str:
        text = unicodedata.normalize("NFKD", member.name).casefold()
        return "".join(c for c in text if not unicodedata.combining(c))

    return sorted(members, key=key)


def membership_counts() -> dict[str, int]:
    """How many current Member States, observer States and observer organizations there are."""
    rows = Member.objects.exclude(status=Member.Status.LEFT).values("kind").annotate(n=Count("id"))
    counts = dict.fromkeys(Member.Kind.values, 0)
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts


def member_get(code: str) -> Member:
    """One member by its code (raises Member.DoesNotExist)."""
    return Member.objects.get(code=code.upper())


def delegation_persons(member: Member) -> QuerySet[Person]:
    """The persons acting for a delegation, focal points first, with their accounts."""
    return (
        Person.objects.filter(delegation=member)
        .select_related("user")
        .order_by("-role", "family_name", "given_name")
    )


def person_for_user(user) -> Person | None:
    """The Person record linked to a login, if any, with its delegation; read once per
    account object (kept as `user.person`)."""
    if not getattr(user, "is_authenticated", False):
        return None
    link = User._meta.get_field("person")
    if link.is_cached(user):
        return link.get_cached_value(user)
    person = Person.objects.select_related("delegation").filter(user=user).first()
    link.set_cached_value(user, person)
    return person


def persons_visible_to(
    user, *, delegation: str = "", role: str = "", query: str = ""
) -> QuerySet[Person]:
    """The persons a viewer may list, with their delegation, affiliation and account:
    everyone for staff, the persons of their own delegation for an active delegate or focal
    point of a delegation, nobody for anyone else. Narrowed by a delegation code, a role
    and words of the name or e-mail address."""
    from dialogue.core.actors import has_staff_rights

    persons = Person.objects.select_related("delegation", "organization", "user")
    if not has_staff_rights(user):
        own = person_for_user(user)
        if own is None or not own.is_active or own.delegation_id is None:
            return persons.none()
        persons = persons.filter(delegation_id=own.delegation_id)
    if delegation:
        persons = persons.filter(delegation__code=delegation.upper())
    if role:
        persons = persons.filter(role=role)
    for word in query.split():
        persons = persons.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(email__icontains=word)
        )
    return persons

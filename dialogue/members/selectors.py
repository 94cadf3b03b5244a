"""Reads of the membership registry."""

import unicodedata

from django.db.models import Count, Q, QuerySet

from dialogue.members.models import Member, Person


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
    """The Person record linked to a login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.select_related("delegation").filter(user=user).first()

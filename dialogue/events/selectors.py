"""Reads of the events app."""

from django.db.models import Q, QuerySet

from dialogue.events.models import Event, Invitation
from dialogue.events.rules import describe_dates
from dialogue.members.models import Person


def invited_people(event: Event) -> QuerySet[Person]:
    """Active persons with an e-mail address reached by the event's invitations.

    An invited member reaches its delegates and focal points; an invited organization
    its persons; an invited person, that person.
    """
    invitations = Invitation.objects.filter(event=event)
    members = invitations.exclude(member=None).values("member")
    organizations = invitations.exclude(organization=None).values("organization")
    persons = invitations.exclude(person=None).values("person")
    return (
        Person.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(delegation__in=members, role__in=Person.DELEGATION_ROLES)
            | Q(organization__in=organizations)
            | Q(pk__in=persons)
        )
        .distinct()
    )


def dates_text(event: Event, language: str | None = None) -> str:
    """The event's dates as precisely as known, in a language."""
    return describe_dates(
        precision=event.precision,
        year=event.year,
        month=event.month,
        seasons=list(event.seasons or []),
        start_date=event.start_date,
        end_date=event.end_date,
        language=language,
    )

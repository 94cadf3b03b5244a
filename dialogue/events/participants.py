"""Reads of an event's participants: the list, its composition and the rows of its exports.

Registrations are read as they are stored; registering, approving and cancelling belong
to the registration services.
"""

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogue.events.models import Event, Registration
from dialogue.members.models import Person, Region

# The columns of the participants' list as exported: (key, header).
EXPORT_COLUMNS = (
    ("family_name", _("Family name")),
    ("given_name", _("Given name")),
    ("honorific", _("Title")),
    ("email", _("E-mail address")),
    ("affiliation", _("Affiliation")),
    ("affiliation_kind", _("Kind of affiliation")),
    ("gender", _("Gender")),
    ("region", _("Region")),
    ("status", _("Status")),
    ("registered_at", _("Registered at")),
)


@dataclass(frozen=True)
class Count:
    """How many participants share one value (a kind of affiliation, a gender, a region)."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Composition:
    """Who holds a place at an event, counted three ways."""

    total: int
    by_affiliation_kind: list[Count]
    by_gender: list[Count]
    by_region: list[Count]


def participants_list(event: Event) -> QuerySet[Registration]:
    """Every registration of an event, whatever its status, with its person, by name."""
    return (
        Registration.objects.filter(event=event)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "id")
    )


def participants_with_a_place(event: Event) -> QuerySet[Registration]:
    """The registrations holding a place at an event (not waiting, pending or cancelled)."""
    return participants_list(event).filter(status=Registration.Status.REGISTERED)


def region_label(value: str) -> str:
    """The name of a region code as registrations store it; an unknown code as it is."""
    if not value:
        return str(_("Not given"))
    return str(dict(Region.choices).get(value, value))


def _counts(choices, counted: Counter, *, unknown_label) -> list[Count]:
    rows = [Count(value, str(label), counted.get(value, 0)) for value, label in choices]
    known = {value for value, _label in choices}
    for value in sorted(v for v in counted if v not in known):
        rows.append(Count(value, unknown_label(value), counted[value]))
    return rows


def participants_composition(event: Event) -> Composition:
    """The participants holding a place, counted by kind of affiliation, gender and region.

    Every kind, gender and region is listed, with zero where nobody matches, so that the
    tables of two events compare line by line.
    """
    rows = list(
        participants_with_a_place(event).values_list("affiliation_kind", "person__gender", "region")
    )
    kinds = Counter(kind for kind, _gender, _region in rows)
    genders = Counter(gender for _kind, gender, _region in rows)
    regions = Counter(region for _kind, _gender, region in rows)
    return Composition(
        total=len(rows),
        by_affiliation_kind=_counts(Registration.AffiliationKind.choices, kinds, unknown_label=str),
        by_gender=_counts(Person.Gender.choices, genders, unknown_label=str),
        by_region=_counts(Region.choices, regions, unknown_label=region_label),
    )


def _local(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def participants_export_rows(event: Event) -> list[dict[str, Any]]:
    """Every registration of an event as the export's columns (labels in the active language)."""
    rows = []
    for registration in participants_list(event):
        person = registration.person
        rows.append(
            {
                "family_name": person.family_name,
                "given_name": person.given_name,
                "honorific": person.honorific,
                "email": person.email,
                "affiliation": registration.affiliation,
                "affiliation_kind": registration.get_affiliation_kind_display(),
                "gender": person.get_gender_display(),
                "region": region_label(registration.region),
                "status": registration.get_status_display(),
                "registered_at": _local(registration.registered_at),
            }
        )
    return rows

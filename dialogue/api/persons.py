"""Persons: for the secretariat every person, for a delegation its own persons."""

from django.http import HttpRequest
from ninja import Path, Query, Router

from dialogue.api.auth import SIGNED_IN
from dialogue.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from dialogue.api.schemas import ErrorOut, PersonOut, PersonPage, PersonRole
from dialogue.members import selectors
from dialogue.members.models import Person

router = Router(tags=["persons"], auth=SIGNED_IN)


def person_out(person: Person) -> dict:
    """A person as the API shows it."""
    return {
        "id": person.pk,
        "honorific": person.honorific,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "full_name": person.full_name,
        "role": person.role,
        "job_title": person.job_title,
        "email": person.email,
        "preferred_language": person.preferred_language,
        "is_active": person.is_active,
        "delegation": person.delegation.code if person.delegation_id else None,
        "organization": str(person.organization) if person.organization_id else None,
    }


@router.get(
    "/persons",
    response={200: PersonPage, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
)
def list_persons(
    request: HttpRequest,
    delegation: str = Query("", max_length=20, description="A Member's code."),
    role: Query[PersonRole | None] = None,
    q: str = Query("", max_length=200),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Persons by family and given name: every person for staff, the persons of their own
    delegation for a delegate or focal point, nobody for anyone else."""
    persons = selectors.persons_visible_to(
        request.user, delegation=delegation, role=role or "", query=q
    )
    page = paginate(
        persons,
        name="persons",
        order=["family_name", "given_name", "id"],
        cursor=cursor,
        limit=limit,
    )
    return {"items": [person_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/persons/{person_id}", response={200: PersonOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def get_person(request: HttpRequest, person_id: int = Path(..., ge=1, le=2**63 - 1)):
    """One person the caller may see; another delegation's person is not found (404)."""
    return person_out(selectors.persons_visible_to(request.user).get(pk=person_id))

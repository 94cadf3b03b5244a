"""Members: Member States, observer States and observer organizations."""

from django.http import HttpRequest
from ninja import Query, Router

from dialogue.api.auth import ANYONE
from dialogue.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from dialogue.api.schemas import (
    ErrorOut,
    MemberKind,
    MemberOut,
    MemberPage,
    MemberStatus,
    RegionCode,
)
from dialogue.members import selectors
from dialogue.members.models import Member

router = Router(tags=["members"], auth=ANYONE)
PUBLIC = {"security": [{"TokenAuth": []}, {"SessionAuth": []}, {}]}


def member_out(member: Member) -> dict:
    """A member as the API shows it, names in the request's language."""
    return {
        "code": member.code,
        "kind": member.kind,
        "name": member.name,
        "official_name": member.official_name,
        "name_en": member.name_en,
        "name_fr": member.name_fr,
        "name_es": member.name_es,
        "region": member.region,
        "status": member.status,
        "joined": member.joined,
        "url": member.get_absolute_url(),
    }


@router.get(
    "/members",
    response={200: MemberPage, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def list_members(
    request: HttpRequest,
    kind: Query[MemberKind | None] = None,
    region: Query[RegionCode | None] = None,
    status: Query[MemberStatus | None] = None,
    q: str = Query("", max_length=200),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Members by English name, current ones unless `status` asks for another; `q`
    matches a name in any language or the code."""
    members = selectors.member_list(kind=kind, region=region, query=q, current_only=status is None)
    if status:
        members = members.filter(status=status)
    page = paginate(members, name="members", order=["name_en", "id"], cursor=cursor, limit=limit)
    return {"items": [member_out(m) for m in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/members/{code}",
    response={200: MemberOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra=PUBLIC,
)
def get_member(request: HttpRequest, code: str):
    """One member by its code, whatever its status."""
    return member_out(selectors.member_get(code))

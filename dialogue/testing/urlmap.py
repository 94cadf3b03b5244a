"""Every URL the project defines, and a request for each built from one seeded data set.

`routes()` walks the URL resolver: one `Route` per URL pattern of the public site, the
portal, the staff pages and the Django admin (their language prefix counted once), and
for the JSON API one `Route` per operation (path and method) of its OpenAPI schema.
`build_world()` writes one small data set with two Member States (A and B), an observer,
their delegates and focal points, staff, and the cycle, surveys, events, funding and
documents they work on; everything delegation B owns carries `MARKER`, so a page that
leaks B's data to A's persons can be found by searching for it. `sample(route, world)`
is the request that exercises a route on that data set: its method, path and body.
"""

import base64
import contextlib
import datetime
import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern

MARKER = "ZZMARKERB"
LANGUAGE_PREFIX = "<lang>/"
API_PREFIX = "api/v1/"
INVITATION_TOKEN = "invitation-link-token-of-the-expert-0123456789"  # noqa: S105 (test link)
PDF = b"%PDF-1.4\n% a small PDF for the tests\n%%EOF\n"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    """One URL pattern (pages) or one API operation (path and method).

    `key` names it: the namespaced URL name ("portal:survey"), "<namespace>:[<route>]" for
    an unnamed pattern, or "<METHOD> <path>" for an API operation.
    """

    key: str
    route: str
    area: str
    method: str | None = None


@dataclass(frozen=True)
class Sample:
    """A request that reaches a route with the seeded data set."""

    method: str
    path: str
    data: Any = None
    content_type: str | None = None


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            part = (
                LANGUAGE_PREFIX
                if isinstance(pattern.pattern, LocalePrefixPattern)
                else str(pattern.pattern)
            )
            yield from _walk(pattern.url_patterns, prefix + part, inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern.name


def _openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


@functools.cache
def api_operations() -> dict[str, list[str]]:
    """The OpenAPI schema's paths, each with its methods (upper case)."""
    from dialogue.api.api import api

    schema = api.get_openapi_schema()
    return {
        path: sorted(method.upper() for method in operations)
        for path, operations in schema["paths"].items()
    }


def _area(route: str, namespace: str | None) -> str:
    if route.startswith(API_PREFIX):
        return "api"
    return (namespace or "root").split(":")[0]


def routes() -> list[Route]:
    """Every route of the project, sorted by key; API operations come from the schema."""
    operations = api_operations()
    found: dict[str, Route] = {}
    seen_api_paths = set()
    for route, namespace, name in _walk(get_resolver().url_patterns):
        area = _area(route, namespace)
        if area == "api" and _openapi_path(route) in operations:
            path = _openapi_path(route)
            seen_api_paths.add(path)
            for method in operations[path]:
                key = f"{method} {path}"
                found[key] = Route(key=key, route=route, area=area, method=method)
            continue
        short = route.removeprefix(LANGUAGE_PREFIX)
        if name:
            key = f"{namespace}:{name}" if namespace else name
        else:
            key = f"{namespace or 'root'}:[{short}]"
        found[key] = Route(key=key, route=route, area=area)
    missing = set(operations) - seen_api_paths
    if missing:
        raise LookupError(f"API paths in the schema without a URL pattern: {sorted(missing)}")
    return [found[key] for key in sorted(found)]


# --- the seeded data set -----------------------------------------------------------------


@dataclass
class World:
    """The seeded data set: `a` and `b` hold each Member State's persons and objects."""

    a: SimpleNamespace
    b: SimpleNamespace
    observer: SimpleNamespace
    staff: Any
    superuser: Any
    objects: SimpleNamespace
    users: dict[str, Any] = field(default_factory=dict)


def _delegation(code: str, marker: str):
    from dialogue.api import services as api_services
    from dialogue.members.tests.factories import FocalPointFactory, MemberFactory, PersonFactory

    member = MemberFactory(code=code)
    delegate = PersonFactory(delegation=member, with_account=True, family_name=f"Delegate{marker}")
    focal_point = FocalPointFactory(delegation=member, family_name=f"Focal{marker}")
    colleague = PersonFactory(
        delegation=member, with_account=True, family_name=f"Colleague{marker}"
    )
    token, secret = api_services.token_create(actor=delegate.user, name=f"Script {marker}")
    return SimpleNamespace(
        member=member,
        delegate=delegate,
        focal_point=focal_point,
        colleague=colleague,
        token=token,
        token_secret=secret,
    )


def _surveys(staff, world_a, world_b, cycle, now):
    from dialogue.surveys import services as survey_services
    from dialogue.surveys.models import Response
    from dialogue.surveys.tests.factories import (
        DraftSurveyFactory,
        PublishedSurveyFactory,
        option_ids,
        questions_of,
    )

    day = datetime.timedelta(days=1)
    open_survey = PublishedSurveyFactory(
        actor=staff, cycle=cycle, opens_at=now - day, closes_at=now + 13 * day, now=now - day
    )
    question = questions_of(open_survey)[0]
    options = option_ids(question)
    for side, comment in ((world_a, "The view of A."), (world_b, f"The view of B {MARKER}.")):
        survey_services.response_submit(
            actor=side.delegate.user,
            survey=open_survey,
            member=side.member,
            choices={question.pk: [options[0]]},
            comment=comment,
        )
    closed = PublishedSurveyFactory(
        actor=staff,
        cycle=cycle,
        opens_at=now - 20 * day,
        closes_at=now - 6 * day,
        now=now - 20 * day,
    )
    closed_question = questions_of(closed)[0]
    closed_options = option_ids(closed_question)
    survey_services.response_submit(
        actor=staff,
        survey=closed,
        member=world_a.member,
        choices={closed_question.pk: [closed_options[1]]},
        channel=Response.Channel.WRITTEN,
        letter=SimpleUploadedFile("letter.pdf", PDF),
        now=now - 10 * day,
    )
    survey_services.response_submit(
        actor=world_b.delegate.user,
        survey=closed,
        member=world_b.member,
        choices={closed_question.pk: [closed_options[0]]},
        comment=f"Closed answer of B {MARKER}.",
        now=now - 9 * day,
    )
    survey_services.survey_close(actor=staff, survey=closed, now=now - 5 * day)
    closed = survey_services.survey_publish_results(actor=staff, survey=closed, now=now - 4 * day)
    unpublished = PublishedSurveyFactory(
        actor=staff,
        cycle=cycle,
        opens_at=now - 20 * day,
        closes_at=now - 6 * day,
        now=now - 20 * day,
    )
    survey_services.survey_close(actor=staff, survey=unpublished, now=now - 5 * day)
    unpublished.refresh_from_db()
    draft = DraftSurveyFactory(actor=staff, cycle=cycle)
    return SimpleNamespace(
        open=open_survey,
        question=question,
        options=options,
        results=closed,
        results_question=closed_question,
        closed=unpublished,
        draft=draft,
    )


def _events(staff, world_a, world_b, cycle, organization, now):
    from dialogue.events import registration as registrations
    from dialogue.events.models import Event
    from dialogue.events.tests.factories import EventFactory, InvitationFactory
    from dialogue.funding.tests.factories import (
        BudgetLineFactory,
        DonorFactory,
        ExchangeRateFactory,
        PledgeFactory,
    )
    from dialogue.members.tests.factories import PersonFactory

    start = (now + datetime.timedelta(days=60)).date()
    dated = {
        "precision": Event.Precision.DAY,
        "year": start.year,
        "start_date": start,
        "end_date": start + datetime.timedelta(days=1),
        "city": "Geneva",
        "country": "CHE",
    }
    past = (now - datetime.timedelta(days=30)).date()
    event = EventFactory(cycle=cycle, status=Event.Status.CONFIRMED, host=organization, **dated)
    free_event = EventFactory(cycle=cycle, status=Event.Status.CONFIRMED, **dated)
    held = EventFactory(
        cycle=cycle,
        status=Event.Status.HELD,
        **{**dated, "year": past.year, "start_date": past, "end_date": past},
    )
    only_b = EventFactory(
        cycle=cycle,
        status=Event.Status.CONFIRMED,
        invitation_only=True,
        is_public=False,
        title_en=f"Closed seminar {MARKER}",
        **dated,
    )
    InvitationFactory(event=only_b, member=world_b.member)
    member_invitation = InvitationFactory(event=event, member=world_a.member)
    expert = PersonFactory(delegation=None, organization=organization, role="expert")
    InvitationFactory(
        event=event,
        person=expert,
        token_hash=hashlib.sha256(INVITATION_TOKEN.encode()).hexdigest(),
    )
    for side in (world_a, world_b):
        side.registration = registrations.registration_create(
            actor=side.delegate.user, event=event, person=side.delegate
        )
        side.colleague_registration = registrations.registration_create(
            actor=side.focal_point.user, event=event, person=side.colleague
        )
    world_b.only_event = only_b
    world_b.only_event_registration = registrations.registration_create(
        actor=world_b.delegate.user, event=only_b, person=world_b.delegate
    )
    world_a.only_event = None
    line = BudgetLineFactory(event=event)
    pledge = PledgeFactory(event=event, donor=DonorFactory(organization=organization))
    ExchangeRateFactory()
    return SimpleNamespace(
        event=event,
        free_event=free_event,
        held=held,
        only_b=only_b,
        member_invitation=member_invitation,
        expert=expert,
        budget_line=line,
        pledge=pledge,
    )


def _documents(staff, cycle, event, consultation):
    from dialogue.documents import note_services
    from dialogue.documents.models import Document
    from dialogue.site.tests.document_factories import make_document, make_series

    series = make_series()
    public = make_document(
        title_en="Report of the seminar", cycle=cycle, event=event, series=series, series_number=1
    )
    members_only = make_document(
        title_en="Note for the membership", visibility=Document.Visibility.MEMBERS
    )
    draft = make_document(title_en="Draft report", status=Document.Status.DRAFT)
    note = note_services.note_draft(actor=staff, consultation=consultation, language="en")
    return SimpleNamespace(
        series=series,
        public=public,
        version=public.versions.get(),
        members_only=members_only,
        draft=draft,
        note=note,
    )


def build_world() -> World:
    """Write the data set (in the caller's transaction) and return its handles."""
    from django.contrib.auth.models import Group

    from dialogue.core import clock
    from dialogue.cycles import services as cycle_services
    from dialogue.cycles.models import Consultation, Decision
    from dialogue.cycles.tests.factories import (
        ConsultationFactory,
        CycleFactory,
        ThemeFactory,
        WorkshopTopicFactory,
    )
    from dialogue.mail.models import Message
    from dialogue.members.tests.factories import (
        OrganizationFactory,
        PersonFactory,
        StaffUserFactory,
        UserFactory,
    )
    from dialogue.surveys.tests.factories import observer_state

    now = clock.now()
    staff = StaffUserFactory()
    superuser = UserFactory(is_staff=True, is_superuser=True, email="chief@secretariat.example.org")
    world_a = _delegation("CHE", "A")
    world_b = _delegation("SEN", MARKER)
    observer_member = observer_state()
    observer = SimpleNamespace(
        member=observer_member,
        delegate=PersonFactory(delegation=observer_member, with_account=True),
    )
    organization = OrganizationFactory()
    cycle = CycleFactory(year=now.year)
    theme = ThemeFactory(cycle=cycle)
    topic = WorkshopTopicFactory(cycle=cycle, theme=theme)
    surveys = _surveys(staff, world_a, world_b, cycle, now)
    events = _events(staff, world_a, world_b, cycle, organization, now)
    consultation = ConsultationFactory(
        cycle=cycle,
        proposals=[theme],
        outcome=Consultation.Outcome.NO_AGREEMENT,
        held_on=(now - datetime.timedelta(days=1)).date(),
    )
    documents = _documents(staff, cycle, events.event, consultation)
    decision = cycle_services.decision_record(
        actor=staff,
        cycle=cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        proposals=[topic],
        decided_on=now.date(),
        survey=surveys.results,
    )
    interest = cycle_services.interest_record(
        actor=staff,
        proposal=theme,
        member=world_a.member,
        consultation=consultation,
        expressed_on=consultation.held_on,
    )
    Group.objects.create(name="Secretariat")
    message = Message.objects.create(
        kind=Message.Kind.OTHER,
        status=Message.Status.FAILED,
        to="someone@example.org",
        subject="A message that could not be sent",
        body="Text.",
        created_at=now,
        message_id="<matrix-message@dialogue.example.org>",
    )
    objects = SimpleNamespace(
        now=now,
        decision=decision,
        interest=interest,
        message=message,
        organization=organization,
        cycle=cycle,
        theme=theme,
        topic=topic,
        consultation=consultation,
        surveys=surveys,
        events=events,
        documents=documents,
    )
    world = World(
        a=world_a,
        b=world_b,
        observer=observer,
        staff=staff,
        superuser=superuser,
        objects=objects,
    )
    world.users = {
        "delegate_a": world_a.delegate.user,
        "focal_point_a": world_a.focal_point.user,
        "delegate_b": world_b.delegate.user,
        "observer_delegate": observer.delegate.user,
        "staff": staff,
        "superuser": superuser,
    }
    return world


# --- sample arguments ----------------------------------------------------------------


def _pk(obj) -> dict:
    return {"pk": obj.pk}


def _page_kwargs(world: World, side: SimpleNamespace) -> dict[str, Callable[[], dict]]:
    """URL arguments of each page that takes some; `side` owns the delegation's objects."""
    from dialogue.portal.feed_views import feed_token

    o = world.objects
    s, e, d = o.surveys, o.events, o.documents
    return {
        "portal:password_set": lambda: {"uidb64": "MQ", "token": "set-password"},
        "portal:second_factor_enrol_link": lambda: {"token": "not-a-valid-link"},
        "portal:token_revoke": lambda: {"token_id": side.token.pk},
        "portal:delegate_action": lambda: {"person_id": side.colleague.pk, "action": "deactivate"},
        "portal:survey": lambda: _pk(s.open),
        "portal:survey_receipt": lambda: _pk(s.open),
        "portal:survey_results": lambda: _pk(s.results),
        "portal:event": lambda: _pk(side.only_event or e.event),
        "portal:event_register": lambda: _pk(side.only_event or e.free_event),
        "portal:event_register_delegation": lambda: _pk(side.only_event or e.free_event),
        "portal:registration_cancel": lambda: _pk(side.colleague_registration),
        "portal:invitation": lambda: {"token": INVITATION_TOKEN},
        "portal:delegation_feed": lambda: {"token": feed_token(side.delegate)},
        "site:member": lambda: {"code": side.member.code},
        "site:cycle": lambda: {"year": o.cycle.year},
        "site:event": lambda: _pk(e.event),
        "site:event_ics": lambda: _pk(e.event),
        "site:document": lambda: _pk(d.public),
        "site:series": lambda: _pk(d.series),
        "site:document_download": lambda: {"version_pk": d.version.pk},
        "staff:cycle_detail": lambda: _pk(o.cycle),
        "staff:cycle_edit": lambda: _pk(o.cycle),
        "staff:proposal_add": lambda: {"cycle_pk": o.cycle.pk},
        "staff:consultation_add": lambda: {"cycle_pk": o.cycle.pk},
        "staff:decision_add": lambda: {"cycle_pk": o.cycle.pk},
        "staff:proposal_edit": lambda: _pk(o.theme),
        "staff:proposal_withdraw": lambda: _pk(o.topic),
        "staff:proposal_interest": lambda: _pk(o.theme),
        "staff:interest_add": lambda: _pk(o.theme),
        "staff:consultation_edit": lambda: _pk(o.consultation),
        "staff:consultation_outcome": lambda: _pk(o.consultation),
        "staff:consultation_follow_up_survey": lambda: _pk(o.consultation),
        "staff:survey_detail": lambda: _pk(s.open),
        "staff:survey_update": lambda: _pk(s.draft),
        "staff:survey_question_add": lambda: _pk(s.draft),
        "staff:survey_tie_resolution": lambda: {
            "pk": s.results.pk,
            "question_pk": s.results_question.pk,
        },
        "staff:survey_weight_set": lambda: _pk(s.draft),
        "staff:survey_messages": lambda: _pk(s.open),
        "staff:survey_message_edit": lambda: {
            "pk": s.open.pk,
            "kind": "invitation",
            "language": "en",
        },
        "staff:survey_publish": lambda: _pk(s.draft),
        "staff:survey_extend": lambda: _pk(s.open),
        "staff:survey_close": lambda: _pk(s.open),
        "staff:survey_publish_results": lambda: _pk(s.closed),
        "staff:survey_turnout": lambda: _pk(s.open),
        "staff:survey_remind": lambda: _pk(s.open),
        "staff:survey_response_record": lambda: _pk(s.open),
        "staff:survey_response_letter": lambda: {
            "pk": s.results.pk,
            "member_pk": world.a.member.pk,
        },
        "staff:survey_results": lambda: _pk(s.results),
        "staff:survey_results_csv": lambda: _pk(s.results),
        "staff:event_detail": lambda: _pk(e.event),
        "staff:event_edit": lambda: _pk(e.event),
        "staff:event_new_session": lambda: _pk(e.event),
        "staff:event_seek_funding": lambda: _pk(e.free_event),
        "staff:event_confirm": lambda: _pk(e.free_event),
        "staff:event_postpone": lambda: _pk(e.free_event),
        "staff:event_cancel": lambda: _pk(e.free_event),
        "staff:event_record_outcome": lambda: _pk(e.held),
        "staff:budget_line_add": lambda: _pk(e.event),
        "staff:budget_line_edit": lambda: _pk(e.budget_line),
        "staff:pledge_record": lambda: _pk(e.event),
        "staff:pledge_mark_received": lambda: _pk(e.pledge),
        "staff:pledge_withdraw": lambda: _pk(e.pledge),
        "staff:participants_list": lambda: _pk(e.event),
        "staff:participants_csv": lambda: _pk(e.event),
        "staff:participants_xlsx": lambda: _pk(e.event),
        "staff:participants_sign_in_sheet": lambda: _pk(e.event),
        "staff:participants_badges": lambda: _pk(e.event),
        "staff:invitation_list": lambda: _pk(e.event),
        "staff:event_invite_membership": lambda: _pk(e.event),
        "staff:event_invite_members": lambda: _pk(e.event),
        "staff:event_invite_organizations": lambda: _pk(e.event),
        "staff:event_invite_persons": lambda: _pk(e.event),
        "staff:invitation_resend": lambda: _pk(e.member_invitation),
        "staff:registration_create": lambda: _pk(e.event),
        "staff:registration_approve": lambda: _pk(world.a.registration),
        "staff:registration_reject": lambda: _pk(world.a.registration),
        "staff:registration_cancel": lambda: _pk(world.a.registration),
        "staff:event_waiting_list_promote": lambda: _pk(e.event),
        "staff:event_follow_up": lambda: _pk(e.held),
        "staff:document_detail": lambda: _pk(d.public),
        "staff:document_edit": lambda: _pk(d.public),
        "staff:version_upload": lambda: _pk(d.draft),
        "staff:document_publish": lambda: _pk(d.draft),
        "staff:document_withdraw": lambda: _pk(d.public),
        "staff:document_number": lambda: _pk(d.members_only),
        "staff:version_publish": lambda: _pk(d.draft.versions.get()),
        "staff:version_download": lambda: _pk(d.version),
        "staff:note_draft": lambda: _pk(o.consultation),
        "staff:note_issue": lambda: _pk(o.consultation),
        "staff:note_edit": lambda: _pk(d.note),
        "staff:note_download": lambda: {"pk": d.note.pk, "file_format": "html"},
        "staff:export_survey_responses_csv": lambda: _pk(s.results),
        "staff:export_survey_responses_xlsx": lambda: _pk(s.results),
        "staff:export_survey_results_csv": lambda: _pk(s.results),
        "staff:export_survey_results_xlsx": lambda: _pk(s.results),
        "staff:export_funding_csv": lambda: {"table": "coverage"},
        "staff:export_cycle_archive": lambda: _pk(o.cycle),
        "staff:mail_send_again": lambda: _pk(o.message),
        "staff:mail_cancel": lambda: _pk(o.message),
    }


def _api_params(world: World, side: SimpleNamespace) -> dict[str, Callable[[], dict]]:
    o = world.objects
    s, e, d = o.surveys, o.events, o.documents
    event_of_side = side.only_event or e.event
    return {
        "code": lambda: side.member.code,
        "person_id": lambda: side.colleague.pk,
        "year": lambda: o.cycle.year,
        "document_id": lambda: d.public.pk,
        "language": lambda: "en",
        "event_id": lambda: event_of_side.pk,
        "registration_id": lambda: (
            (side.only_event_registration if side.only_event else side.colleague_registration).pk
        ),
        "survey_id": lambda: s.open.pk,
        "member_code": lambda: side.member.code,
        "file_format": lambda: "csv",
        "table": lambda: "coverage",
    }


# Path parameters that differ from the default above for one operation.
_API_OVERRIDES: dict[str, dict[str, Callable[[World], Any]]] = {
    "POST /api/v1/events/{event_id}/registrations": {
        "event_id": lambda w: w.objects.events.free_event.pk
    },
    "GET /api/v1/surveys/{survey_id}/results": {
        "survey_id": lambda w: w.objects.surveys.results.pk
    },
    "GET /api/v1/surveys/{survey_id}/receipts": {
        "survey_id": lambda w: w.objects.surveys.results.pk
    },
    "PATCH /api/v1/surveys/{survey_id}": {"survey_id": lambda w: w.objects.surveys.draft.pk},
    "POST /api/v1/surveys/{survey_id}/publish": {"survey_id": lambda w: w.objects.surveys.draft.pk},
    "POST /api/v1/surveys/{survey_id}/publish-results": {
        "survey_id": lambda w: w.objects.surveys.closed.pk
    },
    "GET /api/v1/exports/surveys/{survey_id}/responses.{file_format}": {
        "survey_id": lambda w: w.objects.surveys.results.pk
    },
    "GET /api/v1/exports/surveys/{survey_id}/results.{file_format}": {
        "survey_id": lambda w: w.objects.surveys.results.pk
    },
    "PUT /api/v1/surveys/{survey_id}/responses/{member_code}": {
        "member_code": lambda w: w.observer.member.code
    },
}


def _api_body(key: str, world: World) -> dict | None:
    o = world.objects
    s = o.surveys
    later = (o.now + datetime.timedelta(days=30)).isoformat()
    letter = {"name": "letter.pdf", "content": base64.b64encode(PDF).decode()}
    bodies = {
        "POST /api/v1/documents/search": {"q": "report"},
        "POST /api/v1/events/{event_id}/registrations": {},
        "PUT /api/v1/surveys/{survey_id}/response": {
            "answers": {str(s.question.pk): [s.options[1]]},
            "comment": "Changed.",
        },
        "POST /api/v1/surveys": {"cycle": o.cycle.year, "title_en": "Another survey"},
        "PATCH /api/v1/surveys/{survey_id}": {"title_en": "Renamed survey"},
        "POST /api/v1/surveys/{survey_id}/publish": {},
        "POST /api/v1/surveys/{survey_id}/extend": {"closes_at": later},
        "POST /api/v1/surveys/{survey_id}/close": None,
        "POST /api/v1/surveys/{survey_id}/publish-results": None,
        "PUT /api/v1/surveys/{survey_id}/responses/{member_code}": {
            "answers": {str(s.question.pk): [s.options[0]]},
            "letter": letter,
        },
        "POST /api/v1/cycles/{year}/decisions": {
            "subject": "theme",
            "basis": "survey",
            "survey": s.results.pk,
            "proposals": [o.theme.pk],
            "decided_on": o.now.date().isoformat(),
        },
    }
    return bodies.get(key)


# Pages that answer POST only, with the form they are sent; every other page is visited
# with GET (a form page shows its form).
PAGE_POSTS: dict[str, dict] = {
    "set_language": {"language": "fr", "next": "/fr/"},
    "portal:logout": {},
    "portal:token_revoke": {},
    "portal:delegate_action": {},
    "portal:event_register": {},
    "staff:consultation_follow_up_survey": {},
    "staff:note_draft": {"language": "fr"},
    "staff:note_issue": {},
    "staff:survey_remind": {},
    "staff:mail_send_again": {},
    "staff:mail_cancel": {},
    "admin:logout": {},
}

# Query strings a page or operation needs to do its work.
QUERIES: dict[str, str] = {
    "site:search": "?q=report",
    "GET /api/v1/documents/search": "?q=report",
}


def _admin_path(route: Route, world: World) -> str:
    """A path for a Django admin pattern: the first object of its model where it takes one."""
    from dialogue.members.models import Member

    short = route.route.removeprefix(LANGUAGE_PREFIX + "admin/")
    name = route.key.removeprefix("admin:")
    if name == "app_list":
        return "/en/admin/members/"
    if name == "view_on_site":
        member = world.a.member
        content_type = ContentType.objects.get_for_model(Member)
        return f"/en/admin/r/{content_type.pk}/{member.pk}/"
    if route.key == "admin:[admin/(?P<url>.*)$]":
        return "/en/admin/no-such-page/"
    if "<" in short:
        app_label, model_name = short.split("/")[:2]
        model = next(
            m
            for m in admin.site._registry
            if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)
        )
        first = model._default_manager.order_by("pk").first()
        object_id = first.pk if first is not None else 0
        return "/en/admin/" + re.sub(r"<(?:\w+:)?\w+>", str(object_id), short)
    return "/en/admin/" + short


def _fill(route: str, values: dict) -> str:
    def replace(match: re.Match) -> str:
        return str(values[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", replace, route)


def sample(route: Route, world: World, side: SimpleNamespace | None = None) -> Sample:
    """The request that exercises `route` on the seeded data set (GET for pages; the
    operation's method and a valid body for the API). Objects owned by a delegation are
    `side`'s (A's by default)."""
    side = side or world.a
    if route.area == "api" and route.method:
        defaults = _api_params(world, side)
        overrides = _API_OVERRIDES.get(route.key, {}) if side is world.a else {}
        params = {
            name: overrides[name](world) if name in overrides else defaults[name]()
            for name in re.findall(r"\{(\w+)\}", route.key)
        }
        path = route.key.split(" ", 1)[1].format(**params) + QUERIES.get(route.key, "")
        body = _api_body(route.key, world)
        if body is None:
            return Sample(route.method, path)
        return Sample(route.method, path, data=body, content_type="application/json")
    if route.area == "admin":
        path = _admin_path(route, world)
    else:
        kwargs = _page_kwargs(world, side).get(route.key, dict)()
        path = _fill(route.route.replace(LANGUAGE_PREFIX, "en/"), kwargs)
    path += QUERIES.get(route.key, "")
    if route.key in PAGE_POSTS:
        return Sample("POST", path, data=PAGE_POSTS[route.key])
    return Sample("GET", path)


# --- visiting ------------------------------------------------------------------------


@contextlib.contextmanager
def seeded(media_root):
    """The data set, written once in a transaction rolled back when the block ends."""
    with (
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media_root,
        ),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


def send(client: Client, request: Sample, **extra) -> HttpResponse:
    """Send `request` with the test client and undo whatever it wrote: the database in a
    rolled-back savepoint, and the client's cookies as they were (a logout or a language
    change does not carry over to the next request)."""
    cookies = client.cookies
    client.cookies = type(cookies)()
    client.cookies.update(cookies)
    if request.content_type == "application/json":
        body, content_type = json.dumps(request.data), request.content_type
    elif request.method == "GET":
        body, content_type = None, None
    else:
        body, content_type = request.data or {}, None
    try:
        with transaction.atomic():
            if request.method == "GET":
                response = client.get(request.path, **extra)
            elif content_type:
                response = client.generic(
                    request.method, request.path, body, content_type=content_type, **extra
                )
            else:
                method = getattr(client, request.method.lower())
                response = method(request.path, body, **extra)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response

"""Who may reach what: every URL and API operation of the project, for each role.

`MATRIX` declares, for each route (a URL name, or an API operation as "METHOD path"),
what each role gets. The Django admin's pages follow one rule (`admin_row`). The walk
sends each route's sample request (dialogue.testing.urlmap) as each role and compares,
and every response, whatever its status, must carry the security headers.

Outcomes: OK is a 2xx, or a redirect that is not to a login page; LOGIN and ADMIN_LOGIN
are redirects to the portal's and the admin's login, SECOND_FACTOR to the page asking
for the authenticator code; REFUSED (a form sent back with its errors), FORBIDDEN,
NOT_FOUND and UNAUTHORIZED are 400, 403, 404 and 401 (for the API, with its error body).

The roles: anonymous; a delegate and the focal point of Member State A; a delegate of
Member State B; a delegate of an observer State; staff (no admin permissions of their
own) and a superuser, both past their second factor; and staff logged in with the
password only. The sample objects of a delegation are A's. Unless a row says otherwise,
staff with the password only are sent to the code page from the staff pages, the admin
and the portal, and are served as visitors everywhere else
(dialogue.members.two_factor).
"""

from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY

from dialogue.testing import urlmap

ROLES = (
    "anonymous",
    "delegate_a",
    "focal_point_a",
    "delegate_b",
    "observer_delegate",
    "staff",
    "superuser",
    "staff_password_only",
)

OK = "ok"
LOGIN = "redirect to the portal login"
ADMIN_LOGIN = "redirect to the admin login"
SECOND_FACTOR = "redirect to the second factor"
REFUSED = 400
FORBIDDEN = 403
NOT_FOUND = 404
UNAUTHORIZED = 401
HSTS_SECONDS = 31536000


def expect(default, **by_role) -> dict:
    """An outcome for every role: `default`, except the roles named (staff with the
    password only: see `row_for` when not named)."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    row = {role: by_role.get(role, default) for role in ROLES}
    row["staff_password_only"] = by_role.get("staff_password_only")
    return row


PUBLIC = expect(OK)
SIGNED_IN = expect(OK, anonymous=LOGIN)
DELEGATION = expect(OK, anonymous=LOGIN, staff=FORBIDDEN, superuser=FORBIDDEN)
FOCAL_POINT_OF_A = expect(FORBIDDEN, anonymous=LOGIN, focal_point_a=OK)
STAFF = expect(ADMIN_LOGIN, staff=OK, superuser=OK)
API_PUBLIC = expect(OK)
API_SIGNED_IN = expect(OK, anonymous=UNAUTHORIZED)
API_DELEGATION = expect(OK, anonymous=UNAUTHORIZED, staff=FORBIDDEN, superuser=FORBIDDEN)
API_STAFF = expect(FORBIDDEN, anonymous=UNAUTHORIZED, staff=OK, superuser=OK)

STAFF_PAGES = [
    "home",
    "member_import",
    "member_export_csv",
    "member_export_xlsx",
    "cycle_list",
    "cycle_add",
    "cycle_detail",
    "cycle_edit",
    "proposal_add",
    "consultation_add",
    "decision_add",
    "proposal_edit",
    "proposal_withdraw",
    "proposal_interest",
    "interest_add",
    "interest_search",
    "consultation_edit",
    "consultation_outcome",
    "consultation_follow_up_survey",
    "survey_list",
    "survey_create",
    "survey_detail",
    "survey_update",
    "survey_question_add",
    "survey_tie_resolution",
    "survey_weight_set",
    "survey_messages",
    "survey_message_edit",
    "survey_publish",
    "survey_extend",
    "survey_close",
    "survey_publish_results",
    "survey_turnout",
    "survey_remind",
    "survey_response_record",
    "survey_response_letter",
    "survey_results",
    "survey_results_csv",
    "event_list",
    "event_create",
    "event_detail",
    "event_edit",
    "event_new_session",
    "event_seek_funding",
    "event_confirm",
    "event_postpone",
    "event_cancel",
    "event_record_outcome",
    "budget_line_add",
    "budget_line_edit",
    "pledge_record",
    "pledge_mark_received",
    "pledge_withdraw",
    "funding_overview",
    "funding_rates",
    "participants_list",
    "participants_csv",
    "participants_xlsx",
    "participants_sign_in_sheet",
    "participants_badges",
    "invitation_list",
    "event_invite_membership",
    "event_invite_members",
    "event_invite_organizations",
    "event_invite_persons",
    "invitation_resend",
    "registration_create",
    "registration_approve",
    "registration_reject",
    "registration_cancel",
    "event_waiting_list_promote",
    "event_follow_up",
    "document_list",
    "document_create",
    "document_detail",
    "document_edit",
    "version_upload",
    "document_publish",
    "document_withdraw",
    "document_number",
    "version_publish",
    "version_download",
    "series_list",
    "series_create",
    "note_list",
    "note_draft",
    "note_edit",
    "note_download",
    "audit_list",
    "audit_export_csv",
    "audit_export_xlsx",
    "mail_list",
    "mail_send_again",
    "mail_cancel",
    "export_survey_responses_csv",
    "export_survey_responses_xlsx",
    "export_survey_results_csv",
    "export_survey_results_xlsx",
    "export_funding_xlsx",
    "export_funding_csv",
    "export_cycle_archive",
]

MATRIX: dict[str, dict] = {
    "set_language": PUBLIC,
    # The public website.
    **dict.fromkeys(
        [
            "site:home",
            "site:members",
            "site:member",
            "site:cycles",
            "site:cycle",
            "site:events",
            "site:events_feed",
            "site:event",
            "site:event_ics",
            "site:publications",
            "site:document",
            "site:series",
            "site:document_download",
            "site:search",
            "site:publications_feed",
            "site:news_feed",
            "site:sitemap",
        ],
        PUBLIC,
    ),
    # The portal: logging in and out, passwords, links that carry their own secret.
    "portal:login": PUBLIC,
    "portal:logout": expect(OK, staff_password_only=OK),
    # The second factor: only a staff account with the password only has a code to type.
    "portal:second_factor": expect(OK, anonymous=LOGIN, staff_password_only=OK),
    "portal:second_factor_enrol": expect(OK, anonymous=LOGIN, staff_password_only=SECOND_FACTOR),
    "portal:second_factor_enrol_link": expect(
        OK, anonymous=LOGIN, staff_password_only=SECOND_FACTOR
    ),
    "portal:password_set": PUBLIC,
    "portal:password_set_done": PUBLIC,
    "portal:password_reset": PUBLIC,
    "portal:password_reset_sent": PUBLIC,
    "portal:invitation": PUBLIC,
    "portal:delegation_feed": PUBLIC,
    "portal:password_change": SIGNED_IN,
    "portal:home": SIGNED_IN,
    "portal:tokens": SIGNED_IN,
    # A personal page: only a person has one (staff accounts have none).
    "portal:profile": expect(OK, anonymous=LOGIN, staff=NOT_FOUND, superuser=NOT_FOUND),
    "portal:calendar": expect(OK, anonymous=LOGIN, staff=NOT_FOUND, superuser=NOT_FOUND),
    # A delegation's pages: persons acting for a delegation, observers included.
    "portal:delegation": DELEGATION,
    "portal:events": DELEGATION,
    "portal:event": DELEGATION,
    "portal:event_register": DELEGATION,
    "portal:surveys": DELEGATION,
    "portal:survey": DELEGATION,
    "portal:survey_results": DELEGATION,
    # A's receipt of the open survey: each delegation sees its own; the observer has none.
    "portal:survey_receipt": expect(
        OK, anonymous=LOGIN, observer_delegate=NOT_FOUND, staff=FORBIDDEN, superuser=FORBIDDEN
    ),
    # Managing A's delegation: its focal point only.
    "portal:delegate_add": FOCAL_POINT_OF_A,
    "portal:event_register_delegation": FOCAL_POINT_OF_A,
    # Deactivating A's delegate: refused to A's delegate, not found for other delegations.
    "portal:delegate_action": expect(
        NOT_FOUND,
        anonymous=LOGIN,
        delegate_a=FORBIDDEN,
        focal_point_a=OK,
        staff=FORBIDDEN,
        superuser=FORBIDDEN,
    ),
    # Cancelling the registration of A's delegate made by A's focal point.
    "portal:registration_cancel": expect(
        NOT_FOUND, anonymous=LOGIN, focal_point_a=OK, staff=FORBIDDEN, superuser=FORBIDDEN
    ),
    # Revoking A's delegate's own API token.
    "portal:token_revoke": expect(NOT_FOUND, anonymous=LOGIN, delegate_a=OK),
    # Staff pages.
    **{f"staff:{name}": STAFF for name in STAFF_PAGES},
    # Issuing a note is sent without the languages to issue: staff reach it, and their
    # empty form is refused.
    "staff:note_issue": expect(ADMIN_LOGIN, staff=REFUSED, superuser=REFUSED),
    # The API's schema and documentation are public; its root is no page.
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": expect(NOT_FOUND),
    # API: public reads (each shows a caller only what the website shows them).
    **dict.fromkeys(
        [
            "GET /api/v1/members",
            "GET /api/v1/members/{code}",
            "GET /api/v1/cycles",
            "GET /api/v1/cycles/{year}",
            "GET /api/v1/documents",
            "GET /api/v1/documents/search",
            "POST /api/v1/documents/search",
            "GET /api/v1/documents/{document_id}",
            "GET /api/v1/documents/{document_id}/versions/{language}/download",
            "GET /api/v1/events",
            "GET /api/v1/events/{event_id}",
            "GET /api/v1/events/{event_id}/event.ics",
        ],
        API_PUBLIC,
    ),
    # API: what a signed-in caller sees is narrowed to their delegation (staff: all).
    "GET /api/v1/persons": API_SIGNED_IN,
    "GET /api/v1/events/{event_id}/registrations": API_SIGNED_IN,
    "GET /api/v1/surveys": API_SIGNED_IN,
    "GET /api/v1/surveys/{survey_id}": API_SIGNED_IN,
    "GET /api/v1/surveys/{survey_id}/results": API_SIGNED_IN,
    "GET /api/v1/surveys/{survey_id}/receipts": API_SIGNED_IN,
    # API: objects of A's delegation.
    "GET /api/v1/persons/{person_id}": expect(
        NOT_FOUND,
        anonymous=UNAUTHORIZED,
        delegate_a=OK,
        focal_point_a=OK,
        staff=OK,
        superuser=OK,
    ),
    "GET /api/v1/surveys/{survey_id}/responses/{member_code}": expect(
        NOT_FOUND,
        anonymous=UNAUTHORIZED,
        delegate_a=OK,
        focal_point_a=OK,
        staff=OK,
        superuser=OK,
    ),
    "GET /api/v1/surveys/{survey_id}/response": expect(
        OK,
        anonymous=UNAUTHORIZED,
        observer_delegate=NOT_FOUND,
        staff=FORBIDDEN,
        superuser=FORBIDDEN,
    ),
    "DELETE /api/v1/events/{event_id}/registrations/{registration_id}": expect(
        NOT_FOUND,
        anonymous=UNAUTHORIZED,
        focal_point_a=OK,
        staff=FORBIDDEN,
        superuser=FORBIDDEN,
    ),
    # API: acting for one's delegation.
    "POST /api/v1/events/{event_id}/registrations": API_DELEGATION,
    "PUT /api/v1/surveys/{survey_id}/response": API_DELEGATION,
    # API: the secretariat's operations.
    **dict.fromkeys(
        [
            "GET /api/v1/events/{event_id}/participants",
            "GET /api/v1/funding",
            "GET /api/v1/exports/members.{file_format}",
            "GET /api/v1/exports/surveys/{survey_id}/responses.{file_format}",
            "GET /api/v1/exports/surveys/{survey_id}/results.{file_format}",
            "GET /api/v1/exports/events/{event_id}/participants.{file_format}",
            "GET /api/v1/exports/funding.xlsx",
            "GET /api/v1/exports/funding/{table}.csv",
            "GET /api/v1/exports/cycles/{year}/archive.zip",
            "POST /api/v1/surveys",
            "PATCH /api/v1/surveys/{survey_id}",
            "POST /api/v1/surveys/{survey_id}/publish",
            "POST /api/v1/surveys/{survey_id}/extend",
            "POST /api/v1/surveys/{survey_id}/close",
            "POST /api/v1/surveys/{survey_id}/publish-results",
            "PUT /api/v1/surveys/{survey_id}/responses/{member_code}",
            "POST /api/v1/cycles/{year}/decisions",
        ],
        API_STAFF,
    ),
}

ADMIN_SITE_PAGES = {
    "admin:login": PUBLIC,
    "admin:logout": PUBLIC,
    "admin:index": expect(ADMIN_LOGIN, staff=OK, superuser=OK),
    "admin:password_change": expect(ADMIN_LOGIN, staff=OK, superuser=OK),
    "admin:password_change_done": expect(ADMIN_LOGIN, staff=OK, superuser=OK),
    "admin:jsi18n": expect(ADMIN_LOGIN, staff=OK, superuser=OK),
    # Staff without admin permissions see no application and no object.
    "admin:app_list": expect(ADMIN_LOGIN, staff=NOT_FOUND, superuser=OK),
    "admin:view_on_site": expect(ADMIN_LOGIN, staff=OK, superuser=OK),
    "admin:autocomplete": expect(ADMIN_LOGIN, staff=FORBIDDEN, superuser=FORBIDDEN),
    "admin:[admin/(?P<url>.*)$]": expect(ADMIN_LOGIN, staff=NOT_FOUND, superuser=NOT_FOUND),
    # A TOTP device's secret is shown to nobody (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    "admin:otp_totp_totpdevice_config": expect(ADMIN_LOGIN, staff=FORBIDDEN, superuser=FORBIDDEN),
    "admin:otp_totp_totpdevice_qrcode": expect(ADMIN_LOGIN, staff=FORBIDDEN, superuser=FORBIDDEN),
}

ADMIN_ACTIONS = {
    "changelist": "has_view_or_change_permission",
    "add": "has_add_permission",
    "change": "has_view_or_change_permission",
    "history": "has_view_or_change_permission",
    "delete": "has_delete_permission",
}


def _model_admin(route: urlmap.Route):
    app_label, model_name = route.route.removeprefix("<lang>/admin/").split("/")[:2]
    for model, model_admin in admin.site._registry.items():
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name):
            return model, model_admin
    return None, None


def admin_row(route: urlmap.Route, world) -> dict:
    """The rule for the Django admin: never anyone but staff; a model's pages as the
    ModelAdmin grants them to a superuser; staff without permissions are refused.

    Two pages answer staff with a redirect inside the admin before any permission is
    checked: the short address of an object (to its change page) and the history of an
    object that does not exist (to the admin's index)."""
    if route.key in ADMIN_SITE_PAGES:
        return ADMIN_SITE_PAGES[route.key]
    model, model_admin = _model_admin(route)
    assert model_admin is not None, f"{route.key}: an admin page of no registered model"
    action = route.key.rsplit("_", 1)[-1] if route.key.endswith(tuple(ADMIN_ACTIONS)) else None
    if route.key.startswith("admin:[") or (
        action == "history" and not model._default_manager.exists()
    ):
        return expect(ADMIN_LOGIN, staff=OK, superuser=OK)
    request = RequestFactory().get("/")
    request.user = world.superuser
    if action == "add":
        granted = model_admin.has_add_permission(request)
    else:
        granted = getattr(model_admin, ADMIN_ACTIONS.get(action, "has_view_or_change_permission"))(
            request
        )
    return expect(ADMIN_LOGIN, staff=FORBIDDEN, superuser=OK if granted else FORBIDDEN)


GUARDED_AREAS = ("staff", "admin", "portal")


def row_for(route: urlmap.Route, world) -> dict | None:
    """The declared outcomes of `route`, with those of staff with the password only
    derived from the rule of the second factor where the row does not give them."""
    row = admin_row(route, world) if route.area == "admin" else MATRIX.get(route.key)
    if row is None:
        return None
    if row.get("staff_password_only") is None:
        guarded = route.area in GUARDED_AREAS
        row = {**row, "staff_password_only": SECOND_FACTOR if guarded else row["anonymous"]}
    return row


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), urlmap.seeded(tmp_path_factory.mktemp("media")) as world:
        yield world


@pytest.fixture
def clients(world, db) -> dict[str, Client]:
    """A test client per role, each logged in; middleware is set up at the first request,
    so settings changed by a test before then apply."""
    clients = {"anonymous": Client()}
    for role in ROLES[1:-1]:
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    clients["staff_password_only"] = password_only = Client()
    password_only.force_login(world.staff)
    session = password_only.session
    session.pop(DEVICE_ID_SESSION_KEY, None)
    session.save()
    return clients


def _login_paths() -> dict[str, str]:
    paths = {}
    pages = {
        "portal:login": LOGIN,
        "admin:login": ADMIN_LOGIN,
        "portal:second_factor": SECOND_FACTOR,
        "portal:second_factor_enrol": SECOND_FACTOR,
    }
    for name, outcome in pages.items():
        for language, _label in django_settings.LANGUAGES:
            with translation.override(language):
                paths[reverse(name)] = outcome
    return paths


def _outcome_of(response, login_paths: dict[str, str]):
    status = response.status_code
    if 300 <= status < 400:
        target = urlsplit(response["Location"]).path
        return login_paths.get(target, OK)
    if 200 <= status < 300:
        return OK
    return status


def _api_error_shape(response) -> str | None:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return "no JSON error body"
    if not {"code", "message", "fields"} <= set(error) or not error["message"]:
        return f"error body without code, message and fields: {error}"
    return None


def _missing_headers(response) -> list[str]:
    missing = []
    if response.get("X-Frame-Options") != "DENY":
        missing.append("X-Frame-Options: DENY")
    if response.get("X-Content-Type-Options") != "nosniff":
        missing.append("X-Content-Type-Options: nosniff")
    if not response.get("Referrer-Policy"):
        missing.append("Referrer-Policy")
    if response.get("Cross-Origin-Opener-Policy") != "same-origin":
        missing.append("Cross-Origin-Opener-Policy: same-origin")
    if not (
        response.get("Content-Security-Policy")
        or response.get("Content-Security-Policy-Report-Only")
    ):
        missing.append("Content-Security-Policy")
    hsts = response.get("Strict-Transport-Security", "")
    seconds = hsts.split("max-age=", 1)[-1].split(";", 1)[0] if "max-age=" in hsts else "0"
    if not seconds.isdigit() or int(seconds) < HSTS_SECONDS:
        missing.append(f"Strict-Transport-Security max-age>={HSTS_SECONDS}")
    return missing


def test_every_route_of_the_project_has_a_row_and_every_row_a_route(world):
    found = {route.key for route in urlmap.routes() if route.area != "admin"}
    declared = set(MATRIX)
    assert not found - declared, f"routes with no row in the matrix: {sorted(found - declared)}"
    assert not declared - found, f"rows of routes that do not exist: {sorted(declared - found)}"
    admin_keys = {route.key for route in urlmap.routes() if route.area == "admin"}
    assert set(ADMIN_SITE_PAGES) <= admin_keys


def test_every_admin_model_has_its_pages_in_the_walk(world):
    admin_keys = {route.key for route in urlmap.routes() if route.area == "admin"}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        for action in ADMIN_ACTIONS:
            assert prefix + action in admin_keys


def test_no_role_reaches_a_route_it_should_not_and_every_response_has_the_headers(
    world, clients, settings
):
    """S3: 0 mismatches over every route and role. S2: the headers on every response, HSTS
    with production-like settings over HTTPS."""
    settings.SECURE_HSTS_SECONDS = HSTS_SECONDS
    settings.SECURE_SSL_REDIRECT = False
    login_paths = _login_paths()
    mismatches, header_problems = [], []
    visits = 0
    for route in urlmap.routes():
        row = row_for(route, world)
        assert row is not None, f"{route.key} has no row in the matrix"
        request = urlmap.sample(route, world)
        for role in ROLES:
            response = urlmap.send(clients[role], request, secure=True)
            visits += 1
            got = _outcome_of(response, login_paths)
            wanted = row[role]
            where = f"{route.key} ({request.method} {request.path}) as {role}"
            if got != wanted:
                mismatches.append(f"{where}: expected {wanted}, got {response.status_code}")
            elif route.method and got in (UNAUTHORIZED, FORBIDDEN, NOT_FOUND):
                problem = _api_error_shape(response)
                if problem:
                    mismatches.append(f"{where}: {problem}")
            missing = _missing_headers(response)
            if missing:
                header_problems.append(f"{where} ({response.status_code}): no {missing}")
    assert visits > 2500
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)
    assert not header_problems, f"{len(header_problems)} responses:\n" + "\n".join(header_problems)

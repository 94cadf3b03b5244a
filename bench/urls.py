"""The product's URLs plus the load benchmark's two references, served through the same
middleware and server as every page:

- /bench/bare/, the floor and ceiling of any page: a view that only returns a fixed string;
- /bench/write-floor/<survey>/, the least any authenticated write can cost: the caller's
  API token looked up and checked, and one UPDATE of its delegation's response in a
  transaction. A response submission does this and everything the rules ask besides
  (rate limits, the survey's state and deadline, the answers, their history, the audit
  entry), so its cost over this floor is what the rules cost;
- /bench/layers/..., the response submission built up one layer at a time, for
  bench/profile_submission.py --layers: `api/` is the API operation with token and body
  checked that does nothing, `limits/` adds the submission's rate limits, `service/`
  adds the request's transaction and the service that stores the response. The real
  operation adds its reply.
"""

import hmac
import json

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from dialogue import urls as product_urls
from dialogue.api import errors
from dialogue.api import surveys as survey_api
from dialogue.api.auth import RateLimit, token_auth
from dialogue.api.idempotency import idempotent
from dialogue.api.models import ApiToken
from dialogue.api.services import token_hash
from dialogue.api.survey_schemas import ResponseIn
from dialogue.members.models import Person
from dialogue.surveys.models import Response

BARE_BODY = b"Dialogue benchmark: a fixed answer.\n"


def bare(request):
    """A fixed string: what any page costs before it does any work of its own."""
    return HttpResponse(BARE_BODY, content_type="text/plain; charset=utf-8")


def _statements() -> tuple[str, str]:
    token, person, response = (m._meta.db_table for m in (ApiToken, Person, Response))
    return (
        f'SELECT t.hash, p.delegation_id FROM "{token}" t '  # noqa: S608 - model tables
        f'JOIN "{person}" p ON p.user_id = t.user_id WHERE t.prefix = %s',
        f'UPDATE "{response}" SET version = version + 1, submitted_at = now() '  # noqa: S608
        "WHERE survey_id = %s AND member_id = %s RETURNING version",
    )


@csrf_exempt
def write_floor(request, survey_id: int):
    """The delegation's response to `survey_id` given one more version; 401 for a token
    that is not known, 404 when the delegation has no response yet."""
    secret = request.headers.get("Authorization", "").partition(" ")[2].strip()
    prefix = secret.split("_", 2)[1] if secret.count("_") >= 2 else ""
    json.loads(request.body or b"{}")
    find_token, bump = _statements()
    with connection.cursor() as cursor:
        cursor.execute(find_token, [prefix])
        found = cursor.fetchone()
    if found is None or not hmac.compare_digest(found[0], token_hash(secret)):
        return JsonResponse({"code": "not_authenticated"}, status=401)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(bump, [survey_id, found[1]])
        stored = cursor.fetchone()
    if stored is None:
        return JsonResponse({"code": "not_found"}, status=404)
    return JsonResponse({"version": stored[0]})


layers = NinjaAPI(urls_namespace="bench_layers", docs_url=None, openapi_url=None)
errors.install(layers)
DONE = {"done": True}


@layers.put("/api/{survey_id}/", auth=[token_auth])
def layer_api(request, payload: ResponseIn, survey_id: int):
    """The token and the body checked; nothing done."""
    return DONE


@layers.put(
    "/limits/{survey_id}/",
    auth=[token_auth],
    throttle=RateLimit(survey_api._submission_counters),
)
def layer_limits(request, payload: ResponseIn, survey_id: int):
    """And the submission's rate limits counted."""
    return DONE


@layers.put(
    "/service/{survey_id}/",
    auth=[token_auth],
    throttle=RateLimit(survey_api._submission_counters),
)
@idempotent
def layer_service(request, payload: ResponseIn, survey_id: int):
    """And the response stored by the service, in the request's transaction."""
    survey_api._submit(
        request,
        survey=survey_id,
        member=survey_api._require_respondent(request),
        choices=payload.answers,
        option_comments=payload.option_comments,
        comment=payload.comment,
        channel=Response.Channel.PORTAL,
        expected_version=payload.expected_version,
    )
    return DONE


handler404 = product_urls.handler404
urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/write-floor/<int:survey_id>/", write_floor, name="bench_write_floor"),
    path("bench/layers/", layers.urls),
    *product_urls.urlpatterns,
]

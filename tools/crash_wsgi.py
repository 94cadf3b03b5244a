"""What the crash test serves: Dialogue itself, or a deliberately broken Dialogue.

    gunicorn --preload crash_wsgi:application      (with tools/ on the Python path)

Without CRASHTEST_ANSWER_BEFORE_COMMIT this is `dialogue.wsgi.application` unchanged; its
URLconf is loaded here, in gunicorn's master before the workers fork, only so that a
server restarted after a kill answers sooner.

With CRASHTEST_ANSWER_BEFORE_COMMIT=<seconds> (the negative control, D3), every request
runs in one database transaction that commits only after the answer has been sent, and
that many seconds later: a server killed in between loses writes it already
acknowledged, and the crash test must report them lost. Nothing in the application
itself can be switched to this behaviour; it exists only here.
"""

import os
import time

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from django.urls import get_resolver

from dialogue.wsgi import application as dialogue_application

DELAY = float(os.environ.get("CRASHTEST_ANSWER_BEFORE_COMMIT") or 0)

get_resolver(settings.ROOT_URLCONF).url_patterns  # noqa: B018 - loads every view module


class AnswerBeforeCommit(WSGIHandler):
    """Send the answer first, commit afterwards."""

    def get_response(self, request):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            response = super().get_response(request)
        except BaseException as error:
            atomic.__exit__(type(error), error, error.__traceback__)
            raise

        def commit_later():
            time.sleep(DELAY)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

        # Runs when the server closes the response, after its body went out, and before
        # Django's end-of-request clean-up closes the database connection.
        response._resource_closers.insert(0, commit_later)
        return response


application = AnswerBeforeCommit() if DELAY > 0 else dialogue_application

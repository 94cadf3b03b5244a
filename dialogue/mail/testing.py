"""Test support: e-mail queued by the code under test leaves when that code would commit.

A test case runs inside a transaction that is never committed, so a callback of
`transaction.on_commit` would never run and no e-mail would leave. While a test runs,
the delivery of queued e-mail runs instead when the outermost transaction opened by the
code under test ends without an error (at once outside one), which is when it commits
in production; e-mail queued in a rolled-back transaction is gone with its rows.
"""

import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from dialogue.mail import services

PRODUCTION_AFTER_COMMIT = services._after_commit


def _outside_the_code_under_test_transactions(using=None) -> bool:
    blocks = transaction.get_connection(using).atomic_blocks
    return all(getattr(block, "_from_testcase", False) for block in blocks)


@pytest.fixture(autouse=True)
def _mail_leaves_when_the_code_under_test_commits(monkeypatch):
    pending = []
    original_exit = transaction.Atomic.__exit__

    def after_commit(callback):
        if _outside_the_code_under_test_transactions():
            callback()
        else:
            pending.append(callback)

    def exit_and_deliver(self, exc_type, exc_value, traceback):
        result = original_exit(self, exc_type, exc_value, traceback)
        if pending and _outside_the_code_under_test_transactions(self.using):
            callbacks = list(pending)
            pending.clear()
            if exc_type is None:
                for callback in callbacks:
                    callback()
        return result

    monkeypatch.setattr(services, "_after_commit", after_commit)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_and_deliver)


@pytest.fixture
def real_commits(monkeypatch):
    """Deliver through `transaction.on_commit` itself (use with `transactional_db`)."""
    monkeypatch.setattr(services, "_after_commit", PRODUCTION_AFTER_COMMIT)


class RefusingBackend(BaseEmailBackend):
    """A mail backend whose server refuses every message, as an SMTP server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

"""RELIABILITY S16: the links that give access to an account. An account invitation or a
password reset link works once, for at most 72 hours; a personal event invitation link
is a 256-bit random token stored only as its hash, and one event's opens nothing on another.
"""

import datetime
import hashlib
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator

from dialogue.events import registration
from dialogue.members.tasks import account_invitation_link
from dialogue.members.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-password-2007"
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def newcomer():
    person = PersonFactory(with_account=True)
    person.user.set_unusable_password()
    person.user.save()
    return person.user


def _open(client, link: str):
    """Open an e-mailed link as a browser does, following it to the password form."""
    return client.get(urlsplit(link).path, follow=True)


def _choose_password(client, link: str):
    page = _open(client, link)
    return client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else urlsplit(link).path,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_the_reset_and_invitation_links_expire_after_at_most_72_hours():
    assert settings.PASSWORD_RESET_TIMEOUT <= 72 * 3600


def test_an_account_link_works_until_its_72_hours_are_over(newcomer, monkeypatch):
    made = datetime.datetime(2007, 3, 26, 9, 0)
    monkeypatch.setattr(default_token_generator, "_now", lambda: made)
    token = default_token_generator.make_token(newcomer)

    monkeypatch.setattr(default_token_generator, "_now", lambda: made + 71 * HOUR)
    assert default_token_generator.check_token(newcomer, token)
    monkeypatch.setattr(default_token_generator, "_now", lambda: made + 73 * HOUR)
    assert not default_token_generator.check_token(newcomer, token)


def test_an_account_link_sets_a_password_once(client, newcomer):
    link = account_invitation_link(newcomer)

    first = _choose_password(client, link)
    client.logout()
    again = _open(client, link)

    assert first.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert again.context["validlink"] is False
    refused = client.post(
        again.redirect_chain[-1][0] if again.redirect_chain else urlsplit(link).path,
        {"new_password1": "x" + NEW_PASSWORD, "new_password2": "x" + NEW_PASSWORD},
    )
    assert refused.status_code == 400
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)


def test_ten_thousand_invitation_tokens_are_distinct_256_bit_secrets():
    tokens = [registration.new_link_token() for _n in range(10_000)]

    assert len(set(tokens)) == 10_000
    assert all(len(token) == 43 for token in tokens)
    assert len({token[:8] for token in tokens}) == 10_000
    assert registration._token_hash(tokens[0]) == hashlib.sha256(tokens[0].encode()).hexdigest()

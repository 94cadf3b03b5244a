"""Links that work as a credential leave with the e-mail and are then removed from the
stored copy: the outbox, its backups and whoever reads the database cannot use them."""

import re

import pytest
from django.urls import reverse

from dialogue.core.errors import DomainError
from dialogue.events import registration
from dialogue.events.models import Invitation
from dialogue.events.tests.factories import EventFactory
from dialogue.mail import services
from dialogue.mail.models import Message
from dialogue.members import services as member_services
from dialogue.members import two_factor
from dialogue.members.tests.factories import PersonFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "delegate@sen.example.org"
LINK = "https://dialogue.example.org/en/portal/invitations/abc123-secret/?next=/a&b=1"
REMOVED = "[personal link, removed once sent]"


def _queue(**overrides):
    values = {
        "to": [ADDRESS],
        "subject": "Invitation",
        "body": f"Open this link:\n{LINK}\n",
        "html_body": f'<p><a href="{LINK.replace("&", "&amp;")}">Open</a></p>',
        "kind": "other",
        "personal_links": [LINK],
    }
    return services.queue(**(values | overrides))


def _stored_text(message: Message) -> str:
    message.refresh_from_db()
    return message.body + message.html_body + message.personal_links


def test_a_personal_link_arrives_then_is_removed_from_the_stored_copy(smtp_server):
    message = _queue()

    (received,) = smtp_server.received
    plain = received.message.get_body(("plain",)).get_content()
    rich = received.message.get_body(("html",)).get_content()
    assert LINK in plain
    assert LINK.replace("&", "&amp;") in rich
    message.refresh_from_db()
    assert message.status == "sent"
    assert "abc123-secret" not in _stored_text(message)
    assert message.body == f"Open this link:\n{REMOVED}\n"
    assert message.html_body == f'<p><a href="{REMOVED}">Open</a></p>'
    assert message.personal_links == ""


def test_the_link_is_kept_for_the_retries_until_the_e_mail_leaves(smtp_server):
    smtp_server.refuse_data = "451 4.3.0 Try again later"
    message = _queue()
    message.refresh_from_db()
    assert message.status == "queued"
    assert LINK in message.body

    smtp_server.refuse_data = ""
    assert services.deliver(message.pk, now=message.next_attempt_at) == "sent"

    (received,) = smtp_server.received
    assert LINK in received.message.get_body(("plain",)).get_content()
    assert "abc123-secret" not in _stored_text(message)


def test_a_cancelled_e_mail_loses_its_link(smtp_server, staff_user):
    smtp_server.refuse_data = "451 4.3.0 Try again later"
    message = _queue()

    services.message_cancel(actor=staff_user, message=message)

    message.refresh_from_db()
    assert message.status == "cancelled"
    assert "abc123-secret" not in _stored_text(message)
    assert smtp_server.received == []


def test_the_note_is_in_the_language_of_the_e_mail(smtp_server):
    message = _queue(language="fr")

    message.refresh_from_db()
    assert "[lien personnel, supprimé après l’envoi]" in message.body


def test_an_e_mail_without_personal_links_is_stored_as_sent(smtp_server):
    message = _queue(personal_links=[])

    message.refresh_from_db()
    assert LINK in message.body


@pytest.mark.parametrize("link", ["https://elsewhere.example.org/x", "two\nlines", "  "])
def test_a_personal_link_that_is_not_one_line_of_the_text_is_refused(link):
    with pytest.raises(DomainError) as refused:
        _queue(personal_links=[link])

    assert refused.value.code == "bad_link"
    assert not Message.objects.exists()


def test_an_account_invitation_keeps_no_password_link(
    smtp_server, staff_user, django_capture_on_commit_callbacks
):
    person = PersonFactory(email="new.delegate@sen.example.org", preferred_language="es")
    with django_capture_on_commit_callbacks(execute=True):
        user = member_services.account_create(actor=staff_user, person=person)

    (received,) = smtp_server.received
    link = re.search(r"https?://\S+", received.message.get_content()).group(0)
    assert "/password/set/" in link
    message = Message.objects.get(kind=Message.Kind.ACCOUNT_INVITATION)
    assert link not in _stored_text(message)
    assert "[enlace personal, eliminado tras el envío]" in message.body
    assert not user.has_usable_password()


def test_a_personal_event_invitation_keeps_no_invitation_link(
    smtp_server, staff_user, django_capture_on_commit_callbacks
):
    event = EventFactory()
    person = PersonFactory(delegation=None, role="expert", email="expert@university.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        (invitation,) = registration.invite_persons(actor=staff_user, event=event, persons=[person])

    (received,) = smtp_server.received
    body = received.message.get_body(("plain",)).get_content()
    token_path = reverse("portal:invitation", kwargs={"token": "TOKEN"}).split("TOKEN")[0]
    assert token_path in body
    message = Message.objects.get(kind=Message.Kind.EVENT_INVITATION)
    assert token_path not in _stored_text(message)
    assert REMOVED in message.body
    assert Invitation.objects.get(pk=invitation.pk).sent_at is not None


def test_a_second_factor_enrolment_link_is_not_kept(smtp_server):
    staff = StaffUserFactory(email="officer@secretariat.example.org")

    two_factor.enrolment_link_send(user=staff, link=lambda token: f"https://d.example.org/{token}")

    (received,) = smtp_server.received
    token = re.search(r"https://d\.example\.org/(\S+)", received.message.get_content()).group(1)
    message = Message.objects.get(kind=Message.Kind.SECOND_FACTOR)
    assert token not in _stored_text(message)
    assert REMOVED in message.body

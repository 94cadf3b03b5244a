"""Queueing: e-mail leaves only when the business write commits, and cannot add headers."""

import pytest
from django.core import mail
from django.db import transaction

from dialogue.core import clock
from dialogue.core.errors import DomainError
from dialogue.events import registration_tasks
from dialogue.events.models import Registration
from dialogue.events.tests.factories import EventFactory
from dialogue.mail import services
from dialogue.mail.models import Message
from dialogue.members.models import Person
from dialogue.members.tests.factories import MemberFactory, PersonFactory, StaffUserFactory
from dialogue.surveys import tasks as survey_tasks
from dialogue.surveys.models import Reminder
from dialogue.surveys.tests.factories import PublishedSurveyFactory

ADDRESS = "delegate@sen.example.org"


class BusinessFailure(Exception):
    pass


def _reminder_by_hand():
    member = MemberFactory(code="SEN")
    PersonFactory(delegation=member, email=ADDRESS)
    survey = PublishedSurveyFactory(actor=StaffUserFactory())
    return survey, member


@pytest.mark.django_db(transaction=True)
def test_a_business_write_rolled_back_queues_and_sends_nothing(smtp_server, real_commits):
    survey, member = _reminder_by_hand()

    with pytest.raises(BusinessFailure), transaction.atomic():
        assert survey_tasks.send_reminders_now(survey, [member]) == 1
        raise BusinessFailure

    assert not Reminder.objects.exists()
    assert not Message.objects.exists()
    assert smtp_server.received == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_business_write_sends_its_e_mail_only_after_the_commit(
    smtp_server, real_commits
):
    survey, member = _reminder_by_hand()

    with transaction.atomic():
        survey_tasks.send_reminders_now(survey, [member])
        assert smtp_server.received == []
        assert Message.objects.get().status == "queued"

    (received,) = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    assert Message.objects.get().status == "sent"
    assert Reminder.objects.get().recipients == 1


@pytest.mark.django_db
def test_a_name_or_subject_with_line_breaks_cannot_add_a_header(smtp_server):
    services.queue(
        to=[("Name\r\nBcc: victim@example.org", ADDRESS)],
        subject="Invitation\r\nBcc: victim@example.org",
        body="Text",
        kind="other",
    )

    (received,) = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    assert "Bcc" not in received.message
    assert received.message["Subject"] == "Invitation Bcc: victim@example.org"
    assert received.message["To"].addresses[0].addr_spec == ADDRESS
    assert received.message["To"].addresses[0].display_name == "Name Bcc: victim@example.org"
    assert len(received.message.get_all("To")) == 1


@pytest.mark.django_db
def test_an_event_title_with_line_breaks_stays_in_the_subject(smtp_server):
    event = EventFactory(title_en="Workshop\r\nBcc: victim@example.org", city="Geneva")
    person = PersonFactory(delegation=None, role=Person.Role.EXPERT, email=ADDRESS)
    registration = Registration.objects.create(
        event=event,
        person=person,
        status=Registration.Status.REGISTERED,
        affiliation="Independent expert",
        registered_at=clock.now(),
        changed_at=clock.now(),
    )

    registration_tasks.notify_registration.call(registration.pk, "registered")

    (received,) = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    assert "Bcc" not in received.message
    assert received.message["Subject"] == "Registration confirmed: Workshop Bcc: victim@example.org"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address", ["victim@example.org\r\nBcc: other@example.org", "not an address", ""]
)
def test_an_address_that_is_not_one_is_refused_and_nothing_is_stored(address):
    with pytest.raises(DomainError) as refused:
        services.queue(to=[address], subject="Invitation", body="Text", kind="other")

    assert refused.value.code == "bad_address"
    assert not Message.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_e_mail_without_recipient_or_of_unknown_kind_is_refused():
    with pytest.raises(DomainError) as no_one:
        services.queue(to=[], subject="Invitation", body="Text", kind="other")
    with pytest.raises(DomainError) as unknown:
        services.queue(to=[ADDRESS], subject="Invitation", body="Text", kind="newsletter")

    assert (no_one.value.code, unknown.value.code) == ("no_recipient", "bad_kind")
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_an_html_version_and_attachments_are_sent_as_stored():
    services.queue(
        to=[ADDRESS],
        subject="Agenda",
        body="Plain text",
        html_body="<p>Rich text</p>",
        attachments=[("agenda.txt", b"Item 1", "text/plain")],
        kind="other",
        language="fr",
    )

    (sent,) = mail.outbox
    assert sent.alternatives[0][0] == "<p>Rich text</p>"
    assert [tuple(a) for a in sent.attachments] == [("agenda.txt", "Item 1", "text/plain")]
    assert Message.objects.get().language == "fr"

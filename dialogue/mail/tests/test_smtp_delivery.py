"""E-mail leaves over real SMTP: what the server receives, and what happens when it refuses."""

import datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from dialogue.core import clock
from dialogue.events import registration
from dialogue.events.models import Event
from dialogue.events.tests.factories import EventFactory
from dialogue.mail import services
from dialogue.mail.models import Message
from dialogue.members.tests.factories import MemberFactory, PersonFactory
from dialogue.surveys import tasks as survey_tasks
from dialogue.surveys.models import Reminder
from dialogue.surveys.tests.factories import CLOSES, DURING, PublishedSurveyFactory

pytestmark = pytest.mark.django_db

SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
ADDRESS = "delegate@sen.example.org"


@pytest.fixture
def survey(staff_user):
    return PublishedSurveyFactory(actor=staff_user, title_en="Choice of the theme")


@pytest.fixture
def senegal():
    member = MemberFactory(code="SEN", name_en="Senegal")
    PersonFactory(delegation=member, email=ADDRESS, preferred_language="en")
    return member


def _text(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def test_a_survey_invitation_arrives_at_the_smtp_server(smtp_server, survey, senegal):
    assert survey_tasks.send_invitations(survey, now=DURING) == 1

    (received,) = smtp_server.received
    message = Message.objects.get()
    assert received.rcpt_tos == [ADDRESS]
    assert received.message["To"] == ADDRESS
    assert received.message["Subject"] == "Survey: Choice of the theme"
    assert received.message["Message-ID"] == message.message_id
    assert "invites the delegation of Senegal" in _text(received)
    assert reverse("portal:survey", kwargs={"pk": survey.pk}) in _text(received)
    assert (message.status, message.kind, message.attempts) == ("sent", "survey_invitation", 1)
    assert message.sent_at is not None


def test_a_survey_reminder_arrives_at_the_smtp_server(smtp_server, survey, senegal):
    assert survey_tasks.send_due_reminders(now=CLOSES - 2 * DAY) == 1

    (received,) = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    assert received.message["Subject"] == "Reminder: survey Choice of the theme"
    assert "has not yet answered the survey" in _text(received)
    assert Message.objects.get().kind == Message.Kind.SURVEY_REMINDER


def test_a_registration_confirmation_arrives_with_the_event_calendar(
    smtp_server, focal_point, django_capture_on_commit_callbacks
):
    start = clock.today() + 60 * DAY
    event = EventFactory(
        status=Event.Status.CONFIRMED,
        precision=Event.Precision.DAY,
        year=start.year,
        start_date=start,
        end_date=start + DAY,
        city="Geneva",
        title_en="Expert seminar on labour mobility",
    )
    colleague = PersonFactory(delegation=focal_point.delegation, email="colleague@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        registration.registration_create(actor=focal_point.user, event=event, person=colleague)

    (received,) = smtp_server.received
    assert received.rcpt_tos == ["colleague@example.org"]
    assert (
        received.message["Subject"] == "Registration confirmed: Expert seminar on labour mobility"
    )
    assert "You have been registered for Expert seminar on labour mobility." in _text(received)
    (attachment,) = received.message.iter_attachments()
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == f"event-{event.pk}.ics"
    (entry,) = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Expert seminar on labour mobility"
    assert entry.decoded("DTSTART") == start
    stored = Message.objects.get()
    assert (stored.kind, stored.status) == ("registration", "sent")
    assert stored.attachments.get().filename == f"event-{event.pk}.ics"


@pytest.mark.parametrize(
    ("refusal", "code"),
    [
        ({"refuse_data": "451 4.3.0 Mailbox temporarily unavailable"}, "451"),
        ({"refuse_rcpt": "554 5.7.1 Relay access denied"}, "554"),
    ],
)
def test_a_refused_e_mail_stays_queued_with_the_error_and_a_retry_a_minute_later(
    smtp_server, survey, senegal, refusal, code
):
    for name, answer in refusal.items():
        setattr(smtp_server, name, answer)
    before = clock.now()

    assert survey_tasks.send_invitations(survey, now=DURING) == 1

    message = Message.objects.get()
    assert smtp_server.received == []
    assert (message.status, message.attempts) == ("queued", 1)
    assert code in message.last_error
    assert before + MINUTE <= message.next_attempt_at <= clock.now() + MINUTE
    assert Reminder.objects.filter(survey=survey, member=senegal).count() == 1


def test_with_the_server_down_the_e_mail_stays_queued_with_the_error(
    smtp_server_down, survey, senegal
):
    survey_tasks.send_invitations(survey, now=DURING)

    message = Message.objects.get()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > clock.now()


def test_a_later_attempt_delivers_the_e_mail_once(smtp_server, survey, senegal):
    smtp_server.refuse_data = "451 4.3.0 Try again later"
    survey_tasks.send_invitations(survey, now=DURING)
    message = Message.objects.get()
    due = message.next_attempt_at
    smtp_server.refuse_data = ""

    assert services.deliver(message.pk, now=due - SECOND) == "queued"
    assert smtp_server.received == []
    assert services.deliver(message.pk, now=due) == "sent"
    assert services.deliver(message.pk, now=due + DAY) == "sent"
    assert services.messages_retry_due(now=due + DAY) == 0

    (received,) = smtp_server.received
    assert received.message["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


def test_retries_wait_longer_each_time_and_the_last_failure_is_final(
    smtp_server, short_retries, survey, senegal
):
    smtp_server.refuse_data = "451 4.3.0 Try again later"
    survey_tasks.send_invitations(survey, now=DURING)
    message = Message.objects.get()
    first_retry = message.next_attempt_at

    assert services.deliver(message.pk, now=first_retry) == "queued"
    message.refresh_from_db()
    assert message.next_attempt_at == first_retry + 5 * MINUTE
    assert services.deliver(message.pk, now=message.next_attempt_at) == "failed"

    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == ("failed", 3, None)
    assert "451" in message.last_error
    assert services.messages_retry_due(now=first_retry + DAY) == 0
    assert smtp_server.received == []


def test_an_e_mail_left_half_sent_by_a_lost_worker_is_sent_by_the_sweep(smtp_server):
    smtp_server.refuse_data = "451 4.3.0 Try again later"
    message = services.queue(to=[ADDRESS], subject="Invitation", body="Text", kind="other")
    smtp_server.refuse_data = ""
    lease_over = clock.now() - SECOND
    Message.objects.filter(pk=message.pk).update(status="sending", next_attempt_at=lease_over)

    assert services.deliver(message.pk) == "sending"
    assert services.messages_retry_due() == 1

    (received,) = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


def test_an_e_mail_whose_task_was_lost_is_sent_by_the_sweep(smtp_server, monkeypatch):
    with monkeypatch.context() as lost:
        lost.setattr(services, "_enqueue", lambda *args, **kwargs: None)
        message = services.queue(to=[ADDRESS], subject="Invitation", body="Text", kind="other")
    assert smtp_server.received == []

    assert services.messages_retry_due() == 1

    (received,) = smtp_server.received
    assert received.message["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert message.status == "sent"

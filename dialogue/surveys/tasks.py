"""Background work of the surveys app: invitations and reminders."""

import datetime

from django.db import IntegrityError, transaction
from django_tasks import task, task_backends

from dialogue.core import clock
from dialogue.mail import services as mail
from dialogue.mail.models import Message
from dialogue.surveys import messages, rules, selectors
from dialogue.surveys.models import MessageTemplate, Reminder, Survey

KINDS = {
    MessageTemplate.Kind.INVITATION: Message.Kind.SURVEY_INVITATION,
    MessageTemplate.Kind.REMINDER: Message.Kind.SURVEY_REMINDER,
}


def _send(survey: Survey, member, kind: str, days_before: int | None, now) -> int:
    """Record the reminder of one delegation and queue its e-mails in one transaction, so a
    reminder is never recorded without its e-mails (nor sent twice)."""
    people = messages.recipients(member)
    if not people:
        return 0
    with transaction.atomic():
        try:
            Reminder.objects.create(
                survey=survey,
                member=member,
                kind=kind,
                days_before=days_before,
                sent_at=now,
                recipients=len(people),
            )
        except IntegrityError:
            return 0
        for person in people:
            subject, body = messages.render(survey, kind, member, person.preferred_language)
            mail.queue(
                to=[person.email],
                subject=subject,
                body=body,
                kind=KINDS[kind],
                about=survey,
                language=person.preferred_language,
            )
    return len(people)


def send_invitations(survey: Survey, now: datetime.datetime | None = None) -> int:
    """E-mail every eligible delegation's delegates the invitation to a published survey.

    Nothing is sent for a survey that no longer accepts responses at `now` (e.g. one
    recorded after the fact); each delegation is invited once.
    """
    now = now or clock.now()
    if survey.status != Survey.Status.OPEN or survey.closes_at <= now:
        return 0
    return sum(
        _send(survey, member, MessageTemplate.Kind.INVITATION, 0, now)
        for member in selectors.eligible_members(survey)
    )


@task()
def send_survey_invitations(survey_id: int) -> int:
    """The invitations of a newly published survey, as a background task."""
    return send_invitations(Survey.objects.get(pk=survey_id))


def send_due_reminders(now: datetime.datetime | None = None) -> int:
    """Send each reminder that is due to the delegations that have not responded yet.

    A reminder goes once per delegation and offset, whatever how often this runs.
    """
    now = now or clock.now()
    sent = 0
    for survey in Survey.objects.filter(
        status=Survey.Status.OPEN, opens_at__lte=now, closes_at__gt=now
    ):
        due = [d for d in survey.reminder_days if rules.reminder_due(survey.closes_at, d, now)]
        if not due:
            continue
        offset = min(due)
        for member in selectors.members_without_response(survey):
            sent += _send(survey, member, MessageTemplate.Kind.REMINDER, offset, now)
    return sent


@task()
def send_due_reminders_task() -> int:
    """The reminder run, as a background task (schedule it, e.g. every hour)."""
    return send_due_reminders()


def send_reminders_now(survey: Survey, members) -> int:
    """Send a reminder at once to the delegations staff picked (never to those who answered)."""
    now = clock.now()
    answered = set(survey.responses.values_list("member_id", flat=True))
    return sum(
        _send(survey, member, MessageTemplate.Kind.REMINDER, None, now)
        for member in members
        if member.pk not in answered
    )


@task()
def send_survey_reminders(survey_id: int, days_before: int) -> int:
    """The reminder `days_before` the close of one survey, run when it falls due.

    If the close has moved later since this was scheduled, it schedules itself again
    for the new time; after the close nothing is sent.
    """
    survey = Survey.objects.get(pk=survey_id)
    now = clock.now()
    if survey.status != Survey.Status.OPEN or now >= survey.closes_at:
        return 0
    if not rules.reminder_due(survey.closes_at, days_before, now):
        schedule_reminders(survey, only=[days_before])
        return 0
    return sum(
        _send(survey, member, MessageTemplate.Kind.REMINDER, days_before, now)
        for member in selectors.members_without_response(survey)
    )


def schedule_reminders(survey: Survey, *, only: list[int] | None = None) -> int:
    """Queue the survey's reminders to run at their offsets before the close.

    With a task backend that cannot defer work (e.g. the immediate one used in
    development), nothing is queued and `dialogue survey remind` sends what is due.
    Returns how many were queued.
    """
    backend = task_backends[send_survey_reminders.backend]
    if not backend.supports_defer:
        return 0
    now = clock.now()
    queued = 0
    for days_before in only or survey.reminder_days:
        run_at = survey.closes_at - datetime.timedelta(days=days_before)
        if survey.closes_at <= now:
            continue
        send_survey_reminders.using(run_after=max(run_at, now)).enqueue(survey.pk, days_before)
        queued += 1
    return queued

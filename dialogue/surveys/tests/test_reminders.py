"""Invitations and reminders: who gets them, when, how often, and in which language."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from dialogue.members.models import Member, Person
from dialogue.members.tests.factories import (
    MemberFactory,
    ObserverOrganizationFactory,
    PersonFactory,
)
from dialogue.surveys import services, tasks
from dialogue.surveys.models import MessageTemplate, Reminder, Survey
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    delegate_of,
    option_ids,
    questions_of,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TICK = datetime.timedelta(microseconds=1)


@pytest.fixture
def delegations():
    """Switzerland (a French- and a Spanish-speaking delegate, a focal point, and people who
    get no e-mail), Senegal (one delegate) and an observer organization (one delegate)."""
    che = MemberFactory(code="CHE")
    sen = MemberFactory(code="SEN")
    org = ObserverOrganizationFactory(code="ICMPD", name_en="ICMPD")
    people = {
        "che_fr": PersonFactory(
            delegation=che, email="fr@che.example.org", preferred_language="fr"
        ),
        "che_es": PersonFactory(
            delegation=che, email="es@che.example.org", preferred_language="es"
        ),
        "che_focal": PersonFactory(
            delegation=che, email="focal@che.example.org", role=Person.Role.FOCAL_POINT
        ),
        "sen": PersonFactory(delegation=sen, email="delegate@sen.example.org"),
        "org": PersonFactory(delegation=org, email="delegate@icmpd.example.org"),
    }
    PersonFactory(delegation=che, email="former@che.example.org", is_active=False)
    PersonFactory(delegation=che, email="expert@che.example.org", role=Person.Role.EXPERT)
    PersonFactory(delegation=che, email="")
    return {"CHE": che, "SEN": sen, "ORG": org, "people": people}


@pytest.fixture
def survey(staff_user):
    return PublishedSurveyFactory(
        actor=staff_user,
        title_en="Choice of the theme",
        title_fr="Choix du thème",
        title_es="Elección del tema",
    )


def _respond(survey, member):
    user = delegate_of(member)
    (question,) = questions_of(survey)
    services.response_submit(
        actor=user,
        survey=survey,
        member=member,
        choices={question.pk: option_ids(question)[:1]},
        now=DURING,
    )


def _recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def _by_recipient():
    return {message.to[0]: message for message in mail.outbox}


ALL_ADDRESSES = [
    "delegate@icmpd.example.org",
    "delegate@sen.example.org",
    "es@che.example.org",
    "focal@che.example.org",
    "fr@che.example.org",
]


# Scheduled reminders


def test_no_reminder_is_sent_before_a_week_before_the_close(survey, delegations):
    assert tasks.send_due_reminders(now=CLOSES - 7 * DAY - TICK) == 0
    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_the_week_reminder_goes_to_every_active_delegate_and_focal_point(survey, delegations):
    sent = tasks.send_due_reminders(now=CLOSES - 7 * DAY)
    assert sent == 5
    assert _recipients() == ALL_ADDRESSES
    assert sorted(
        Reminder.objects.values_list("member__code", "kind", "days_before", "recipients")
    ) == [
        ("CHE", "reminder", 7, 3),
        ("ICMPD", "reminder", 7, 1),
        ("SEN", "reminder", 7, 1),
    ]


def test_a_reminder_is_sent_once_per_delegation_and_offset_however_often_the_job_runs(
    survey, delegations
):
    week = CLOSES - 7 * DAY
    assert tasks.send_due_reminders(now=week) == 5
    for now in (week, week + datetime.timedelta(hours=1), CLOSES - 2 * DAY - TICK):
        assert tasks.send_due_reminders(now=now) == 0
    assert tasks.send_due_reminders(now=CLOSES - 2 * DAY) == 5
    for now in (CLOSES - 2 * DAY, CLOSES - DAY, CLOSES - TICK):
        assert tasks.send_due_reminders(now=now) == 0
    assert len(mail.outbox) == 10
    assert sorted(Reminder.objects.values_list("days_before", flat=True)) == [2, 2, 2, 7, 7, 7]


def test_when_the_job_missed_the_week_reminder_only_the_latest_due_one_is_sent(survey, delegations):
    assert tasks.send_due_reminders(now=CLOSES - DAY) == 5
    assert tasks.send_due_reminders(now=CLOSES - DAY + TICK) == 0
    assert set(Reminder.objects.values_list("days_before", flat=True)) == {2}


def test_reminders_go_only_to_delegations_without_a_response(survey, delegations):
    _respond(survey, delegations["CHE"])
    _respond(survey, delegations["ORG"])
    assert tasks.send_due_reminders(now=CLOSES - 2 * DAY) == 1
    assert _recipients() == ["delegate@sen.example.org"]


def test_no_reminder_reaches_suspended_members_or_observers_outside_the_audience(staff_user):
    PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    thailand = MemberFactory(code="THA", status=Member.Status.SUSPENDED)
    organization = ObserverOrganizationFactory()
    PersonFactory(delegation=thailand, email="delegate@tha.example.org")
    PersonFactory(delegation=organization, email="delegate@org.example.org")
    PersonFactory(delegation=MemberFactory(code="MEX"), email="delegate@mex.example.org")
    tasks.send_due_reminders(now=CLOSES - 2 * DAY)
    assert _recipients() == ["delegate@mex.example.org"]


def test_no_reminder_is_sent_once_the_survey_is_closed(staff_user, survey, delegations):
    services.survey_close(actor=staff_user, survey=survey, now=CLOSES - 3 * DAY)
    assert tasks.send_due_reminders(now=CLOSES - 2 * DAY) == 0
    assert tasks.send_due_reminders(now=CLOSES + DAY) == 0
    assert mail.outbox == []


def test_a_survey_with_its_own_reminder_days_is_reminded_on_those(staff_user, delegations):
    survey = PublishedSurveyFactory(actor=staff_user, reminder_days=[3])
    assert tasks.send_due_reminders(now=CLOSES - 7 * DAY) == 0
    assert tasks.send_due_reminders(now=CLOSES - 3 * DAY) == 5
    assert set(Reminder.objects.filter(survey=survey).values_list("days_before", flat=True)) == {3}


def test_a_delegation_with_no_one_to_write_to_is_reminded_once_someone_is_added(
    survey, delegations
):
    peru = MemberFactory(code="PER")
    tasks.send_due_reminders(now=CLOSES - 7 * DAY)
    assert not Reminder.objects.filter(member=peru).exists()
    PersonFactory(delegation=peru, email="delegate@per.example.org")
    assert tasks.send_due_reminders(now=CLOSES - 6 * DAY) == 1
    assert mail.outbox[-1].to == ["delegate@per.example.org"]


# Languages and texts


def _default_subject(language, title):
    with translation.override(language):
        return gettext("Reminder: survey {title}").replace("{title}", title)


def test_each_person_is_reminded_in_their_own_language(survey, delegations):
    tasks.send_due_reminders(now=CLOSES - 2 * DAY)
    messages = _by_recipient()
    french = messages["fr@che.example.org"]
    spanish = messages["es@che.example.org"]
    english = messages["focal@che.example.org"]
    assert french.subject == _default_subject("fr", "Choix du thème")
    assert spanish.subject == _default_subject("es", "Elección del tema")
    assert english.subject == "Reminder: survey Choice of the theme"
    assert "Suisse" in french.body
    assert "Suiza" in spanish.body
    assert "Switzerland" in english.body
    assert "Choix du thème" in french.body
    assert "Elección del tema" in spanish.body


def test_a_reminder_names_the_close_in_geneva_time_and_links_to_the_survey(survey, delegations):
    tasks.send_due_reminders(now=CLOSES - 2 * DAY)
    body = _by_recipient()["focal@che.example.org"].body
    assert "17.03.2008 09:00" in body  # 08:00 UTC is 09:00 in Geneva in March
    assert f"{django_settings.SITE_URL}/" in body
    assert f"/portal/surveys/{survey.pk}/" in body
    assert "{" not in body


def test_the_secretariats_own_text_is_used_with_its_placeholders_filled(survey, delegations):
    MessageTemplate.objects.create(
        survey=survey,
        kind=MessageTemplate.Kind.REMINDER,
        language="fr",
        subject="Rappel : {title} ({delegation})",
        body="Madame, Monsieur,\n{delegation} n'a pas répondu à « {title} » avant le {closes}.\n"
        "{link}\n{unknown}",
    )
    tasks.send_due_reminders(now=CLOSES - 2 * DAY)
    messages = _by_recipient()
    french = messages["fr@che.example.org"]
    assert french.subject == "Rappel : Choix du thème (Suisse)"
    assert french.body.startswith(
        "Madame, Monsieur,\nSuisse n'a pas répondu à « Choix du thème » avant le 17.03.2008 09:00"
    )
    assert f"/portal/surveys/{survey.pk}/" in french.body
    assert french.body.endswith("{unknown}")
    assert messages["focal@che.example.org"].subject == "Reminder: survey Choice of the theme"
    assert messages["es@che.example.org"].subject == _default_subject("es", "Elección del tema")


def _headers(message):
    return [name.lower() for name, _value in message.message().items()]


def test_a_line_break_in_the_title_cannot_add_an_e_mail_header(staff_user, delegations):
    PublishedSurveyFactory(
        actor=staff_user,
        title_en="Theme\r\nBcc: victim@example.org",
        title_fr="Thème\nBcc: victim@example.org",
        title_es="Tema\rBcc: victim@example.org",
    )
    assert tasks.send_due_reminders(now=CLOSES - 2 * DAY) == 5
    for message in mail.outbox:
        assert "\r" not in message.subject
        assert "\n" not in message.subject
        assert message.bcc == []
        assert message.recipients() == message.to
        assert "victim@example.org" not in message.recipients()
        assert "bcc" not in _headers(message)
        assert _headers(message).count("to") == 1


def test_a_line_break_in_a_delegation_name_or_in_staffs_subject_cannot_add_a_header(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user)
    member = MemberFactory(code="FJI", name_en="Fiji\r\nBcc: victim@example.org")
    PersonFactory(delegation=member, email="delegate@fji.example.org")
    MessageTemplate.objects.create(
        survey=survey,
        kind=MessageTemplate.Kind.REMINDER,
        language="en",
        subject="Reminder for {delegation}\nCc: other@example.org",
        body="{delegation}",
    )
    tasks.send_due_reminders(now=CLOSES - 2 * DAY)
    (message,) = mail.outbox
    assert "\n" not in message.subject
    assert "\r" not in message.subject
    assert message.recipients() == ["delegate@fji.example.org"]
    assert "bcc" not in _headers(message)
    assert "cc" not in _headers(message)


# Invitations


def test_invitations_go_to_every_eligible_delegation_once(survey, delegations):
    assert tasks.send_invitations(survey, now=DURING) == 5
    assert tasks.send_invitations(survey, now=DURING) == 0
    assert _recipients() == ALL_ADDRESSES
    assert set(Reminder.objects.values_list("kind", "days_before")) == {("invitation", 0)}
    french = _by_recipient()["fr@che.example.org"]
    with translation.override("fr"):
        expected = gettext("Survey: {title}").replace("{title}", "Choix du thème")
    assert french.subject == expected


def test_invitations_to_a_member_states_survey_skip_observers(staff_user, delegations):
    survey = PublishedSurveyFactory(actor=staff_user, audience=Survey.Audience.MEMBER_STATES)
    tasks.send_invitations(survey, now=DURING)
    assert "delegate@icmpd.example.org" not in _recipients()
    assert len(mail.outbox) == 4


def test_publishing_sends_the_invitations_once_committed(
    staff_user, delegations, django_capture_on_commit_callbacks
):
    survey = DraftSurveyFactory(actor=staff_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.survey_publish(actor=staff_user, survey=survey)
        assert mail.outbox == []
    assert len(callbacks) == 2  # the invitations, and the reminders queued for later
    assert _recipients() == ALL_ADDRESSES


def test_invitations_and_reminders_are_counted_separately(survey, delegations):
    tasks.send_invitations(survey, now=DURING)
    assert tasks.send_due_reminders(now=CLOSES - 7 * DAY) == 5
    assert len(mail.outbox) == 10


# Reminders sent by hand


def test_staff_remind_the_delegations_they_pick_except_those_that_responded(survey, delegations):
    _respond(survey, delegations["SEN"])
    sent = tasks.send_reminders_now(survey, [delegations["CHE"], delegations["SEN"]])
    assert sent == 3
    assert _recipients() == ["es@che.example.org", "focal@che.example.org", "fr@che.example.org"]
    reminder = Reminder.objects.get()
    assert (reminder.member, reminder.days_before, reminder.recipients) == (
        delegations["CHE"],
        None,
        3,
    )


def test_a_reminder_by_hand_can_be_sent_again(survey, delegations):
    tasks.send_reminders_now(survey, [delegations["SEN"]])
    tasks.send_reminders_now(survey, [delegations["SEN"]])
    assert len(mail.outbox) == 2
    assert Reminder.objects.count() == 2


def test_a_reminder_by_hand_does_not_stop_the_scheduled_ones(survey, delegations):
    tasks.send_reminders_now(survey, [delegations["SEN"]])
    assert tasks.send_due_reminders(now=CLOSES - 2 * DAY) == 5


def test_no_invitation_is_sent_for_a_survey_already_closed(survey, delegations):
    assert tasks.send_invitations(survey, now=CLOSES) == 0
    assert mail.outbox == []


def test_publishing_queues_each_reminder_for_its_offset_before_the_close(
    staff_user, delegations, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    survey = DraftSurveyFactory(actor=staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        survey = services.survey_publish(actor=staff_user, survey=survey)
    queued = DBTaskResult.objects.filter(task_path__endswith="send_survey_reminders")
    run_times = sorted(r.run_after for r in queued)
    assert run_times == [survey.closes_at - 7 * DAY, survey.closes_at - 2 * DAY]


def test_a_queued_reminder_sends_when_due_and_only_once(staff_user, delegations):
    from dialogue.core import clock

    now = clock.now()
    survey = DraftSurveyFactory(actor=staff_user)
    survey = services.survey_publish(
        actor=staff_user, survey=survey, opens_at=now, closes_at=now + DAY
    )
    mail.outbox.clear()
    assert tasks.send_survey_reminders.call(survey.pk, 2) == 5
    assert tasks.send_survey_reminders.call(survey.pk, 2) == 0
    assert len(mail.outbox) == 5


def test_a_reminder_run_after_the_close_sends_nothing(staff_user, survey, delegations):
    services.survey_close(actor=staff_user, survey=survey, now=DURING)
    assert tasks.send_survey_reminders.call(survey.pk, 2) == 0
    assert mail.outbox == []

"""The staff survey pages: preparing, publishing, turnout, written responses and results."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from dialogue.core import clock
from dialogue.core.models import AuditEntry
from dialogue.cycles.tests.factories import ConsultationFactory, CycleFactory, ThemeFactory
from dialogue.members.tests.factories import MemberFactory, ObserverOrganizationFactory
from dialogue.surveys import services
from dialogue.surveys.forms import ResponseForm
from dialogue.surveys.models import MessageTemplate, Question, Reminder, Response, Survey, Weight
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    choose_one,
    choose_up_to,
    delegate_of,
    option_ids,
    questions_of,
    ranking,
    row_counts,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HOUR = datetime.timedelta(hours=1)


def url(name: str, survey: Survey | None = None, **kwargs) -> str:
    if survey is not None:
        kwargs["pk"] = survey.pk
    return reverse(f"staff:{name}", kwargs=kwargs)


def page_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def draft(staff_user):
    return DraftSurveyFactory(actor=staff_user, questions=[choose_one()])


@pytest.fixture
def open_survey(staff_user):
    """A survey published an hour ago that closes two weeks after its opening."""
    return PublishedSurveyFactory(actor=staff_user, opens_at=clock.now() - HOUR)


@pytest.fixture
def past_survey(staff_user):
    """A survey that ran in March 2008, still to be closed."""
    return PublishedSurveyFactory(actor=staff_user, questions=[choose_one()])


def respond(survey, member, choices, *, now=DURING, comment=""):
    return services.response_submit(
        actor=delegate_of(member),
        survey=survey,
        member=member,
        choices=choices,
        comment=comment,
        now=now,
    )


def first_question(survey) -> Question:
    return questions_of(survey)[0]


# --- who may see the pages --------------------------------------------------------


def all_urls(survey, question) -> list[str]:
    return [
        url("survey_list"),
        url("survey_create"),
        url("survey_detail", survey),
        url("survey_update", survey),
        url("survey_question_add", survey),
        url("survey_tie_resolution", survey, question_pk=question.pk),
        url("survey_weight_set", survey),
        url("survey_messages", survey),
        url("survey_message_edit", survey, kind="reminder", language="fr"),
        url("survey_publish", survey),
        url("survey_extend", survey),
        url("survey_close", survey),
        url("survey_publish_results", survey),
        url("survey_turnout", survey),
        url("survey_remind", survey),
        url("survey_response_record", survey),
        url("survey_response_letter", survey, member_pk=1),
        url("survey_results", survey),
        url("survey_results_csv", survey),
    ]


def test_every_survey_page_sends_an_anonymous_visitor_to_log_in(client, open_survey):
    before = row_counts()
    for address in all_urls(open_survey, first_question(open_survey)):
        for method in (client.get, client.post):
            response = method(address)
            assert response.status_code == 302, address
            assert "login" in response["Location"], address
    assert row_counts() == before


def test_a_delegate_has_no_access_to_any_survey_page(client, delegate, open_survey):
    client.force_login(delegate.user)
    before = row_counts()
    for address in all_urls(open_survey, first_question(open_survey)):
        response = client.post(address, {"members": [delegate.delegation.pk]})
        assert response.status_code == 302, address
        assert "login" in response["Location"], address
    assert row_counts() == before
    assert Survey.objects.get().status == Survey.Status.OPEN


def test_an_unknown_survey_is_not_found(staff_client):
    assert staff_client.get(url("survey_detail", pk=999)).status_code == 404
    assert staff_client.get(url("survey_results", pk=999)).status_code == 404


def test_a_question_of_another_survey_is_not_found(staff_client, staff_user, draft):
    other = DraftSurveyFactory(actor=staff_user)
    address = url("survey_tie_resolution", draft, question_pk=first_question(other).pk)

    assert staff_client.get(address).status_code == 404


# --- list, create, update ---------------------------------------------------------------


def test_the_list_shows_status_cycle_window_in_geneva_time_and_turnout(
    staff_client, past_survey, member_state
):
    respond(
        past_survey,
        member_state,
        {first_question(past_survey).pk: option_ids(first_question(past_survey))[:1]},
    )

    page = page_of(staff_client.get(url("survey_list")))

    assert past_survey.title in page
    assert past_survey.cycle.name in page
    assert "Published" in page
    assert "3 March 2008, 09:00 Geneva time" in page  # 08:00 UTC
    assert "1 of 1 (100.0%)" in page


def test_a_draft_survey_is_created_in_a_cycle(staff_client):
    cycle = CycleFactory(year=2008)

    response = staff_client.post(
        url("survey_create"),
        {
            "cycle": cycle.pk,
            "title_en": "Choice of the theme",
            "title_fr": "Choix du thème",
            "audience": Survey.Audience.MEMBERS_AND_OBSERVERS,
            "reminder_days": "7, 3",
        },
    )

    survey = Survey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("survey_detail", survey)
    assert survey.cycle == cycle
    assert survey.status == Survey.Status.DRAFT
    assert survey.reminder_days == [7, 3]


def test_the_create_page_preselects_the_cycle_it_was_opened_from(staff_client):
    cycle = CycleFactory(year=2009)

    page = page_of(staff_client.get(url("survey_create") + f"?cycle={cycle.pk}"))

    assert f'<option value="{cycle.pk}" selected>' in page


def test_a_survey_without_an_english_title_is_not_created(staff_client):
    cycle = CycleFactory()

    response = staff_client.post(url("survey_create"), {"cycle": cycle.pk, "title_fr": "Choix"})

    assert response.status_code == 400
    assert response.context["form"].errors["title_en"]
    assert not Survey.objects.exists()


def test_a_consultation_of_another_cycle_is_refused(staff_client):
    cycle = CycleFactory(year=2008)
    consultation = ConsultationFactory(cycle=CycleFactory(year=2007))

    response = staff_client.post(
        url("survey_create"),
        {
            "cycle": cycle.pk,
            "consultation": consultation.pk,
            "title_en": "Choice",
            "audience": Survey.Audience.MEMBERS_AND_OBSERVERS,
        },
    )

    assert "belongs to another cycle" in page_of(response)
    assert not Survey.objects.exists()


def test_a_survey_is_edited(staff_client, draft):
    response = staff_client.post(
        url("survey_update", draft),
        {
            "title_en": "New title",
            "audience": Survey.Audience.MEMBER_STATES,
            "observers_counted": "on",
            "reminder_days": "5",
        },
    )

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.title_en == "New title"
    assert draft.audience == Survey.Audience.MEMBER_STATES
    assert draft.observers_counted is True
    assert draft.reminder_days == [5]


def test_reminder_days_that_are_not_numbers_are_refused(staff_client, draft):
    response = staff_client.post(
        url("survey_update", draft),
        {"title_en": "New", "audience": draft.audience, "reminder_days": "a week"},
    )

    draft.refresh_from_db()
    assert response.context["form"].errors["reminder_days"]
    assert draft.title_en != "New"


@pytest.mark.parametrize("days", ["7, \u00b2", "1" * 5000])
def test_reminder_days_that_int_cannot_read_are_refused(staff_client, draft, days):
    """A superscript two is a digit to Python but not a number; nor is one of 5,000 digits."""
    response = staff_client.post(
        url("survey_update", draft),
        {"title_en": "New", "audience": draft.audience, "reminder_days": days},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["reminder_days"] == [
        "Write whole numbers of days separated by commas, for example 7, 2."
    ]
    draft.refresh_from_db()
    assert draft.title_en != "New"


def test_reminder_days_out_of_range_show_the_services_refusal(staff_client, draft):
    response = staff_client.post(
        url("survey_update", draft),
        {"title_en": "New", "audience": draft.audience, "reminder_days": "90"},
    )

    assert "from 1 to 59" in page_of(response)
    draft.refresh_from_db()
    assert draft.title_en != "New"


def test_the_audience_of_a_published_survey_cannot_be_changed_from_the_page(
    staff_client, open_survey
):
    staff_client.post(
        url("survey_update", open_survey),
        {"title_en": "Corrected", "audience": Survey.Audience.MEMBER_STATES},
    )

    open_survey.refresh_from_db()
    assert open_survey.title_en == "Corrected"
    assert open_survey.audience == Survey.Audience.MEMBERS_AND_OBSERVERS


# --- questions, weights, e-mails -----------------------------------------------------


def question_data(**extra) -> dict:
    data = {
        "text_en": "Which theme?",
        "kind": Question.Kind.CHOOSE_ONE,
        "method": Question.Method.PLURALITY,
        "max_choices": "1",
        "required": "on",
        "options-TOTAL_FORMS": "6",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "30",
    }
    data.update(extra)
    return data


def test_a_question_is_added_with_proposals_and_free_options(staff_client, staff_user):
    cycle = CycleFactory(year=2008)
    first, second = ThemeFactory(cycle=cycle), ThemeFactory(cycle=cycle)
    survey = DraftSurveyFactory(actor=staff_user, cycle=cycle, questions=[])

    response = staff_client.post(
        url("survey_question_add", survey),
        question_data(
            **{
                "options-0-proposal": first.pk,
                "options-1-proposal": second.pk,
                "options-2-label_en": "Neither",
                "options-2-label_fr": "Aucun",
            }
        ),
    )

    assert response.status_code == 302
    question = Question.objects.get(survey=survey)
    options = list(question.options.order_by("position"))
    assert [o.label_en for o in options] == [first.title_en, second.title_en, "Neither"]
    assert [o.proposal for o in options] == [first, second, None]
    assert options[2].label_fr == "Aucun"


def test_the_question_page_offers_the_cycles_proposals(staff_client, staff_user):
    cycle = CycleFactory(year=2008)
    ThemeFactory(cycle=cycle, title_en="Migration and development")
    survey = DraftSurveyFactory(actor=staff_user, cycle=cycle, questions=[])

    page = page_of(staff_client.get(url("survey_question_add", survey)))

    assert "Migration and development" in page
    assert page.count('name="options-') >= 6 * 4


def test_a_question_with_one_option_is_refused(staff_client, draft):
    response = staff_client.post(
        url("survey_question_add", draft), question_data(**{"options-0-label_en": "Only one"})
    )

    assert response.status_code == 400
    assert "A question needs at least two options." in page_of(response)
    assert draft.questions.count() == 1


def test_a_method_that_does_not_fit_the_kind_is_shown_on_its_field(staff_client, draft):
    response = staff_client.post(
        url("survey_question_add", draft),
        question_data(
            method=Question.Method.BORDA,
            **{"options-0-label_en": "A", "options-1-label_en": "B"},
        ),
    )

    assert response.context["form"].errors["method"]
    assert draft.questions.count() == 1


def test_questions_of_a_published_survey_cannot_be_added(staff_client, open_survey):
    response = staff_client.get(url("survey_question_add", open_survey))

    assert "cannot be changed" in page_of(response)
    assert 'name="text_en"' not in page_of(response)


def test_a_weight_is_set_for_a_delegation(staff_client, draft, member_state):
    response = staff_client.post(
        url("survey_weight_set", draft), {"member": member_state.pk, "weight": "2.5"}
    )

    assert response.status_code == 302
    assert str(Weight.objects.get(survey=draft, member=member_state).weight) == "2.500"
    assert escape(member_state.name) in page_of(staff_client.get(url("survey_weight_set", draft)))


def test_a_weight_of_zero_is_refused(staff_client, draft, member_state):
    response = staff_client.post(
        url("survey_weight_set", draft), {"member": member_state.pk, "weight": "0"}
    )

    assert response.context["form"].errors["weight"]
    assert not Weight.objects.exists()


def test_weights_of_a_published_survey_are_refused_by_the_service(
    staff_client, open_survey, member_state
):
    response = staff_client.post(
        url("survey_weight_set", open_survey), {"member": member_state.pk, "weight": "2"}
    )

    assert "can no longer be changed" in page_of(response)
    assert not Weight.objects.exists()


def test_the_email_texts_are_listed_with_their_default_subjects(staff_client, draft):
    page = page_of(staff_client.get(url("survey_messages", draft)))

    assert "Reminder: survey {title}" in page
    assert '<td lang="fr">' in page
    assert url("survey_message_edit", draft, kind="invitation", language="es") in page


def test_the_email_form_starts_from_the_default_text(staff_client, draft):
    response = staff_client.get(url("survey_message_edit", draft, kind="reminder", language="en"))

    assert response.context["form"].initial["subject"] == "Reminder: survey {title}"
    assert "{delegation}" in response.context["form"].initial["body"]


def test_an_email_text_is_saved_and_used_from_then_on(staff_client, staff_user, draft):
    address = url("survey_message_edit", draft, kind="invitation", language="fr")

    response = staff_client.post(
        address, {"subject": "Enquête : {title}", "body": "Madame, Monsieur, {link}"}
    )

    assert response.status_code == 302
    message = MessageTemplate.objects.get(survey=draft, kind="invitation", language="fr")
    assert message.subject == "Enquête : {title}"
    assert staff_client.get(address).context["form"].initial["body"] == "Madame, Monsieur, {link}"


def test_an_email_text_with_an_unknown_placeholder_is_refused(staff_client, draft):
    response = staff_client.post(
        url("survey_message_edit", draft, kind="invitation", language="en"),
        {"subject": "Survey", "body": "Dear {name}, {link}"},
    )

    assert "Unknown placeholder {name}" in page_of(response)
    assert not MessageTemplate.objects.exists()


def test_saving_an_email_text_is_audited(staff_client, staff_user, draft):
    staff_client.post(
        url("survey_message_edit", draft, kind="reminder", language="en"),
        {"subject": "Reminder", "body": "{delegation}: {closes}"},
    )

    message = MessageTemplate.objects.get()
    entry = AuditEntry.objects.get(object_type="surveys.messagetemplate", object_id=str(message.pk))
    assert entry.actor == staff_user
    assert entry.action == AuditEntry.Action.CREATE


def test_the_email_texts_of_a_closed_survey_are_not_changed(staff_client, staff_user, past_survey):
    services.survey_close(actor=staff_user, survey=past_survey)

    response = staff_client.post(
        url("survey_message_edit", past_survey, kind="reminder", language="en"),
        {"subject": "Reminder", "body": "Text"},
    )

    assert "can no longer be changed" in page_of(response)
    assert not MessageTemplate.objects.exists()


def test_an_unknown_kind_or_language_of_email_is_not_found(staff_client, draft):
    assert (
        staff_client.get(url("survey_message_edit", draft, kind="spam", language="en")).status_code
        == 404
    )
    assert (
        staff_client.get(
            url("survey_message_edit", draft, kind="reminder", language="de")
        ).status_code
        == 404
    )


# --- the survey page and its actions -------------------------------------------------------


def test_the_survey_page_shows_the_window_in_geneva_time_and_utc(staff_client, past_survey):
    page = page_of(staff_client.get(url("survey_detail", past_survey)))

    assert "3 March 2008, 09:00 Geneva time" in page
    assert "2008-03-03 08:00 UTC" in page
    assert "17 March 2008, 09:00 Geneva time" in page
    assert past_survey.get_audience_display() in page
    assert "recorded and reported separately, not counted" in page
    assert "Alpha" in page  # an option
    assert url("survey_turnout", past_survey) in page
    assert url("survey_results", past_survey) in page
    assert url("survey_extend", past_survey) in page
    assert url("survey_close", past_survey) in page


def test_the_page_of_a_draft_offers_publication(staff_client, draft):
    page = page_of(staff_client.get(url("survey_detail", draft)))

    assert url("survey_publish", draft) in page
    assert 'name="publish-opens_at"' in page
    assert url("survey_question_add", draft) in page
    assert url("survey_results", draft) not in page


def test_publishing_takes_the_times_in_geneva_time(staff_client, draft):
    response = staff_client.post(
        url("survey_publish", draft),
        {"publish-opens_at": "2030-07-01T09:00", "publish-closes_at": "2030-07-15T18:00"},
    )

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.status == Survey.Status.OPEN
    assert draft.opens_at == datetime.datetime(2030, 7, 1, 7, 0, tzinfo=datetime.UTC)
    assert draft.closes_at == datetime.datetime(2030, 7, 15, 16, 0, tzinfo=datetime.UTC)


def test_publishing_without_a_close_closes_two_weeks_after_the_opening(staff_client, draft):
    staff_client.post(url("survey_publish", draft), {"publish-opens_at": "2030-01-10T10:00"})

    draft.refresh_from_db()
    assert draft.closes_at - draft.opens_at == datetime.timedelta(days=14)
    assert draft.opens_at == datetime.datetime(2030, 1, 10, 9, 0, tzinfo=datetime.UTC)


def test_publishing_with_the_close_before_the_opening_shows_the_error_and_changes_nothing(
    staff_client, draft
):
    before = row_counts()

    response = staff_client.post(
        url("survey_publish", draft),
        {"publish-opens_at": "2030-07-01T09:00", "publish-closes_at": "2030-06-20T09:00"},
    )

    draft.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors["closes_at"] == ["The survey must close after it opens."]
    assert draft.status == Survey.Status.DRAFT
    assert draft.opens_at is None
    assert row_counts() == before
    assert not mail.outbox


def test_a_time_that_does_not_exist_in_geneva_is_refused(staff_client, draft):
    # Clocks jump from 02:00 to 03:00 on the last Sunday of March.
    response = staff_client.post(
        url("survey_publish", draft), {"publish-opens_at": "2030-03-31T02:30"}
    )

    assert response.context["form"].errors["opens_at"]
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


@pytest.mark.parametrize(
    ("opens", "closes"),
    [("0001-01-01T00:10", "2030-07-15T18:00"), ("2030-07-01T09:00", "9999-12-31T23:59-05:00")],
)
def test_a_time_with_no_utc_equivalent_is_refused(staff_client, draft, opens, closes):
    """Geneva was 34 minutes ahead of UTC in year 1, and the offset of -05:00 moves the
    second time past year 9999: neither can be stored in UTC."""
    response = staff_client.post(
        url("survey_publish", draft), {"publish-opens_at": opens, "publish-closes_at": closes}
    )

    assert response.status_code == 400
    assert response.context["form"].errors
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


def test_an_extension_with_no_utc_equivalent_is_refused(staff_client, open_survey):
    closes = open_survey.closes_at

    response = staff_client.post(
        url("survey_extend", open_survey), {"extend-closes_at": "9999-12-31T23:59-05:00"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["closes_at"] == ["Enter a valid date/time."]
    open_survey.refresh_from_db()
    assert open_survey.closes_at == closes


def test_an_open_survey_is_extended(staff_client, open_survey):
    response = staff_client.post(
        url("survey_extend", open_survey), {"extend-closes_at": "2099-12-31T18:00"}
    )

    open_survey.refresh_from_db()
    assert response.status_code == 302
    assert open_survey.closes_at == datetime.datetime(2099, 12, 31, 17, 0, tzinfo=datetime.UTC)


def test_an_extension_to_an_earlier_close_is_refused(staff_client, open_survey):
    closes = open_survey.closes_at

    response = staff_client.post(
        url("survey_extend", open_survey), {"extend-closes_at": "2008-01-01T10:00"}
    )

    open_survey.refresh_from_db()
    assert "later than the current one" in page_of(response)
    assert open_survey.closes_at == closes


def test_closing_now_asks_for_confirmation_then_closes(staff_client, open_survey):
    confirmation = staff_client.get(url("survey_close", open_survey))

    assert "This cannot be undone." in page_of(confirmation)
    open_survey.refresh_from_db()
    assert open_survey.status == Survey.Status.OPEN

    response = staff_client.post(url("survey_close", open_survey))

    open_survey.refresh_from_db()
    assert response.status_code == 302
    assert open_survey.status == Survey.Status.CLOSED


def test_a_draft_cannot_be_closed(staff_client, draft):
    response = staff_client.post(url("survey_close", draft))

    assert "Only a published survey can be closed." in page_of(response)
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT


def test_results_of_a_closed_survey_are_published(staff_client, staff_user, past_survey):
    services.survey_close(actor=staff_user, survey=past_survey)

    response = staff_client.post(url("survey_publish_results", past_survey))

    past_survey.refresh_from_db()
    assert response["Location"] == url("survey_results", past_survey)
    assert past_survey.status == Survey.Status.RESULTS_PUBLISHED


def test_results_of_an_open_survey_cannot_be_published(staff_client, open_survey):
    response = staff_client.post(url("survey_publish_results", open_survey))

    assert "only once the survey is closed" in page_of(response)
    open_survey.refresh_from_db()
    assert open_survey.status == Survey.Status.OPEN


# --- turnout and reminders ------------------------------------------------------------------


@pytest.fixture
def membership(db):
    """Two Member States, an observer organization."""
    return {
        "CHE": MemberFactory(code="CHE"),
        "SEN": MemberFactory(code="SEN"),
        "ORG": ObserverOrganizationFactory(code="AU", name_en="African Union"),
    }


def test_turnout_lists_who_responded_how_and_who_has_not(staff_client, open_survey, membership):
    question = first_question(open_survey)
    user = delegate_of(membership["CHE"])
    services.response_submit(
        actor=user,
        survey=open_survey,
        member=membership["CHE"],
        choices={question.pk: option_ids(question)[:1]},
    )

    page = page_of(staff_client.get(url("survey_turnout", open_survey)))

    assert "1 of 3 delegations responded (33.3%)." in page
    assert "Delegates&#x27; portal" in page
    assert user.email in page
    assert f'name="members" value="{membership["SEN"].pk}"' in page
    assert f'name="members" value="{membership["ORG"].pk}"' in page
    assert f'name="members" value="{membership["CHE"].pk}"' not in page
    assert "Observer organization" in page


def test_a_reminder_is_sent_now_to_the_delegations_picked(staff_client, open_survey, membership):
    delegate_of(membership["SEN"])
    delegate_of(membership["ORG"])
    mail.outbox.clear()

    response = staff_client.post(
        url("survey_remind", open_survey), {"members": [membership["SEN"].pk]}, follow=True
    )

    assert "Reminder sent by e-mail to 1 person." in page_of(response)
    assert len(mail.outbox) == 1
    reminder = Reminder.objects.get(survey=open_survey, kind="reminder")
    assert reminder.member == membership["SEN"]
    assert reminder.days_before is None
    assert "sent by hand" in page_of(response)


def test_the_reminder_address_takes_only_posts(staff_client, open_survey):
    assert staff_client.get(url("survey_remind", open_survey)).status_code == 405


def test_a_reminder_without_a_delegation_picked_sends_nothing(
    staff_client, open_survey, membership
):
    mail.outbox.clear()

    response = staff_client.post(url("survey_remind", open_survey), {}, follow=True)

    assert "Choose at least one delegation to remind." in page_of(response)
    assert not mail.outbox
    assert not Reminder.objects.filter(kind="reminder").exists()


def test_no_reminder_is_sent_for_a_survey_that_is_past_its_close(
    staff_client, past_survey, membership
):
    delegate_of(membership["SEN"])
    mail.outbox.clear()

    response = staff_client.post(
        url("survey_remind", past_survey), {"members": [membership["SEN"].pk]}, follow=True
    )

    assert "no response can be accepted" in page_of(response)
    assert not mail.outbox


def test_a_delegation_that_responded_cannot_be_reminded(staff_client, open_survey, membership):
    question = first_question(open_survey)
    respond(open_survey, membership["CHE"], {question.pk: option_ids(question)[:1]}, now=None)
    mail.outbox.clear()

    response = staff_client.post(
        url("survey_remind", open_survey), {"members": [membership["CHE"].pk]}, follow=True
    )

    assert "is not one of the available choices" in page_of(response)
    assert not mail.outbox


# --- written responses -------------------------------------------------------------------------


def written(member, question, letter, **extra):
    data = {"member": member.pk, f"question_{question.pk}": option_ids(question)[1], **extra}
    if letter is not None:
        data["letter"] = letter
    return data


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_written_response_is_recorded_with_its_letter(
    staff_client, staff_user, open_survey, member_state, media
):
    question = first_question(open_survey)

    response = staff_client.post(
        url("survey_response_record", open_survey),
        written(
            member_state,
            question,
            SimpleUploadedFile("scan.html", PDF, content_type="text/html"),
            comment="By note verbale of 3 March.",
        ),
    )

    assert response.status_code == 302
    stored = Response.objects.get(survey=open_survey, member=member_state)
    assert stored.channel == Response.Channel.WRITTEN
    assert stored.submitted_by == staff_user
    assert stored.comment == "By note verbale of 3 March."
    assert stored.letter.name.startswith(f"survey-letters/{member_state.code.lower()}-letter")
    assert stored.letter.name.endswith(".pdf")
    assert list(stored.answers.values_list("option_id", flat=True)) == [option_ids(question)[1]]


def test_the_letter_is_downloaded_from_the_turnout_page_by_staff_only(
    staff_client, open_survey, member_state, media
):
    staff_client.post(
        url("survey_response_record", open_survey),
        written(member_state, first_question(open_survey), SimpleUploadedFile("a.pdf", PDF)),
    )
    address = url("survey_response_letter", open_survey, member_pk=member_state.pk)

    assert address in page_of(staff_client.get(url("survey_turnout", open_survey)))
    download = staff_client.get(address)

    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF
    download.close()


def test_a_response_without_letter_has_none_to_download(staff_client, open_survey, member_state):
    question = first_question(open_survey)
    respond(open_survey, member_state, {question.pk: option_ids(question)[:1]}, now=None)

    address = url("survey_response_letter", open_survey, member_pk=member_state.pk)

    assert staff_client.get(address).status_code == 404


def test_a_scanned_image_is_accepted_as_the_letter(staff_client, open_survey, member_state, media):
    response = staff_client.post(
        url("survey_response_record", open_survey),
        written(member_state, first_question(open_survey), SimpleUploadedFile("scan.png", PNG)),
    )

    assert response.status_code == 302
    assert Response.objects.get().letter.name.endswith(".png")


def test_the_written_response_form_uses_the_portal_widgets(staff_client, staff_user, member_state):
    survey = PublishedSurveyFactory(
        actor=staff_user,
        opens_at=clock.now() - HOUR,
        questions=[choose_one(), ranking(2, method=Question.Method.IRV)],
    )
    choose, ranked = questions_of(survey)

    page = page_of(staff_client.get(url("survey_response_record", survey)))

    assert f'type="radio" name="question_{choose.pk}"' in page
    assert f'<select name="question_{ranked.pk}_rank_1"' in page
    assert f'<select name="question_{ranked.pk}_rank_2"' in page
    assert 'enctype="multipart/form-data"' in page


def test_a_written_response_without_the_letter_is_refused(
    staff_client, open_survey, member_state, media
):
    before = row_counts()

    response = staff_client.post(
        url("survey_response_record", open_survey),
        written(member_state, first_question(open_survey), None),
    )

    assert response.status_code == 400
    assert response.context["written"].errors["letter"]
    assert row_counts() == before


def test_a_fake_pdf_is_refused(staff_client, open_survey, member_state, media):
    before = row_counts()
    fake = SimpleUploadedFile("letter.pdf", b"<html><script>alert(1)</script>", "application/pdf")

    response = staff_client.post(
        url("survey_response_record", open_survey),
        written(member_state, first_question(open_survey), fake),
    )

    assert "not a PDF, PNG or JPEG file" in page_of(response)
    assert row_counts() == before
    assert not list(media.rglob("*"))


def test_a_letter_over_ten_megabytes_is_refused(staff_client, open_survey, member_state, media):
    big = SimpleUploadedFile("letter.pdf", PDF + b"0" * (10 * 1024 * 1024))

    response = staff_client.post(
        url("survey_response_record", open_survey),
        written(member_state, first_question(open_survey), big),
    )

    assert "The file is too large" in page_of(response)
    assert not Response.objects.exists()


def test_the_response_form_gives_choices_in_order_with_comments(staff_user):
    survey = PublishedSurveyFactory(
        actor=staff_user,
        questions=[choose_up_to(2, option_comments=True), ranking(3, required=False)],
    )
    approve, ranked = questions_of(survey)
    north, south, _east, _west = option_ids(approve)
    one, two, three, _four = option_ids(ranked)

    form = ResponseForm(
        survey,
        data={
            f"question_{approve.pk}": [str(south), str(north)],
            f"option_{south}_comment": " Only if funded. ",
            f"question_{ranked.pk}_rank_1": str(three),
            f"question_{ranked.pk}_rank_2": str(one),
            "comment": " See our letter. ",
        },
    )

    assert form.is_valid(), form.errors
    assert form.choices() == {approve.pk: [north, south], ranked.pk: [three, one]}
    assert form.option_comments() == {south: "Only if funded."}
    assert form.comment == "See our letter."
    assert two  # unranked options are simply left out


def test_the_response_form_refuses_a_gap_in_a_ranking(staff_user):
    survey = PublishedSurveyFactory(actor=staff_user, questions=[ranking(3)])
    question = first_question(survey)

    form = ResponseForm(
        survey,
        data={
            f"question_{question.pk}_rank_1": str(option_ids(question)[0]),
            f"question_{question.pk}_rank_3": str(option_ids(question)[1]),
        },
    )

    assert not form.is_valid()
    assert "without leaving gaps" in str(form.errors[f"question_{question.pk}_rank_1"])


def test_the_response_form_starts_from_the_current_response(staff_user, member_state):
    survey = PublishedSurveyFactory(actor=staff_user, questions=[choose_one(), ranking(2)])
    choose, ranked = questions_of(survey)
    current = respond(
        survey,
        member_state,
        {choose.pk: option_ids(choose)[2:], ranked.pk: option_ids(ranked)[1::-1]},
        comment="As before.",
    )

    form = ResponseForm(survey, initial_response=current)

    assert form.initial[f"question_{choose.pk}"] == str(option_ids(choose)[2])
    assert form.initial[f"question_{ranked.pk}_rank_1"] == str(option_ids(ranked)[1])
    assert form.initial[f"question_{ranked.pk}_rank_2"] == str(option_ids(ranked)[0])
    assert form.initial["comment"] == "As before."
    assert [len(group.fields) for group in form.questions()] == [1, 2]


def test_a_written_ranking_with_a_repeated_option_is_refused(
    staff_client, staff_user, member_state, media
):
    survey = PublishedSurveyFactory(
        actor=staff_user, opens_at=clock.now() - HOUR, questions=[ranking(2)]
    )
    question = first_question(survey)
    first = option_ids(question)[0]

    response = staff_client.post(
        url("survey_response_record", survey),
        {
            "member": member_state.pk,
            f"question_{question.pk}_rank_1": first,
            f"question_{question.pk}_rank_2": first,
            "letter": SimpleUploadedFile("scan.pdf", PDF),
        },
    )

    assert "An option appears more than once." in page_of(response)
    assert not Response.objects.exists()


def test_no_written_response_is_taken_after_the_close(staff_client, past_survey, member_state):
    page = page_of(staff_client.get(url("survey_response_record", past_survey)))

    assert "no response can be accepted" in page
    assert 'type="file"' not in page


def test_a_delegation_outside_the_audience_cannot_be_picked(
    staff_client, staff_user, media, membership
):
    survey = PublishedSurveyFactory(
        actor=staff_user, opens_at=clock.now() - HOUR, audience=Survey.Audience.MEMBER_STATES
    )

    response = staff_client.post(
        url("survey_response_record", survey),
        written(membership["ORG"], first_question(survey), SimpleUploadedFile("s.pdf", PDF)),
    )

    assert response.context["written"].errors["member"]
    assert not Response.objects.exists()


# --- results --------------------------------------------------------------------------------------


@pytest.fixture
def tied(staff_user, membership):
    """A closed survey whose only question is tied between its first two options."""
    survey = PublishedSurveyFactory(actor=staff_user, questions=[choose_one()])
    question = first_question(survey)
    alpha, beta, _gamma = option_ids(question)
    respond(survey, membership["CHE"], {question.pk: [alpha]}, comment="=HYPERLINK(1)")
    respond(survey, membership["SEN"], {question.pk: [beta]})
    respond(survey, membership["ORG"], {question.pk: [beta]})
    return services.survey_close(actor=staff_user, survey=survey, now=CLOSES)


def test_results_of_a_closed_survey_are_marked_not_published(staff_client, tied):
    page = page_of(staff_client.get(url("survey_results", tied)))

    assert "Not published." in page
    assert "TIE" in page
    assert url("survey_tie_resolution", tied, question_pk=first_question(tied).pk) in page
    assert "Observers (not counted)" in page
    assert "Receipt fingerprints" in page
    for response in tied.responses.all():
        assert response.fingerprint in page
    assert '<svg class="bar-chart" role="img"' in page
    assert url("survey_results_csv", tied) in page


def test_results_of_an_open_survey_are_provisional(staff_client, open_survey):
    page = page_of(staff_client.get(url("survey_results", open_survey)))

    assert "Not published. The survey is still open" in page


def test_published_results_are_not_marked(staff_client, staff_user, tied):
    services.survey_publish_results(actor=staff_user, survey=tied)

    page = page_of(staff_client.get(url("survey_results", tied)))

    assert "Not published" not in page


def test_a_draft_has_no_results(staff_client, draft):
    response = staff_client.get(url("survey_results", draft))

    assert response["Location"] == url("survey_detail", draft)
    assert staff_client.get(url("survey_results_csv", draft)).status_code == 404


def test_an_option_label_with_markup_is_escaped_on_the_results_page(staff_client, staff_user):
    survey = PublishedSurveyFactory(
        actor=staff_user,
        opens_at=clock.now() - HOUR,
        questions=[choose_one("<script>alert(1)</script>", "Plain")],
    )

    page = page_of(staff_client.get(url("survey_results", survey)))

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def results_queries(client, survey) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("survey_results", survey)).status_code == 200
    return len(queries)


def test_the_results_page_takes_a_bounded_number_of_queries_whatever_the_responses(
    staff_client, staff_user, django_assert_max_num_queries
):
    survey = PublishedSurveyFactory(
        actor=staff_user,
        questions=[
            choose_one(),
            ranking(3, method=Question.Method.IRV),
            ranking(3, method="schulze"),
        ],
    )
    questions = questions_of(survey)
    codes = ["CHE", "SEN", "MEX", "THA", "FJI", "CIV", "TUR", "PER"]

    def answer(member):
        respond(
            survey,
            member,
            {q.pk: option_ids(q)[: q.max_choices] for q in questions},
        )

    for code in codes[:2]:
        answer(MemberFactory(code=code))
    answer(ObserverOrganizationFactory(code="OBS0"))
    few = results_queries(staff_client, survey)
    for code in codes[2:]:
        answer(MemberFactory(code=code))
    for n in range(1, 5):
        answer(ObserverOrganizationFactory(code=f"OBS{n}"))

    with django_assert_max_num_queries(40):
        many = results_queries(staff_client, survey)
    assert many == few


def test_the_csv_export_has_one_row_per_delegation_and_question_with_comments(staff_client, tied):
    response = staff_client.get(url("survey_results_csv", tied))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="survey-{tied.pk}-responses.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "question"
    assert len(body) == 3
    assert {row[9] for row in body} == {"Alpha", "Beta"}
    swiss = next(row for row in body if row[2] == "CHE")
    assert swiss[9] == "Alpha"
    assert swiss[11] == "'=HYPERLINK(1)"  # a formula is neutralised
    assert {row[4] for row in body} == {"Member State", "Observer organization"}


# --- ties ----------------------------------------------------------------------------------------


def test_the_resolution_of_a_tie_is_recorded_and_shown(staff_client, tied):
    question = first_question(tied)
    alpha, beta, gamma = option_ids(question)
    form_page = staff_client.get(url("survey_tie_resolution", tied, question_pk=question.pk))
    assert form_page.context["form"].initial["place_1"] in (alpha, beta)

    response = staff_client.post(
        url("survey_tie_resolution", tied, question_pk=question.pk),
        {"place_1": beta, "place_2": alpha, "place_3": gamma, "note": "Lots drawn on 20 March."},
        follow=True,
    )

    question.refresh_from_db()
    assert question.tiebreak == [beta, alpha, gamma]
    assert question.tie_resolution == "Lots drawn on 20 March."
    page = page_of(response)
    assert "Lots drawn on 20 March." in page
    assert "TIE" not in page
    assert "Winner: Beta" in page


def test_a_tie_order_naming_an_option_twice_is_refused(staff_client, tied):
    question = first_question(tied)
    alpha, _beta, gamma = option_ids(question)

    response = staff_client.post(
        url("survey_tie_resolution", tied, question_pk=question.pk),
        {"place_1": alpha, "place_2": alpha, "place_3": gamma, "note": "Lots."},
    )

    assert "Each option must have its own place." in page_of(response)
    question.refresh_from_db()
    assert question.tiebreak == []


def test_a_tie_cannot_be_resolved_while_the_survey_is_open(staff_client, open_survey):
    question = first_question(open_survey)
    alpha, beta, gamma = option_ids(question)

    response = staff_client.post(
        url("survey_tie_resolution", open_survey, question_pk=question.pk),
        {"place_1": alpha, "place_2": beta, "place_3": gamma, "note": "Too early."},
    )

    assert "only once the survey is closed" in page_of(response)
    question.refresh_from_db()
    assert question.tiebreak == []


def test_every_named_survey_url_has_a_test_here():
    from dialogue.staff import survey_urls

    names = {pattern.name for pattern in survey_urls.urlpatterns}
    with open(__file__, encoding="utf-8") as this_file:
        source = this_file.read()
    assert all(f'"{name}"' in source for name in names)
